import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/index.js";

const dir = new URL("../../../examples/", import.meta.url);
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));

describe("examples", () => {
  it("has at least three", () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  it.each(files)("%s is valid and uses only the test image", (file) => {
    const { projects, errors } = parseProjects(readFileSync(new URL(file, dir), "utf8"), `examples/${file}`);
    expect(errors).toEqual([]);
    expect(projects.length).toBeGreaterThan(0);
    for (const { project } of projects) {
      for (const c of project.spec.containers) expect(c.image).toBe("berth-test/busybox:1");
    }
  });

  it("cover an allocated port, a two-container project and a health check", () => {
    const all = files.flatMap((f) => parseProjects(readFileSync(new URL(f, dir), "utf8"), f).projects);
    const specs = all.map((p) => p.project.spec);
    expect(specs.some((s) => s.containers.some((c) => c.ports?.some((p) => p.hostPort === 0)))).toBe(true);
    expect(specs.some((s) => s.containers.length >= 2)).toBe(true);
    expect(specs.some((s) => s.containers.some((c) => c.healthCheck?.httpGet))).toBe(true);
  });
});
