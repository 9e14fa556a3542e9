import { describe, expect, it } from "vitest";
import { formatCidr, parseCidr, SubnetPool, SubnetPoolError } from "../../../src/reconcilers/subnets.js";

describe("SubnetPool", () => {
  it("parses and formats IPv4 CIDRs, normalizing the base", () => {
    expect(parseCidr("10.213.7.9/16")).toEqual({ base: (10 * 256 + 213) * 65536, prefix: 16 });
    expect(formatCidr({ base: (10 * 256 + 213) * 65536 + 4 * 256 + 64, prefix: 26 })).toBe("10.213.4.64/26");
    expect(parseCidr("fd00::/64")).toBeUndefined();
    expect(parseCidr("10.0.0.300/8")).toBeUndefined();
  });

  it("hands out the same subnet for a key, clear of subnets in use", () => {
    const pool = new SubnetPool("10.213.0.0/16", 26);
    const first = pool.next("default/web");
    expect(first).toMatch(/^10\.213\.\d+\.(0|64|128|192)\/26$/);
    expect(new SubnetPool("10.213.0.0/16", 26).next("default/web")).toBe(first);
    pool.markUsed(first ?? "");
    expect(pool.next("default/web")).not.toBe(first);
  });

  it("never overlaps a wider network and runs out cleanly", () => {
    const pool = new SubnetPool("10.213.0.0/24", 26);
    pool.markUsed("10.213.0.0/25");
    const a = pool.next("a");
    expect(["10.213.0.128/26", "10.213.0.192/26"]).toContain(a);
    pool.markUsed(a ?? "");
    const b = pool.next("b");
    pool.markUsed(b ?? "");
    expect(new Set([a, b]).size).toBe(2);
    expect(pool.next("c")).toBeUndefined();
    pool.release(b ?? "");
    expect(pool.next("c")).toBe(b);
  });

  it("rejects a bad pool or size with the flag named", () => {
    expect(() => new SubnetPool("10.213.0.0", 26)).toThrow(SubnetPoolError);
    expect(() => new SubnetPool("10.213.0.0/16", 8)).toThrow(/--network-size \/8 must be between \/16/);
  });
});
