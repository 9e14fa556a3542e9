import { execFileSync } from "node:child_process";
import {
  mkdtempSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { contextFilter, readIgnorePatterns } from "../../../src/runtime/dockerignore.js";
import { dockerHeader, packBuildContext, type PackOptions } from "../../../src/runtime/tar.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "berth-tar-"));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Writes `files` (path -> content) below `dir`, making parent directories. */
function write(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, rel, ".."), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
}

async function toBuffer(dir: string, options?: PackOptions): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of await packBuildContext(dir, options)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The member names GNU tar lists, in archive order. */
async function listing(dir: string, options?: PackOptions): Promise<string[]> {
  const out = execFileSync("tar", ["-t"], { input: await toBuffer(dir, options) }).toString();
  return out.split("\n").filter((l) => l !== "");
}

describe("packBuildContext", () => {
  it("produces an archive that GNU tar extracts byte for byte, long and non-ASCII paths included", async () => {
    const src = tempDir();
    const deep = ["a".repeat(60), "b".repeat(60), "c".repeat(60), "ü".repeat(40)].join("/");
    const files: Record<string, Buffer> = {
      Dockerfile: Buffer.from("FROM scratch\n"),
      "empty.txt": Buffer.alloc(0),
      "block.bin": Buffer.alloc(512, 7),
      "odd.bin": Buffer.from(Array.from({ length: 70_001 }, (_, i) => i % 251)),
      [`${deep}/${"n".repeat(120)}.txt`]: Buffer.from("deep"),
      "x/ünïcödé 😀.txt": Buffer.from("hi"),
    };
    write(src, files);
    writeFileSync(join(src, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });

    const archive = await toBuffer(src);
    expect(archive.length % 512).toBe(0);
    const out = tempDir();
    execFileSync("tar", ["-x", "-C", out], { input: archive });
    for (const [rel, data] of Object.entries(files)) expect(readFileSync(join(out, rel))).toEqual(data);
    expect(
      execFileSync("stat", ["-c", "%a", join(out, "run.sh")])
        .toString()
        .trim(),
    ).toBe("755");
  });

  it("lists nested directories sorted, each before its contents, owned by root", async () => {
    const src = tempDir();
    write(src, { "b/c/f": "1", a: "2", "b/d": "3" });
    expect(await listing(src)).toEqual(["a", "b/", "b/c/", "b/c/f", "b/d"]);
    const verbose = execFileSync("tar", ["-tv", "--numeric-owner"], {
      input: await toBuffer(src),
    }).toString();
    for (const line of verbose.trim().split("\n")) expect(line).toMatch(/^\S+ 0\/0 /);
  });

  it("sends symbolic links as links, as Docker does: not followed, not descended, targets kept", async () => {
    const src = tempDir();
    const outside = tempDir();
    write(src, { Dockerfile: "FROM scratch\n", "real/file": "x" });
    write(outside, { secret: "not in the context" });
    symlinkSync("Dockerfile", join(src, "link"));
    symlinkSync("real", join(src, "dirlink"));
    symlinkSync(join(outside, "secret"), join(src, "out"));
    symlinkSync("missing", join(src, "dangling"));
    symlinkSync(`${"t".repeat(150)}/target`, join(src, "longlink"));

    expect(await listing(src)).toEqual([
      "Dockerfile",
      "dangling",
      "dirlink",
      "link",
      "longlink",
      "out",
      "real/",
      "real/file",
    ]);
    const out = tempDir();
    execFileSync("tar", ["-x", "-C", out], { input: await toBuffer(src) });
    expect(readlinkSync(join(out, "link"))).toBe("Dockerfile");
    expect(readlinkSync(join(out, "dirlink"))).toBe("real");
    expect(readlinkSync(join(out, "out"))).toBe(join(outside, "secret"));
    expect(readlinkSync(join(out, "dangling"))).toBe("missing");
    expect(readlinkSync(join(out, "longlink"))).toBe(`${"t".repeat(150)}/target`);
  });

  it("leaves out what .dockerignore excludes and brings back its exceptions", async () => {
    const src = tempDir();
    write(src, {
      Dockerfile: "FROM scratch\n",
      ".dockerignore": [
        "# build output",
        "node_modules",
        "*.log",
        "!keep.log",
        "/secrets/",
        "docs/**/*.md",
        "!docs/guide/README.md",
        "tmp",
        "!tmp/keep/**",
        "",
      ].join("\n"),
      "app.js": "1",
      "debug.log": "2",
      "keep.log": "3",
      "sub/nested.log": "4", // `*.log` matches at the top level only
      "node_modules/dep/index.js": "5",
      "secrets/key": "6",
      "docs/guide/intro.md": "7",
      "docs/guide/README.md": "8",
      "docs/logo.png": "9",
      "tmp/scratch": "10",
      "tmp/keep/a/b": "11",
    });
    expect(await listing(src)).toEqual([
      ".dockerignore",
      "Dockerfile",
      "app.js",
      "docs/",
      "docs/guide/",
      "docs/guide/README.md",
      "docs/logo.png",
      "keep.log",
      "sub/",
      "sub/nested.log",
      // tmp/keep itself matches `tmp`, not `tmp/keep/**`: walked for the exception, not sent
      "tmp/keep/a/",
      "tmp/keep/a/b",
    ]);
  });

  it("always sends the Dockerfile and .dockerignore, even when a pattern excludes them", async () => {
    const src = tempDir();
    write(src, {
      ".dockerignore": "*\n",
      Dockerfile: "FROM scratch\n",
      "other.txt": "x",
      "docker/Dockerfile.dev": "FROM scratch\n",
      "docker/notes": "y",
    });
    expect(await listing(src)).toEqual([".dockerignore", "Dockerfile"]);
    expect(await listing(src, { dockerfile: "./docker/Dockerfile.dev" })).toEqual([
      ".dockerignore",
      "docker/Dockerfile.dev",
    ]);
  });

  it("writes a valid empty archive for an empty directory", async () => {
    expect(await toBuffer(tempDir())).toEqual(Buffer.alloc(1024));
  });

  it("rejects for a missing directory, and before reading anything once aborted", async () => {
    await expect(toBuffer(join(tmpdir(), "berth-no-such-dir-xyz"))).rejects.toThrow(/ENOENT/);
    const src = tempDir();
    write(src, { a: "1" });
    const ctl = new AbortController();
    ctl.abort(new Error("stop"));
    await expect(toBuffer(src, { signal: ctl.signal })).rejects.toThrow("stop");
  });

  it("destroys the stream with the abort reason", async () => {
    const src = tempDir();
    write(src, { "big.bin": Buffer.alloc(4 << 20) });
    const ctl = new AbortController();
    const stream = await packBuildContext(src, { signal: ctl.signal });
    const read = (async () => {
      for await (const _ of stream) ctl.abort(new Error("stopped by the test"));
    })();
    await expect(read).rejects.toThrow("stopped by the test");
  });
});

describe("dockerHeader", () => {
  it("makes root the owner, ends directory names with / and puts a huge size in a pax record", () => {
    const base = { mode: 0o644, mtime: new Date(0), uid: 1000, gid: 1000 };
    expect(dockerHeader({ ...base, name: "d", type: "directory", size: 0 })).toMatchObject({
      name: "d/",
      uid: 0,
      gid: 0,
      uname: "root",
      gname: "root",
    });
    const huge = dockerHeader({ ...base, name: "f", type: "file", size: 9 * 2 ** 30 });
    expect(huge.pax).toEqual({ size: String(9 * 2 ** 30) });
    expect(dockerHeader({ ...base, name: "f", type: "file", size: 1 }).pax).toBeUndefined();
  });
});

describe(".dockerignore", () => {
  it("is read as Docker reads it: comments, blanks, spaces, leading / and ./ dropped", () => {
    expect(readIgnorePatterns("\uFEFF# c\n\n  /a/b/  \r\n!./c\n ! d \n#x\n*.tmp\n")).toEqual([
      "a/b",
      "!c",
      "!d",
      "*.tmp",
    ]);
  });

  it("matches a directory's contents and is case-sensitive", () => {
    const f = contextFilter(["build", "A.txt"]);
    expect(f.excludes("build/x/y")).toBe(true);
    expect(f.excludes("a.txt")).toBe(false);
    expect(f.mayIncludeBelow("build")).toBe(false);
    expect(contextFilter(["build", "!build/keep"]).mayIncludeBelow("build")).toBe(true);
  });
});
