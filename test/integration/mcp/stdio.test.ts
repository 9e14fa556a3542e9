import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client as ModernClient } from "@modelcontextprotocol/client";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupDirs, eventually, removeProjects } from "../operator/daemon.js";
import { readTestEnv } from "../../helpers/env.js";
import { call, ROOT, stdioClient, text, webProject } from "./helpers.js";

const suffix = Math.random().toString(36).slice(2, 7);
const web = `mcp-stdio-${suffix}`;

describe("berth mcp over stdio", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-mcp-specs-"));
  const stateDir = mkdtempSync(join(tmpdir(), "berth-mcp-state-"));
  const args = ["--dir", dir, "--state-dir", stateDir, "--port-range", "29300-29399"];
  let first: { client: Client; stderr: () => string };
  let second: { client: Client; stderr: () => string } | undefined;
  const errors: Error[] = [];

  beforeAll(async () => {
    first = await stdioClient([...args, "--http", "127.0.0.1:29451"]);
    first.client.onerror = (err) => errors.push(err);
  });

  afterAll(async () => {
    await second?.client.close();
    await first?.client.close();
    await removeProjects([`default.${web}`]);
    cleanupDirs(dir, stateDir);
  });

  it("runs the operator in process: apply, wait with progress, the port answers", async () => {
    const { tools } = await first.client.listTools();
    expect(tools).toHaveLength(15);
    const applied = await call(first.client, "apply_project", { documents: webProject(web) });
    expect(applied.isError, text(applied)).toBeFalsy();
    const progress: string[] = [];
    const waited = await call(first.client, "wait_for_project", { name: web }, (p) =>
      progress.push(p.message ?? ""),
    );
    expect(waited.isError, text(waited)).toBeFalsy();
    expect(progress.length).toBeGreaterThan(0);
    const url: string = waited.structuredContent?.projects[0].ports[0].url;
    expect(Number(new URL(url).port)).toBeGreaterThanOrEqual(29300);
    const body = await eventually(async () => {
      const res = await fetch(url);
      return res.ok ? res.text() : undefined;
    });
    expect(body.trim()).toBe(`hello-${web}`);
    expect(first.stderr()).toContain("serving http://127.0.0.1:29451/mcp");
    expect(errors).toEqual([]); // stdout carried nothing but MCP frames
  });

  it("a second berth mcp on the same directory forwards to the first instead of reconciling", async () => {
    second = await stdioClient([...args, "--http", "127.0.0.1:29452", "--log-level", "info"]);
    const listed = await call(second.client, "list_projects", {});
    expect(listed.structuredContent?.projects.map((p: { name: string }) => p.name)).toEqual([web]);
    expect(second.stderr()).toMatch(/forwarding to it.*29451\/mcp/);
    const progress: string[] = [];
    const patched = await call(
      second.client,
      "patch_project",
      { name: web, patch: { spec: { containers: { web: { env: { MODE: "proxied" } } } } }, wait: true },
      (p) => progress.push(p.message ?? ""),
    );
    expect(patched.isError, text(patched)).toBeFalsy();
    expect(patched.structuredContent?.wait.outcome).toBe("converged");
    expect(progress.length).toBeGreaterThan(0);
    const missing = await call(second.client, "get_project", { name: "nope" });
    expect(missing.isError).toBe(true);
    const deleted = await call(first.client, "delete_project", { name: web, wait: true });
    expect(deleted.isError, text(deleted)).toBeFalsy();
  });

  it("a v2 client (2026-07-28) over stdio reaches the same daemon, read-only when asked", async () => {
    const env = readTestEnv();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        join(ROOT, "bin", "berth.js"),
        "mcp",
        "--docker",
        env.dockerHost,
        ...args,
        "--http",
        "127.0.0.1:29453",
        "--mcp-read-only",
      ],
      cwd: ROOT,
      stderr: "pipe",
    });
    const modern = new ModernClient(
      { name: "v2-stdio", version: "1" },
      { versionNegotiation: { mode: { pin: "2026-07-28" } } },
    );
    await modern.connect(transport);
    try {
      const { tools } = await modern.listTools();
      expect(tools.map((t) => t.name)).toContain("diagnose_project");
      expect(tools.map((t) => t.name)).not.toContain("apply_project");
      const listed = await modern.callTool({ name: "list_projects", arguments: {} });
      expect(listed.isError).toBeFalsy();
      const refused = await modern.callTool({
        name: "apply_project",
        arguments: { documents: webProject("ro") },
      });
      expect(refused.isError).toBe(true);
    } finally {
      await modern.close();
    }
  });
});
