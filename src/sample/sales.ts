/**
 * Deterministic sales orders for the sample CSV and for benchmarks: the same seed gives
 * the same file, byte for byte. The shape is meant to look believable on dashboards:
 * regional mix, seasonal peaks in November and December, a long tail of products.
 */

const REGIONS: Record<string, string[]> = {
  "North America": ["United States", "Canada", "Mexico"],
  Europe: ["Germany", "France", "United Kingdom", "Spain", "Italy", "Netherlands"],
  "Asia Pacific": ["Japan", "Australia", "Singapore", "India"],
  "Latin America": ["Brazil", "Argentina", "Chile"],
};
/** Share of orders per region, in the order above. */
const REGION_WEIGHTS = [0.38, 0.32, 0.2, 0.1];

const PRODUCTS: [string, string, number][] = [
  ["Trail Running Shoes", "Footwear", 129.0],
  ["Leather Boots", "Footwear", 189.5],
  ["Canvas Sneakers", "Footwear", 59.99],
  ["Rain Jacket", "Apparel", 149.0],
  ["Merino Sweater", "Apparel", 89.0],
  ["Cotton T-Shirt", "Apparel", 19.99],
  ["Denim Jeans", "Apparel", 69.5],
  ["Daypack 20L", "Bags", 79.0],
  ["Travel Duffel", "Bags", 119.0],
  ["Insulated Bottle", "Accessories", 29.95],
  ["Wool Beanie", "Accessories", 24.0],
  ["Sunglasses", "Accessories", 99.0],
  ["Headlamp", "Gear", 44.9],
  ["Camping Stove", "Gear", 84.0],
  ["Two-Person Tent", "Gear", 289.0],
  ["Sleeping Bag", "Gear", 199.0],
];
/** Popularity falls off along the list: a long tail. */
const PRODUCT_WEIGHTS = PRODUCTS.map((_, i) => 1 / (1 + i * 0.35));

const FIRST = [
  "Ava",
  "Liam",
  "Mia",
  "Noah",
  "Emma",
  "Lucas",
  "Sofia",
  "Mateo",
  "Yuki",
  "Arjun",
  "Chloe",
  "Leon",
  "Ines",
  "Omar",
  "Hana",
  "Theo",
];
const LAST = [
  "Smith",
  "Müller",
  "Garcia",
  "Rossi",
  "Tanaka",
  "Silva",
  "Dubois",
  "Jansen",
  "Patel",
  "Kim",
  "Novak",
  "Lopez",
  "Brown",
  "Costa",
];
const DISCOUNTS = [0, 0, 0, 0.05, 0.1, 0.15, 0.2];
/** Relative order volume per month, January first: quiet winter, holiday peak. */
const SEASON = [0.7, 0.7, 0.85, 0.9, 1.0, 1.0, 0.95, 0.95, 1.0, 1.1, 1.45, 1.7];

export const SALES_HEADER =
  "order_id,order_date,customer_id,customer_name,region,country,product,category,quantity,unit_price,discount,revenue";

/** mulberry32: small, fast and good enough for sample data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[], weights?: readonly number[]): T {
  if (!weights) return items[Math.floor(random() * items.length)] as T;
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (const [i, w] of weights.entries()) {
    r -= w;
    if (r <= 0) return items[i] as T;
  }
  return items[items.length - 1] as T;
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Yields CSV lines (without newline): the header, then `rows` orders from 2024-01-01 on. */
export function* salesLines(rows: number, seed = 42): Generator<string> {
  const random = seededRandom(seed);
  yield SALES_HEADER;
  const start = Date.UTC(2024, 0, 1);
  const days = 731; // two years
  const customers = Math.max(50, Math.floor(rows / 6));
  const regionNames = Object.keys(REGIONS);
  for (let i = 0; i < rows; i++) {
    // Dates spread over two years, thinned by the season curve (rejection sampling).
    let day: Date;
    do {
      day = new Date(start + Math.floor(random() * days) * 86_400_000);
    } while (random() * 1.7 > (SEASON[day.getUTCMonth()] as number));
    const customer = 1 + Math.floor(random() * customers);
    const region = pick(random, regionNames, REGION_WEIGHTS);
    const country = pick(random, REGIONS[region] as string[]);
    const [product, category, price] = pick(random, PRODUCTS, PRODUCT_WEIGHTS);
    const quantity = 1 + Math.floor(random() ** 2 * 6);
    const discount = pick(random, DISCOUNTS);
    const revenue = Math.round(quantity * price * (1 - discount) * 100) / 100;
    const name = `${FIRST[customer % FIRST.length]} ${LAST[Math.floor(customer / FIRST.length) % LAST.length]}`;
    yield [
      String(100_000 + i),
      day.toISOString().slice(0, 10),
      `C${String(customer).padStart(6, "0")}`,
      csvField(name),
      region,
      country,
      product,
      category,
      String(quantity),
      price.toFixed(2),
      discount.toFixed(2),
      revenue.toFixed(2),
    ].join(",");
  }
}
