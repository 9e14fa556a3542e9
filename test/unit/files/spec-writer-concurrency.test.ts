import { mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/parse.js";
import { FileSpecWriter } from "../../../src/files/spec-writer.js";
import { FakeDesired, projectYaml } from "../../helpers/fake-state.js";

/** Many concurrent writes: the writer reuses what it read while locating a project only when that is safe. */
describe("FileSpecWriter under concurrent writes", () => {
  let dir: string;
  let desired: FakeDesired;
  let writer: FileSpecWriter;

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-writer-conc-")));
    desired = new FakeDesired();
    writer = new FileSpecWriter(dir, desired);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const names = ["a", "b", "c", "d", "e"];
  const labels = (text: string) =>
    Object.fromEntries(
      parseProjects(text, "t").projects.map((p) => [
        p.project.metadata.name,
        p.project.metadata.labels ?? {},
      ]),
    );

  it("loses no patch when projects that share one file are patched at once, round after round", async () => {
    const path = join(dir, "shared.yaml");
    const text = names.map((n) => projectYaml(n)).join("---\n");
    writeFileSync(path, text);
    desired.load(path, text);
    for (let round = 0; round < 6; round++) {
      const results = await Promise.all(
        names.map((n) =>
          writer.patch(`default/${n}`, { metadata: { labels: { [`r${round}`]: n, last: String(round) } } }),
        ),
      );
      expect(results.map((r) => r.action)).toEqual(names.map(() => "updated"));
    }
    const final = labels(readFileSync(path, "utf8"));
    for (const n of names) {
      const want: Record<string, string> = { last: "5" };
      for (let round = 0; round < 6; round++) want[`r${round}`] = n;
      expect(final[n]).toEqual(want);
    }
    expect(readdirSync(dir)).toEqual(["shared.yaml"]);
  });

  it("returns the hash of what is on disk for projects patched concurrently in their own files", async () => {
    for (const n of names) {
      const path = join(dir, `${n}.yaml`);
      writeFileSync(path, projectYaml(n));
      desired.load(path, projectYaml(n));
    }
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(
        names.map((n) => writer.patch(`default/${n}`, { metadata: { labels: { round: String(round) } } })),
      );
      for (const r of results) {
        const onDisk = parseProjects(readFileSync(r.file, "utf8"), r.file).projects[0];
        expect(r.hash).toBe(onDisk?.hash);
        expect(onDisk?.project.metadata.labels).toEqual({ round: String(round) });
      }
    }
  });
});
