import { describe, expect, it } from "vitest";
import { formatSpecError, MAX_SPEC_BYTES, parseProjects } from "../../../src/api/index.js";
import { INVALID } from "./corpus.js";

describe("invalid documents", () => {
  it("has a corpus of at least 30 cases", () => {
    expect(INVALID.length).toBeGreaterThanOrEqual(30);
  });

  it.each(INVALID)("$name", (c) => {
    const result = parseProjects(c.yaml, "specs/case.yaml");
    expect(result.projects).toEqual([]);
    const first = result.errors[0];
    expect(first, "expected at least one error").toBeDefined();
    if (!first) return;
    expect(first.file).toBe("specs/case.yaml");
    expect(first.path).toBe(c.path);
    expect(first.line).toBe(c.line);
    if (c.column !== undefined) expect(first.column).toBe(c.column);
    expect(first.message).toContain(c.message);
    if (c.code) expect(first.code).toBe(c.code);
  });

  it("formats errors as file:line:col path: message", () => {
    const c = INVALID[0];
    if (!c) throw new Error("empty corpus");
    const [e] = parseProjects(c.yaml, "examples/web.yaml").errors;
    expect(e && formatSpecError(e)).toBe(
      "examples/web.yaml:10:26 spec.containers[0].ports[0].containerPort: 70000 is above the maximum 65535",
    );
  });

  it("refuses input over 1 MiB before parsing it", () => {
    const big = `# ${"x".repeat(MAX_SPEC_BYTES)}\n`;
    const { errors } = parseProjects(big, "big.yaml");
    expect(errors).toHaveLength(1);
    expect(errors[0]?.code).toBe("TooLarge");
    expect(errors[0]?.message).toContain("at most 1 MiB");
  });

  it("keeps the valid documents of a file that also has invalid ones", () => {
    const good =
      "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: good}\nspec:\n  containers: [{name: c, image: x}]\n";
    const bad =
      "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: bad}\nspec:\n  containers: [{name: c}]\n";
    const { projects, errors } = parseProjects(`${good}---\n${bad}`, "mixed.yaml");
    expect(projects.map((p) => p.project.metadata.name)).toEqual(["good"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      line: 11,
      path: "spec.containers[0].image",
      project: { name: "bad", namespace: "default" },
    });
  });

  it("reports every error of a document, in source order", () => {
    const yaml =
      "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n  state: Paused\n" +
      "  containers:\n    - name: c\n      image: x\n      ports: [{containerPort: 99999}]\n      restartPolicy: Nope\n";
    const { errors } = parseProjects(yaml, "many.yaml");
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [5, "spec.state"],
      [9, "spec.containers[0].ports[0].containerPort"],
      [10, "spec.containers[0].restartPolicy"],
    ]);
  });
});
