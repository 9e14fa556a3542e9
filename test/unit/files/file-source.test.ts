import { execFileSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { watch } from "chokidar";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { MAX_SPEC_BYTES } from "../../../src/api/parse.js";
import { readSpecFile } from "../../../src/api/spec-file.js";
import { DesiredStore } from "../../../src/files/desired-store.js";
import { FileSource, type FileSourceOptions } from "../../../src/files/file-source.js";
import { registerSpecWatchMetrics } from "../../../src/files/metrics.js";
import { nopLogger, type Logger } from "../../../src/util/logger.js";
import { metricValue } from "../../helpers/metric-value.js";
import { eventually } from "../../helpers/poll.js";

const doc = (name: string, env = "1") =>
  `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: c, image: x, env: [{name: A, value: "${env}"}]}]\n`;

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  await eventually(check, ms, what, 10);
}

describe("FileSource on a real directory", () => {
  const stops: AbortController[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    stops.splice(0).forEach((s) => s.abort());
    dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  function tempDir(prefix = "berth-fs-"): string {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
    dirs.push(dir);
    return dir;
  }

  async function start(
    files: Record<string, string> = {},
    options: Partial<FileSourceOptions> = {},
    setup: (dir: string) => void = () => {},
  ) {
    const dir = options.dir ?? tempDir();
    for (const [f, t] of Object.entries(files)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), t);
    }
    setup(dir);
    const store = new DesiredStore();
    const source = new FileSource({
      store,
      logger: nopLogger,
      debounceMs: 50,
      display: (p) => p.slice(dir.length + 1),
      ...options,
      dir,
    });
    const enqueued: { key: string; priority: string | undefined }[] = [];
    const stop = new AbortController();
    stops.push(stop);
    const t0 = Date.now();
    source.start(stop.signal, (key, opts) => enqueued.push({ key, priority: opts?.priority }));
    await source.ready();
    return { dir, store, enqueued, source, readyMs: Date.now() - t0 };
  }

  it("loads the initial files recursively with low priority, skipping hidden dirs and other files", async () => {
    const { store, enqueued } = await start({
      "a.yaml": doc("a"),
      "nested/b.yml": doc("b"),
      ".hidden/c.yaml": doc("c"),
      "notes.txt": doc("d"),
    });
    expect(store.keys().sort()).toEqual(["default/a", "default/b"]);
    expect(enqueued.every((e) => e.priority === "low")).toBe(true);
    expect(store.get("default/b")?.origin).toMatchObject({
      kind: "file",
      path: expect.stringMatching(/nested\/b\.yml$/) as unknown,
    });
  });

  it("sees a save by rename, skips a write that changes nothing, and deletes on unlink", async () => {
    const { dir, store, enqueued } = await start({ "a.yaml": doc("a") });
    enqueued.length = 0;
    writeFileSync(join(dir, ".a.yaml.tmp"), doc("a", "2"));
    renameSync(join(dir, ".a.yaml.tmp"), join(dir, "a.yaml"));
    await until(() => store.get("default/a")?.generation === 2, "generation 2");
    expect(enqueued).toEqual([{ key: "default/a", priority: undefined }]);

    writeFileSync(join(dir, "a.yaml"), doc("a", "2"));
    await new Promise((r) => setTimeout(r, 300));
    expect(enqueued).toHaveLength(1);

    unlinkSync(join(dir, "a.yaml"));
    await until(() => store.get("default/a") === undefined, "deletion");
    expect(enqueued.at(-1)?.key).toBe("default/a");
  });

  it("debounces a burst of writes into one read", async () => {
    const { dir, store, enqueued } = await start({});
    for (let i = 1; i <= 5; i++) writeFileSync(join(dir, "burst.yaml"), doc("burst", String(i)));
    await until(
      () => store.get("default/burst")?.project.spec.containers[0]?.env?.[0]?.value === "5",
      "final content",
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(enqueued.filter((e) => e.key === "default/burst")).toHaveLength(1);
    expect(store.get("default/burst")?.generation).toBe(1);
  });

  it("keeps the last good spec when a file breaks, with the error located", async () => {
    const { dir, store } = await start({ "a.yaml": doc("a") });
    writeFileSync(join(dir, "a.yaml"), `${doc("a")}  oops: [\n`);
    await until(() => (store.get("default/a")?.specErrors.length ?? 0) > 0, "spec error");
    const e = store.get("default/a")?.specErrors[0];
    expect(e).toMatchObject({ code: "Syntax", file: "a.yaml" });
    expect(store.get("default/a")?.generation).toBe(1);
  });

  it("loads the real spec beside a link to /, a FIFO named trap.yaml and links out and in", async () => {
    const outside = tempDir("berth-fs-out-");
    writeFileSync(join(outside, "secret.yaml"), doc("secret"));
    const { store, source, readyMs } = await start({ "a.yaml": doc("a") }, { maxEntries: 50 }, (dir) => {
      symlinkSync("/", join(dir, "root"));
      symlinkSync("/", join(dir, "root.yaml"));
      symlinkSync(outside, join(dir, "out"));
      symlinkSync(join(outside, "secret.yaml"), join(dir, "out.yaml"));
      symlinkSync("a.yaml", join(dir, "in.yaml"));
      symlinkSync("/dev/tty", join(dir, "tty.yaml"));
      execFileSync("mkfifo", [join(dir, "trap.yaml")]);
    });
    expect(readyMs).toBeLessThan(3000);
    expect(store.keys()).toEqual(["default/a"]);
    const errors = store.errors().map((e) => [e.file, e.code]);
    expect(errors.sort()).toEqual([
      ["in.yaml", "NotRegularFile"],
      ["out.yaml", "NotRegularFile"],
      ["root.yaml", "NotRegularFile"],
      ["trap.yaml", "NotRegularFile"],
      ["tty.yaml", "NotRegularFile"],
    ]);
    expect(store.errors().find((e) => e.file === "trap.yaml")?.message).toContain("a FIFO");
    // Nothing behind a link was entered: 50 entries would not hold a walk of /.
    expect(source.problems()).toEqual([]);
  });

  it("reports a file over 1 MiB as TooLarge and loads the others", async () => {
    const { store } = await start({ "a.yaml": doc("a"), "big.yaml": `# ${"x".repeat(MAX_SPEC_BYTES)}\n` });
    expect(store.keys()).toEqual(["default/a"]);
    expect(store.errors()).toEqual([expect.objectContaining({ file: "big.yaml", code: "TooLarge" })]);
  });

  it("watches a directory given through a link, naming files under the path it was given", async () => {
    const real = tempDir();
    writeFileSync(join(real, "a.yaml"), doc("a"));
    const link = join(tempDir(), "specs");
    symlinkSync(real, link);
    const { store } = await start({}, { dir: link });
    expect(store.get("default/a")?.origin).toMatchObject({ path: join(link, "a.yaml") });
    writeFileSync(join(real, "b.yaml"), doc("b"));
    await until(() => store.get("default/b") !== undefined, "b loaded");
    expect(store.get("default/b")?.origin).toMatchObject({ path: join(link, "b.yaml") });
  });

  it("watches at most maxEntries, reports TreeTooLarge once, and keeps the admitted files live", async () => {
    const warnings: string[] = [];
    const logger: Logger = { ...nopLogger, warn: (msg) => void warnings.push(msg) };
    const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}.yaml`, doc(`p${i}`)]));
    const registry = new Registry();
    const { dir, store, source } = await start(files, { maxEntries: 5, logger });
    registerSpecWatchMetrics(registry, () => source.problems());
    const loaded = store.keys();
    expect(loaded).toHaveLength(5);
    expect(source.problems()).toEqual([
      expect.objectContaining({ type: "SpecsWatched", status: "False", reason: "TreeTooLarge" }),
    ]);
    expect(source.problems()[0]?.message).toContain("more than 5 directories and spec files");
    expect(warnings.filter((w) => w === "spec directory too large to watch")).toHaveLength(1);
    expect(await metricValue(registry, "berth_spec_watch_problems", { reason: "TreeTooLarge" })).toBe(1);
    expect(await metricValue(registry, "berth_spec_watch_problems", { reason: "Unreadable" })).toBe(0);
    const first = loaded[0]?.slice("default/".length) ?? "";
    writeFileSync(join(dir, `${first}.yaml`), doc(first, "2"));
    await until(() => store.get(`default/${first}`)?.generation === 2, "an admitted file still watched");
  });

  it("reports a directory the watcher cannot read, loads the rest, and forgets it once removed", async () => {
    const registry = new Registry();
    const { dir, store, source } = await start(
      { "a.yaml": doc("a"), "locked/b.yaml": doc("b") },
      {
        watch: (root, options) => {
          const w = watch(root, options);
          w.once("ready", () => {
            const err = Object.assign(new Error(`EACCES: permission denied, watch '${root}/locked'`), {
              code: "EACCES",
              path: join(root, "locked"),
            });
            w.emit("error", err);
          });
          return w;
        },
      },
    );
    registerSpecWatchMetrics(registry, () => source.problems());
    expect(store.keys().sort()).toEqual(["default/a", "default/b"]);
    await until(() => source.problems().length > 0, "a problem");
    const [problem] = source.problems();
    expect(problem).toMatchObject({ type: "SpecsWatched", status: "False", reason: "Unreadable" });
    expect(problem?.message).toContain("cannot watch locked (EACCES: permission denied");
    expect(await metricValue(registry, "berth_spec_watch_problems", { reason: "Unreadable" })).toBe(1);
    rmSync(join(dir, "locked"), { recursive: true });
    await until(() => source.problems().length === 0, "the problem forgotten");
    await until(() => store.get("default/b") === undefined, "the specs of the removed directory gone");
  });

  it("ready waits for the reads the initial scan started", async () => {
    const slow = async (path: string, root: string) => {
      await new Promise((r) => setTimeout(r, 300));
      return readSpecFile(path, { root });
    };
    const { store, readyMs } = await start({ "a.yaml": doc("a") }, { readSpec: slow });
    expect(readyMs).toBeGreaterThanOrEqual(290);
    expect(store.keys()).toEqual(["default/a"]);
  });

  it("never lets an earlier, slower read of a file overwrite a later one", async () => {
    const slowFor = '"2"';
    const reader = async (path: string, root: string) => {
      const text = await readSpecFile(path, { root });
      if (typeof text === "string" && text.includes(slowFor)) await new Promise((r) => setTimeout(r, 400));
      return text;
    };
    const { dir, store } = await start({ "a.yaml": doc("a", "1") }, { readSpec: reader });
    writeFileSync(join(dir, "a.yaml"), doc("a", "2"));
    await new Promise((r) => setTimeout(r, 150)); // the read of "2" has started and sleeps
    writeFileSync(join(dir, "a.yaml"), doc("a", "3"));
    const env = () => store.get("default/a")?.project.spec.containers[0]?.env?.[0]?.value;
    await until(() => env() === "3", "content 3");
    await new Promise((r) => setTimeout(r, 500));
    expect(env()).toBe("3");
    expect(store.get("default/a")?.generation).toBe(2);
  });

  it("does not bring back a deleted file whose read was still running", async () => {
    const reader = async (path: string, root: string) => {
      const text = await readSpecFile(path, { root });
      if (typeof text === "string" && text.includes("late")) await new Promise((r) => setTimeout(r, 400));
      return text;
    };
    const { dir, store } = await start({}, { readSpec: reader });
    writeFileSync(join(dir, "late.yaml"), doc("late"));
    await new Promise((r) => setTimeout(r, 150));
    unlinkSync(join(dir, "late.yaml"));
    await new Promise((r) => setTimeout(r, 700));
    expect(store.get("default/late")).toBeUndefined();
  });

  it("reports a read that takes too long as an error of that file", async () => {
    const hang = (path: string, root: string) =>
      path.endsWith("stuck.yaml") ? new Promise<never>(() => {}) : readSpecFile(path, { root });
    const { store, readyMs } = await start(
      { "a.yaml": doc("a"), "stuck.yaml": doc("stuck") },
      { readSpec: (path, root) => withTimeout(hang(path, root), 200) },
    );
    expect(readyMs).toBeLessThan(2000);
    expect(store.keys()).toEqual(["default/a"]);
    expect(store.errors()).toEqual([expect.objectContaining({ file: "stuck.yaml", code: "Unreadable" })]);
  });
});

/** What the default reader does with `readTimeoutMs`, for a read injected to hang. */
async function withTimeout<T>(p: Promise<T>, ms: number) {
  return Promise.race([
    p,
    new Promise<{ code: "Unreadable"; message: string; missing: false }>((r) =>
      setTimeout(() => r({ code: "Unreadable", message: `took longer than ${ms} ms`, missing: false }), ms),
    ),
  ]);
}
