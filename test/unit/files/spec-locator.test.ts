import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SpecLocator } from "../../../src/files/spec-locator.js";
import { FakeDesired, projectYaml } from "../../helpers/fake-state.js";

describe("SpecLocator scans for projects the desired state does not know", () => {
  let dir: string;
  let locator: SpecLocator;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "berth-locator-"));
    locator = new SpecLocator(dir, new FakeDesired());
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("finds a project written by hand, and sees the file change under it", async () => {
    const file = join(dir, "by-hand.yaml");
    writeFileSync(file, projectYaml("one"));
    writeFileSync(join(dir, "other.yaml"), projectYaml("two"));
    const [one, three] = await locator.locateAll(["default/one", "default/three"]);
    expect(one?.path.endsWith("by-hand.yaml")).toBe(true);
    expect(three).toBeUndefined();
    // the same file, rewritten (same size) to define another project: read again, not cached
    writeFileSync(file, projectYaml("six"));
    const [oneAgain, six] = await locator.locateAll(["default/one", "default/six"]);
    expect(oneAgain).toBeUndefined();
    expect(six?.path.endsWith("by-hand.yaml")).toBe(true);
  });

  it("forgets a removed file and learns a new one", async () => {
    writeFileSync(join(dir, "a.yaml"), projectYaml("a"));
    expect((await locator.locateAll(["default/a"]))[0]).toBeDefined();
    rmSync(join(dir, "a.yaml"));
    writeFileSync(join(dir, "b.yaml"), projectYaml("a"));
    const [a] = await locator.locateAll(["default/a"]);
    expect(a?.path.endsWith("b.yaml")).toBe(true);
  });

  it("gives the index of the document that defines the project", async () => {
    writeFileSync(join(dir, "many.yaml"), [projectYaml("x"), projectYaml("y")].join("---\n"));
    const [y] = await locator.locateAll(["default/y"]);
    expect(y?.hint).toBe(1);
  });
});
