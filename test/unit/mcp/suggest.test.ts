import { describe, expect, it } from "vitest";
import { closestKeys } from "../../../src/mcp/suggest.js";
import { editDistance } from "../../../src/util/edit-distance.js";

describe("closest project names", () => {
  const keys = ["default/shop-api", "default/shop-web", "team/shop-api", "default/billing", "default/db"];

  it("measures edit distance", () => {
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  it("ranks typos and partial names, same namespace first", () => {
    expect(closestKeys("default/shop-apj", keys)).toEqual([
      "default/shop-api",
      "team/shop-api",
      "default/shop-web",
    ]);
    expect(closestKeys("team/shop-api", keys)[0]).toBe("team/shop-api");
    expect(closestKeys("default/billing-v2", keys)[0]).toBe("default/billing");
    expect(closestKeys("shop", keys, 2)).toEqual(["default/shop-api", "default/shop-web"]);
  });

  it("suggests nothing implausible", () => {
    expect(closestKeys("default/zzzzzzzz", keys)).toEqual([]);
  });
});
