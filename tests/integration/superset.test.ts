import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page, selectors } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirflowClient } from "../../src/airflow/client.ts";
import { INGEST_DAG } from "../../src/airflow/ingest-via-airflow.ts";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { projectRoot } from "../../src/config/paths.ts";
import { checkChromium, installDebianPackages } from "../../src/install/prerequisites.ts";
import { type Bundle, curatedBundles, dashboardUuid } from "../../src/superset/bundles.ts";
import { SupersetClient } from "../../src/superset/client.ts";
import { DATABASE_NAME } from "../../src/superset/provision.ts";
import { FILE_STATUS, QUARANTINE, TABLE_HEALTH } from "../../src/superset/quality.ts";
import { eventually, sharedStack } from "./harness.ts";

const stack = sharedStack("airflow");
const dataDir = join(stack.dir, "data");
const raw = join(dataDir, "raw");
let trino: TrinoClient;
let superset: SupersetClient;

interface Chart {
  id: number;
  slice_name: string;
}

/** The chart's value from Superset's chart-data API; `force` skips Superset's cache. */
async function chartValue(name: string, label: string, force = true): Promise<number> {
  const charts = await superset.list<Chart>("chart", ["id", "slice_name"]);
  const chart = charts.find((c) => c.slice_name === name);
  if (!chart) throw new Error(`no chart "${name}"`);
  const data = await superset.request<{ result: { data: Record<string, number>[] }[] }>(
    "GET",
    `/api/v1/chart/${chart.id}/data/${force ? "?force=true" : ""}`,
  );
  return Number(data.result[0]?.data[0]?.[label]);
}

async function trinoValue(sql: string): Promise<number> {
  return Number((await trino.query(sql)).rows[0]?.[0]);
}

// Debian's Chromium (apt-get install chromium), driven by Playwright.
const CHROMIUM = process.env.LAKEHOUSE_CHROMIUM ?? "/usr/bin/chromium";
let browser: Browser;

async function loggedIn(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1400 } });
  await page.goto(`${superset.baseUrl}/login/`);
  await page.getByTestId("username-input").fill("admin");
  await page.getByTestId("password-input").fill(stack.settings().superset.adminPassword.reveal());
  await page.getByTestId("password-input").press("Enter");
  // Logged in once the redirect away from /login commits: the welcome page's own loading
  // (a cold browser's first page took over 30 s on a busy machine) is not what is tested.
  await page.waitForURL((url) => !url.pathname.startsWith("/login"), {
    waitUntil: "commit",
    timeout: 120_000,
  });
  return page;
}

/**
 * Waits until every chart of the open dashboard shows data (a number, a canvas or table
 * rows) with no error and no warning (Superset's "row limit reached" icon, say).
 */
async function allChartsRendered(page: Page, expected: number): Promise<void> {
  const charts = page.getByTestId("chart-grid-component");
  await expect.poll(() => charts.count(), { timeout: 120_000 }).toBe(expected);
  for (const chart of await charts.all()) {
    // A big number, an ECharts canvas or table rows (the loading spinner is none of them).
    const rendered = chart.locator(".header-line, canvas, table tbody tr").first();
    await rendered.waitFor({ timeout: 180_000 });
    const errors = chart.locator(".alert-danger, [data-test='error-message'], [role='alert']");
    expect(await errors.count()).toBe(0);
  }
  expect(await page.locator("[aria-label='warning']").count()).toBe(0);
}

beforeAll(async () => {
  mkdirSync(raw, { recursive: true });
  copyFileSync(join(projectRoot, "data/raw/sales_sample.csv"), join(raw, "sales_sample.csv"));
  // `up` lands the sample through Airflow, then provisions the dashboards.
  await stack.start();
  trino = trinoClient(stack.settings());
  superset = new SupersetClient(stack.settings());
  // Installed like the stack's Debian packages when the tests run as root, else the fix.
  const browserCheck = checkChromium(CHROMIUM);
  if (!browserCheck.ok) installDebianPackages([browserCheck], (line) => console.log(line));
  selectors.setTestIdAttribute("data-test"); // Superset marks its UI with data-test
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await stack.release();
});

describe("Superset dashboards", () => {
  it("provisioning twice leaves one database, one dataset per table, one dashboard of each", async () => {
    await stack.ok(["dashboards"]);
    const databases = await superset.list<{ database_name: string }>("database", [
      "id",
      "database_name",
    ]);
    expect(databases.filter((d) => d.database_name === DATABASE_NAME)).toHaveLength(1);

    const datasets = await superset.list<{ table_name: string }>("dataset", ["id", "table_name"]);
    const tables = (await trino.query<[string]>("SHOW TABLES FROM iceberg.lakehouse")).rows.map(
      ([t]) => t,
    );
    expect(tables).toContain("sales_sample");
    // A dataset per table, and the Data quality dashboard's three (SQL) datasets.
    expect(datasets.map((d) => d.table_name).sort()).toEqual(
      [...tables, FILE_STATUS, QUARANTINE, TABLE_HEALTH].sort(),
    );

    const dashboards = await superset.list<{ slug: string }>("dashboard", ["id", "slug"]);
    const slugs = dashboards.map((d) => d.slug).sort();
    expect(slugs).toEqual(["data-quality", "sales", "table-sales-sample"]);

    const charts = await superset.list<Chart>("chart", ["id", "slice_name"]);
    const names = charts.map((c) => c.slice_name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("Sales · Revenue");
  });

  it("the Sales KPIs from Superset's chart-data API equal a direct Trino query", async () => {
    expect(await chartValue("Sales · Revenue", "Revenue")).toBeCloseTo(
      await trinoValue("SELECT SUM(revenue) FROM iceberg.lakehouse.sales_sample"),
      2,
    );
    expect(await chartValue("Sales · Orders", "Orders")).toBe(
      await trinoValue("SELECT COUNT(DISTINCT order_id) FROM iceberg.lakehouse.sales_sample"),
    );
    expect(await chartValue("Sales · Average order value", "Average order value")).toBeCloseTo(
      await trinoValue(
        "SELECT SUM(revenue) / COUNT(DISTINCT order_id) FROM iceberg.lakehouse.sales_sample",
      ),
      2,
    );
  });

  it("in a browser: every Sales chart renders with data, and the region filter changes the numbers", async () => {
    const page = await loggedIn();
    await page.goto(`${superset.baseUrl}/superset/dashboard/sales/`);
    await allChartsRendered(page, 7);
    const revenue = page
      .getByTestId("chart-grid-component")
      .filter({ hasText: "Sales · Revenue" })
      .first()
      .locator(".header-line");
    const before = await revenue.textContent();
    expect(before).toMatch(/\d/);

    await page.getByTestId("NATIVE_FILTER-sales-region").click();
    await page.getByRole("option", { name: "Europe" }).click();
    await page.keyboard.press("Escape");
    await page.getByTestId("filter-bar__apply-button").click();
    await expect.poll(() => revenue.textContent(), { timeout: 120_000 }).not.toBe(before);
    await allChartsRendered(page, 7);
    mkdirSync(join(projectRoot, "test-results"), { recursive: true });
    await page.screenshot({
      path: join(projectRoot, "test-results", "sales-dashboard.png"),
      fullPage: true,
    });
    await page.close();
  });

  it("new rows show on the Sales dashboard within the cache time the README promises", async () => {
    const cacheSeconds = stack.settings().superset.dataCacheSeconds;
    const before = await chartValue("Sales · Revenue", "Revenue", false);
    // A second file for the same table (data/raw/sales_sample/*.csv): 100000.00 more revenue.
    mkdirSync(join(raw, "sales_sample"), { recursive: true });
    const extra = join(raw, "sales_sample", "late_orders.csv");
    writeFileSync(
      extra,
      "order_id,order_date,customer_id,customer_name,region,country,product,category,quantity,unit_price,discount,revenue\n" +
        "900001,2025-12-31,C999999,Late Buyer,Europe,France,Leather Boots,Footwear,1,100000.00,0.00,100000.00\n",
    );
    const result = await stack.run(["ingest", extra]);
    expect(result.code, result.stderr).toBe(0);
    // Read as the dashboard reads (cache allowed), until the new total shows.
    await expect
      .poll(() => chartValue("Sales · Revenue", "Revenue", false), {
        timeout: (cacheSeconds + 30) * 1000,
        interval: 5000,
      })
      .toBeCloseTo(before + 100_000, 2);
  });

  it("a freshly ingested table gets its automatic dashboard, with its rows", async () => {
    const file = join(stack.dir, "visits.csv");
    writeFileSync(
      file,
      "city,visits,day\nOslo,10,2026-03-01\nRome,20,2026-03-02\nLima,5,2026-04-01\n",
    );
    const result = await stack.run(["ingest", file]);
    expect(result.code, result.stderr).toBe(0);
    // The DAG's refresh step provisions in the background; provisioning again is harmless.
    await stack.ok(["dashboards"]);
    const dashboards = await superset.list<{ slug: string }>("dashboard", ["id", "slug"]);
    expect(dashboards.map((d) => d.slug)).toContain("table-visits");
    expect(await chartValue("visits · Rows", "Rows")).toBe(3);

    const page = await loggedIn();
    await page.goto(`${superset.baseUrl}/superset/dashboard/table-visits/`);
    const rows = page
      .getByTestId("chart-grid-component")
      .filter({ hasText: "visits · Rows" })
      .first()
      .locator(".header-line");
    await expect.poll(() => rows.textContent(), { timeout: 180_000 }).toBe("3");
    await page.close();
  });
});

interface ChartData {
  result: { data: Record<string, string | number | boolean | null>[] }[];
}

/** Every row of a chart's saved query (server-paged tables: its first page). */
async function chartRows(name: string): Promise<ChartData["result"][number]["data"]> {
  const charts = await superset.list<Chart>("chart", ["id", "slice_name"]);
  const chart = charts.find((c) => c.slice_name === name);
  if (!chart) throw new Error(`no chart "${name}"`);
  const data = await superset.request<ChartData>(
    "GET",
    `/api/v1/chart/${chart.id}/data/?force=true`,
  );
  return data.result[0]?.data ?? [];
}

/** A table with a column of every kind the automatic dashboard tells apart. */
function kindsCsv(rows: number): string {
  const lines = ["event_id,quantity,amount,day,seen_at,paid,channel,customer_name"];
  const channels = ["web", "store", "phone", "partner", "app", "email"];
  for (let i = 0; i < rows; i++) {
    const day = new Date(Date.UTC(2025, 0, 1) + ((i * 7) % 300) * 86_400_000);
    const seen = new Date(Date.UTC(2026, 2, 1) + ((i * 37) % 240) * 3_600_000);
    lines.push(
      [
        10_000 + i,
        1 + (i % 12),
        ((i * 7919) % 100_000) / 100,
        day.toISOString().slice(0, 10),
        seen.toISOString().slice(0, 19).replace("T", " "),
        i % 3 === 0 ? "false" : "true",
        channels[i % channels.length],
        `Customer ${i % 60}`,
      ].join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(projectRoot, "test-results"), { recursive: true });
  await page.screenshot({ path: join(projectRoot, "test-results", name), fullPage: true });
}

describe("dashboards a data person would publish", () => {
  it("each column gets the chart its meaning calls for, and the numbers add up", async () => {
    writeFileSync(join(raw, "kinds.csv"), kindsCsv(300));
    await stack.ok(["ingest", join(raw, "kinds.csv")]);
    await stack.ok(["dashboards"]);
    const charts = await superset.list<Chart & { viz_type: string }>("chart", [
      "id",
      "slice_name",
      "viz_type",
    ]);
    const kinds = Object.fromEntries(
      charts
        .filter((c) => c.slice_name.startsWith("kinds · "))
        .map((c) => [c.slice_name, c.viz_type]),
    );
    expect(kinds).toMatchObject({
      "kinds · Rows": "big_number_total",
      "kinds · Distinct event_id": "big_number_total", // an identifier: counted, not binned
      "kinds · Rows by quantity": "echarts_timeseries_bar", // few whole numbers: one bar each
      "kinds · Distribution of amount": "echarts_timeseries_bar", // a measure: round buckets
      "kinds · Rows by month of day": "echarts_timeseries_bar", // 300 days: by month
      "kinds · Rows by day of seen_at": "echarts_timeseries_bar", // 10 days: by day
      "kinds · Share of paid": "pie",
      "kinds · Rows by channel": "echarts_timeseries_bar",
      "kinds · Distinct customer_name": "big_number_total", // many values: counted
      "kinds · Most common values of customer_name": "table", // and sampled
      "kinds · Latest loads": "table",
    });
    expect(Object.keys(kinds).filter((name) => name.includes("event_id"))).toEqual([
      "kinds · Distinct event_id",
    ]);
    const sum = (rows: Record<string, unknown>[]) =>
      rows.reduce((total, row) => total + Number(row.Rows), 0);
    expect(sum(await chartRows("kinds · Rows by quantity"))).toBe(300);
    const buckets = await chartRows("kinds · Distribution of amount");
    expect(sum(buckets)).toBe(300);
    expect(buckets.length).toBeGreaterThan(5);
    expect(buckets.length).toBeLessThanOrEqual(21);
    // Buckets start at round numbers: multiples of one width (the closest two starts).
    const starts = buckets.map((row) => Number(row["amount from"]));
    const width = Math.min(...starts.slice(1).map((start, i) => start - (starts[i] ?? 0)));
    for (const start of starts) {
      expect(Math.abs(start / width - Math.round(start / width))).toBeLessThan(1e-9);
    }
    expect(sum(await chartRows("kinds · Rows by channel"))).toBe(300);
  });

  it("Data quality shows each file's latest attempt: a failed file with its fix, until it is fixed", async () => {
    // A keyed table's later file: its rows inserted, updated and deleted.
    writeFileSync(join(raw, "members.contract.yaml"), "primary_key: [id]\ndelete_column: op\n");
    mkdirSync(join(raw, "members"), { recursive: true });
    writeFileSync(join(raw, "members", "1.csv"), "id,name,op\n1,Ada,I\n2,Bo,I\n");
    writeFileSync(join(raw, "members", "2.csv"), "id,name,op\n2,Bea,U\n3,Cy,I\n1,,D\n");
    await stack.ok(["ingest", join(raw, "members", "1.csv")]);
    await stack.ok(["ingest", join(raw, "members", "2.csv")]);
    // Rows of a later file that do not fit the table's types are quarantined.
    mkdirSync(join(raw, "kinds"), { recursive: true });
    const late = kindsCsv(40).split("\n");
    late[5] = "20000,many,1.00,2025-01-02,2026-03-01 10:00:00,true,web,Late";
    late[9] = "20001,3,1.00,2025-01-02,2026-03-01 10:00:00,maybe,web,Late";
    writeFileSync(join(raw, "kinds", "late.csv"), late.join("\n"));
    await stack.ok(["ingest", join(raw, "kinds", "late.csv")]);
    // A file that cannot be loaded at all.
    const bad = join(raw, "ragged.csv");
    writeFileSync(bad, "a,b\n1,2\n3\n4\n5\n");
    expect((await stack.run(["ingest", bad])).code).not.toBe(0);
    await stack.ok(["dashboards"]);

    expect(await chartValue("Quality · Files to fix", "Files to fix")).toBe(1);
    const keyed = (await chartRows("Quality · Every file")).find(
      (f) => f.file_path === "data/raw/members/2.csv",
    );
    expect(keyed).toMatchObject({ rows_inserted: 1, rows_updated: 1, rows_deleted: 1 });
    const toFix = await chartRows("Quality · Files that need a fix");
    expect(toFix).toHaveLength(1);
    expect(toFix[0]).toMatchObject({ file_path: "data/raw/ragged.csv", status: "rejected" });
    expect(String(toFix[0]?.message)).toContain("Fix:");
    const problems = await chartRows("Quality · Quarantined rows by problem");
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ table_name: "kinds", column_name: "quantity", Rows: 1 }),
        expect.objectContaining({ table_name: "kinds", column_name: "paid", Rows: 1 }),
      ]),
    );
    expect(String(problems.find((p) => p.column_name === "quantity")?.problem)).not.toContain(
      "many",
    );
    const quarantined = await chartRows("Quality · Quarantined rows");
    expect(quarantined).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ file_path: "data/raw/kinds/late.csv", line: 6, value: "many" }),
      ]),
    );
    // Table health, from the loader's health record: each table as its metadata says, once
    // its run's keep_tables_healthy (after the loads, beside the refresh) has measured it.
    const live = async (table: string) => ({
      table_name: table,
      data_files: await trinoValue(
        `SELECT count(*) FROM iceberg.lakehouse."${table}$files" WHERE content = 0`,
      ),
      snapshots: await trinoValue(`SELECT count(*) FROM iceberg.lakehouse."${table}$snapshots"`),
    });
    const want = [await live("kinds"), await live("members")];
    const seen = await eventually("table health of kinds and members", 120_000, async () => {
      const rows = await chartRows("Quality · Table health");
      const got = want.map((w) => rows.find((h) => h.table_name === w.table_name));
      return want.every((w, i) => got[i] && expect.objectContaining(w).asymmetricMatch(got[i]))
        ? got
        : undefined;
    });
    expect(seen).toEqual(want.map((w) => expect.objectContaining(w)));

    const page = await loggedIn();
    await page.goto(`${superset.baseUrl}/superset/dashboard/data-quality/`);
    await allChartsRendered(page, 8);
    await screenshot(page, "data-quality-dashboard.png");
    await page.goto(`${superset.baseUrl}/superset/dashboard/table-kinds/`);
    await allChartsRendered(page, 12);
    await screenshot(page, "table-dashboard.png");
    await page.close();

    // Fixed, it loads, and no longer counts as failed.
    writeFileSync(bad, "a,b\n1,2\n3,4\n");
    await stack.ok(["ingest", bad]);
    await stack.ok(["dashboards"]);
    expect(await chartValue("Quality · Files to fix", "Files to fix")).toBe(0);
  });

  it("a re-run with nothing changed writes nothing to Superset", async () => {
    await stack.ok(["dashboards"]);
    const snapshot = async () =>
      JSON.stringify(
        await Promise.all(
          [
            ["dashboard", "changed_on_utc"],
            ["chart", "changed_on_utc"],
            ["dataset", "changed_on_utc"],
            ["database", "changed_on"],
          ].map(([kind, changed]) =>
            superset.list<{ id: number }>(`${kind}`, ["id", `${changed}`]),
          ),
        ),
      );
    const before = await snapshot();
    const { stderr } = await stack.ok(["dashboards"]);
    expect(stderr).toMatch(/0 of \d+ dashboards written/);
    expect(await snapshot()).toBe(before);
  });

  it("Sales and Data quality are the repository's asset bundles: same UUIDs, exported back, a hand edit kept", async () => {
    const dashboards = await superset.list<{ id: number; slug: string; uuid: string }>(
      "dashboard",
      ["id", "slug", "uuid"],
    );
    for (const bundle of curatedBundles()) {
      expect(dashboards.find((d) => d.slug === bundle.slug)?.uuid).toBe(dashboardUuid(bundle));
    }

    const exported = join(stack.dir, "exported");
    await stack.ok(["dashboards", "--export", exported]);
    const salesUuid = dashboardUuid(curatedBundles().find((b) => b.slug === "sales") as Bundle);
    const [salesFile] = readdirSync(join(exported, "sales", "dashboards"));
    expect(readFileSync(join(exported, "sales", "dashboards", `${salesFile}`), "utf8")).toContain(
      `uuid: ${salesUuid}`,
    );
    expect(readdirSync(join(exported, "sales", "charts"))).toHaveLength(7);

    // Someone renames Sales in Superset: provisioning keeps it, --overwrite takes it back.
    const sales = dashboards.find((d) => d.slug === "sales");
    await superset.request("PUT", `/api/v1/dashboard/${sales?.id}`, {
      dashboard_title: "Sales (mine)",
    });
    const title = async () =>
      (
        await superset.request<{ result: { dashboard_title: string } }>(
          "GET",
          `/api/v1/dashboard/${sales?.id}`,
        )
      ).result.dashboard_title;
    const { stderr } = await stack.ok(["dashboards"]);
    expect(stderr).toContain("kept sales");
    expect(await title()).toBe("Sales (mine)");
    await stack.ok(["dashboards", "--overwrite"]);
    expect(await title()).toBe("Sales");
  });

  it("a dropped table's dashboard, charts and dataset go at the next provisioning", async () => {
    const file = join(raw, "doomed.csv");
    writeFileSync(file, "name,score\nann,1\nbob,2\n");
    await stack.ok(["ingest", file]);
    await stack.ok(["dashboards"]);
    expect(
      (await superset.list<{ slug: string }>("dashboard", ["slug"])).map((d) => d.slug),
    ).toContain("table-doomed");
    // Dropped once no ingest run is left: a run the file's arrival started, waiting for the
    // load slot, would load the file (still in data/raw/) into a new table of that name.
    const airflow = new AirflowClient(stack.settings());
    await eventually("no ingest run queued or running", 300_000, async () => {
      const page = await airflow.request<{ total_entries: number }>(
        "GET",
        `/api/v2/dags/${INGEST_DAG}/dagRuns?state=queued&state=running&limit=1`,
      );
      return page.total_entries === 0 ? true : undefined;
    });
    await trino.query("DROP TABLE iceberg.lakehouse.doomed");
    await stack.ok(["dashboards"]);
    expect((await trino.query("SHOW TABLES FROM iceberg.lakehouse LIKE 'doomed'")).rows).toEqual(
      [],
    );
    const left = JSON.stringify(
      await Promise.all([
        superset.list<{ slug: string }>("dashboard", ["slug"]),
        superset.list<{ slice_name: string }>("chart", ["slice_name"]),
        superset.list<{ table_name: string }>("dataset", ["table_name"]),
      ]),
    );
    expect(left).not.toContain("doomed");
  });
});
