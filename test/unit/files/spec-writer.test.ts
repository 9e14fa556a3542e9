import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  existsSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseProjects } from "../../../src/api/parse.js";
import type { Project } from "../../../src/api/types.js";
import { ConflictError, PathEscapeError, ProjectNotFoundError } from "../../../src/api/write-errors.js";
import { FileSpecWriter } from "../../../src/files/spec-writer.js";
import { FakeDesired, projectYaml } from "../../helpers/fake-state.js";

const HEADER = "# Shop services. Owned by the payments team.\n#   (keep this header)\n";
const A = `${HEADER}apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: a, labels: {team: pay}}   # flow style stays
spec:
  state: Running # the usual
  containers:
  - name: app
    image: 'berth-test/busybox:1'
`;
const B = `---
# b: the database
apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
    name: b
spec:
    containers:
        -   name: db
            image: berth-test/busybox:1     # pinned
`;
const C = `---   # c has a marker comment
apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: c}
spec: {containers: [{name: x, image: "i:1"}]}
`;

describe("FileSpecWriter", () => {
  let dir: string;
  let desired: FakeDesired;
  let writer: FileSpecWriter;

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-writer-")));
    desired = new FakeDesired();
    writer = new FileSpecWriter(dir, desired);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    desired.load(path, text);
    return path;
  }
  const read = (path: string) => readFileSync(path, "utf8");
  const parse = (text: string): Project[] => parseProjects(text, "t").projects.map((p) => p.project);
  const files = () => readdirSync(dir).sort();

  it("changes spec.state in place, keeping every other byte of the file", async () => {
    const path = file("shop.yaml", A + B + C);
    const result = await writer.setState("default/a", "Stopped");
    expect(result).toMatchObject({ key: "default/a", file: path, action: "updated", dryRun: false });
    expect(read(path)).toBe((A + B + C).replace("state: Running # the usual", "state: Stopped # the usual"));
    expect(result.hash).toBe(parseProjects(read(path), path).projects[0]?.hash);
  });

  it("adds a missing field to one document; the other documents stay byte-for-byte", async () => {
    const path = file("shop.yaml", A + B + C);
    await writer.setState("default/b", "Stopped");
    const text = read(path);
    expect(text.startsWith(A)).toBe(true);
    expect(text.endsWith(C)).toBe(true);
    const middle = text.slice(A.length, text.length - C.length);
    expect(middle).toContain("# b: the database");
    expect(middle).toContain("# pinned");
    expect(parse(text).find((p) => p.metadata.name === "b")?.spec.state).toBe("Stopped");
  });

  it("restart stamps an RFC 3339 annotation, later on every call", async () => {
    const path = file("shop.yaml", A + B + C);
    const now = new Date("2025-03-04T05:06:07.000Z");
    const first = await writer.restart("default/c", now);
    expect(first.restartedAt).toBe("2025-03-04T05:06:07.000Z");
    const second = await writer.restart("default/c", now);
    expect(second.restartedAt).toBe("2025-03-04T05:06:07.001Z");
    const text = read(path);
    expect(text.startsWith(A + B)).toBe(true);
    expect(text).toContain('berth.dev/restartedAt: "2025-03-04T05:06:07.001Z"');
    const c = parse(text).find((p) => p.metadata.name === "c");
    expect(c?.metadata.annotations?.["berth.dev/restartedAt"]).toBe("2025-03-04T05:06:07.001Z");
  });

  it("deletes one document and keeps the others; the last document takes the file with it", async () => {
    const path = file("shop.yaml", A + B + C);
    expect((await writer.delete("default/b")).action).toBe("deleted");
    expect(read(path)).toBe(A + C);
    await writer.delete("default/a");
    expect(read(path)).toBe(C);
    await writer.delete("default/c");
    expect(existsSync(path)).toBe(false);
  });

  it("apply replaces the defining document, splicing only the changed values", async () => {
    const path = file("shop.yaml", A + B + C);
    const source = withoutDefaults("b", "berth-test/busybox:2", "db");
    const next = parse(JSON.stringify(source))[0]!;
    const [result] = await writer.apply([{ project: next, source }]);
    expect(result).toMatchObject({ key: "default/b", action: "updated", file: path });
    const text = read(path);
    expect(text.startsWith(A)).toBe(true);
    expect(text.endsWith(C)).toBe(true);
    expect(text).toContain("image: berth-test/busybox:2     # pinned");
  });

  it("apply of an unchanged project writes nothing", async () => {
    const path = file("shop.yaml", A + B + C);
    const before = read(path);
    const [result] = await writer.apply([{ project: parse(A)[0]!, source: parse(A)[0] }]);
    expect(result?.action).toBe("updated"); // defaults were added: the document changed
    const [again] = await writer.apply([{ project: parse(A)[0]!, source: parse(A)[0] }]);
    expect(again?.action).toBe("unchanged");
    expect(read(path)).not.toBe(before);
    expect(read(path)).toContain(HEADER);
  });

  it("creates new files named after the project and never overwrites another file", async () => {
    writeFileSync(join(dir, "web.yaml"), "# someone else's notes\n");
    const web = parse(projectYaml("web"))[0]!;
    const api = parse(projectYaml("api", { namespace: "prod" }))[0]!;
    const results = await writer.apply([
      {
        project: web,
        source: {
          ...web,
          status: { phase: "Running" },
          metadata: { ...web.metadata, uid: "x", generation: 3 },
        },
      },
      { project: api },
    ]);
    expect(results.map((r) => [r.action, r.file])).toEqual([
      ["created", join(dir, "web-2.yaml")],
      ["created", join(dir, "prod-api.yaml")],
    ]);
    expect(read(join(dir, "web.yaml"))).toBe("# someone else's notes\n");
    const written = read(join(dir, "web-2.yaml"));
    expect(written).not.toMatch(/status|uid|generation/);
    expect(written.indexOf("apiVersion")).toBeLessThan(written.indexOf("metadata"));
    expect(parse(written)[0]?.metadata.name).toBe("web");
  });

  it("keeps the comments of a new document sent as YAML", async () => {
    const { parseDocument } = await import("yaml");
    const text = `# my web server\n${projectYaml("web")}`;
    await writer.apply([{ project: parse(text)[0]!, source: parseDocument(text) }]);
    expect(read(join(dir, "web.yaml"))).toBe(text);
  });

  it("dry run computes the results without writing", async () => {
    const path = file("shop.yaml", A + B + C);
    expect((await writer.setState("default/a", "Stopped", { dryRun: true })).action).toBe("updated");
    expect((await writer.delete("default/a", { dryRun: true })).action).toBe("deleted");
    const web = parse(projectYaml("web"))[0]!;
    expect((await writer.apply([{ project: web }], { dryRun: true }))[0]?.action).toBe("created");
    expect(read(path)).toBe(A + B + C);
    expect(files()).toEqual(["shop.yaml"]);
  });

  it("finds the document by name when the index is stale", async () => {
    const path = file("shop.yaml", A + B + C);
    writeFileSync(path, C + B.replace("---\n", "---\n") + "---\n" + A); // reordered behind the index's back
    await writer.setState("default/a", "Stopped");
    expect(parse(read(path)).find((p) => p.metadata.name === "a")?.spec.state).toBe("Stopped");
    expect(read(path).startsWith(C + B)).toBe(true);
  });

  it("finds a project the index does not know yet by scanning the directory", async () => {
    writeFileSync(join(dir, "late.yaml"), projectYaml("late"));
    await writer.setState("default/late", "Stopped");
    expect(parse(read(join(dir, "late.yaml")))[0]?.spec.state).toBe("Stopped");
  });

  it("throws ProjectNotFoundError for an unknown project", async () => {
    file("shop.yaml", A);
    await expect(writer.setState("default/nope", "Stopped")).rejects.toBeInstanceOf(ProjectNotFoundError);
    await expect(writer.delete("other/a")).rejects.toBeInstanceOf(ProjectNotFoundError);
    await expect(writer.restart("default/nope", new Date())).rejects.toThrow(
      /project default\/nope not found/,
    );
  });

  it("refuses paths outside the watched directory", async () => {
    const outside = realpathSync(mkdtempSync(join(tmpdir(), "berth-outside-")));
    try {
      const target = join(outside, "x.yaml");
      writeFileSync(target, projectYaml("x"));
      desired.load(target, projectYaml("x"));
      await expect(writer.setState("default/x", "Stopped")).rejects.toBeInstanceOf(PathEscapeError);
      symlinkSync(target, join(dir, "link.yaml"));
      desired.load(join(dir, "link.yaml"), projectYaml("x"));
      await expect(writer.setState("default/x", "Stopped")).rejects.toBeInstanceOf(PathEscapeError);
      expect(read(target)).toBe(projectYaml("x"));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("checks expectedHash against the spec on disk", async () => {
    const path = file("shop.yaml", A + B);
    const hash = desired.get("default/a")!.hash;
    await expect(
      writer.setState("default/a", "Stopped", { expectedHash: "0".repeat(64) }),
    ).rejects.toBeInstanceOf(ConflictError);
    const ok = await writer.setState("default/a", "Stopped", { expectedHash: hash });
    // the index is stale now, but the disk has the new spec: the old hash conflicts
    const err = await writer
      .restart("default/a", new Date(), { expectedHash: hash })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toMatch(/retry/);
    await writer.restart("default/a", new Date(), { expectedHash: ok.hash! });
    expect(read(path)).toContain("berth.dev/restartedAt");
  });

  it("serializes concurrent writes to one file: none is lost", async () => {
    const path = file("shop.yaml", A + B + C);
    await Promise.all([
      writer.setState("default/a", "Stopped"),
      writer.setState("default/b", "Stopped"),
      writer.restart("default/c", new Date("2025-01-01T00:00:00Z")),
      writer.restart("default/a", new Date("2025-01-01T00:00:00Z")),
      writer.apply([{ project: parse(projectYaml("d"))[0]! }]),
    ]);
    const projects = parse(read(path));
    expect(projects.map((p) => [p.metadata.name, p.spec.state])).toEqual([
      ["a", "Stopped"],
      ["b", "Stopped"],
      ["c", "Running"],
    ]);
    expect(projects[0]?.metadata.annotations?.["berth.dev/restartedAt"]).toBeDefined();
    expect(projects[2]?.metadata.annotations?.["berth.dev/restartedAt"]).toBeDefined();
    expect(read(path).startsWith(HEADER)).toBe(true);
  });

  it("writes atomically: a reader never sees a partial file, and no temporary file stays", async () => {
    const path = file("shop.yaml", A + B + C);
    let reads = 0;
    let writing = true;
    const reader = (async () => {
      while (writing) {
        expect(parse(read(path))).toHaveLength(3);
        reads++;
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let i = 0; i < 30; i++) await writer.setState("default/b", i % 2 === 0 ? "Stopped" : "Running");
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(files()).toEqual(["shop.yaml"]);
  });
});

/** The user's document for project `name`, as they would write it (no defaults). */
function withoutDefaults(name: string, image: string, container: string): Record<string, unknown> {
  return {
    apiVersion: "berth.dev/v1alpha1",
    kind: "Project",
    metadata: { name },
    spec: { containers: [{ name: container, image }] },
  };
}
