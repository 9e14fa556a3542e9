import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { api, cleanupDirs, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const IMAGE = "berth-test/busybox:1";
const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const suffix = Math.random().toString(36).slice(2, 7);

interface View {
  namespace: string;
  name: string;
  status: ProjectStatus;
}

function spec(
  name: string,
  command = "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www",
  policy = "Always",
): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: life}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", ${JSON.stringify(command)}]
      ports: [{name: http, containerPort: 8080}]
      restartPolicy: ${policy}
`;
}

async function list(d: Daemon): Promise<View[]> {
  const r = await api(d, `/api/v1/projects?namespace=life`);
  return ((await r.json()) as { items: View[] }).items.filter((v) => v.namespace === "life");
}

async function allRunning(d: Daemon, names: string[], timeoutMs = 60_000): Promise<View[]> {
  return eventually(
    async () => {
      const views = await list(d);
      const mine = views.filter((v) => names.includes(v.name));
      return mine.length === names.length && mine.every((v) => v.status.phase === "Running")
        ? mine
        : undefined;
    },
    timeoutMs,
    `${names.length} projects Running`,
  );
}

const ids = (views: View[]) => new Map(views.map((v) => [v.name, v.status.containers?.[0]?.containerID]));

describe("operator and engine restarts", () => {
  const names = Array.from({ length: 20 }, (_, i) => `r${i}-${suffix}`);
  const daemons: Daemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop("SIGKILL");
    await removeProjects([...names, `crash-${suffix}`].map((n) => `life.${n}`));
    cleanupDirs(...daemons.flatMap((d) => [d.dir, d.stateDir]));
  });

  it("restarted after SIGKILL with 20 running projects, it replaces no container and all are Ready again", async () => {
    const first = await startDaemon({ portRange: "26000-26999" });
    daemons.push(first);
    for (const n of names) writeFileSync(join(first.dir, `${n}.yaml`), spec(n));
    const before = ids(await allRunning(first, names));
    expect([...before.values()].every((id) => id && id.length === 64)).toBe(true);
    await first.stop("SIGKILL");

    const second = await startDaemon({ dir: first.dir, stateDir: first.stateDir, portRange: "26000-26999" });
    daemons.push(second);
    const after = ids(await allRunning(second, names));
    expect(after).toEqual(before);
    const created = await api(second, `/metrics`).then((r) => r.text());
    expect(created).not.toMatch(/berth_docker_api_requests_total\{op="createContainer",result="ok"\} [1-9]/);
  });

  it("shows the restart count of a container that keeps failing", async () => {
    const d = daemons[daemons.length - 1];
    if (!d) throw new Error("no daemon");
    const n = `crash-${suffix}`;
    writeFileSync(join(d.dir, `${n}.yaml`), spec(n, "sleep 1; exit 3", "OnFailure"));
    const v = await eventually(
      async () => {
        const views = await list(d);
        const c = views.find((x) => x.name === n)?.status.containers?.[0];
        return c && (c.restartCount ?? 0) >= 1 ? c : undefined;
      },
      30_000,
      "restartCount >= 1",
    );
    expect(v.restartCount).toBeGreaterThanOrEqual(1);
  });

  it("passes promtool's check of /metrics with the controller metric names", async () => {
    const d = daemons[daemons.length - 1];
    if (!d) throw new Error("no daemon");
    const text = await api(d, `/metrics`).then((r) => r.text());
    for (const name of [
      "controller_runtime_reconcile_total",
      "controller_runtime_reconcile_errors_total",
      "controller_runtime_reconcile_time_seconds",
      "controller_runtime_active_workers",
      "controller_runtime_max_concurrent_reconciles",
      "workqueue_depth",
      "workqueue_adds_total",
      "workqueue_retries_total",
      "workqueue_queue_duration_seconds",
      "workqueue_work_duration_seconds",
      "berth_docker_api_requests_total",
      "berth_docker_api_duration_seconds",
      "berth_convergence_seconds",
      "berth_projects",
      "process_resident_memory_bytes",
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    // promtool exits non-zero for format errors and for lint findings, printed on stderr.
    // The only findings allowed are three gauges prom-client's default Node metrics name *_total.
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    const findings = `${check.stdout}${check.stderr}`.split("\n").filter((l) => l.trim() !== "");
    const known =
      /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/;
    expect(findings.filter((l) => !known.test(l))).toEqual([]);
    expect(check.status === 0 || findings.length > 0).toBe(true);
  });

  const pidfile = join(ROOT, ".cache/test-env/dockerd.pid");
  const ownDockerd = existsSync(pidfile);
  it.skipIf(!ownDockerd)(
    "reconnects after dockerd restarts and converges the projects again",
    async () => {
      const d = daemons[daemons.length - 1];
      if (!d) throw new Error("no daemon");
      const pid = Number(readFileSync(pidfile, "utf8").trim());
      const t0 = Date.now();
      process.kill(pid, "SIGTERM");
      await eventually(
        () => {
          try {
            process.kill(pid, 0);
            return false;
          } catch {
            return true;
          }
        },
        60_000,
        "dockerd to exit",
      );
      const stopped = Date.now();
      execFileSync("bash", [join(ROOT, "scripts/test-env.sh"), "docker"], { stdio: "ignore" });
      const started = Date.now();
      const views = await allRunning(d, names, 150_000).catch(async (err: unknown) => {
        const now = (await list(d)).map(
          (v) =>
            `${v.name}:${v.status.phase}:${v.status.conditions?.find((c) => c.type === "Ready")?.message ?? ""}`,
        );
        throw new Error(`${String(err)}; now ${now.join(" | ")}\n${d.logs().slice(-3000)}`);
      });
      console.log(
        `dockerd stop ${stopped - t0} ms, start ${started - stopped} ms, projects Running ${Date.now() - started} ms later`,
      );
      expect(views).toHaveLength(names.length);
      for (const v of views.slice(0, 3)) {
        const url = v.status.ports?.[0]?.url ?? "";
        const body = await eventually(
          async () => {
            const r = await fetch(url);
            return r.ok ? r.text() : undefined;
          },
          30_000,
          `${url} answering`,
        );
        expect(body.trim()).toBe("ok");
      }
    },
    300_000,
  );
});
