import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { extract, type Headers } from "tar-stream";
import { afterEach, describe, expect, it } from "vitest";
import { selectPaths, syncArchive, syncPlace } from "../../../../src/reconcilers/devloop/sync-tar.js";
import { ruleFilter } from "../../../../src/reconcilers/devloop/rule-watch.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "berth-sync-"));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function entries(
  tar: Readable,
): Promise<{ name: string; type: string; body: string; linkname?: string }[]> {
  const out: { name: string; type: string; body: string; linkname?: string }[] = [];
  const x = extract();
  x.on("entry", (h: Headers, stream: Readable, next: () => void) => {
    const parts: Buffer[] = [];
    stream.on("data", (c: Buffer) => parts.push(c));
    stream.on("end", () => {
      out.push({
        name: h.name,
        type: h.type ?? "file",
        body: Buffer.concat(parts).toString(),
        ...(h.linkname ? { linkname: h.linkname } : {}),
      });
      next();
    });
  });
  const done = new Promise((resolve, reject) => {
    x.on("finish", resolve);
    x.on("error", reject);
  });
  tar.pipe(x);
  await done;
  return out;
}

describe("selectPaths", () => {
  it("sorts a batch into files to copy, paths to delete and links it will not follow", async () => {
    const root = tempDir();
    const outside = tempDir();
    mkdirSync(join(root, "sub"));
    writeFileSync(join(root, "a.txt"), "hello");
    writeFileSync(join(root, "sub", "b.txt"), "12");
    writeFileSync(join(outside, "secret"), "s");
    symlinkSync(join(outside, "secret"), join(root, "leak"));
    symlinkSync(outside, join(root, "linked-dir"));
    const linkInside = (abs: string) => Promise.resolve(!abs.endsWith("leak"));
    const sel = await selectPaths(
      { root },
      ["sub/b.txt", "a.txt", "gone.txt", "leak", "linked-dir/secret", "sub"],
      linkInside,
    );
    expect(sel.send).toEqual(["a.txt", "sub", "sub/b.txt"]);
    expect(sel.remove).toEqual(["gone.txt"]);
    expect(sel.refused.sort()).toEqual(["leak", "linked-dir/secret"]);
    expect(sel.files).toBe(2);
    expect(sel.bytes).toBe(7);
  });
});

describe("syncArchive", () => {
  it("names entries by their container path, for extraction at /", async () => {
    const root = tempDir();
    mkdirSync(join(root, "sub"));
    writeFileSync(join(root, "a.txt"), "hello");
    writeFileSync(join(root, "sub", "b.txt"), "12");
    symlinkSync("a.txt", join(root, "alias"));
    const got = await entries(
      syncArchive(syncPlace(root, "/app/src/", undefined), ["a.txt", "alias", "sub", "sub/b.txt"]),
    );
    expect(got).toEqual([
      { name: "app/src/a.txt", type: "file", body: "hello" },
      { name: "app/src/alias", type: "symlink", body: "", linkname: "a.txt" },
      { name: "app/src/sub/", type: "directory", body: "" },
      { name: "app/src/sub/b.txt", type: "file", body: "12" },
    ]);
  });

  it("sends a file rule's file as its target", async () => {
    const root = tempDir();
    writeFileSync(join(root, "app.conf"), "x=1\n");
    const got = await entries(syncArchive(syncPlace(root, "/etc/app/app.conf", "app.conf"), ["app.conf"]));
    expect(got).toEqual([{ name: "etc/app/app.conf", type: "file", body: "x=1\n" }]);
  });
});

describe("ruleFilter", () => {
  it("applies the path's .dockerignore, then the rule's ignore, in .dockerignore syntax", () => {
    const f = ruleFilter(["node_modules", "*.log"], ["/dist", "**/*.swp", "!keep.log"]);
    expect(f.excludes("node_modules")).toBe(true);
    expect(f.excludes("node_modules/x/y.js")).toBe(true);
    expect(f.excludes("a.log")).toBe(true);
    expect(f.excludes("keep.log")).toBe(false);
    expect(f.excludes("dist/app.js")).toBe(true);
    expect(f.excludes("src/dist/app.js")).toBe(false);
    expect(f.excludes("src/.main.ts.swp")).toBe(true);
    expect(f.excludes("src/main.ts")).toBe(false);
    expect(f.excludes("")).toBe(false);
  });

  it("walks an excluded directory only when an exception names something below it", () => {
    const f = ruleFilter([], ["vendor", "!vendor/patched"]);
    expect(f.excludes("vendor")).toBe(true);
    expect(f.mayIncludeBelow("vendor")).toBe(true);
    expect(f.excludes("vendor/patched")).toBe(false);
    expect(ruleFilter([], ["vendor"]).mayIncludeBelow("vendor")).toBe(false);
  });
});
