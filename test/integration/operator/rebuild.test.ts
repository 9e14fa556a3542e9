import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProjectStatus } from "../../../src/api/types.js";
import { api, cleanupDirs, docker, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "bin", "berth.js");
const suffix = Math.random().toString(36).slice(2, 7);
const project = `site-${suffix}`;
const repo = `berth-it/site-${suffix}`;

const spec = `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${project}}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: web
      image: ${repo}:dev
      build: {context: ./site, dockerfile: Dockerfile}
      command: ["httpd", "-f", "-p", "8080", "-h", "/www"]
      ports: [{name: http, containerPort: 8080}]
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

async function served(d: Daemon): Promise<string | undefined> {
  const s = await status(d);
  const port = s?.ports?.[0]?.hostPort;
  if (s?.phase !== "Running" || !port) return undefined;
  return fetch(`http://127.0.0.1:${port}/index.html`).then(
    async (r) => (r.ok ? (await r.text()).trim() : undefined),
    () => undefined,
  );
}

async function containerId(): Promise<string | undefined> {
  const filters = JSON.stringify({ label: [`berth.dev/project=default.${project}`] });
  return (await docker().listContainers({ all: true, filters }))[0]?.Id;
}

async function builtImages(): Promise<{ Id: string; RepoTags: string[] }[]> {
  const filters = JSON.stringify({ label: [`berth.dev/project=default.${project}`] });
  return (await docker().listImages({ filters })).map((i) => ({ Id: i.Id, RepoTags: i.RepoTags ?? [] }));
}

function cli(d: Daemon, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, BERTH_SERVER: d.url, BERTH_STATE_DIR: d.stateDir };
    const proc = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    proc.stdout.on("data", (b: Buffer) => (out += b.toString()));
    proc.stderr.on("data", (b: Buffer) => (err += b.toString()));
    proc.on("exit", (code) => resolve({ code, out, err }));
  });
}

describe("build: images follow their source (real Docker)", () => {
  let d: Daemon;
  let site: string;

  beforeAll(async () => {
    // written before the daemon starts: its initial scan loads them
    const dir = mkdtempSync(join(tmpdir(), "berth-it-build-"));
    site = join(dir, "site");
    mkdirSync(join(site, "www"), { recursive: true });
    writeFileSync(join(site, "Dockerfile"), "FROM berth-test/busybox:1\nCOPY www /www\n");
    writeFileSync(join(site, ".dockerignore"), "notes.txt\n");
    writeFileSync(join(site, "notes.txt"), "not part of the image\n");
    writeFileSync(join(site, "www", "index.html"), "v1\n");
    save(join(dir, `${project}.yaml`), spec);
    d = await startDaemon({ dir });
    await eventually(async () => (await served(d)) === "v1", 60_000, "v1 served");
  }, 90_000);
  afterAll(async () => {
    await d?.stop();
    await removeProjects([`default.${project}`]);
    for (const i of await builtImages())
      await docker()
        .getImage(i.Id)
        .remove({ force: true })
        .catch(() => {});
    cleanupDirs(d.dir, d.stateDir);
  });

  it("tags the build with the digest of its inputs and streams its output to the project's logs", async () => {
    const images = await builtImages();
    expect(images).toHaveLength(1);
    const tags = images[0]?.RepoTags ?? [];
    expect(tags).toContain(`${repo}:dev`);
    expect(tags.some((t) => /^berth-it\/site-\w+:src-[0-9a-f]{16}$/.test(t))).toBe(true);
    const logs = (await (await api(d, `/api/v1/projects/default/${project}/logs?container=web`)).json()) as {
      items: { line: string }[];
    };
    expect(logs.items.map((l) => l.line).join("\n")).toMatch(/Step \d+\/\d+ : COPY www \/www/);
    const cond = (await status(d))?.conditions?.find((c) => c.type === "ImageAvailable");
    expect(cond?.status).toBe("True");
  });

  it("editing a file listed in .dockerignore changes nothing", async () => {
    const before = await containerId();
    const images = (await builtImages()).map((i) => i.Id);
    save(join(site, "notes.txt"), "edited, still ignored\n");
    // the watcher enqueues the project; give it time to reconcile (and, were it wrong, rebuild)
    await new Promise((r) => setTimeout(r, 3000));
    expect(await containerId()).toBe(before);
    expect((await builtImages()).map((i) => i.Id)).toEqual(images);
    expect(await served(d)).toBe("v1");
  });

  it("editing a file in the context rebuilds the image and replaces the container", async () => {
    const before = await containerId();
    save(join(site, "www", "index.html"), "v2\n");
    await eventually(async () => (await served(d)) === "v2", 60_000, "v2 served");
    expect(await containerId()).not.toBe(before);
    expect(await builtImages()).toHaveLength(2);
  });

  it("berth gc removes the superseded built image and keeps the one in use", async () => {
    const inUse = (
      await docker()
        .getContainer((await containerId()) ?? "")
        .inspect()
    ).Image;
    // gc is engine-wide: other suites' built images may be in the report too; look at ours
    type Report = { removed: { id: string; project: string }[] };
    const ours = (r: Report) => r.removed.filter((i) => i.project === `default/${project}`).map((i) => i.id);
    const superseded = (await builtImages()).map((i) => i.Id).filter((id) => id !== inUse);
    expect(superseded).toHaveLength(1);
    const dry = await cli(d, ["gc", "--dry-run", "--keep", "0", "-o", "json"]);
    expect(dry.code, dry.err).toBe(0);
    expect(ours(JSON.parse(dry.out) as Report)).toEqual(superseded);
    expect(await builtImages()).toHaveLength(2);
    const text = await cli(d, ["gc", "--dry-run", "--keep", "0"]);
    expect(text.out).toMatch(/would remove \d+ images? \([\d.]+ MiB\), kept \d+/);
    const run = await cli(d, ["gc", "--keep", "0", "-o", "json"]);
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    expect(ours(JSON.parse(run.out) as Report)).toEqual(superseded);
    const left = await builtImages();
    expect(left.map((i) => i.Id)).toEqual([inUse]);
    expect(await served(d)).toBe("v2");
  });

  it("a failed build says at which step in ImageAvailable and leaves the running container alone", async () => {
    const before = await containerId();
    const port = (await status(d))?.ports?.[0]?.hostPort;
    save(
      join(site, "Dockerfile"),
      "FROM berth-test/busybox:1\nCOPY www /www\nRUN echo about to fail && false\n",
    );
    const cond = await eventually(
      async () => {
        const c = (await status(d))?.conditions?.find((x) => x.type === "ImageAvailable");
        return c?.status === "False" ? c : undefined;
      },
      60_000,
      "ImageAvailable=False",
    );
    expect(cond.reason).toBe("BuildFailed");
    expect(cond.message).toMatch(/failed at "Step \d+\/\d+ : RUN echo about to fail && false"/);
    expect(await containerId()).toBe(before);
    // the project is not Ready (its image is not available), but the old container still serves
    expect((await (await fetch(`http://127.0.0.1:${port}/index.html`)).text()).trim()).toBe("v2");
  });
});
