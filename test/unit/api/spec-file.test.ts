import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  closeSync,
  constants,
  mkdirSync,
  mkdtempSync,
  openSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { collectSpecFiles, loadSpecFiles, MAX_SPEC_BYTES } from "../../../src/api/index.js";
import { readSpecFile, readSpecText, type SpecReadFailure } from "../../../src/api/spec-file.js";

const SPEC =
  "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: a}\nspec:\n  containers: [{name: c, image: x}]\n";

let dir: string;
let outside: string;
const children: ChildProcess[] = [];

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "berth-read-")));
  outside = realpathSync(mkdtempSync(join(tmpdir(), "berth-read-out-")));
});
afterEach(() => {
  children.splice(0).forEach((c) => c.kill("SIGKILL"));
  for (const d of [dir, outside]) rmSync(d, { recursive: true, force: true });
});

/**
 * A FIFO at `path`. A writer opens it after a second: should a read block on it after all, that
 * writer ends the wait, so the test fails on its timing instead of hanging the run.
 */
function fifo(path: string): void {
  execFileSync("mkfifo", [path]);
  const child = spawn("sh", ["-c", `sleep 1; echo "$0" > "$1"`, SPEC, path], { stdio: "ignore" });
  children.push(child);
}

function failure(result: string | SpecReadFailure): SpecReadFailure {
  if (typeof result === "string") throw new Error(`expected a failure, read ${result.length} characters`);
  return result;
}

describe("readSpecFile (the watcher's reader, root set)", () => {
  it("reads a regular file", async () => {
    writeFileSync(join(dir, "a.yaml"), SPEC);
    expect(await readSpecFile(join(dir, "a.yaml"), { root: dir })).toBe(SPEC);
  });

  it("refuses a FIFO named trap.yaml at once, without opening it for a blocking read", async () => {
    fifo(join(dir, "trap.yaml"));
    const t0 = Date.now();
    const r = failure(await readSpecFile(join(dir, "trap.yaml"), { root: dir }));
    expect(Date.now() - t0).toBeLessThan(500);
    expect(r).toMatchObject({ code: "NotRegularFile", missing: false });
    expect(r.message).toContain("not a regular file (a FIFO)");
  });

  it("refuses links: to /, to a file outside, and to a spec file inside", async () => {
    writeFileSync(join(dir, "a.yaml"), SPEC);
    writeFileSync(join(outside, "secret.yaml"), SPEC);
    symlinkSync("/", join(dir, "root.yaml"));
    symlinkSync(join(outside, "secret.yaml"), join(dir, "out.yaml"));
    symlinkSync("a.yaml", join(dir, "in.yaml"));
    for (const name of ["root.yaml", "out.yaml", "in.yaml"]) {
      const r = failure(await readSpecFile(join(dir, name), { root: dir }));
      expect(r.code, name).toBe("NotRegularFile");
      expect(r.message, name).toContain("symbolic link");
    }
  });

  it("refuses a file reached through a linked directory that leads out of the root", async () => {
    mkdirSync(join(outside, "sub"));
    writeFileSync(join(outside, "sub", "x.yaml"), SPEC);
    symlinkSync(join(outside, "sub"), join(dir, "sub"));
    const r = failure(await readSpecFile(join(dir, "sub", "x.yaml"), { root: dir }));
    expect(r.code).toBe("NotRegularFile");
    expect(r.message).toContain(`leads out of ${dir}`);
  });

  it("refuses a directory and a file over 1 MiB", async () => {
    mkdirSync(join(dir, "d.yaml"));
    writeFileSync(join(dir, "big.yaml"), `# ${"x".repeat(MAX_SPEC_BYTES)}\n`);
    expect(failure(await readSpecFile(join(dir, "d.yaml"), { root: dir })).message).toContain("a directory");
    const big = failure(await readSpecFile(join(dir, "big.yaml"), { root: dir }));
    expect(big.code).toBe("TooLarge");
    expect(big.message).toContain("1.0 MiB");
  });

  it("reads a file of exactly 1 MiB", async () => {
    const text = `#${"x".repeat(MAX_SPEC_BYTES - 2)}\n`;
    writeFileSync(join(dir, "max.yaml"), text);
    expect(await readSpecFile(join(dir, "max.yaml"), { root: dir })).toBe(text);
  });

  it("says when the file is gone", async () => {
    const r = failure(await readSpecFile(join(dir, "gone.yaml"), { root: dir }));
    expect(r).toMatchObject({ code: "Unreadable", missing: true });
  });

  it("follows a link the caller named when no root is given", async () => {
    writeFileSync(join(outside, "a.yaml"), SPEC);
    symlinkSync(join(outside, "a.yaml"), join(dir, "link.yaml"));
    expect(await readSpecFile(join(dir, "link.yaml"))).toBe(SPEC);
  });

  it("gives up after the timeout when the file system does not answer", async () => {
    // Blocking opens of FIFOs without writers hold every thread of libuv's pool, as a hung
    // network file system would: the read cannot even start, yet the caller gets an answer.
    const threads = Number(process.env["UV_THREADPOOL_SIZE"] ?? 4);
    const stuck = Array.from({ length: threads }, (_, i) => join(outside, `stuck-${i}`));
    for (const p of stuck) execFileSync("mkfifo", [p]);
    const opens = stuck.map((p) => open(p, "r"));
    try {
      writeFileSync(join(dir, "a.yaml"), SPEC);
      const t0 = Date.now();
      const r = failure(await readSpecFile(join(dir, "a.yaml"), { root: dir, timeoutMs: 200 }));
      expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(r).toMatchObject({ code: "Unreadable", missing: false });
      expect(r.message).toContain("took longer than 200 ms");
    } finally {
      for (const p of stuck) closeSync(openSync(p, constants.O_WRONLY | constants.O_NONBLOCK));
      for (const h of await Promise.all(opens)) await h.close();
    }
  });
});

describe("readSpecText and loadSpecFiles (berth validate)", () => {
  it("refuses a FIFO without blocking", () => {
    fifo(join(dir, "trap.yaml"));
    const t0 = Date.now();
    const r = failure(readSpecText(join(dir, "trap.yaml")));
    expect(Date.now() - t0).toBeLessThan(500);
    expect(r.code).toBe("NotRegularFile");
    const loaded = loadSpecFiles([join(dir, "trap.yaml")], () => "trap.yaml");
    expect(loaded.errors).toEqual([
      expect.objectContaining({ code: "NotRegularFile", file: "trap.yaml", line: 1, column: 1 }),
    ]);
  });

  it("refuses a character device and a file over 1 MiB, reads a regular one", () => {
    expect(failure(readSpecText("/dev/null")).message).toContain("a character device");
    writeFileSync(join(dir, "big.yaml"), `# ${"x".repeat(MAX_SPEC_BYTES)}\n`);
    expect(failure(readSpecText(join(dir, "big.yaml"))).code).toBe("TooLarge");
    writeFileSync(join(dir, "a.yaml"), SPEC);
    expect(readSpecText(join(dir, "a.yaml"))).toBe(SPEC);
  });

  it("collectSpecFiles lists regular files only and never follows a link inside a directory", async () => {
    writeFileSync(join(dir, "a.yaml"), SPEC);
    writeFileSync(join(outside, "b.yaml"), SPEC);
    symlinkSync("/", join(dir, "root"));
    symlinkSync(outside, join(dir, "out"));
    symlinkSync(join(outside, "b.yaml"), join(dir, "b.yaml"));
    fifo(join(dir, "trap.yaml"));
    const { files, missing } = await collectSpecFiles([dir]);
    expect(files).toEqual([join(dir, "a.yaml")]);
    expect(missing).toEqual([]);
  });
});
