import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Condition, ContainerStatus, Project, ProjectStatus } from "../../../src/api/types.js";
import { call, httpClient, text } from "../mcp/helpers.js";
import {
  api,
  cleanupDirs,
  eventually,
  freePort,
  removeProjects,
  startDaemon,
  type Daemon,
} from "../operator/daemon.js";

const run = promisify(execFile);
const BIN = fileURLToPath(new URL("../../../bin/berth.js", import.meta.url));
const IMAGE = "berth-test/busybox:1";
const suffix = Math.random().toString(36).slice(2, 7);
const NS = "compose";
const NAME = `live-${suffix}`;

/** A db that becomes healthy, a one-shot migration job, and an api that waits for both. */
function composeFile(apiPort: number, dbPort: number, greeting: string): string {
  return `name: ${NAME}
x-berth:
  namespace: ${NS}
services:
  db:
    image: ${IMAGE}
    command: ["sh", "-c", "sleep 1; touch /tmp/ready; mkdir -p /www; echo db > /www/index.html; exec httpd -f -p 5432 -h /www"]
    ports: ["${dbPort}:5432"]
    restart: always
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 1s
      retries: 30
  migrate:
    image: ${IMAGE}
    command: sh -c 'echo migrated'
    restart: "no"
    depends_on:
      db: {condition: service_healthy}
  api:
    image: ${IMAGE}
    entrypoint: ["sh", "-c"]
    command: ["mkdir -p /www && echo $$GREETING > /www/index.html && exec httpd -f -p 8080 -h /www"]
    environment:
      GREETING: ${greeting}
    ports:
      - "${apiPort}:8080"
    restart: always
    depends_on:
      db: {condition: service_healthy}
      migrate: {condition: service_completed_successfully}
`;
}

async function status(d: Daemon): Promise<ProjectStatus | undefined> {
  const r = await api(d, `/api/v1/projects/${NS}/${NAME}`);
  if (!r.ok) return undefined;
  return ((await r.json()) as { status: ProjectStatus }).status;
}

async function until(d: Daemon, what: string, ok: (s: ProjectStatus) => boolean): Promise<ProjectStatus> {
  return eventually(
    async () => {
      const s = await status(d);
      return s && ok(s) ? s : undefined;
    },
    60_000,
    `${NAME}: ${what}`,
  );
}

const byName = (s: ProjectStatus, c: string): ContainerStatus | undefined =>
  s.containers?.find((x) => x.name === c);
const condition = (s: ProjectStatus, t: string): Condition | undefined =>
  s.conditions?.find((c) => c.type === t);

describe("a live compose project against the real engine", () => {
  let d: Daemon;
  let appDir = "";
  let apiPort = 0;
  let dbPort = 0;
  const outDir = mkdtempSync(join(tmpdir(), "berth-import-"));
  beforeAll(async () => {
    d = await startDaemon({ portRange: "27850-27899", extraArgs: ["--resync", "2s"] });
    appDir = join(d.dir, "app");
    mkdirSync(appDir);
    apiPort = await freePort();
    dbPort = await freePort();
  }, 60_000);
  afterAll(async () => {
    await d.stop("SIGKILL");
    await removeProjects([`${NS}.${NAME}`]);
    cleanupDirs(d.dir, d.stateDir);
    rmSync(outDir, { recursive: true, force: true });
  });

  it("runs db, the migration job and the api, and every published port answers", async () => {
    writeFileSync(join(appDir, "compose.yaml"), composeFile(apiPort, dbPort, "hello"));
    const s = await until(d, "Running", (x) => x.phase === "Running");
    expect(byName(s, "migrate")).toMatchObject({ reason: "Completed", exitCode: 0 });
    expect(condition(s, "SpecValid")?.status).toBe("True");
    const ports = s.ports ?? [];
    expect(ports.map((p) => p.hostPort).sort()).toEqual([apiPort, dbPort].sort());
    for (const p of ports) {
      const r = await fetch(p.url ?? "");
      expect(r.status, `${p.container} on ${p.url}`).toBe(200);
    }
    expect(await (await fetch(`http://127.0.0.1:${apiPort}/`)).text()).toBe("hello\n");
  }, 90_000);

  it("replaces only the api when its environment changes, on the same host port", async () => {
    const before = (await status(d))!;
    const ids = new Map(before.containers?.map((c) => [c.name, c.containerID]));
    writeFileSync(join(appDir, "compose.yaml"), composeFile(apiPort, dbPort, "changed"));
    const after = await until(
      d,
      "api replaced",
      (x) => x.phase === "Running" && byName(x, "api")?.containerID !== ids.get("api"),
    );
    expect(byName(after, "db")?.containerID).toBe(ids.get("db"));
    expect(byName(after, "migrate")?.containerID).toBe(ids.get("migrate"));
    await eventually(
      async () =>
        (await fetch(`http://127.0.0.1:${apiPort}/`).then(
          (r) => r.text(),
          () => "",
        )) === "changed\n"
          ? true
          : undefined,
      30_000,
      "api answers with the new greeting",
    );
  }, 90_000);

  it("keeps running on a syntax error and reports SpecValid=False with the line", async () => {
    const before = (await status(d))!;
    const broken = composeFile(apiPort, dbPort, "changed").replace("  api:\n", "  api:\n   bad: [unclosed\n");
    writeFileSync(join(appDir, "compose.yaml"), broken);
    const s = await until(d, "SpecValid=False", (x) => condition(x, "SpecValid")?.status === "False");
    const line = broken.split("\n").findIndex((l) => l.includes("bad: [unclosed")) + 1;
    expect(condition(s, "SpecValid")?.message).toMatch(new RegExp(`compose\\.yaml:(${line}|${line + 1}):`));
    expect(s.containers?.map((c) => c.containerID)).toEqual(before.containers?.map((c) => c.containerID));
    expect((await fetch(`http://127.0.0.1:${apiPort}/`)).status).toBe(200);
    writeFileSync(join(appDir, "compose.yaml"), composeFile(apiPort, dbPort, "changed"));
    await until(d, "SpecValid=True again", (x) => condition(x, "SpecValid")?.status === "True");
  }, 90_000);

  it("refuses MCP writes to the compose-backed project with a hint, and import_compose plans without writing", async () => {
    const client = await httpClient(d.url, d.token);
    try {
      const refused = await call(client, "set_project_state", {
        name: NAME,
        namespace: NS,
        state: "Stopped",
      });
      expect(refused.isError).toBe(true);
      expect(JSON.stringify(refused.content)).toMatch(/compose file .*berth import compose/s);
      const plan = await call(client, "import_compose", { compose: composeFile(apiPort, dbPort, "mcp") });
      expect(plan.isError).toBeFalsy();
      expect(plan.structuredContent?.["converted"]).toBe(true);
      expect(String(plan.structuredContent?.["project"])).toContain(`name: ${NAME}`);
      const lossy = await call(client, "import_compose", {
        compose: "services:\n  a:\n    image: x\n    privileged: true\n",
      });
      expect(lossy.isError).toBe(true);
      expect(lossy.structuredContent?.["findings"]).toEqual([
        expect.objectContaining({ severity: "error", key: "services.a.privileged", line: 4, column: 5 }),
      ]);
      const offline = await call(client, "import_compose", {
        compose: "include: [/etc/hostname.yaml]\nservices: {}\n",
      });
      expect(offline.isError).toBe(true);
      expect(text(offline)).toMatch(/not readable here/);
    } finally {
      await client.close();
    }
    expect((await status(d))?.phase).toBe("Running");
  }, 60_000);

  it("imports to a Project spec that validates and equals the live project's spec", async () => {
    const imported = await run(process.execPath, [
      BIN,
      "import",
      "compose",
      "-f",
      join(appDir, "compose.yaml"),
      "--out",
      outDir,
    ]);
    expect(imported.stdout).toMatch(/wrote .*\.yaml/);
    const file = join(outDir, `${NAME}.yaml`);
    const text = readFileSync(file, "utf8");
    expect(text.split("\n")[0]).toMatch(
      /^# Project .* converted by `berth import compose` from .*compose\.yaml/,
    );
    const validated = await run(process.execPath, [BIN, "validate", file]);
    expect(validated.stdout).toMatch(/1 project\(s\) in 1 file\(s\) valid/);
    const r = await api(d, `/api/v1/projects/${NS}/${NAME}`);
    const live = (await r.json()) as Project;
    const spec = (parse(text) as Project).spec;
    expect(live.spec.containers.map((c) => c.name)).toEqual(spec.containers.map((c) => c.name));
    for (const [i, c] of spec.containers.entries())
      expect(live.spec.containers[i]).toMatchObject(c as unknown as Record<string, unknown>);
  }, 60_000);
});
