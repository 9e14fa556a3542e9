import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectStatus, SyncRecord } from "../../../src/api/types.js";
import { call, httpClient } from "../mcp/helpers.js";
import { berth } from "./cli-run.js";
import {
  api,
  cleanupDirs,
  eventually,
  freePort,
  removeProjects,
  startDaemon,
  type Daemon,
} from "./daemon.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const suffix = Math.random().toString(36).slice(2, 7);
const project = `devcli-${suffix}`;
const composed = `devcompose-${suffix}`;

const spec = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${project}}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: web
      image: berth-test/busybox:1
      command: ["sh", "-c", "echo hello-from-web; mkdir -p /www && echo v0 > /www/index.html && exec httpd -f -p 8080 -h /www"]
      ports: [{name: http, containerPort: 8080}]
      develop:
        watch:
          - {path: ./www, action: sync, target: /www}
          - {path: ./hooks, action: sync+exec, target: /hooks, exec: {command: ["sh", "-c", "echo hook-ran; exit 3"]}}
    - name: db
      image: berth-test/busybox:1
      command: ["sh", "-c", "echo db-up; exec sleep 3600"]
`;

/** Writes a file the way editors do: a temp file renamed over the target. */
function save(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

async function status(d: Daemon): Promise<ProjectStatus | undefined> {
  const r = await api(d, `/api/v1/projects/default/${project}`);
  return r.ok ? ((await r.json()) as { status: ProjectStatus }).status : undefined;
}

/** `berth dev ARGS` as a child process, its output collected as it comes. */
function dev(d: Daemon, ...args: string[]): { proc: ChildProcess; out: () => string; err: () => string } {
  const auth = d.token ? ["--token", d.token] : [];
  const proc = spawn(
    process.execPath,
    [join(ROOT, "bin", "berth.js"), "--server", d.url, ...auth, "dev", ...args],
    {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  proc.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  proc.stderr?.on("data", (b: Buffer) => (err += b.toString()));
  return { proc, out: () => out, err: () => err };
}

function exitOf(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => proc.once("exit", (code) => resolve(code)));
}

describe("berth dev and get_syncs against a real daemon", () => {
  let d: Daemon;
  let dir: string;
  let mcp: Awaited<ReturnType<typeof httpClient>> | undefined;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-it-devcli-"));
    mkdirSync(join(dir, "www"));
    mkdirSync(join(dir, "hooks"));
    writeFileSync(join(dir, "www", "index.html"), "v0\n");
    writeFileSync(join(dir, "hooks", "on-change.sh"), "echo 0\n");
    save(join(dir, `${project}.yaml`), spec);
    d = await startDaemon({ dir, portRange: "27400-27449" });
    await eventually(async () => (await status(d))?.phase === "Running", 90_000, "project Running");
    await eventually(
      async () => (await status(d))?.conditions?.find((c) => c.type === "Synced")?.reason === "Watching",
      30_000,
      "watchers ready",
    );
  }, 150_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    await mcp?.close().catch(() => {});
    await d?.stop();
    await removeProjects([`default.${project}`, `default.${composed}`]);
    cleanupDirs(dir, d.stateDir);
  });

  it("follows logs with the daemon's [sync] lines in one stream, each outcome once, until SIGINT ends it with 0", async () => {
    const run = dev(d, project);
    children.push(run.proc);
    await eventually(() => run.err().includes(`watching default/${project}`), 30_000, "the header");
    expect(run.err()).toContain("web: ./www -> /www (sync)");
    expect(run.err()).toContain("web: ./hooks -> /hooks (sync+exec)");
    // the kept lines of both containers come first, prefixed with their container
    await eventually(
      () => run.out().includes("web | hello-from-web") && run.out().includes("db | db-up"),
      15_000,
      "tail",
    );

    save(join(dir, "www", "index.html"), "v1\n");
    await eventually(
      () => /web \| \[sync\] synced 1 file .*into web:\/www in \d+ ms\n/.test(run.out()),
      15_000,
      "sync line",
    );

    // the command's output and its failure come in the container's order
    save(join(dir, "hooks", "on-change.sh"), "echo 1\n");
    await eventually(
      () =>
        /web \| \[sync\] hook-ran\n(.*\n)*web \| \[sync\] sync\+exec of \.\/hooks .*failed: .+/.test(
          run.out(),
        ),
      15_000,
      "exec output and failure lines",
    );
    // each outcome once: the sync event is not printed again beside the daemon's [sync] line
    expect(run.out().match(/\[sync\] synced 1 file/g)).toHaveLength(1);

    run.proc.kill("SIGINT");
    expect(await exitOf(run.proc)).toBe(0);
  }, 90_000);

  it("-o json writes one object a line, of one container with -c", async () => {
    const run = dev(d, `default/${project}`, "-c", "web", "--tail", "0", "-o", "json");
    children.push(run.proc);
    // no header in JSON mode: wait until the streams are surely open, then edit until a sync shows
    let n = 2;
    await eventually(
      () => {
        save(join(dir, "www", "index.html"), `v${n++}\n`);
        return run.out().includes('"type":"sync"');
      },
      20_000,
      "a sync object",
      1_000,
    );
    const items = run
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; container?: string; action?: string });
    expect(items.every((i) => i.type !== "log" || i.container === "web")).toBe(true);
    const sync = items.find((i) => i.type === "sync");
    expect(sync).toMatchObject({
      container: "web",
      action: "sync",
      path: "./www",
      namespace: "default",
      name: project,
    });
    run.proc.kill("SIGTERM");
    expect(await exitOf(run.proc)).toBe(0);
  }, 60_000);

  it("says clearly when the project does not exist or the daemon cannot be reached", async () => {
    const missing = await berth(d, "dev", `nope-${suffix}`);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(new RegExp(`default/nope-${suffix}.*not found`));
    const container = await berth(d, "dev", project, "-c", "nope");
    expect(container.code).toBe(2);
    expect(container.err).toContain(`has no container "nope"; its containers: web, db`);
    const port = await freePort();
    const down = await berth({ ...d, url: `http://127.0.0.1:${port}` }, "dev", project);
    expect(down.code).toBe(1);
    expect(down.err).toContain(
      `cannot reach the Berth daemon at http://127.0.0.1:${port} (connection refused)`,
    );
    const help = await berth(d, "dev", "--help");
    expect(help.out).toMatch(/Follow a project's container logs and what its develop\.watch rules do/);
  }, 60_000);

  it("get_syncs and diagnose_project return the project's last syncs over MCP", async () => {
    const client = await httpClient(d.url, d.token, "devloop-cli");
    mcp = client;
    const kept = (await status(d))?.syncs ?? [];
    expect(kept.length).toBeGreaterThanOrEqual(2);
    const all = await call(client, "get_syncs", { name: project });
    expect(all.isError).toBeFalsy();
    const syncs = all.structuredContent?.["syncs"] as SyncRecord[];
    expect(syncs).toEqual(kept);
    expect(syncs.some((s) => s.action === "sync" && s.path === "./www" && s.files >= 1 && !s.error)).toBe(
      true,
    );
    const failed = syncs.find((s) => s.action === "sync+exec");
    expect(failed?.error).toBeTruthy();
    const web = await call(client, "get_syncs", { name: `default/${project}`, container: "db" });
    expect(web.structuredContent?.["syncs"]).toEqual([]);

    // make the failure the newest outcome, then diagnose
    save(join(dir, "hooks", "on-change.sh"), "echo 2\n");
    await eventually(
      async () => {
        const [newest] = (await status(d))?.syncs ?? [];
        return (
          newest?.action === "sync+exec" && newest.error !== undefined && newest.time > (failed?.time ?? "")
        );
      },
      15_000,
      "a newer failed sync",
    );
    const diag = await call(client, "diagnose_project", { name: project });
    const first = (diag.structuredContent?.["syncs"] as SyncRecord[])[0];
    expect(first?.action).toBe("sync+exec");
    expect(first?.error).toBeTruthy();
    expect(diag.structuredContent?.["nextAction"]).toContain("The last sync+exec of ./hooks in web failed");

    const missing = await call(client, "get_syncs", { name: `nope-${suffix}` });
    expect(missing.isError).toBe(true);
  }, 60_000);

  it("runs a compose file's develop.watch as Berth rules: an edit is served, and the loss is reported", async () => {
    mkdirSync(join(dir, "app", "html"), { recursive: true });
    writeFileSync(join(dir, "app", "html", "index.html"), "c0\n");
    save(
      join(dir, "app", "compose.yaml"),
      `name: ${composed}
services:
  web:
    image: berth-test/busybox:1
    command: ["sh", "-c", "mkdir -p /www && echo c0 > /www/index.html && exec httpd -f -p 8080 -h /www"]
    ports: ["8080"]
    develop:
      watch:
        - path: ./html
          action: sync
          target: /www
          initial_sync: true
`,
    );
    const view = async () => {
      const r = await api(d, `/api/v1/projects/default/${composed}`);
      return r.ok
        ? ((await r.json()) as {
            spec: { containers: Array<Record<string, unknown>> };
            status: ProjectStatus;
          })
        : undefined;
    };
    const port = await eventually(
      async () => {
        const v = await view();
        return v?.status.phase === "Running" &&
          v.status.conditions?.find((c) => c.type === "Synced")?.reason === "Watching"
          ? v.status.ports?.[0]?.hostPort
          : undefined;
      },
      60_000,
      "the compose project Running and watching",
    );
    expect((await view())?.spec.containers[0]?.["develop"]).toEqual({
      watch: [{ path: "./html", action: "sync", target: "/www" }],
    });
    save(join(dir, "app", "html", "index.html"), "c1\n");
    await eventually(
      async () =>
        (
          await fetch(`http://127.0.0.1:${port}/index.html`).then(
            (r) => r.text(),
            () => "",
          )
        ).trim() === "c1",
      10_000,
      "the edit served",
    );
    expect(d.logs()).toMatch(/services\.web\.develop\.watch\[0\]\.initial_sync/);
  }, 90_000);
});
