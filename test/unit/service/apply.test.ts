import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SpecInvalidError } from "../../../src/api/errors.js";
import { BadRequestError, ConflictError, FileInvalidError } from "../../../src/api/write-errors.js";
import { FileSpecWriter } from "../../../src/files/spec-writer.js";
import { ProjectService } from "../../../src/service/service.js";
import { FakeDesired, FakeStatus, projectYaml } from "../../helpers/fake-state.js";
import type { ApplyItem, SpecWriter, WriteResult } from "../../../src/api/index.js";

/** A writer that records the items of every apply call and fails for the keys in `failFor`. */
class RecordingWriter implements SpecWriter {
  readonly applies: string[][] = [];
  constructor(
    private readonly inner: SpecWriter,
    private readonly failFor = new Set<string>(),
  ) {}

  async apply(items: readonly ApplyItem[], options?: { dryRun?: boolean }): Promise<WriteResult[]> {
    const keys = items.map((i) => `${i.project.metadata.namespace}/${i.project.metadata.name}`);
    this.applies.push(keys);
    const failing = keys.find((k) => this.failFor.has(k));
    if (failing) throw new ConflictError(failing, "was changed by someone else meanwhile");
    return this.inner.apply(items, options);
  }
  setState: SpecWriter["setState"] = (...a) => this.inner.setState(...a);
  restart: SpecWriter["restart"] = (...a) => this.inner.restart(...a);
  delete: SpecWriter["delete"] = (...a) => this.inner.delete(...a);
  patch: SpecWriter["patch"] = (...a) => this.inner.patch(...a);
}

describe("ProjectService.apply: one call, per-project results", () => {
  let dir: string;
  let desired: FakeDesired;
  let writer: RecordingWriter;
  let service: ProjectService;

  function make(failFor: string[] = []): void {
    writer = new RecordingWriter(new FileSpecWriter(dir, desired), new Set(failFor));
    service = new ProjectService({
      desired,
      status: new FakeStatus(),
      writer,
      ready: () => true,
      info: { dir, version: "0.0.0-test", pid: 1, http: "http://127.0.0.1:0" },
    });
  }

  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-apply-")));
    desired = new FakeDesired();
    make();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const bad = (name: string) =>
    projectYaml(name).replace("image: berth-test/busybox:1", "image: berth-test/busybox:1\n      bogus: 1");
  const files = () => readdirSync(dir).sort();

  it("is atomic by default: one writer call for all projects, and any failure writes nothing", async () => {
    const res = await service.apply(`${projectYaml("a")}---\n${projectYaml("b")}`);
    expect(writer.applies).toEqual([["default/a", "default/b"]]);
    expect(res.failures).toEqual([]);
    expect(res.results.map((r) => [r.key, r.action])).toEqual([
      ["default/a", "created"],
      ["default/b", "created"],
    ]);
    expect(res.projects.map((p) => p.project.metadata.name)).toEqual(["a", "b"]);

    make(["default/d"]);
    await expect(service.apply(`${projectYaml("c")}---\n${projectYaml("d")}`)).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(service.apply(`${projectYaml("c")}---\n${bad("e")}`)).rejects.toBeInstanceOf(
      SpecInvalidError,
    );
    expect(files()).toEqual(["a.yaml", "b.yaml"]);
  });

  it("with atomic: false writes each project on its own and reports each failure with its error", async () => {
    make(["default/conflicted"]);
    const text = [projectYaml("good"), bad("broken"), projectYaml("conflicted"), projectYaml("good")].join(
      "---\n",
    );
    const res = await service.apply(text, { atomic: false, source: "documents" });
    expect(writer.applies).toEqual([["default/good"], ["default/conflicted"]]);
    expect(res.results.map((r) => [r.key, r.action])).toEqual([["default/good", "created"]]);
    expect(res.projects.map((p) => p.project.metadata.name)).toEqual(["good"]);
    expect(res.failures.map((f) => f.key)).toEqual(["default/broken", "default/good", "default/conflicted"]);
    const [broken, duplicate, conflicted] = res.failures;
    expect(broken?.error).toBeInstanceOf(SpecInvalidError);
    expect((broken?.error as SpecInvalidError).errors[0]).toMatchObject({
      file: "documents",
      line: 18,
      path: "spec.containers[0].bogus",
    });
    expect((duplicate?.error as SpecInvalidError).errors[0]?.code).toBe("Duplicate");
    expect(conflicted?.error).toBeInstanceOf(ConflictError);
    expect(files()).toEqual(["good.yaml"]);
    expect(readFileSync(join(dir, "good.yaml"), "utf8")).toBe(projectYaml("good"));
  });

  it("reports a file the writer cannot edit as that project's failure, writing the others", async () => {
    const path = join(dir, "shop.yaml");
    const text = `${projectYaml("shop")}  oops: [\n`;
    writeFileSync(path, projectYaml("shop"));
    desired.load(path, projectYaml("shop"));
    writeFileSync(path, text);
    const res = await service.apply(`${projectYaml("shop", { image: "x:2" })}---\n${projectYaml("new")}`, {
      atomic: false,
    });
    expect(res.results.map((r) => r.key)).toEqual(["default/new"]);
    expect(res.failures).toEqual([{ key: "default/shop", error: expect.any(FileInvalidError) as unknown }]);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("dry runs write nothing in either mode and still report per project", async () => {
    const text = `${projectYaml("a")}---\n${bad("b")}`;
    const res = await service.apply(text, { atomic: false, dryRun: true });
    expect(res.dryRun).toBe(true);
    expect(res.results).toEqual([
      expect.objectContaining({ key: "default/a", action: "created", dryRun: true }),
    ]);
    expect(res.results[0]?.generation).toBeUndefined();
    expect(res.failures.map((f) => f.key)).toEqual(["default/b"]);
    const atomic = await service.apply(projectYaml("a"), { dryRun: true });
    expect(atomic.results).toEqual([expect.objectContaining({ action: "created", dryRun: true })]);
    expect(files()).toEqual([]);
  });

  it("refuses requests without projects and an expected hash for several, whatever the mode", async () => {
    for (const atomic of [true, false]) {
      await expect(service.apply("# nothing\n", { atomic })).rejects.toBeInstanceOf(BadRequestError);
      await expect(
        service.apply(`${projectYaml("a")}---\n${bad("b")}`, { atomic: false, expectedHash: "x" }),
      ).rejects.toThrow(/applies to one project, the request holds 2/);
    }
    expect(writer.applies).toEqual([]);
  });

  it("checks a patch once, in the service", async () => {
    await expect(service.patch("default", "a", { status: {} })).rejects.toThrow(/not status/);
    await expect(service.patch("default", "a", [])).rejects.toBeInstanceOf(BadRequestError);
  });
});
