import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import * as parse from "../../../src/api/parse.js";
import { readSpecFile } from "../../../src/api/spec-file.js";
import { DesiredStore } from "../../../src/files/desired-store.js";
import { FileSource, type SpecFileReader } from "../../../src/files/file-source.js";
import { specDigest } from "../../../src/files/hand-over.js";
import { FileSpecWriter } from "../../../src/files/spec-writer.js";
import { nopLogger } from "../../../src/util/logger.js";
import { projectYaml } from "../../helpers/fake-state.js";
import { eventually } from "../../helpers/poll.js";

vi.mock("../../../src/api/parse.js", async (importOriginal) => {
  const original = await importOriginal<typeof parse>();
  return { ...original, parseProjects: vi.fn(original.parseProjects) };
});

const parses = vi.mocked(parse.parseProjects);
/** Calls of the parser for one file, by the name it was parsed under. */
const parsesOf = (name: string) => parses.mock.calls.filter(([, file]) => file.endsWith(name)).length;

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  await eventually(check, ms, what, 5);
}

/** The spec writer handing its writes to a running file source over a real directory. */
describe("hand-over from the spec writer to the file source", () => {
  const dirs: string[] = [];
  const stops: AbortController[] = [];
  afterEach(() => {
    stops.splice(0).forEach((s) => s.abort());
    dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  async function start(files: Record<string, string>, readSpec?: SpecFileReader) {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-handover-")));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const store = new DesiredStore();
    const reads: string[] = [];
    const source = new FileSource({
      dir,
      store,
      logger: nopLogger,
      debounceMs: 20,
      display: (p) => p.slice(dir.length + 1),
      readSpec: async (path, root) => {
        const text = await (readSpec ?? ((p, r) => readSpecFile(p, { root: r })))(path, root);
        reads.push(path.slice(dir.length + 1));
        return text;
      },
    });
    const enqueued: string[] = [];
    const stop = new AbortController();
    stops.push(stop);
    source.start(stop.signal, (key) => enqueued.push(key));
    await source.ready();
    const writer = new FileSpecWriter(dir, store, { handOver: source });
    enqueued.length = 0;
    reads.length = 0;
    parses.mockClear();
    return { dir, store, source, writer, enqueued, reads };
  }

  it("updates the desired store before the write returns, and reports its real generation", async () => {
    const { store, writer, enqueued } = await start({ "web.yaml": projectYaml("web") });
    expect(store.get("default/web")?.generation).toBe(1);
    const patched = writer.patch("default/web", { spec: { containers: { app: { image: "other:2" } } } });
    const result = await patched;
    // no wait for the watcher: the store holds the write as soon as the promise resolves
    expect(store.get("default/web")).toMatchObject({ hash: result.hash, generation: 2 });
    expect(store.get("default/web")?.project.spec.containers[0]?.image).toBe("other:2");
    expect(result.generation).toBe(2);
    expect(enqueued).toEqual(["default/web"]);
    const labels = await writer.patch("default/web", { metadata: { labels: { team: "a" } } });
    expect(labels.generation).toBe(2); // a metadata change keeps the generation
    expect(store.get("default/web")?.project.metadata.labels).toEqual({ team: "a" });
  });

  it("hands over new files and deletions too", async () => {
    const { store, writer, dir } = await start({});
    const parsed = parse.parseProjects(projectYaml("api"), "req").projects[0]!;
    const [created] = await writer.apply([{ project: parsed.project }]);
    expect(created).toMatchObject({ action: "created", generation: 1 });
    expect(store.get("default/api")?.origin).toMatchObject({ kind: "file", path: join(dir, "api.yaml") });
    const unchanged = (await writer.apply([{ project: parsed.project }]))[0];
    expect(unchanged).toMatchObject({ action: "unchanged", generation: 1 });
    await writer.delete("default/api");
    expect(store.get("default/api")).toBeUndefined();
  });

  it("skips the re-parse when the watcher's read finds the same digest, and re-parses another", async () => {
    const { dir, store, writer, enqueued, reads } = await start({ "web.yaml": projectYaml("web") });
    await writer.setState("default/web", "Stopped");
    expect(parsesOf("web.yaml")).toBe(1); // the writer's own parse and validation
    await until(() => reads.includes("web.yaml"), "the watcher's read of the write");
    // past chokidar's atomic-save window, in which an in-place write right after a rename can go unseen
    await new Promise((r) => setTimeout(r, 200));
    expect(parsesOf("web.yaml")).toBe(1);
    expect(enqueued).toEqual(["default/web"]);

    writeFileSync(join(dir, "web.yaml"), projectYaml("web", { image: "edited:1" }));
    await until(() => store.get("default/web")?.project.spec.containers[0]?.image === "edited:1", "edit");
    expect(parsesOf("web.yaml")).toBe(2);
    expect(store.get("default/web")?.generation).toBe(3);
    expect(enqueued).toEqual(["default/web", "default/web"]);
  });

  it("reuses the store's parse for expectedHash instead of parsing the file again", async () => {
    const { store, writer } = await start({ "web.yaml": projectYaml("web") });
    const hash = store.get("default/web")!.hash;
    await writer.patch("default/web", { metadata: { labels: { a: "1" } } }, { expectedHash: hash });
    expect(parsesOf("web.yaml")).toBe(1);
  });

  it("drops a read that started before the write, and yields to one that started after it", async () => {
    let release = () => {};
    const held = new Promise<void>((r) => (release = r));
    let holding = false;
    const slow: SpecFileReader = async (path, root) => {
      const text = await readSpecFile(path, { root });
      if (typeof text === "string" && text.includes("slow:1")) {
        holding = true;
        await held; // the watcher's read of an older edit, still running when the writer writes
      }
      return text;
    };
    const { dir, store, source, writer } = await start({ "web.yaml": projectYaml("web") }, slow);
    writeFileSync(join(dir, "web.yaml"), projectYaml("web", { image: "slow:1" }));
    await until(() => holding, "the slow read");
    const result = await writer.setState("default/web", "Stopped");
    expect(store.get("default/web")?.hash).toBe(result.hash);
    release();
    await new Promise((r) => setTimeout(r, 200));
    expect(store.get("default/web")?.hash).toBe(result.hash);
    expect(store.get("default/web")?.project.spec.state).toBe("Stopped");

    // a read that starts after the mark may see something newer: the hand-over gives way
    const mark = source.mark();
    await new Promise((r) => setTimeout(r, 200));
    writeFileSync(join(dir, "web.yaml"), projectYaml("web", { image: "newer:1" }));
    await until(() => store.get("default/web")?.project.spec.containers[0]?.image === "newer:1", "newer");
    const stale = readFileSync(join(dir, "web.yaml"), "utf8").replace("newer:1", "stale:1");
    const parsed = parse.parseProjects(stale, join(dir, "web.yaml"));
    const spec = { path: join(dir, "web.yaml"), mark, digest: specDigest(stale), parsed };
    expect(await source.wrote({ ...spec, replaces: specDigest(projectYaml("web")) })).toBe(false);
    expect(store.get("default/web")?.project.spec.containers[0]?.image).toBe("newer:1");
  });

  it("waits for a read under way: lends it the parse when it finds the write, takes over when it found the old text", async () => {
    let release = () => {};
    let hold = false;
    let holding = false;
    const slow: SpecFileReader = async (path, root) => {
      const text = await readSpecFile(path, { root });
      if (!hold) return text;
      holding = true;
      await new Promise<void>((r) => (release = r));
      holding = false;
      return text;
    };
    const original = projectYaml("web");
    const path = (d: string) => join(d, "web.yaml");
    const { dir, store, source } = await start({ "web.yaml": original }, slow);
    const written = projectYaml("web", { image: "written:1" });
    const parsed = parse.parseProjects(written, "the writer's name for it");
    parses.mockClear();
    hold = true;

    // the read under way finds the written text: it takes the writer's parse
    let mark = source.mark();
    writeFileSync(path(dir), written);
    await until(() => holding, "a read of the written text");
    const spec = { path: path(dir), digest: specDigest(written), parsed, replaces: specDigest(original) };
    const lent = source.wrote({ ...spec, mark });
    release();
    expect(await lent).toBe(true);
    expect(store.get("default/web")?.project.spec.containers[0]?.image).toBe("written:1");
    expect(store.get("default/web")?.origin).toMatchObject({ path: path(dir) });
    expect(parses).not.toHaveBeenCalled();

    // the read under way found the text the write replaced: the write takes its place after it
    await new Promise((r) => setTimeout(r, 200));
    const next = projectYaml("web", { image: "next:1" });
    mark = source.mark();
    writeFileSync(path(dir), written); // the same content again: a read that finds the old text
    await until(() => holding, "a read of the old text");
    const taken = source.wrote({
      path: path(dir),
      mark,
      digest: specDigest(next),
      parsed: parse.parseProjects(next, "x"),
      replaces: specDigest(written),
    });
    release();
    expect(await taken).toBe(true);
    expect(store.get("default/web")?.project.spec.containers[0]?.image).toBe("next:1");
  });

  it("takes nothing it does not watch, and nothing once stopped", async () => {
    const { dir, source, writer, store } = await start({ "web.yaml": projectYaml("web") });
    const text = projectYaml("x");
    const parsed = parse.parseProjects(text, "x");
    const spec = (path: string) => ({ path, mark: source.mark(), digest: specDigest(text), parsed });
    expect(await source.wrote(spec(join(dir, ".hidden.yaml")))).toBe(false);
    expect(await source.wrote(spec(join(dir, "notes.txt")))).toBe(false);
    expect(await source.wrote(spec(join(tmpdir(), "elsewhere.yaml")))).toBe(false);
    expect(store.get("default/x")).toBeUndefined();
    stops.splice(0).forEach((s) => s.abort());
    const result = await writer.setState("default/web", "Stopped");
    // the source did not take it: the write is on disk, its generation not known yet
    expect(result).toMatchObject({ action: "updated" });
    expect(result.generation).toBeUndefined();
    expect(store.get("default/web")?.project.spec.state).toBe("Running");
  });
});
