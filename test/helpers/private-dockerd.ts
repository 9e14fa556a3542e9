import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";

/**
 * A Docker engine of a test's own, beside the shared one: its own data root, exec root, pid file,
 * unix socket, containerd namespace and default bridge, and no iptables rules. A test may stop
 * it (a real outage) without touching anyone else's containers. Needs root and dockerd (Debian
 * docker.io, which scripts/test-env.sh installs).
 */
export interface PrivateDockerd {
  /** `unix:///.../docker.sock`, for `--docker` / DOCKER_HOST. */
  host: string;
  socketPath: string;
  /** dockerd's process id (for benchmarks that measure its CPU). */
  pid: number;
  client: Docker;
  /** Stops the engine (SIGTERM, then SIGKILL after 20 s) and waits for its exit. */
  stop(): Promise<void>;
  /** Stops it if running and removes its directories. */
  destroy(): Promise<void>;
  log(): string;
}

/** Starts a private dockerd and waits until it answers a ping (at most 30 s). */
export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  // /tmp keeps the socket path well under the 108 bytes a unix socket address holds
  const root = mkdtempSync("/tmp/berth-dockerd-");
  const socketPath = join(root, "docker.sock");
  // A default bridge of its own. Not --bridge=none: a dockerd started with it deletes the
  // host's docker0, the shared engine's default bridge.
  const bridge = `berth-t${process.pid % 100000}`;
  createBridge(bridge, `10.234.${process.pid % 250}.1/24`);
  const args = [
    "--data-root",
    join(root, "data"),
    "--exec-root",
    join(root, "exec"),
    "--pidfile",
    join(root, "dockerd.pid"),
    "-H",
    `unix://${socketPath}`,
    `--bridge=${bridge}`,
    "--iptables=false",
    "--ip-masq=false",
    "--containerd-namespace",
    `berthtest-${process.pid}`,
    "--containerd-plugins-namespace",
    `berthtest-${process.pid}-plugins`,
  ];
  const proc: ChildProcess = spawn("dockerd", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const client = new Docker({ socketPath });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the private dockerd exited with ${proc.exitCode}:\n${out}`);
    if (
      await client.ping().then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) {
      proc.kill("SIGKILL");
      throw new Error(`the private dockerd did not answer in 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    host: `unix://${socketPath}`,
    socketPath,
    pid: proc.pid ?? NaN,
    client,
    stop,
    async destroy() {
      await stop();
      unmountUnder(root);
      deleteBridge(bridge);
      rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    },
    log: () => out,
  };
}

function createBridge(name: string, address: string): void {
  deleteBridge(name);
  execFileSync("ip", ["link", "add", name, "type", "bridge"]);
  execFileSync("ip", ["addr", "add", address, "dev", name]);
  execFileSync("ip", ["link", "set", name, "up"]);
}

function deleteBridge(name: string): void {
  try {
    execFileSync("ip", ["link", "del", name], { stdio: "ignore" });
  } catch {
    // not there
  }
}

/** Lazily unmounts what a stopped engine left mounted under `root` (a container's overlay). */
function unmountUnder(root: string): void {
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter((m) => m.startsWith(`${root}/`))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync("umount", ["-l", m]);
    } catch {
      // already gone
    }
  }
}

/** Copies an image from the shared engine into `target` (docker save | docker load). */
export async function copyImage(image: string, fromHost: string, target: PrivateDockerd): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile(
      "sh",
      ["-c", 'docker -H "$1" save "$3" | docker -H "$2" load', "sh", fromHost, target.host, image],
      (err, _stdout, stderr) => (err ? reject(new Error(`copying ${image} failed: ${stderr}`)) : resolve()),
    );
  });
}
