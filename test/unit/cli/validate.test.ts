import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import type { CliIo } from "../../../src/cli/io.js";
import { captureIo } from "../../helpers/cli-io.js";

const run = (io: CliIo, ...args: string[]) => main(["node", "berth", ...args], io);
const examples = new URL("../../../examples", import.meta.url).pathname;

describe("berth validate", () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  function tmp(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "berth-validate-"));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  it("exits 0 and lists the projects when all examples are valid", async () => {
    const io = captureIo();
    expect(await run(io, "validate", examples)).toBe(0);
    expect(io.stdout).toMatch(/ok {2}default\/web +.*web\.yaml:\d+/);
    expect(io.stdout).toMatch(/\d+ project\(s\) in \d+ file\(s\) valid/);
    expect(io.stderr).toBe("");
  });

  it("exits 1 and prints file:line:col errors for an invalid file", async () => {
    const dir = tmp({
      "bad.yaml":
        "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: x}\nspec:\n  containers: [{name: c, image: i, ports: [{containerPort: 70000}]}]\n",
    });
    const io = captureIo();
    expect(await run(io, "validate", dir)).toBe(1);
    expect(io.stderr).toContain("bad.yaml:5:");
    expect(io.stderr).toContain(
      "spec.containers[0].ports[0].containerPort: 70000 is above the maximum 65535",
    );
    expect(io.stderr).toContain("1 error(s) in 1 of 1 file(s)");
  });

  it("reports a project defined twice at the later definition", async () => {
    const doc =
      "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: twin}\nspec:\n  containers: [{name: c, image: i}]\n";
    const dir = tmp({ "a.yaml": doc, "b.yaml": doc });
    const io = captureIo();
    expect(await run(io, "validate", "-o", "json", dir)).toBe(1);
    const out = JSON.parse(io.stdout) as {
      valid: boolean;
      projects: { name: string }[];
      errors: { file: string; code: string; message: string }[];
    };
    expect(out.valid).toBe(false);
    expect(out.projects.map((p) => p.name)).toEqual(["twin"]);
    expect(out.errors).toHaveLength(1);
    expect(out.errors[0]?.code).toBe("Duplicate");
    expect(out.errors[0]?.file).toMatch(/b\.yaml$/);
    expect(out.errors[0]?.message).toMatch(/already defined at .*a\.yaml:1/);
  });

  it("prints machine-readable JSON with -o json", async () => {
    const io = captureIo();
    expect(await run(io, "validate", "-o", "json", examples)).toBe(0);
    const out = JSON.parse(io.stdout) as { valid: boolean; files: number; projects: { hash: string }[] };
    expect(out.valid).toBe(true);
    expect(out.files).toBeGreaterThanOrEqual(3);
    expect(out.projects.every((p) => /^[0-9a-f]{64}$/.test(p.hash))).toBe(true);
  });

  it("says which path does not exist", async () => {
    const io = captureIo();
    expect(await run(io, "validate", "no/such/dir")).toBe(1);
    expect(io.stderr).toBe("berth: no such file or directory: no/such/dir\n");
  });

  it("rejects an unknown output format with a usage error", async () => {
    const io = captureIo();
    expect(await run(io, "validate", "-o", "xml", examples)).toBe(2);
    expect(io.stderr).toContain("Allowed choices are text, json");
  });

  it("prints the version", async () => {
    const io = captureIo();
    expect(await run(io, "version")).toBe(0);
    expect(io.stdout).toMatch(/^berth \d+\.\d+\.\d+ \(berth\.dev\/v1alpha1, node v\d+/);
  });
});
