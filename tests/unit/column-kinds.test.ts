import { describe, expect, it } from "vitest";
import {
  bucketWidth,
  type ColumnStats,
  columnKind,
  parseStats,
  statsQuery,
  timeGrain,
} from "../../src/superset/column-kinds.ts";
import { overviewDashboard } from "../../src/superset/dashboards.ts";

const stats = (distinct: number, min: number | string | null = null, max = min): ColumnStats => ({
  distinct,
  nulls: 0,
  min,
  max,
});

describe("what a column means", () => {
  it("an integer named like a key, or unique per row, is an identifier; a decimal never is", () => {
    expect(columnKind("order_id", "bigint", stats(40, 1, 40), 1000)).toBe("identifier");
    expect(columnKind("line", "bigint", stats(1000, 1, 1000), 1000)).toBe("identifier");
    expect(columnKind("quantity", "bigint", stats(6, 1, 6), 1000)).toBe("measure");
    // Unique per row but spread thin over its range: amounts, not a sequence.
    expect(columnKind("amount_cents", "bigint", stats(2990, 1, 100_000), 3000)).toBe("measure");
    expect(columnKind("price", "decimal(10,2)", stats(1000, 1, 99), 1000)).toBe("measure");
  });

  it("text with few values is a category, with many a text, named like a key an identifier", () => {
    expect(columnKind("region", "varchar", stats(4), 3000)).toBe("category");
    expect(columnKind("customer_name", "varchar", stats(224), 3000)).toBe("text");
    expect(columnKind("customer_id", "varchar", stats(20), 3000)).toBe("identifier");
    expect(columnKind("email", "varchar", stats(2990), 3000)).toBe("identifier");
  });

  it("dates, timestamps and booleans are what their types say", () => {
    expect(columnKind("day", "date", stats(30), 100)).toBe("time");
    expect(columnKind("at", "timestamp(6) with time zone", stats(30), 100)).toBe("time");
    expect(columnKind("paid", "boolean", stats(2), 100)).toBe("boolean");
    expect(columnKind("tags", "array(varchar)", stats(2), 100)).toBe("other");
  });
});

describe("bucket widths and time grains", () => {
  it("round widths (1, 2, 5 × 10^k), at most 20 buckets, whole for integers", () => {
    expect(bucketWidth(0, 100, true)).toBe(5);
    expect(bucketWidth(1, 10, true)).toBe(1);
    expect(bucketWidth(0, 1, false)).toBe(0.05);
    expect(bucketWidth(50_000, 50_300, true)).toBe(20);
    expect(bucketWidth(3, 3, true)).toBe(1);
    for (const [min, max] of [
      [0, 7],
      [12.5, 99_999.99],
      [-40, 1e9],
    ] as const) {
      const width = bucketWidth(min, max, false);
      expect((max - min) / width).toBeLessThanOrEqual(20);
      expect(String(width / 10 ** Math.floor(Math.log10(width)))).toMatch(/^(1|2|5)(\.0+\d*)?$/);
    }
  });

  it("a grain that gives a readable number of bars", () => {
    expect(timeGrain(1).grain).toBe("PT1H");
    expect(timeGrain(10).grain).toBe("P1D");
    expect(timeGrain(60).grain).toBe("P1W");
    expect(timeGrain(365).grain).toBe("P1M");
    expect(timeGrain(20 * 365).grain).toBe("P1Y");
  });
});

describe("the statistics query", () => {
  it("quotes every name and reads back per column", () => {
    const columns = { 'we"ird': "varchar", amount: "decimal(10,2)", day: "date" };
    const sql = statsQuery('my"table', columns);
    expect(sql).toContain('FROM "my""table"');
    expect(sql).toContain('approx_distinct("we""ird")');
    expect(sql).toContain('CAST(min("day") AS varchar)');
    const { rows, stats: parsed } = parseStats(columns, [
      10,
      3,
      0,
      null,
      null,
      9,
      1,
      "1.50",
      "99.00",
      5,
      0,
      "2026-01-01",
      "2026-03-01",
    ]);
    expect(rows).toBe(10);
    expect(parsed.amount).toEqual({ distinct: 9, nulls: 1, min: 1.5, max: 99 });
    expect(parsed.day?.max).toBe("2026-03-01");
  });
});

describe("a table's automatic dashboard", () => {
  it("charts each column by its meaning: no histogram of an id, buckets for a measure", () => {
    const columns = {
      order_id: "bigint",
      quantity: "bigint",
      revenue: "decimal(12,2)",
      order_day: "date",
      placed_at: "timestamp(6) with time zone",
      paid: "boolean",
      region: "varchar",
      customer_name: "varchar",
    };
    const spec = overviewDashboard(
      { name: "orders", columns, allColumns: Object.keys(columns), hasRejects: true },
      {
        rows: 3000,
        stats: {
          order_id: stats(3000, 100000, 102999),
          quantity: stats(6, 1, 6),
          revenue: stats(427, 5.5, 1999.99),
          order_day: stats(365, "2025-01-01", "2025-12-31"),
          placed_at: stats(
            2900,
            "2025-06-01 00:00:00.000000 UTC",
            "2025-06-03 12:00:00.000000 UTC",
          ),
          paid: stats(2),
          region: stats(4),
          customer_name: stats(224),
        },
      },
    );
    const charts = spec.rows.flat();
    const kind = (name: string) => charts.find((c) => c.name === `orders · ${name}`)?.vizType;
    expect(kind("Distinct order_id")).toBe("big_number_total");
    expect(
      charts.some((c) => c.name.includes("order_id") && c.vizType !== "big_number_total"),
    ).toBe(false);
    expect(kind("Rows by quantity")).toBe("echarts_timeseries_bar");
    expect(kind("Distribution of revenue")).toBe("echarts_timeseries_bar");
    expect(kind("Rows by month of order_day")).toBe("echarts_timeseries_bar");
    expect(kind("Rows by day of placed_at")).toBe("echarts_timeseries_bar");
    expect(kind("Share of paid")).toBe("pie");
    expect(kind("Share of region")).toBe("pie");
    expect(kind("Distinct customer_name")).toBe("big_number_total");
    expect(kind("Most common values of customer_name")).toBe("table");
    expect(kind("Quarantined rows")).toBe("big_number_total");
    const revenue = charts.find((c) => c.name === "orders · Distribution of revenue");
    expect(JSON.stringify(revenue?.query)).toContain("floor");
    for (const chart of charts) {
      expect(chart.description.length).toBeGreaterThan(10);
      expect(chart.name.startsWith(spec.chartPrefix)).toBe(true);
      if (chart.vizType.startsWith("echarts")) expect(chart.params.truncateYAxis).toBe(false);
    }
    const widths = spec.rows.map((row) => row.reduce((sum, c) => sum + c.width, 0));
    for (const width of widths) expect(width).toBeLessThanOrEqual(12);
  });
});
