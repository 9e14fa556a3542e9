import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expandDirectories } from "../../../../src/reconcilers/devloop/expand.js";
import { SentStamps } from "../../../../src/reconcilers/devloop/sent.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "berth-expand-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe("expandDirectories", () => {
  it("adds what is below a new directory, skipping ignored paths and never entering links", async () => {
    mkdirSync(join(root, "new", "deep"), { recursive: true });
    writeFileSync(join(root, "new", "a.txt"), "a");
    writeFileSync(join(root, "new", "deep", "b.txt"), "b");
    writeFileSync(join(root, "new", "skip.swp"), "x");
    mkdirSync(join(root, "elsewhere"));
    writeFileSync(join(root, "elsewhere", "secret"), "s");
    symlinkSync(join(root, "elsewhere"), join(root, "new", "link"));
    const out = await expandDirectories(root, ["new", "gone.txt"], (rel) => rel.endsWith(".swp"));
    expect(out.sort()).toEqual(["gone.txt", "new", "new/a.txt", "new/deep", "new/deep/b.txt", "new/link"]);
  });
});

describe("SentStamps", () => {
  it("drops a path sent as it is now, keeps an edited or removed one", async () => {
    writeFileSync(join(root, "a"), "1");
    writeFileSync(join(root, "b"), "1");
    const sent = new SentStamps(root);
    const first = await sent.changed(["a", "b"]);
    expect(first.paths).toEqual(["a", "b"]);
    sent.sent(first.paths, first.stamps);
    expect((await sent.changed(["a", "b"])).paths).toEqual([]);
    writeFileSync(join(root, "a"), "2");
    rmSync(join(root, "b"));
    expect((await sent.changed(["a", "b"])).paths).toEqual(["a", "b"]);
  });
});
