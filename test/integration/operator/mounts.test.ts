import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Condition, ProjectStatus } from "../../../src/api/types.js";
import { api, cleanupDirs, docker, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const IMAGE = "berth-test/busybox:1";
const suffix = Math.random().toString(36).slice(2, 7);
const name = (base: string) => `${base}-${suffix}`;

function volumeSpec(project: string, hostPath: string): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${project}
  labels: {suite: mounts}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: app
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]
      volumes: [{hostPath: ${hostPath}, mountPath: /data, readOnly: true}]
`;
}

/** Writes a spec the way editors do: a temp file renamed over the target. */
function save(dir: string, file: string, text: string): void {
  const tmp = join(dir, `.${file}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, file));
}

async function status(d: Daemon, key: string): Promise<ProjectStatus | undefined> {
  const r = await api(d, `/api/v1/projects/${key}`);
  return r.ok ? ((await r.json()) as { status: ProjectStatus }).status : undefined;
}

async function untilSpecInvalid(d: Daemon, key: string): Promise<{ status: ProjectStatus; cond: Condition }> {
  return eventually(
    async () => {
      const s = await status(d, key);
      const cond = s?.conditions?.find((c) => c.type === "SpecValid" && c.status === "False");
      return s && cond ? { status: s, cond } : undefined;
    },
    30_000,
    `${key} SpecValid=False`,
  );
}

async function containersOf(project: string) {
  const filters = JSON.stringify({ label: [`berth.dev/project=default.${project}`] });
  return docker().listContainers({ all: true, filters });
}

describe("volume hostPaths are resolved with realpath against the allowed roots (real Docker)", () => {
  let d: Daemon;
  let outside: string;
  const projects = ["escape", "missing", "inside"].map(name);

  beforeAll(async () => {
    outside = realpathSync(mkdtempSync(join(tmpdir(), "berth-it-outside-")));
    d = await startDaemon();
  });
  afterAll(async () => {
    await d?.stop();
    await removeProjects(projects.map((p) => `default.${p}`));
    cleanupDirs(d.dir, d.stateDir, outside);
  });

  it("refuses a link inside the watched directory that leads outside, creating no container", async () => {
    const p = name("escape");
    symlinkSync(outside, join(d.dir, "link"));
    save(d.dir, `${p}.yaml`, volumeSpec(p, "./link"));
    const { status: s, cond } = await untilSpecInvalid(d, `default/${p}`);
    expect(cond.reason).toBe("PathNotAllowed");
    expect(cond.message).toContain('spec.containers[0].volumes[0].hostPath "./link"');
    expect(cond.message).toContain(`resolves through a symbolic link to ${outside}`);
    expect(cond.message).toContain("--allow-host-path DIR");
    expect(s.phase).toBe("Failed");
    // the reconcile that wrote this status is over: had it created the container, it would show
    expect(await containersOf(p)).toEqual([]);
    expect(d.proc.exitCode).toBeNull();
  });

  it("refuses a missing hostPath instead of letting Docker create it, and recovers once it exists", async () => {
    const p = name("missing");
    save(d.dir, `${p}.yaml`, volumeSpec(p, "./not-yet"));
    const { status: s, cond } = await untilSpecInvalid(d, `default/${p}`);
    expect(cond.reason).toBe("PathMissing");
    expect(cond.message).toContain(`(${join(realpathSync(d.dir), "not-yet")}) does not exist; create it`);
    expect(s.phase).toBe("Failed");
    expect(await containersOf(p)).toEqual([]);
    expect(existsSync(join(d.dir, "not-yet"))).toBe(false);
    // checked again after a delay (no crash loop, no spec edit needed)
    mkdirSync(join(d.dir, "not-yet"));
    await eventually(
      async () => (await status(d, `default/${p}`))?.phase === "Running",
      40_000,
      `${p} Running`,
    );
  });

  it("mounts the real path of a link that stays inside the watched directory", async () => {
    const p = name("inside");
    const real = join(realpathSync(d.dir), "real-data");
    mkdirSync(real);
    symlinkSync(real, join(d.dir, "inner"));
    save(d.dir, `${p}.yaml`, volumeSpec(p, "./inner"));
    await eventually(
      async () => (await status(d, `default/${p}`))?.phase === "Running",
      30_000,
      `${p} Running`,
    );
    const [c] = await containersOf(p);
    if (!c) throw new Error("no container");
    const info = await docker().getContainer(c.Id).inspect();
    expect(info.HostConfig.Binds).toEqual([`${real}:/data:ro`]);
    expect(info.Mounts).toEqual([
      expect.objectContaining({ Type: "bind", Source: real, Destination: "/data" }),
    ]);
    // the project refused above is still Failed, and this one was not held up by it
    expect((await status(d, `default/${name("escape")}`))?.phase).toBe("Failed");
  });
});
