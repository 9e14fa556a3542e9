import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { api, cleanupDirs, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const suffix = Math.random().toString(36).slice(2, 7);
const NAME = `once-${suffix}`;

function spec(state: "Running" | "Stopped"): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${NAME}, namespace: life}
spec:
  state: ${state}
  containers:
    - name: web
      image: berth-test/busybox:1
      command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
      restartPolicy: OnFailure
`;
}

async function phase(d: Daemon, want: string): Promise<ProjectStatus> {
  return eventually(
    async () => {
      const r = await api(d, `/api/v1/projects/life/${NAME}`);
      if (!r.ok) return undefined;
      const { status } = (await r.json()) as { status: ProjectStatus };
      return status.phase === want ? status : undefined;
    },
    30_000,
    `${NAME} ${want}`,
  );
}

describe("a container Berth stopped, across an operator restart", () => {
  const daemons: Daemon[] = [];
  afterAll(async () => {
    for (const d of daemons) await d.stop("SIGKILL");
    await removeProjects([`life.${NAME}`]);
    cleanupDirs(...daemons.flatMap((d) => [d.dir, d.stateDir]));
  });

  it("starts an OnFailure container again when the spec says Running while the operator was down", async () => {
    const first = await startDaemon({ portRange: "27750-27759" });
    daemons.push(first);
    writeFileSync(join(first.dir, `${NAME}.yaml`), spec("Running"));
    const running = await phase(first, "Running");
    const id = running.containers?.[0]?.containerID;
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    writeFileSync(join(first.dir, `${NAME}.yaml`), spec("Stopped"));
    const stopped = await phase(first, "Stopped");
    expect(stopped.containers?.[0]).toMatchObject({ containerID: id, state: "exited" });
    await first.stop();

    writeFileSync(join(first.dir, `${NAME}.yaml`), spec("Running"));
    const second = await startDaemon({ dir: first.dir, stateDir: first.stateDir, portRange: "27750-27759" });
    daemons.push(second);
    const again = await phase(second, "Running");
    expect(again.containers?.[0]).toMatchObject({ containerID: id, state: "running" });
    const url = again.ports?.[0]?.url ?? "";
    expect(await (await fetch(url)).text()).toBe("ok\n");
  }, 120_000);
});

describe("a host port taken by another operator while a project was stopped", () => {
  const daemons: Daemon[] = [];
  const p = `hold-${suffix}`;
  const q = `take-${suffix}`;
  afterAll(async () => {
    for (const d of daemons) await d.stop("SIGKILL");
    await removeProjects([`life.${p}`, `life.${q}`]);
    cleanupDirs(...daemons.flatMap((d) => [d.dir, d.stateDir]));
  });

  function webSpec(name: string, state: "Running" | "Stopped"): string {
    return spec(state).replaceAll(NAME, name).replace("OnFailure", "Always");
  }

  async function projectPhase(d: Daemon, name: string, want: string): Promise<ProjectStatus> {
    return eventually(
      async () => {
        const r = await api(d, `/api/v1/projects/life/${name}`);
        const status = r.ok ? ((await r.json()) as { status: ProjectStatus }).status : undefined;
        return status?.phase === want ? status : undefined;
      },
      30_000,
      `${name} ${want}`,
    );
  }

  it("allocates another port when starting finds its own taken, instead of failing forever", async () => {
    const x = await startDaemon({ portRange: "27760-27761" });
    daemons.push(x);
    writeFileSync(join(x.dir, `${p}.yaml`), webSpec(p, "Running"));
    const held = (await projectPhase(x, p, "Running")).ports?.[0]?.hostPort ?? 0;
    expect([27760, 27761]).toContain(held);
    writeFileSync(join(x.dir, `${p}.yaml`), webSpec(p, "Stopped"));
    await projectPhase(x, p, "Stopped");

    // Another operator (its own registry) takes the port while it is not bound.
    const y = await startDaemon({ portRange: `${held}-${held}` });
    daemons.push(y);
    writeFileSync(join(y.dir, `${q}.yaml`), webSpec(q, "Running"));
    expect((await projectPhase(y, q, "Running")).ports?.[0]?.hostPort).toBe(held);

    writeFileSync(join(x.dir, `${p}.yaml`), webSpec(p, "Running"));
    const moved = await projectPhase(x, p, "Running");
    expect(moved.ports?.[0]?.hostPort).toBe(held === 27760 ? 27761 : 27760);
    expect(await (await fetch(moved.ports?.[0]?.url ?? "")).text()).toBe("ok\n");
    expect(x.logs()).toContain("host port taken by another publisher");
  }, 120_000);
});
