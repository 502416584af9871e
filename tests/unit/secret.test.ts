import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { generateSecret, Secret } from "../../src/config/secret.ts";

describe("secrets", () => {
  it("generates long alphanumeric values that differ every time", () => {
    const values = new Set(Array.from({ length: 200 }, () => generateSecret()));
    expect(values.size).toBe(200);
    for (const v of values) expect(v).toMatch(/^[A-Za-z0-9]{32}$/);
  });

  it("uses the whole alphabet", () => {
    const seen = new Set(Array.from({ length: 100 }, () => generateSecret(64)).join(""));
    expect(seen.size).toBe(62);
  });

  it("never prints the value", () => {
    const s = new Secret("hunter2-hunter2");
    expect(String(s)).not.toContain("hunter2");
    expect(JSON.stringify({ s })).not.toContain("hunter2");
    expect(inspect(s)).not.toContain("hunter2");
    expect(s.reveal()).toBe("hunter2-hunter2");
  });
});
