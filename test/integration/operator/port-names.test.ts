import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { execIn } from "./cli-run.js";
import { api, cleanupDirs, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const IMAGE = "berth-test/busybox:1";
const project = `ports-${Math.random().toString(36).slice(2, 7)}`;
const RANGE = "27930-27939";

/** Two web servers, each with a port named http and a check on it; only `a` serves /ok at first. */
const SPEC = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${project}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
${["a", "b"]
  .map(
    (c) => `    - name: ${c}
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www; ${c === "a" ? "echo ok > /www/ok; " : ""}exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
      healthCheck: {httpGet: {path: /ok, port: http}, periodSeconds: 1, failureThreshold: 1}`,
  )
  .join("\n")}
`;

async function status(d: Daemon): Promise<ProjectStatus | undefined> {
  const r = await api(d, `/api/v1/projects/default/${project}`);
  return r.ok ? ((await r.json()) as { status: ProjectStatus }).status : undefined;
}

const health = (s: ProjectStatus | undefined, c: string) => s?.containers?.find((x) => x.name === c)?.health;
const hostPort = (s: ProjectStatus | undefined, c: string) =>
  s?.ports?.find((p) => p.container === c && p.name === "http")?.hostPort;

describe("port names are per container (real Docker)", () => {
  let d: Daemon;

  beforeAll(async () => {
    d = await startDaemon({ portRange: RANGE });
  }, 60_000);
  afterAll(async () => {
    await d?.stop("SIGKILL");
    await removeProjects([`default.${project}`]);
    cleanupDirs(d.dir, d.stateDir);
  });

  it("gives two containers' `http` ports their own stable host ports, and probes each its own", async () => {
    writeFileSync(join(d.dir, `${project}.yaml`), SPEC);
    const first = await eventually(
      async () => {
        const s = await status(d);
        return health(s, "a") === "healthy" && health(s, "b") === "unhealthy" ? s : undefined;
      },
      60_000,
      "a healthy, b unhealthy",
    );
    const [pa, pb] = [hostPort(first, "a"), hostPort(first, "b")];
    expect(pa).toBeGreaterThanOrEqual(27930);
    expect(pb).toBeGreaterThanOrEqual(27930);
    expect(pa).not.toBe(pb);
    expect(first.conditions?.find((c) => c.type === "SpecValid")?.status).toBe("True");

    // b starts serving /ok on its own port: its own check passes
    const b = first.containers?.find((c) => c.name === "b")?.containerID ?? "";
    await execIn(b, ["sh", "-c", "echo ok > /www/ok"]);
    await eventually(async () => health(await status(d), "b") === "healthy", 30_000, "b healthy");

    // stable: the same host ports after the operator restarts
    await d.stop();
    d = await startDaemon({ dir: d.dir, stateDir: d.stateDir, portRange: RANGE });
    const again = await eventually(async () => {
      const s = await status(d);
      return s?.phase === "Running" ? s : undefined;
    }, 60_000);
    expect([hostPort(again, "a"), hostPort(again, "b")]).toEqual([pa, pb]);
  }, 180_000);
});
