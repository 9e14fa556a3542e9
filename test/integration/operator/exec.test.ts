import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { ProjectStatus } from "../../../src/api/types.js";
import { api, cleanupDirs, eventually, removeProjects, startDaemon, type Daemon } from "./daemon.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "bin", "berth.js");
const IMAGE = "berth-test/busybox:1";
const project = `exec-${Math.random().toString(36).slice(2, 7)}`;

function spec(): string {
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata: {name: ${project}}
spec:
  metrics: {enabled: false, intervalSeconds: 2}
  containers:
    - name: app
      image: ${IMAGE}
      command: ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 1 & wait; done"]
`;
}

/** Runs the berth CLI against `d`; resolves with its exit code and output. */
function cli(
  d: Daemon,
  args: string[],
  input?: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, BERTH_SERVER: d.url, BERTH_STATE_DIR: d.stateDir };
    const proc = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (b: Buffer) => (out += b.toString()));
    proc.stderr.on("data", (b: Buffer) => (err += b.toString()));
    if (input !== undefined) proc.stdin.end(input);
    else proc.stdin.end();
    proc.on("exit", (code) => resolve({ code, out, err }));
  });
}

describe("exec in a project's container (real Docker)", () => {
  let d: Daemon;

  beforeAll(async () => {
    // written before the daemon starts: its initial scan loads it
    const dir = mkdtempSync(join(tmpdir(), "berth-it-exec-"));
    writeFileSync(join(dir, `${project}.yaml`), spec());
    d = await startDaemon({ dir });
    await eventually(
      async () => {
        const r = await api(d, `/api/v1/projects/default/${project}`);
        return r.ok && ((await r.json()) as { status: ProjectStatus }).status.phase === "Running";
      },
      30_000,
      `${project} Running`,
    );
  }, 60_000);
  afterAll(async () => {
    await d?.stop();
    await removeProjects([`default.${project}`]);
    cleanupDirs(d.dir, d.stateDir);
  });

  it("berth exec prints the command's output and exits with its exit code", async () => {
    const r = await cli(d, ["exec", project, "app", "--", "sh", "-c", "echo hi; echo oops >&2; exit 4"]);
    expect(r.out).toBe("hi\n");
    expect(r.err).toBe("oops\n");
    expect(r.code).toBe(4);
  });

  it("berth exec -i sends stdin and ends it", async () => {
    const r = await cli(d, ["exec", "-i", project, "app", "--", "sh", "-c", "wc -c; exit 0"], "12345");
    expect(r.out.trim()).toBe("5");
    expect(r.code).toBe(0);
  });

  it("berth exec with a wrong token is refused", async () => {
    const env = { ...process.env, BERTH_SERVER: d.url, BERTH_TOKEN: "not-the-token" };
    const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const proc = spawn(process.execPath, [BIN, "exec", project, "app", "--", "true"], { cwd: ROOT, env });
      let err = "";
      proc.stderr.on("data", (b: Buffer) => (err += b.toString()));
      proc.on("exit", (code) => resolve({ code, err }));
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain("exec refused (401)");
  });

  it("the exec WebSocket runs a command in a TTY of the asked size, with stdin, and reports its exit code", async () => {
    // Read first: an engine before API 1.42 sizes the TTY only after the start, and Berth
    // delivers input once it has, so `stty` then sees the size asked for.
    const script = "read line; stty size; echo got-$line; exit 3";
    const q = new URLSearchParams([
      ["command", "sh"],
      ["command", "-c"],
      ["command", script],
    ]);
    const url = `${d.url.replace("http", "ws")}/api/v1/projects/default/${project}/containers/app/exec?${q}&tty=true&stdin=true&cols=100&rows=30`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${d.token ?? ""}` } });
    let out = "";
    const exit = await new Promise<number>((resolve, reject) => {
      ws.on("open", () => ws.send(Buffer.from("hello\r"), { binary: true }));
      ws.on("message", (data: Buffer, binary: boolean) => {
        if (binary) out += data.subarray(1).toString();
        else {
          const msg = JSON.parse(data.toString()) as { exit?: { code: number } };
          if (msg.exit) resolve(msg.exit.code);
        }
      });
      ws.on("error", reject);
    });
    expect(exit).toBe(3);
    // a TTY: the size asked for, and \r\n line ends
    expect(out, out).toContain("30 100\r\n");
    expect(out, out).toContain("got-hello");
    ws.close();
  });

  it("the exec WebSocket refuses another site's page", async () => {
    const url = `${d.url.replace("http", "ws")}/api/v1/projects/default/${project}/containers/app/exec?command=true`;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${d.token ?? ""}`, origin: "http://evil.example" },
    });
    const status = await new Promise<number>((resolve) => {
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("open", () => resolve(101));
      ws.on("error", () => {});
    });
    expect(status).toBe(403);
  });

  it("REST exec cuts off a command that prints 10 MB and says so", async () => {
    const r = await api(d, `/api/v1/projects/default/${project}/containers/app/exec`, {
      method: "POST",
      body: JSON.stringify({
        command: ["sh", "-c", "head -c 10485760 /dev/zero | tr '\\0' x; exit 3"],
        maxOutputBytes: 65536,
      }),
    });
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body["truncated"]).toBe(true);
    expect(body["timedOut"]).toBe(false);
    expect(body["exitCode"]).toBe(3);
    expect(body["outputBytes"]).toBe(10 * 1024 * 1024);
    expect((body["output"] as string).length).toBe(65536);
    expect(body["output"]).toMatch(/^x+$/);
  });

  it("REST exec stops waiting at its timeout and says so", async () => {
    const r = await api(d, `/api/v1/projects/default/${project}/containers/app/exec`, {
      method: "POST",
      body: JSON.stringify({ command: ["sh", "-c", "echo started; sleep 30"], timeoutSeconds: 1 }),
    });
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ timedOut: true, exitCode: null, output: "started\n", truncated: false });
  });

  it("REST exec names a missing container and lists the real ones", async () => {
    const r = await api(d, `/api/v1/projects/default/${project}/containers/nope/exec`, {
      method: "POST",
      body: JSON.stringify({ command: ["true"] }),
    });
    expect(r.status).toBe(404);
    const body = (await r.json()) as { error: { message: string } };
    expect(body.error.message).toContain(
      `project default/${project} has no container "nope"; its containers are: app`,
    );
  });
});
