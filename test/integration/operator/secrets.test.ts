import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { readTestEnv } from "../../helpers/env.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { httpClient } from "../mcp/helpers.js";
import { berth, execIn } from "./cli-run.js";
import { api, cleanupDirs, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const IMAGE = "berth-test/busybox:1";
const suffix = Math.random().toString(36).slice(2, 7);
const project = `secret-${suffix}`;
const SECRET = `pg-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const NEXT = `pg2-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const FROM_FILE = `envfile-${Math.random().toString(36).slice(2)}`;
const FROM_ENV = `openv-${Math.random().toString(36).slice(2)}`;

const SPEC = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${project}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: app
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]
      envFrom: [{file: ./app.env}]
      env:
        - {name: MODE, value: plain}
        - {name: PGPASSWORD, valueFrom: {secret: {file: ./secrets/pg}}}
        - {name: TOKEN, valueFrom: {secret: {env: BERTH_IT_SECRET_${suffix.toUpperCase()}}}}
`;

function save(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function view(d: Daemon): Promise<{ text: string; status: ProjectStatus | undefined }> {
  const r = await api(d, `/api/v1/projects/default/${project}`);
  const text = await r.text();
  return { text, status: r.ok ? (JSON.parse(text) as { status: ProjectStatus }).status : undefined };
}

async function runningId(d: Daemon, not?: string): Promise<string> {
  return eventually(
    async () => {
      const { status } = await view(d);
      const c = status?.containers?.find((x) => x.name === "app");
      return status?.phase === "Running" && c?.containerID && c.containerID !== not
        ? c.containerID
        : undefined;
    },
    60_000,
    `${project} running`,
  );
}

function leaks(text: string): string[] {
  return [SECRET, NEXT, FROM_FILE, FROM_ENV].filter((s) => text.includes(s));
}

describe("a secret never shows (real Docker)", () => {
  let d: Daemon;
  let mcp: Client;
  let nats: NatsConnection;
  let published = "";

  beforeAll(async () => {
    const natsUrl = readTestEnv().natsUrl;
    nats = await connect({ servers: natsUrl });
    const sub = nats.subscribe("berth.>");
    void (async () => {
      for await (const m of sub) published += `${m.subject} ${m.string()}\n`;
    })();
    process.env[`BERTH_IT_SECRET_${suffix.toUpperCase()}`] = FROM_ENV;
    d = await startDaemon({
      portRange: "27920-27929",
      extraArgs: ["--log-level", "debug", "--nats", natsUrl],
    });
    delete process.env[`BERTH_IT_SECRET_${suffix.toUpperCase()}`];
    mcp = await httpClient(d.url, d.token);
  }, 60_000);
  afterAll(async () => {
    await mcp?.close();
    await nats?.close();
    await d?.stop("SIGKILL");
    await removeProjects([`default.${project}`]);
    cleanupDirs(d.dir, d.stateDir);
  });

  it("reaches the container's environment and nowhere else; an edit replaces the container", async () => {
    mkdirSync(join(d.dir, "secrets"));
    save(join(d.dir, "secrets", "pg"), `${SECRET}\n`);
    save(
      join(d.dir, "app.env"),
      `# app settings\nexport FROM_FILE=${FROM_FILE}\nMODE=overridden\nQUOTED="a b"\n`,
    );
    save(join(d.dir, `${project}.yaml`), SPEC);
    const id = await runningId(d);

    const env = await execIn(id, ["env"]);
    expect(env).toContain(`PGPASSWORD=${SECRET}\n`);
    expect(env).toContain(`FROM_FILE=${FROM_FILE}\n`);
    expect(env).toContain(`TOKEN=${FROM_ENV}\n`);
    expect(env).toContain("QUOTED=a b\n");
    expect(env).toContain("MODE=plain\n"); // env wins over the env file

    // REST: one project and the list
    const one = await view(d);
    expect(leaks(one.text)).toEqual([]);
    expect(leaks(await (await api(d, "/api/v1/projects?all=true")).text())).toEqual([]);

    // every MCP tool that reads
    const tools = await mcp.listTools();
    const reads = ["list_projects", "get_project", "get_logs", "get_metrics", "diagnose_project"];
    const seen: string[] = [];
    for (const t of tools.tools) {
      if (!reads.includes(t.name)) continue;
      const props = Object.keys((t.inputSchema.properties ?? {}) as object);
      const all: Record<string, unknown> = { namespace: "default", name: project, project };
      const args = Object.fromEntries(Object.entries(all).filter(([k]) => props.includes(k)));
      const res = await mcp.callTool({ name: t.name, arguments: args });
      expect(leaks(JSON.stringify(res)), t.name).toEqual([]);
      seen.push(t.name);
    }
    expect(seen.sort()).toEqual([...reads].sort());
    // and every resource it offers
    for (const r of (await mcp.listResources()).resources) {
      expect(leaks(JSON.stringify(await mcp.readResource({ uri: r.uri }))), r.uri).toEqual([]);
    }

    // describe shows where each secret comes from
    const described = await berth(d, "describe", project);
    expect(described.code, described.err).toBe(0);
    expect(described.out).toContain("env PGPASSWORD: <secret from ./secrets/pg>");
    expect(described.out).toContain("env file: ./app.env");
    expect(leaks(described.out)).toEqual([]);
    const yaml = await berth(d, "get", project, "-o", "yaml");
    expect(leaks(yaml.out)).toEqual([]);

    // the secret file changes: the container is replaced with the new value
    save(join(d.dir, "secrets", "pg"), `${NEXT}\n`);
    const next = await runningId(d, id);
    expect(await execIn(next, ["env"])).toContain(`PGPASSWORD=${NEXT}\n`);
    expect(leaks((await view(d)).text)).toEqual([]);

    // a secret file that goes missing names the field and the path, and shows no value
    save(join(d.dir, `${project}.yaml`), SPEC.replace("./secrets/pg", "./secrets/missing"));
    const invalid = await eventually(
      async () => {
        const s = (await view(d)).status;
        const c = s?.conditions?.find((x) => x.type === "SpecValid" && x.status === "False");
        return c;
      },
      30_000,
      "SpecValid=False",
    );
    expect(invalid.message).toContain("spec.containers[0].env[1].valueFrom.secret.file");
    expect(invalid.message).toContain("./secrets/missing");

    // NATS: what the daemon published (events, logs, metrics of the project)
    await eventually(() => published.includes(project), 10_000, "messages on NATS");
    expect(leaks(published)).toEqual([]);

    // the daemon's log at debug level
    expect(d.logs()).toContain("level=debug");
    expect(leaks(d.logs())).toEqual([]);
  }, 180_000);
});
