import { describe, expect, it } from "vitest";
import { filterProjects, parseFilter } from "../../../web/src/filter.js";
import { view } from "./views.js";

const projects = [
  view("shop-api", { labels: { team: "payments", tier: "api" }, status: { phase: "Running" } }),
  view("shop-db", { labels: { team: "payments", tier: "db" }, status: { phase: "Degraded" } }),
  view("docs", { namespace: "web", labels: { team: "docs" }, status: { phase: "Stopped" } }),
  view("fresh"),
];
const names = (text: string, phase = "") => filterProjects(projects, text, phase).map((v) => v.name);

describe("project filter", () => {
  it("parses words, label terms and phases", () => {
    expect(parseFilter("  Shop team=payments tier!=db app phase:Running,stopped ")).toEqual({
      words: ["shop", "app"],
      labels: [
        { key: "team", op: "=", value: "payments" },
        { key: "tier", op: "!=", value: "db" },
      ],
      phases: ["running", "stopped"],
    });
    expect(parseFilter("")).toEqual({ words: [], labels: [], phases: [] });
    // a token that is no valid label key stays a word
    expect(parseFilter("=x").words).toEqual(["=x"]);
  });

  it("matches names and namespaces as substrings, ignoring case", () => {
    expect(names("SHOP")).toEqual(["shop-api", "shop-db"]);
    expect(names("web/")).toEqual(["docs"]);
    expect(names("shop db")).toEqual(["shop-db"]);
    expect(names("")).toEqual(["shop-api", "shop-db", "docs", "fresh"]);
    expect(names("nothing")).toEqual([]);
  });

  it("matches labels", () => {
    expect(names("team=payments")).toEqual(["shop-api", "shop-db"]);
    expect(names("team!=payments")).toEqual(["docs", "fresh"]);
    expect(names("team=payments tier!=db")).toEqual(["shop-api"]);
    expect(names("tier=api")).toEqual(["shop-api"]);
    // free words also find label text
    expect(names("docs")).toEqual(["docs"]);
    expect(names("tier=")).toEqual([]);
  });

  it("matches phases from the text and from the phase menu; no status counts as Pending", () => {
    expect(names("phase:running")).toEqual(["shop-api"]);
    expect(names("phase:running,degraded")).toEqual(["shop-api", "shop-db"]);
    expect(names("", "Stopped")).toEqual(["docs"]);
    expect(names("", "Pending")).toEqual(["fresh"]);
    expect(names("shop", "Stopped")).toEqual([]);
  });
});
