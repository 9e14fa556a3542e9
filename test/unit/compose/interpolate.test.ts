import { describe, expect, it } from "vitest";
import { InterpolationError, interpolate, parseDotenv } from "../../../src/compose/index.js";

const vars: Record<string, string> = { SET: "v", EMPTY: "" };
const lookup = (n: string) => vars[n];

describe("interpolate", () => {
  it.each([
    ["$SET", "v"],
    ["${SET}", "v"],
    ["${UNSET:-d}", "d"],
    ["${EMPTY:-d}", "d"],
    ["${EMPTY-d}", ""],
    ["${UNSET-d}", "d"],
    ["${SET:+alt}", "alt"],
    ["${EMPTY:+alt}", ""],
    ["${EMPTY+alt}", "alt"],
    ["${UNSET+alt}", ""],
    ["$$SET", "$SET"],
    ["a$$", "a$"],
    ["${UNSET:-${SET}/x}", "v/x"],
    ["pre-${SET}-post", "pre-v-post"],
    ["cost: 5$", "cost: 5$"],
  ])("%s -> %s", (input, want) => {
    expect(interpolate(input, lookup)).toBe(want);
  });

  it("reports unset variables without a default and reads them as empty", () => {
    const missing: string[] = [];
    expect(interpolate("${NOPE}x$ALSO", lookup, (n) => missing.push(n))).toBe("x");
    expect(missing).toEqual(["NOPE", "ALSO"]);
  });

  it("fails ${VAR:?err} and ${VAR?err} with the message", () => {
    expect(() => interpolate("${EMPTY:?must be set}", lookup)).toThrow(/EMPTY.*must be set/);
    expect(interpolate("${EMPTY?must be set}", lookup)).toBe("");
    expect(() => interpolate("${UNSET?gone}", lookup)).toThrow(InterpolationError);
  });

  it("refuses a malformed expression", () => {
    expect(() => interpolate("${SET", lookup)).toThrow(/closing/);
    expect(() => interpolate("${1X}", lookup)).toThrow(/invalid interpolation/);
  });
});

describe("parseDotenv", () => {
  it("reads quotes, export, comments and references to earlier keys", () => {
    const text = [
      "# comment",
      "export A=1",
      "B='literal $A'",
      'C="line\\nnext $A"',
      "D=plain # trailing",
      "E=${A}-x",
      "F",
      "",
    ].join("\n");
    const env = parseDotenv(text, (n) => (n === "F" ? "from-env" : undefined));
    expect(Object.fromEntries(env)).toEqual({
      A: "1",
      B: "literal $A",
      C: "line\nnext 1",
      D: "plain",
      E: "1-x",
      F: "from-env",
    });
  });

  it("names the line of a bad key", () => {
    expect(() => parseDotenv("A=1\n-bad=2\n")).toThrow(/-bad/);
  });
});
