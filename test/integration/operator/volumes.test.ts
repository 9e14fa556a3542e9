import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { berth, execIn } from "./cli-run.js";
import { api, cleanupDirs, docker, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const IMAGE = "berth-test/busybox:1";
const suffix = Math.random().toString(36).slice(2, 7);
const db = `vol-db-${suffix}`;
const scratch = `vol-tmp-${suffix}`;
const RANGE = "27900-27919";

/** A "database": writes a random marker into its volume once, then serves nothing and waits. */
function spec(project: string, version: string, retain: "Keep" | "Delete" = "Keep"): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${project}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  volumes: [{name: data, retain: ${retain}}]
  containers:
    - name: db
      image: ${IMAGE}
      env: [{name: VERSION, value: "${version}"}]
      command: ["sh", "-c", "test -f /data/marker || cat /proc/sys/kernel/random/uuid > /data/marker; trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]
      volumes: [{volume: data, mountPath: /data}]
`;
}

async function status(d: Daemon, project: string): Promise<ProjectStatus | undefined> {
  const r = await api(d, `/api/v1/projects/default/${project}`);
  return r.ok ? ((await r.json()) as { status: ProjectStatus }).status : undefined;
}

/** The running db container's id once it differs from `not` (and the project is Running). */
async function runningId(d: Daemon, project: string, not?: string): Promise<string> {
  return eventually(
    async () => {
      const s = await status(d, project);
      const c = s?.containers?.find((x) => x.name === "db");
      return s?.phase === "Running" && c?.containerID && c.containerID !== not ? c.containerID : undefined;
    },
    60_000,
    `${project} running with a new container`,
  );
}

async function marker(id: string): Promise<string> {
  return eventually(
    async () => (await execIn(id, ["cat", "/data/marker"])).trim() || undefined,
    10_000,
    "marker",
  );
}

async function volumeExists(name: string): Promise<boolean> {
  const found = await docker().listVolumes({ filters: JSON.stringify({ name: [name] }) });
  return (found.Volumes ?? []).some((v) => v.Name === name);
}

describe("named volumes keep a database's data (real Docker)", () => {
  let d: Daemon;
  const dockerName = `berth-default-${db}-data`;

  beforeAll(async () => {
    d = await startDaemon({ portRange: RANGE });
  }, 60_000);
  afterAll(async () => {
    await d?.stop("SIGKILL");
    await removeProjects([`default.${db}`, `default.${scratch}`]);
    for (const v of [dockerName, `berth-default-${scratch}-data`])
      await docker()
        .getVolume(v)
        .remove()
        .catch(() => {});
    cleanupDirs(d.dir, d.stateDir);
  });

  it("survives replacement, an operator SIGKILL, and delete with retain Keep; a reset empties it", async () => {
    writeFileSync(join(d.dir, `${db}.yaml`), spec(db, "1"));
    const first = await runningId(d, db);
    const data = await marker(first);
    expect(data).toMatch(/^[0-9a-f-]{36}$/);

    // labelled with the project, named berth-<ns>-<name>-<volume>
    const info = await docker().getVolume(dockerName).inspect();
    expect(info.Labels).toMatchObject({
      "berth.dev/managed": "true",
      "berth.dev/project": `default.${db}`,
      "berth.dev/volume": "data",
      "berth.dev/retain": "Keep",
    });

    // an env change replaces the container; the data stays
    writeFileSync(join(d.dir, `${db}.yaml`), spec(db, "2"));
    const second = await runningId(d, db, first);
    expect(await marker(second)).toBe(data);

    // the operator is killed and started again: the container is kept, the data stays
    await d.stop("SIGKILL");
    d = await startDaemon({ dir: d.dir, stateDir: d.stateDir, portRange: RANGE });
    expect(await runningId(d, db)).toBe(second);
    writeFileSync(join(d.dir, `${db}.yaml`), spec(db, "3"));
    const third = await runningId(d, db, second);
    expect(await marker(third)).toBe(data);

    // delete with retain Keep: the container goes, the volume stays, a re-apply adopts it
    rmSync(join(d.dir, `${db}.yaml`));
    await eventually(async () => (await status(d, db)) === undefined, 30_000, `${db} deleted`);
    await eventually(
      async () =>
        (
          await docker().listContainers({
            all: true,
            filters: JSON.stringify({ label: [`berth.dev/project=default.${db}`] }),
          })
        ).length === 0,
      30_000,
      "containers removed",
    );
    expect(await volumeExists(dockerName)).toBe(true);
    const ls = await berth(d, "volume", "ls");
    expect(ls.code, ls.err).toBe(0);
    expect(ls.out).toMatch(new RegExp(`default/${db}\\s+data\\s+Keep\\s+<unclaimed>\\s+${dockerName}`));
    writeFileSync(join(d.dir, `${db}.yaml`), spec(db, "3"));
    const fourth = await runningId(d, db, third);
    expect(await marker(fourth)).toBe(data);

    // volume reset: its users are removed, the volume recreated, and they start on an empty one
    const reset = await berth(d, "volume", "reset", db, "data");
    expect(reset.code, reset.err).toBe(0);
    expect(reset.out).toContain(`volume data of default/${db} reset`);
    const fifth = await runningId(d, db, fourth);
    const fresh = await marker(fifth);
    expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh).not.toBe(data);
  }, 240_000);

  it("removes a retain: Delete volume with its project, and names an unknown volume on reset", async () => {
    const volume = `berth-default-${scratch}-data`;
    writeFileSync(join(d.dir, `${scratch}.yaml`), spec(scratch, "1", "Delete"));
    await runningId(d, scratch);
    expect(await volumeExists(volume)).toBe(true);

    const unknown = await berth(d, "volume", "reset", scratch, "nope");
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain(`project default/${scratch} has no volume "nope" (it declares data)`);

    rmSync(join(d.dir, `${scratch}.yaml`));
    await eventually(async () => !(await volumeExists(volume)), 30_000, `${volume} removed`);
  }, 120_000);
});
