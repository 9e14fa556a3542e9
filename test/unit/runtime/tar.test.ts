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
import { entryHeaders, packDirectory } from "../../../src/runtime/tar.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "berth-tar-"));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function toBuffer(dir: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of packDirectory(dir)) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

describe("packDirectory", () => {
  it("produces an archive that GNU tar extracts byte for byte, long and non-ASCII paths included", async () => {
    const src = tempDir();
    const deep = ["a".repeat(60), "b".repeat(60), "c".repeat(60), "ü".repeat(40)].join("/");
    mkdirSync(join(src, deep), { recursive: true });
    const files: Record<string, Buffer> = {
      Dockerfile: Buffer.from("FROM scratch\n"),
      "empty.txt": Buffer.alloc(0),
      "block.bin": Buffer.alloc(512, 7),
      "odd.bin": Buffer.from(Array.from({ length: 70_001 }, (_, i) => i % 251)),
      [`${deep}/${"n".repeat(120)}.txt`]: Buffer.from("deep"),
      "x/ünïcödé 😀.txt": Buffer.from("hi"),
    };
    for (const [rel, data] of Object.entries(files)) {
      mkdirSync(join(src, rel, ".."), { recursive: true });
      writeFileSync(join(src, rel), data);
    }
    writeFileSync(join(src, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    symlinkSync("Dockerfile", join(src, "link"));
    symlinkSync(`${"t".repeat(150)}/target`, join(src, "longlink"));

    const archive = await toBuffer(src);
    expect(archive.length % 512).toBe(0);
    const out = tempDir();
    execFileSync("tar", ["-x", "-C", out], { input: archive });
    for (const [rel, data] of Object.entries(files)) expect(readFileSync(join(out, rel))).toEqual(data);
    expect(readlinkSync(join(out, "link"))).toBe("Dockerfile");
    expect(readlinkSync(join(out, "longlink"))).toBe(`${"t".repeat(150)}/target`);
    expect(
      execFileSync("stat", ["-c", "%a", join(out, "run.sh")])
        .toString()
        .trim(),
    ).toBe("755");
  });

  it("lists entries sorted, directories before their contents", async () => {
    const src = tempDir();
    mkdirSync(join(src, "b/c"), { recursive: true });
    writeFileSync(join(src, "b/c/f"), "1");
    writeFileSync(join(src, "a"), "2");
    const listing = execFileSync("tar", ["-t"], { input: await toBuffer(src) })
      .toString()
      .trim()
      .split("\n");
    expect(listing).toEqual(["a", "b/", "b/c/", "b/c/f"]);
  });

  it("writes a valid empty archive for an empty directory", async () => {
    const archive = await toBuffer(tempDir());
    expect(archive).toEqual(Buffer.alloc(1024));
  });

  it("fails the stream for a missing directory", async () => {
    await expect(toBuffer(join(tmpdir(), "berth-no-such-dir-xyz"))).rejects.toThrow(/ENOENT/);
  });
});

describe("entryHeaders", () => {
  it("uses the ustar prefix field before falling back to a pax header", () => {
    const split = entryHeaders({
      name: `${"d".repeat(90)}/${"f".repeat(90)}`,
      type: "file",
      mode: 0o644,
      size: 1,
      mtime: 0,
    });
    expect(split).toHaveLength(1);
    const pax = entryHeaders({ name: "f".repeat(101), type: "file", mode: 0o644, size: 1, mtime: 0 });
    expect(pax.length).toBeGreaterThan(1);
    expect(String.fromCharCode(pax[0]![156]!)).toBe("x");
    expect(pax[1]!.toString()).toBe(`111 path=${"f".repeat(101)}\n`);
  });
});
