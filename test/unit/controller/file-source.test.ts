import { mkdirSync, mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DesiredStore } from "../../../src/controller/desired-store.js";
import { FileSource } from "../../../src/controller/file-source.js";
import { nopLogger } from "../../../src/util/logger.js";

const doc = (name: string, env = "1") =>
  `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: ${name}}\nspec:\n  containers: [{name: c, image: x, env: [{name: A, value: "${env}"}]}]\n`;

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("FileSource on a real directory", () => {
  const stops: AbortController[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    stops.splice(0).forEach((s) => s.abort());
    dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  async function start(files: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), "berth-fs-"));
    dirs.push(dir);
    for (const [f, t] of Object.entries(files)) {
      mkdirSync(join(dir, f, ".."), { recursive: true });
      writeFileSync(join(dir, f), t);
    }
    const store = new DesiredStore();
    const source = new FileSource({
      dir,
      store,
      logger: nopLogger,
      debounceMs: 50,
      display: (p) => p.slice(dir.length + 1),
    });
    const enqueued: { key: string; priority: string | undefined }[] = [];
    const stop = new AbortController();
    stops.push(stop);
    source.start(stop.signal, (key, opts) => enqueued.push({ key, priority: opts?.priority }));
    await source.ready();
    return { dir, store, enqueued };
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
    expect(store.get("default/b")?.file).toMatch(/nested\/b\.yml$/);
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
});
