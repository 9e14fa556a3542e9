import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  StateFileError,
  defaultStateDir,
  readJsonFile,
  writeJsonFileAtomic,
} from "../../../src/cache/state-dir.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-state-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("defaultStateDir", () => {
  it("uses $XDG_STATE_HOME/berth, else ~/.local/state/berth", () => {
    expect(defaultStateDir({ XDG_STATE_HOME: "/var/state", HOME: "/home/u" })).toBe("/var/state/berth");
    expect(defaultStateDir({ HOME: "/home/u" })).toBe("/home/u/.local/state/berth");
    expect(defaultStateDir({ XDG_STATE_HOME: "", HOME: "/home/u" })).toBe("/home/u/.local/state/berth");
    expect(defaultStateDir({ XDG_STATE_HOME: "relative", HOME: "/home/u" })).toBe(
      "/home/u/.local/state/berth",
    );
    expect(defaultStateDir({})).toBe(join(homedir(), ".local", "state", "berth"));
  });
});

describe("JSON state files", () => {
  it("round-trips, creating the directory and leaving no temporary files", async () => {
    const path = join(dir, "a", "b", "x.json");
    await writeJsonFileAtomic(path, { n: 1 });
    await writeJsonFileAtomic(path, { n: 2 });
    expect(await readJsonFile(path, null)).toEqual({ n: 2 });
    expect(await readdir(join(dir, "a", "b"))).toEqual(["x.json"]);
    expect(await readFile(path, "utf8")).toBe('{\n  "n": 2\n}\n');
  });

  it("returns the fallback for a missing file and a StateFileError for a bad one", async () => {
    expect(await readJsonFile(join(dir, "missing.json"), { empty: true })).toEqual({ empty: true });
    const bad = join(dir, "bad.json");
    await writeFile(bad, "{");
    await expect(readJsonFile(bad, null)).rejects.toThrow(StateFileError);
    await expect(readJsonFile(bad, null)).rejects.toThrow(`state file ${bad}: is not valid JSON`);
  });

  it("keeps the old file when a write fails", async () => {
    const path = join(dir, "x.json");
    await writeJsonFileAtomic(path, { ok: true });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(writeJsonFileAtomic(path, cyclic)).rejects.toThrow();
    expect(await readJsonFile(path, null)).toEqual({ ok: true });
    expect(await readdir(dir)).toEqual(["x.json"]);
  });

  it("leaves one whole file after concurrent writes", async () => {
    const path = join(dir, "x.json");
    const big = (i: number) => ({ i, pad: "x".repeat(100_000) });
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeJsonFileAtomic(path, big(i))));
    const read = await readJsonFile<{ i: number; pad: string } | null>(path, null);
    expect(read?.pad).toHaveLength(100_000);
    expect(await readdir(dir)).toEqual(["x.json"]);
  });
});
