import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dashboardQueries } from "../../helpers/dashboard-queries.js";
import { readTestEnv } from "../../helpers/env.js";
import { copyImage, startPrivateDockerd, type PrivateDockerd } from "../../helpers/private-dockerd.js";
import { startPrometheus, type TestPrometheus } from "../../helpers/prometheus.js";
import { httpClient } from "../mcp/helpers.js";
import { api, cleanupDirs, eventually, freePort, startDaemon, type Daemon } from "./daemon.js";

/*
 * Berth's alert rules and dashboard on a real Prometheus (Debian's, scripts/prometheus.sh)
 * scraping a real daemon every second. The daemon drives a Docker engine of this test's own
 * (test/helpers/private-dockerd.ts), so stopping that engine is a real outage nobody else sees:
 * BerthDockerUnreachable must go pending and then firing (its real `for: 1m`) through
 * Prometheus's alerts API, while /readyz says why it fails. Before that, every dashboard query
 * must return data. The rules file is the plain one, deploy/prometheus/berth-rules.yaml.
 */

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const RULES = join(ROOT, "deploy/prometheus/berth-rules.yaml");
const IMAGE = "berth-test/busybox:1";
const JOB = "berth";

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}
interface Alert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: "pending" | "firing";
}

function spec(name: string, command: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: prom}
spec:
  containers:
    - name: app
      image: ${IMAGE}
      command: ["sh", "-c", ${JSON.stringify(command)}]
`;
}

describe("alert rules and dashboard on a real Prometheus", () => {
  let engine: PrivateDockerd;
  let daemon: Daemon;
  let prom: TestPrometheus;
  let mcp: Client | undefined;

  beforeAll(async () => {
    const env = readTestEnv();
    engine = await startPrivateDockerd();
    await copyImage(IMAGE, env.dockerHost, engine);
    daemon = await startDaemon({
      portRange: "26500-26599",
      extraArgs: [
        "--docker",
        engine.host,
        "--network-pool",
        "10.233.0.0/16",
        "--redis",
        env.redisUrl,
        "--nats",
        env.natsUrl,
      ],
    });
    const target = daemon.url.replace("http://", "");
    prom = await startPrometheus({
      port: await freePort(),
      target,
      job: JOB,
      token: daemon.token,
      ruleFiles: [RULES],
    });
  }, 120_000);

  afterAll(async () => {
    await mcp?.close().catch(() => {});
    await prom?.stop();
    await daemon?.stop();
    await engine?.destroy();
    if (daemon) cleanupDirs(daemon.dir, daemon.stateDir);
  }, 60_000);

  const query = (expr: string) =>
    prom.api<{ resultType: string; result: Sample[] }>("query", { query: expr });

  it("scrapes the daemon, and every dashboard query returns data", async () => {
    await eventually(
      async () => (await query(`up{job="${JOB}"} == 1`)).result.length === 1,
      30_000,
      "prometheus to scrape the daemon",
    );
    // some work for every panel: projects that log (streams) and converge, reads, MCP calls
    writeFileSync(
      join(daemon.dir, "talker.yaml"),
      spec("talker", "while true; do echo tick; sleep 0.1; done"),
    );
    writeFileSync(join(daemon.dir, "idle.yaml"), spec("idle", "sleep 100000"));
    await eventually(
      async () => {
        const res = await api(daemon, "/api/v1/projects/prom/talker");
        const body = (await res.json()) as { status?: { phase?: string } };
        return body.status?.phase === "Running";
      },
      60_000,
      "talker to run",
    );
    for (let i = 0; i < 20; i++) await (await api(daemon, "/api/v1/projects")).text();
    mcp = await httpClient(daemon.url, daemon.token, "prometheus-test");
    await mcp.callTool({ name: "get_project", arguments: { namespace: "prom", name: "talker" } });
    await mcp.callTool({ name: "list_projects", arguments: {} });
    const missing = await mcp.callTool({
      name: "get_project",
      arguments: { namespace: "prom", name: "nope" },
    });
    expect(missing.isError).toBe(true);

    const queries = dashboardQueries("30s");
    expect(queries.length).toBeGreaterThan(20);
    const empty = await eventually(
      async () => {
        const none: string[] = [];
        for (const q of queries) {
          const r = await query(q.expr);
          if (r.result.length === 0) none.push(`${q.panel} [${q.refId}]: ${q.expr}`);
        }
        return none.length === 0 ? [] : undefined;
      },
      45_000,
      "every dashboard query to return data",
      2_000,
    ).catch(async (err: Error) => {
      const none: string[] = [];
      for (const q of queries)
        if ((await query(q.expr)).result.length === 0) none.push(`${q.panel}: ${q.expr}`);
      throw new Error(`${err.message}\nqueries without data:\n${none.join("\n")}`);
    });
    expect(empty).toEqual([]);
    const deps = await query(`berth_dependency_up{job="${JOB}"}`);
    expect(Object.fromEntries(deps.result.map((s) => [s.metric["dependency"], s.value[1]]))).toEqual({
      docker: "1",
      redis: "1",
      nats: "1",
    });
    const routes = await query(`count by (route) (berth_http_request_duration_seconds_count{job="${JOB}"})`);
    const names = routes.result.map((s) => s.metric["route"]);
    expect(names).toContain("/api/v1/projects/:namespace/:name");
    expect(names).toContain("/metrics");
    expect(names.some((n) => n?.includes("talker"))).toBe(false);
  }, 150_000);

  it("fires BerthDockerUnreachable after the engine stops, and /readyz says why", async () => {
    const quiet = await prom.api<{ alerts: Alert[] }>("alerts");
    expect(quiet.alerts.filter((a) => a.labels["alertname"] === "BerthDockerUnreachable")).toEqual([]);
    await engine.stop();
    const stoppedAt = Date.now();
    const ready = await eventually(
      async () => {
        const r = await fetch(`${daemon.url}/readyz`);
        return r.status === 503 ? await r.text() : undefined;
      },
      30_000,
      "/readyz to fail",
    );
    expect(ready).toContain("Docker is unreachable");
    expect(ready).toContain(engine.host);
    const alert = (state: Alert["state"]) =>
      eventually(
        async () => {
          const { alerts } = await prom.api<{ alerts: Alert[] }>("alerts");
          return alerts.find((a) => a.labels["alertname"] === "BerthDockerUnreachable" && a.state === state);
        },
        100_000,
        `BerthDockerUnreachable to be ${state}`,
        500,
      );
    const pending = await alert("pending");
    expect(pending.labels).toMatchObject({ dependency: "docker", job: JOB, severity: "critical" });
    const firing = await alert("firing");
    // the rule's for: 1m, counted from the first evaluation that saw the gauge at 0
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(60_000);
    expect(firing.annotations["runbook_url"]).toBe("README.md#berthdockerunreachable");
    expect(firing.annotations["summary"]).toContain(daemon.url.replace("http://", ""));
  }, 150_000);
});
