import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupDirs, startDaemon, type Daemon } from "../operator/daemon.js";
import { ROOT } from "./helpers.js";

const run = promisify(execFile);

/**
 * The scenarios of @modelcontextprotocol/conformance that apply to a server with tools, resources
 * and prompts, run at their spec version against a real daemon's /mcp (scripts/mcp-conformance.sh).
 * The daemon runs without a token: the suite sends none.
 */
const MODERN = [
  "server-stateless",
  "caching",
  "http-header-validation",
  "tools-list",
  "resources-list",
  "prompts-list",
  "sep-2164-resource-not-found",
  "dns-rebinding-protection",
];
const LEGACY = [
  "server-initialize",
  "server-session-lifecycle",
  "ping",
  "tools-list",
  "server-sse-multiple-streams",
  "dns-rebinding-protection",
  "resources-list",
  "prompts-list",
  "resources-subscribe",
  "resources-unsubscribe",
];

/**
 * Checks that need the suite's own fixture tools (test_missing_capability and the like), which a
 * real server does not have; the suite itself reports them as "not testable". README lists them.
 */
const NEEDS_FIXTURE_TOOLS = new Set([
  "sep-2575-server-rejects-undeclared-capability",
  "sep-2575-missing-capability-http-400",
  "sep-2575-http-server-no-independent-requests-on-stream",
  "sep-2575-server-no-log-without-loglevel",
  "sep-2575-server-sends-prompts-list-changed-on-subscription",
  "sep-2575-server-sends-tools-list-changed-on-subscription",
]);

async function conformance(url: string, version: string, scenarios: string[]): Promise<string[]> {
  const { stdout } = await run("bash", ["scripts/mcp-conformance.sh", "run", url, version, ...scenarios], {
    cwd: ROOT,
    timeout: 300_000,
  });
  return stdout.trim().split("\n");
}

function failures(lines: string[]): { scenario: string; passed: number; total: number; failed: string[] }[] {
  return lines.map((line) => {
    const m = /^(\S+) (\d+)\/(\d+)(?: failed: (\S+))?/.exec(line);
    if (!m) throw new Error(`unexpected conformance output: ${line}`);
    return {
      scenario: m[1] ?? "",
      passed: Number(m[2]),
      total: Number(m[3]),
      failed: (m[4] ?? "").split(",").filter(Boolean),
    };
  });
}

describe("the MCP conformance suite against /mcp", () => {
  let daemon: Daemon;

  beforeAll(async () => {
    await run("bash", ["scripts/mcp-conformance.sh", "setup"], { cwd: ROOT, timeout: 300_000 });
    daemon = await startDaemon({ portRange: "29300-29399", extraArgs: ["--no-auth"] });
  }, 320_000);

  afterAll(async () => {
    await daemon?.stop();
    if (daemon) cleanupDirs(daemon.dir, daemon.stateDir);
  });

  it("passes the 2026-07-28 server scenarios", async () => {
    const results = failures(await conformance(`${daemon.url}/mcp`, "2026-07-28", MODERN));
    console.log(results.map((r) => `2026-07-28 ${r.scenario}: ${r.passed}/${r.total}`).join("\n"));
    expect(results.map((r) => r.scenario)).toEqual(MODERN);
    for (const r of results) {
      expect(r.total, r.scenario).toBeGreaterThan(0);
      expect(
        r.failed.filter((id) => !NEEDS_FIXTURE_TOOLS.has(id)),
        r.scenario,
      ).toEqual([]);
    }
  }, 300_000);

  it("still passes the 2025-11-25 server scenarios", async () => {
    const results = failures(await conformance(`${daemon.url}/mcp`, "2025-11-25", LEGACY));
    console.log(results.map((r) => `2025-11-25 ${r.scenario}: ${r.passed}/${r.total}`).join("\n"));
    expect(results.map((r) => r.scenario)).toEqual(LEGACY);
    for (const r of results) {
      expect(r.total, r.scenario).toBeGreaterThan(0);
      expect(r.failed, r.scenario).toEqual([]);
    }
  }, 300_000);
});
