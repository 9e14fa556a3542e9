import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { cleanupDirs, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

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
      const r = await fetch(`${d.url}/api/v1/projects/life/${NAME}`);
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
