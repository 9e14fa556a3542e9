import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DirSync, removeFile, writeTextAtomic } from "../../../src/util/atomic-file.js";

/** A directory fsync that the test finishes by hand, recording when each one started. */
function manualFsync() {
  const started: Array<{ dir: string; finish: () => void }> = [];
  const fsync = (dir: string) => new Promise<void>((resolve) => started.push({ dir, finish: resolve }));
  return { started, fsync };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("DirSync", () => {
  it("shares one fsync among the callers that arrive while another runs", async () => {
    const { started, fsync } = manualFsync();
    const sync = new DirSync(fsync);
    const done: number[] = [];
    const first = sync.sync("/d").then(() => done.push(0));
    expect(started).toHaveLength(1);
    const later = [1, 2, 3].map((i) => sync.sync("/d").then(() => done.push(i)));
    await tick();
    // the late callers' renames may not be covered by the running fsync: they wait for the next
    expect(started).toHaveLength(1);
    started[0]?.finish();
    await first;
    await tick();
    expect(done).toEqual([0]);
    expect(started).toHaveLength(2);
    started[1]?.finish();
    await Promise.all(later);
    expect(done.sort()).toEqual([0, 1, 2, 3]);
    expect(started).toHaveLength(2);
  });

  it("starts a new fsync after the shared one for a caller that arrives while it runs", async () => {
    const { started, fsync } = manualFsync();
    const sync = new DirSync(fsync);
    const a = sync.sync("/d");
    const b = sync.sync("/d");
    started[0]?.finish();
    await a;
    await tick();
    const c = sync.sync("/d"); // the second fsync is running now
    started[1]?.finish();
    await b;
    await tick();
    expect(started).toHaveLength(3);
    let cDone = false;
    void c.then(() => (cDone = true));
    await tick();
    expect(cDone).toBe(false);
    started[2]?.finish();
    await c;
  });

  it("keeps directories apart", async () => {
    const { started, fsync } = manualFsync();
    const sync = new DirSync(fsync);
    const a = sync.sync("/a");
    const b = sync.sync("/b");
    expect(started.map((s) => s.dir)).toEqual(["/a", "/b"]);
    started.forEach((s) => s.finish());
    await Promise.all([a, b]);
  });
});

describe("writeTextAtomic with a shared DirSync", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("writes concurrent files completely and leaves no temporary files", async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-atomic-"));
    const d = dir;
    const sync = new DirSync();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        writeTextAtomic(join(d, `f${i}.yaml`), `n: ${i}\n`, { dirSync: sync }),
      ),
    );
    await removeFile(join(d, "f0.yaml"), { dirSync: sync });
    expect(readdirSync(d).sort()).toEqual(Array.from({ length: 19 }, (_, i) => `f${i + 1}.yaml`).sort());
    expect(readFileSync(join(d, "f7.yaml"), "utf8")).toBe("n: 7\n");
  });
});
