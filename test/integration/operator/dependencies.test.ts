import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContainerStatus, ProjectStatus } from "../../../src/api/types.js";
import { api, cleanupDirs, docker, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../../../bin/berth.js", import.meta.url));
const IMAGE = "berth-test/busybox:1";
const suffix = Math.random().toString(36).slice(2, 7);

async function status(d: Daemon, name: string): Promise<ProjectStatus | undefined> {
  const r = await api(d, `/api/v1/projects/deps/${name}`);
  if (!r.ok) return undefined;
  return ((await r.json()) as { status: ProjectStatus }).status;
}

async function until(
  d: Daemon,
  name: string,
  what: string,
  ok: (s: ProjectStatus) => boolean,
  timeoutMs = 60_000,
): Promise<ProjectStatus> {
  return eventually(
    async () => {
      const s = await status(d, name);
      return s && ok(s) ? s : undefined;
    },
    timeoutMs,
    `${name}: ${what}`,
  );
}

const byName = (s: ProjectStatus, c: string): ContainerStatus | undefined =>
  s.containers?.find((x) => x.name === c);

/** Container start events of one project since `since` (seconds), as container names in order. */
async function starts(project: string, since: number): Promise<string[]> {
  const stream = await docker().getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ["container"], event: ["start"], label: [`berth.dev/project=${project}`] },
  });
  const chunks: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
  const events = Buffer.concat(chunks)
    .toString()
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(
      (l) => JSON.parse(l) as { timeNano: number; Actor: { Attributes: Record<string, string | undefined> } },
    );
  events.sort((a, b) => a.timeNano - b.timeNano);
  return events.map((e) => e.Actor.Attributes["berth.dev/container"] ?? "?");
}

/** db (slow to be healthy) → migrate (a job) → api (Healthy) → worker (Started). */
function stack(name: string, workerEnv: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${name}, namespace: deps}
spec:
  containers:
    - name: worker
      image: ${IMAGE}
      command: ["sh", "-c", "exec sleep 3600"]
      env: [{name: MODE, value: "${workerEnv}"}]
      dependsOn: [{name: api, condition: Started}]
    - name: api
      image: ${IMAGE}
      command: ["sh", "-c", "mkdir -p /www && echo api > /www/index.html && exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
      healthCheck:
        httpGet: {path: /, port: http}
        periodSeconds: 1
      dependsOn:
        - {name: db, condition: Healthy}
        - {name: migrate, condition: Completed}
    - name: migrate
      image: ${IMAGE}
      command: ["sh", "-c", "sleep 1; echo migrated"]
      restartPolicy: Never
      dependsOn: [{name: db, condition: Healthy}]
    - name: db
      image: ${IMAGE}
      command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 3600"]
      healthCheck:
        exec: {command: ["test", "-f", "/tmp/ready"]}
        periodSeconds: 1
`;
}

describe("dependsOn and jobs against the real engine", () => {
  const name = `stack-${suffix}`;
  const failing = `fails-${suffix}`;
  const daemons: Daemon[] = [];
  let dir = "";
  let stateDir = "";
  let first: Daemon;
  beforeAll(async () => {
    first = await startDaemon({ portRange: "27800-27849", extraArgs: ["--resync", "2s"] });
    daemons.push(first);
    dir = first.dir;
    stateDir = first.stateDir;
  }, 60_000);
  afterAll(async () => {
    for (const d of daemons) await d.stop("SIGKILL");
    await removeProjects([`deps.${name}`, `deps.${failing}`]);
    cleanupDirs(dir, stateDir);
  });

  it("starts db, then the migration job, then api once the job completed, then worker", async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    writeFileSync(join(dir, `${name}.yaml`), stack(name, "a"));
    const s = await until(first, name, "Running", (x) => x.phase === "Running");
    expect(byName(s, "migrate")).toMatchObject({ reason: "Completed", exitCode: 0, state: "exited" });
    expect(s.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    const order = await starts(`deps.${name}`, since);
    expect(order).toEqual(["db", "migrate", "api", "worker"]);
    const url = s.ports?.find((p) => p.container === "api")?.url ?? "";
    expect(await (await fetch(url)).text()).toBe("api\n");
  }, 90_000);

  it("replaces only the worker when only the worker changed, and never runs the job again", async () => {
    const before = (await status(first, name))!;
    const ids = new Map(before.containers?.map((c) => [c.name, c.containerID]));
    const since = Math.floor(Date.now() / 1000);
    writeFileSync(join(dir, `${name}.yaml`), stack(name, "b"));
    const after = await until(
      first,
      name,
      "worker replaced",
      (x) => x.phase === "Running" && byName(x, "worker")?.containerID !== ids.get("worker"),
    );
    for (const c of ["db", "api", "migrate"]) expect(byName(after, c)?.containerID).toBe(ids.get(c));
    // A few resyncs (every 2 s) later the job has still not been started again.
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await starts(`deps.${name}`, since)).toEqual(["worker"]);
  }, 90_000);

  it("keeps the completed job after an operator restart", async () => {
    const before = (await status(first, name))!;
    const migrateId = byName(before, "migrate")?.containerID;
    await first.stop();
    const since = Math.floor(Date.now() / 1000);
    const second = await startDaemon({
      dir,
      stateDir,
      portRange: "27800-27849",
      extraArgs: ["--resync", "2s"],
    });
    daemons.push(second);
    const s = await until(second, name, "Running again", (x) => x.phase === "Running");
    expect(byName(s, "migrate")).toMatchObject({ containerID: migrateId, reason: "Completed" });
    await new Promise((r) => setTimeout(r, 5_000));
    expect(await starts(`deps.${name}`, since)).toEqual([]);
    first = second;
  }, 90_000);

  it("reports a job that exits 3 as Failed with its exit code and last lines, and its dependent as Waiting", async () => {
    writeFileSync(
      join(dir, `${failing}.yaml`),
      `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${failing}, namespace: deps}
spec:
  containers:
    - name: migrate
      image: ${IMAGE}
      command: ["sh", "-c", "echo applying 0042; echo 'relation users already exists' >&2; exit 3"]
      restartPolicy: Never
    - name: api
      image: ${IMAGE}
      command: ["sh", "-c", "exec sleep 3600"]
      dependsOn: [{name: migrate, condition: Completed}]
`,
    );
    const s = await until(first, failing, "migrate Failed", (x) => byName(x, "migrate")?.reason === "Failed");
    const job = byName(s, "migrate")!;
    expect(job.exitCode).toBe(3);
    await until(first, failing, "last lines in status", (x) =>
      (byName(x, "migrate")?.message ?? "").includes("relation users already exists"),
    );
    const api2 = byName((await status(first, failing))!, "api");
    expect(api2?.reason).toBe("Waiting");
    expect(api2?.message).toMatch(/migrate/);
    expect(api2?.containerID ?? "").toBe("");
    expect((await status(first, failing))?.phase).not.toBe("Running");
  }, 90_000);
});

describe("a dependency cycle", () => {
  const dir = mkdtempSync(join(tmpdir(), "berth-cycle-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("is refused by validate with file:line and the cycle's path", async () => {
    const file = join(dir, "cycle.yaml");
    writeFileSync(
      file,
      `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: cycle, namespace: deps}
spec:
  containers:
    - name: a
      image: ${IMAGE}
      dependsOn: [{name: b}]
    - name: b
      image: ${IMAGE}
      dependsOn: [{name: a}]
`,
    );
    const err = await run(process.execPath, [BIN, "validate", file]).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(err?.code).not.toBe(0);
    expect(`${err?.stdout}${err?.stderr}`).toMatch(/cycle\.yaml:8:\d+ .*dependency cycle: a → b → a/);
  });
});

describe("deleting a project whose processes ignore SIGTERM", () => {
  const name = `stubborn-${suffix}`;
  const n = 30;
  const grace = 3;
  let d: Daemon;
  beforeAll(async () => {
    d = await startDaemon({ portRange: "27850-27859", extraArgs: ["--stop-timeout", `${grace}s`] });
  }, 60_000);
  afterAll(async () => {
    await d.stop("SIGKILL");
    await removeProjects([`deps.${name}`]);
    cleanupDirs(d.dir, d.stateDir);
  });

  it(`takes about one stop grace for ${n} containers, not ${n}`, async () => {
    const containers = Array.from(
      { length: n },
      (_, i) =>
        `    - {name: c${i}, image: ${IMAGE}, command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]}`,
    ).join("\n");
    const file = join(d.dir, `${name}.yaml`);
    writeFileSync(
      file,
      `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: ${name}, namespace: deps}\nspec:\n  containers:\n${containers}\n`,
    );
    await until(d, name, "Running", (x) => x.phase === "Running", 120_000);
    const filters = JSON.stringify({ label: [`berth.dev/project=deps.${name}`] });
    const started = Date.now();
    rmSync(file);
    await eventually(
      async () => (await docker().listContainers({ all: true, filters })).length === 0,
      120_000,
      `${name} removed`,
      100,
    );
    const seconds = (Date.now() - started) / 1000;
    // One grace plus the removals; one stop after another would take n × grace = 90 s.
    expect(seconds).toBeGreaterThanOrEqual(grace - 0.5);
    expect(seconds).toBeLessThan(grace * 4);
  }, 240_000);
});
