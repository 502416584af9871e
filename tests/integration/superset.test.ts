import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page, selectors } from "@playwright/test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trinoClient } from "../../src/bootstrap/bootstrap.ts";
import type { TrinoClient } from "../../src/clients/trino.ts";
import { projectRoot } from "../../src/config/paths.ts";
import { checkChromium, installDebianPackages } from "../../src/install/prerequisites.ts";
import { SupersetClient } from "../../src/superset/client.ts";
import { DATABASE_NAME } from "../../src/superset/provision.ts";
import { FILE_STATUS, QUARANTINE, TABLE_HEALTH } from "../../src/superset/quality.ts";
import { TestStack } from "./harness.ts";

const stack = new TestStack();
const dataDir = join(stack.dir, "data");
const raw = join(dataDir, "raw");
stack.env.LAKEHOUSE_DATA_DIR = dataDir;
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
    const rendered = chart.locator(".header-line, canvas, svg, table tbody tr").first();
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
  await stack.ok(["up"]);
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
  await stack.destroy();
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
