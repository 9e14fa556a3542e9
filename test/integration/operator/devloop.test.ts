import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectStatus, SyncRecord } from "../../../src/api/types.js";
import { api, cleanupDirs, docker, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const suffix = Math.random().toString(36).slice(2, 7);
const project = `dev-${suffix}`;
const repo = `berth-it/dev-${suffix}`;
const serve = (setup: string) => ["sh", "-c", `${setup}; exec httpd -f -p 8080 -h /www`];

const spec = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${project}}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: web
      image: berth-test/busybox:1
      command: ${JSON.stringify(serve("mkdir -p /www && echo v0 > /www/index.html"))}
      ports: [{name: http, containerPort: 8080}]
      develop:
        watch:
          - {path: ./www, action: sync, target: /www, ignore: ["*.swp", "drafts/"]}
    - name: cfg
      image: berth-test/busybox:1
      command: ${JSON.stringify(serve("mkdir -p /www && (cat /conf/app.conf || echo none) > /www/index.html"))}
      ports: [{name: http, containerPort: 8080}]
      develop:
        watch:
          - {path: ./conf/app.conf, action: sync+restart, target: /conf/app.conf}
    - name: built
      image: ${repo}:dev
      build: {context: ./site}
      command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
      ports: [{name: http, containerPort: 8080}]
      develop:
        watch:
          - {path: ./site/www, action: rebuild}
    - name: app
      image: ${repo}-app:dev
      build: {context: ./app}
      command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
      ports: [{name: http, containerPort: 8080}]
      develop:
        watch:
          - {path: ./app/www, action: sync, target: /www}
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

async function get(d: Daemon, container: string, path: string): Promise<string | undefined> {
  const s = await status(d);
  const port = s?.ports?.find((p) => p.container === container)?.hostPort;
  if (!port) return undefined;
  return fetch(`http://127.0.0.1:${port}${path}`).then(
    async (r) => (r.ok ? (await r.text()).trim() : `HTTP ${r.status}`),
    () => undefined,
  );
}

async function inspect(container: string): Promise<{ id: string; startedAt: string; image: string }> {
  const filters = JSON.stringify({
    label: [`berth.dev/project=default.${project}`, `berth.dev/container=${container}`],
  });
  const [c] = await docker().listContainers({ filters });
  if (!c) throw new Error(`no running container ${container}`);
  const info = await docker().getContainer(c.Id).inspect();
  return { id: info.Id, startedAt: info.State.StartedAt, image: info.Image };
}

async function syncs(d: Daemon): Promise<SyncRecord[]> {
  return (await status(d))?.syncs ?? [];
}

/** Reads `event: sync` messages from /api/v1/events until aborted. */
function syncEvents(d: Daemon, signal: AbortSignal): SyncRecord[] {
  const seen: SyncRecord[] = [];
  void (async () => {
    const res = await api(d, "/api/v1/events", { signal });
    const reader = res.body?.getReader();
    let text = "";
    for (;;) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) return;
      text += Buffer.from(chunk.value).toString("utf8");
      const blocks = text.split("\n\n");
      text = blocks.pop() ?? "";
      for (const b of blocks) {
        const data = /^data: (.*)$/m.exec(b)?.[1];
        if (b.startsWith("event: sync") && data) seen.push(JSON.parse(data) as SyncRecord);
      }
    }
  })().catch(() => {});
  return seen;
}

describe("dev loop: develop.watch against the real engine", () => {
  let d: Daemon;
  let dir: string;
  let outside: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "berth-it-devloop-"));
    outside = mkdtempSync(join(tmpdir(), "berth-it-outside-"));
    mkdirSync(join(dir, "www", "drafts"), { recursive: true });
    mkdirSync(join(dir, "conf"));
    mkdirSync(join(dir, "site", "www"), { recursive: true });
    writeFileSync(join(dir, "www", "index.html"), "v0\n");
    writeFileSync(join(dir, "conf", "app.conf"), "config-1\n");
    writeFileSync(join(dir, "site", "Dockerfile"), "FROM berth-test/busybox:1\nCOPY www /www\n");
    writeFileSync(join(dir, "site", "www", "index.html"), "image-1\n");
    mkdirSync(join(dir, "app", "www"), { recursive: true });
    writeFileSync(join(dir, "app", "Dockerfile"), "FROM berth-test/busybox:1\nCOPY www /www\n");
    writeFileSync(join(dir, "app", "www", "index.html"), "app-1\n");
    writeFileSync(join(outside, "secret.txt"), "outside-secret\n");
    save(join(dir, `${project}.yaml`), spec);
    d = await startDaemon({ dir, portRange: "27300-27399" });
    await eventually(async () => (await status(d))?.phase === "Running", 90_000, "project Running");
    await eventually(
      async () => (await status(d))?.conditions?.find((c) => c.type === "Synced")?.reason === "Watching",
      30_000,
      "watchers ready",
    );
  }, 150_000);

  afterAll(async () => {
    await d?.stop();
    await removeProjects([`default.${project}`]);
    const filters = JSON.stringify({ label: [`berth.dev/project=default.${project}`] });
    for (const i of await docker().listImages({ filters }))
      await docker()
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => {});
    cleanupDirs(dir, outside, d.stateDir);
  });

  it("sync: an edit to a served file changes the response within 1 s, in the same container", async () => {
    const before = await inspect("web");
    const started = Date.now();
    save(join(dir, "www", "index.html"), "v1\n");
    await eventually(async () => (await get(d, "web", "/index.html")) === "v1", 5000, "v1 served", 10);
    const took = Date.now() - started;
    expect(took).toBeLessThan(1000);
    const after = await inspect("web");
    expect(after.id).toBe(before.id);
    expect(after.startedAt).toBe(before.startedAt);
    const record = await eventually(async () => (await syncs(d)).find((s) => s.container === "web"));
    expect(record).toMatchObject({ action: "sync", path: "./www", files: 1, bytes: 3 });
    const cond = (await status(d))?.conditions?.find((c) => c.type === "Synced");
    expect(cond).toMatchObject({ status: "True", reason: "Synced" });
    expect(cond?.message).toMatch(/^synced 1 file \(3 B\) into web:\/www in \d+ ms$/);
    const logs = (await (await api(d, `/api/v1/projects/default/${project}/logs?container=web`)).json()) as {
      items: { line: string }[];
    };
    expect(logs.items.map((l) => l.line)).toContainEqual(expect.stringMatching(/^\[sync\] synced 1 file/));
  });

  it("ignored: an edit to an ignored file does nothing", async () => {
    const count = (await syncs(d)).length;
    writeFileSync(join(dir, "www", "index.html.swp"), "swap\n");
    writeFileSync(join(dir, "www", "drafts", "next.html"), "draft\n");
    await new Promise((r) => setTimeout(r, 1500));
    expect((await syncs(d)).length).toBe(count);
    expect(await get(d, "web", "/drafts/next.html")).toBe("HTTP 404");
  });

  it("bulk: saving 200 files at once is one sync of 200 files", async () => {
    const events = new AbortController();
    const seen = syncEvents(d, events.signal);
    await new Promise((r) => setTimeout(r, 200)); // the SSE stream is open
    const count = (await syncs(d)).length;
    mkdirSync(join(dir, "www", "bulk"));
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, "www", "bulk", `f${i}.txt`), `file ${i}\n`);
    const records = await eventually(
      async () => {
        const all = await syncs(d);
        return all.length > count ? all.slice(0, all.length - count) : undefined;
      },
      10_000,
      "a sync record",
    );
    await new Promise((r) => setTimeout(r, 500)); // a second, split batch would show by now
    const fresh = (await syncs(d)).slice(0, (await syncs(d)).length - count);
    events.abort();
    expect(fresh).toHaveLength(1);
    expect(records[0]).toMatchObject({ container: "web", action: "sync", files: 200 });
    expect(await get(d, "web", "/bulk/f199.txt")).toBe("file 199");
    expect(seen.filter((e) => e.files === 200)).toHaveLength(1);
    expect(seen[0]).toMatchObject({ namespace: "default", name: project, container: "web", files: 200 });
  });

  it("links: a symbolic link out of the allowed roots is not followed", async () => {
    symlinkSync(join(outside, "secret.txt"), join(dir, "www", "leak.txt"));
    save(join(dir, "www", "index.html"), "v2\n"); // a sync runs, and the link is in the same tree
    await eventually(async () => (await get(d, "web", "/index.html")) === "v2", 5000, "v2 served");
    await new Promise((r) => setTimeout(r, 300));
    expect(await get(d, "web", "/leak.txt")).not.toContain("outside-secret");
    const id = (await inspect("web")).id;
    const exec = await docker()
      .getContainer(id)
      .exec({ Cmd: ["sh", "-c", "grep -r outside-secret /www || echo clean"], AttachStdout: true });
    const stream = await exec.start({});
    let out = "";
    stream.on("data", (b: Buffer) => (out += b.toString()));
    await new Promise((r) => stream.on("end", r));
    expect(out).toContain("clean");
    expect(out).not.toContain("outside-secret");
    const logs = (await (await api(d, `/api/v1/projects/default/${project}/logs?container=web`)).json()) as {
      items: { line: string }[];
    };
    expect(logs.items.map((l) => l.line)).toContainEqual(
      expect.stringMatching(/^\[sync\] not followed \(a link, or below one\): leak\.txt/),
    );
  });

  it("sync+restart: editing a config file restarts the process in the same container", async () => {
    // no file is copied before the first change: the container starts without it
    expect(await get(d, "cfg", "/index.html")).toBe("none");
    const before = await inspect("cfg");
    writeFileSync(join(dir, "conf", "app.conf"), "config-2\n");
    await eventually(async () => (await get(d, "cfg", "/index.html")) === "config-2", 15_000, "config-2");
    const after = await inspect("cfg");
    expect(after.id).toBe(before.id);
    expect(after.startedAt).not.toBe(before.startedAt);
    const record = await eventually(async () => (await syncs(d)).find((s) => s.container === "cfg"));
    expect(record).toMatchObject({ action: "sync+restart", files: 1 });
    expect(record.error).toBeUndefined();
  });

  it("rebuild: an edit under a rebuild rule's path replaces the container with a new image", async () => {
    expect(await get(d, "built", "/index.html")).toBe("image-1");
    const before = await inspect("built");
    save(join(dir, "site", "www", "index.html"), "image-2\n");
    await eventually(async () => (await get(d, "built", "/index.html")) === "image-2", 60_000, "image-2");
    const after = await inspect("built");
    expect(after.id).not.toBe(before.id);
    expect(after.image).not.toBe(before.image);
    const record = await eventually(
      async () => (await syncs(d)).find((s) => s.container === "built"),
      15_000,
      "a rebuild record",
    );
    expect(record).toMatchObject({ action: "rebuild", files: 1 });
  });

  it("a synced edit inside a build context syncs and does not rebuild", async () => {
    const before = await inspect("app");
    save(join(dir, "app", "www", "index.html"), "app-2\n");
    await eventually(async () => (await get(d, "app", "/index.html")) === "app-2", 5000, "app-2");
    // the context watcher (polling, without inotify: 1 s) enqueues; a rebuild would take a few seconds
    await new Promise((r) => setTimeout(r, 8000));
    const after = await inspect("app");
    expect(after.id).toBe(before.id);
    expect(after.image).toBe(before.image);
  });

  it("a spec edit to the watch rules replaces no container", async () => {
    const before = await inspect("web");
    save(join(dir, `${project}.yaml`), spec.replace('ignore: ["*.swp", "drafts/"]', 'ignore: ["*.swp"]'));
    await eventually(
      async () => (await status(d))?.conditions?.find((c) => c.type === "Synced")?.observedGeneration === 2,
      15_000,
      "generation 2 reconciled",
    );
    writeFileSync(join(dir, "www", "drafts", "later.html"), "now synced\n");
    await eventually(
      async () => (await get(d, "web", "/drafts/later.html")) === "now synced",
      10_000,
      "draft",
    );
    expect((await inspect("web")).id).toBe(before.id);
  });
});
