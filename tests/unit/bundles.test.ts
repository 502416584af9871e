import { describe, expect, it } from "vitest";
import {
  chartPrefix,
  curatedBundles,
  dashboardUuid,
  datasetsOf,
} from "../../src/superset/bundles.ts";
import { fileStatus, quarantine, tableHealth } from "../../src/superset/quality.ts";

type Yaml = Record<string, unknown>;
const files = (bundle: { files: Map<string, Yaml> }, folder: string) =>
  [...bundle.files].filter(([path]) => path.startsWith(`${folder}/`)).map(([, yaml]) => yaml);

describe("the curated dashboards' asset bundles", () => {
  const bundles = curatedBundles();

  it("are Sales and Data quality, each a whole export", () => {
    expect(bundles.map((b) => b.slug)).toEqual(["data-quality", "sales"]);
    for (const bundle of bundles) {
      expect(bundle.files.get("metadata.yaml")).toMatchObject({ version: "1.0.0" });
      const [dashboard, ...others] = files(bundle, "dashboards");
      expect(others).toHaveLength(0);
      expect(dashboard).toMatchObject({ slug: bundle.slug, uuid: dashboardUuid(bundle) });
      expect(files(bundle, "databases")).toHaveLength(1);
    }
  });

  it("hold together: every chart on the dashboard is in the bundle, on a dataset of the bundle", () => {
    for (const bundle of bundles) {
      const charts = files(bundle, "charts");
      const datasets = new Set(files(bundle, "datasets").map((d) => d.uuid));
      for (const chart of charts) expect(datasets).toContain(chart.dataset_uuid);
      const [dashboard] = files(bundle, "dashboards");
      const position = (dashboard?.position ?? {}) as Record<string, { type: string; meta: Yaml }>;
      const onDashboard = Object.values(position)
        .filter((node) => node.type === "CHART")
        .map((node) => node.meta.uuid);
      expect(onDashboard.sort()).toEqual(charts.map((c) => c.uuid).sort());
      // The charts made for it share a prefix, by which older copies are found and removed.
      for (const chart of charts)
        expect(String(chart.slice_name)).toMatch(new RegExp(`^${chartPrefix(bundle)}`));
    }
  });

  it("read the tables they need, and SQL datasets the code writes", () => {
    const sales = bundles.find((b) => b.slug === "sales");
    const quality = bundles.find((b) => b.slug === "data-quality");
    expect(sales && datasetsOf(sales)).toEqual({ tables: ["sales_sample"], virtual: [] });
    const written = [fileStatus([]), quarantine([]), tableHealth(false)].map((v) => v.name).sort();
    expect(quality && datasetsOf(quality).virtual.sort()).toEqual(written);
  });
});
