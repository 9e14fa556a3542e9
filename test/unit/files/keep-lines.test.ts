import { describe, expect, it } from "vitest";
import { keepOriginalLines, normalize } from "../../../src/files/keep-lines.js";

describe("keepOriginalLines", () => {
  it("restores the user's spacing on lines that did not change", () => {
    const before = "a:   # note\nb: { x: 1 }\nc: 2   \n";
    const after = "a: # note\nb: {x: 1}\nc: 3\nd: 4\n";
    expect(keepOriginalLines(before, after)).toBe("a:   # note\nb: { x: 1 }\nc: 3\nd: 4\n");
  });

  it("joins a comment the renderer moved below its line", () => {
    const before = "spec:  # what runs\n  a: 1\n";
    const after = "spec:\n  # what runs\n  a: 1\n  b: 2\n";
    expect(keepOriginalLines(before, after)).toBe("spec:  # what runs\n  a: 1\n  b: 2\n");
  });

  it("keeps inserted and removed lines in order", () => {
    const before = ["x", "- a", "- b", "- c", "y"].join("\n");
    const after = ["x", "- a", "- c", "- d", "y"].join("\n");
    expect(keepOriginalLines(before, after)).toBe(after);
  });

  it("normalises only spacing", () => {
    expect(normalize("k:  v   # c  ")).toBe("k: v # c");
    expect(normalize("[ 1,  2 ]")).toBe("[1, 2]");
    expect(normalize("k: v")).not.toBe(normalize("k: w"));
  });
});
