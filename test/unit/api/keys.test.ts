import { describe, expect, it } from "vitest";
import { keyOf, projectKey, splitKey } from "../../../src/api/index.js";

describe("project keys", () => {
  it("join namespace and name, and split back at the first slash", () => {
    expect(keyOf("team-a", "shop")).toBe("team-a/shop");
    expect(projectKey({ metadata: { namespace: "team-a", name: "shop" } })).toBe("team-a/shop");
    expect(splitKey("team-a/shop")).toEqual({ namespace: "team-a", name: "shop" });
    expect(splitKey(keyOf("", ""))).toEqual({ namespace: "", name: "" });
    expect(splitKey("a/b/c")).toEqual({ namespace: "a", name: "b/c" });
  });

  it("read a string without a slash as a name with no namespace", () => {
    expect(splitKey("shop")).toEqual({ namespace: "", name: "shop" });
  });
});
