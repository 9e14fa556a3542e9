import { describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/index.js";

const HEAD =
  "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: x\nspec:\n  containers:\n    - name: app\n";
const messages = (tail: string) =>
  parseProjects(HEAD + tail, "x.yaml").errors.map((e) => `${e.line} ${e.message}`);

describe("YAML parser errors name the thing", () => {
  it("names a duplicate key and the lines of both definitions", () => {
    expect(messages("      image: a\n      image: b\n")).toEqual([
      '9 "image" is defined again at line 9; first at line 8: a key may appear once in a mapping; remove one of them',
    ]);
    expect(messages("      env:\n        - {name: A, value: x, value: y}\n")[0]).toContain(
      '"value" is defined again at line 9; first at line 9',
    );
  });

  it("names the key on the error's line, or the one before it", () => {
    expect(messages("      image: a\n     bad: 1\n")[0]).toContain('YAML syntax error in "bad"');
    expect(messages('      command: "open\n')[0]).toContain(
      'YAML syntax error after "command": Missing closing',
    );
  });
});
