/**
 * Shared pieces of the kube-mode operator tests: the control plane with the Project CRD, one
 * namespace per test file, `berth run --kube` child processes, and reading objects with kubectl.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { readTestEnv } from "../../helpers/env.js";
import { kubeEnv, kubectl } from "../../helpers/kube.js";
import { api, docker, eventually, freePort, readStateToken } from "../operator/daemon.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(ROOT, "bin", "berth.js");
export const CRD_FILE = join(ROOT, "crds", "projects.berth.dev.yaml");
export const EXAMPLES = join(ROOT, "examples");
export const IMAGE = "berth-test/busybox:1";

/** A Project object as kubectl prints it with -o json. */
export interface KubeProject {
  metadata: {
    name: string;
    namespace: string;
    generation: number;
    resourceVersion: string;
    labels?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec: Record<string, unknown>;
  status?: {
    observedGeneration?: number;
    phase?: string;
    ready?: string;
    portSummary?: string;
    conditions?: {
      type: string;
      status: string;
      reason: string;
      message: string;
      observedGeneration?: number;
    }[];
    containers?: { name: string; containerID?: string; state?: string; health?: string }[];
    ports?: { container?: string; name?: string; hostPort?: number; url?: string }[];
  };
}

/** Runs kubectl and throws with its output when it fails. */
export async function kc(args: readonly string[], input?: string): Promise<string> {
  const r = await kubectl(args, input !== undefined ? { input } : {});
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr || r.stdout}`);
  return r.stdout;
}

/**
 * Brings the control plane up, installs the Project CRD and waits until it is served, then
 * makes each of `namespaces` exist and hold no Projects, Leases or Events.
 */
export async function setupKube(namespaces: readonly string[]): Promise<void> {
  kubeEnv();
  await kc(["apply", "-f", CRD_FILE]);
  await kc(["wait", "--for=condition=Established", "crd/projects.berth.dev", "--timeout=60s"]);
  for (const ns of namespaces) {
    const r = await kubectl(["create", "namespace", ns]);
    if (r.code !== 0 && !/AlreadyExists/.test(r.stderr))
      throw new Error(`creating namespace ${ns}: ${r.stderr}`);
    await emptyNamespace(ns);
  }
}

/**
 * Deletes every Project of `ns` while the operators still run (so the finalizer does the
 * cleanup), then stops them and empties the namespace.
 */
export async function tearDownNamespace(
  ns: string,
  operators: readonly (KubeOperator | undefined)[],
): Promise<void> {
  await kubectl(["delete", "bproj", "--all", "-n", ns, "--wait=true", "--timeout=90s"], {
    timeoutMs: 100_000,
  });
  for (const op of operators) await op?.stop();
  await emptyNamespace(ns);
}

/**
 * Deletes every Project of a namespace (clearing finalizers no operator serves any more), its
 * Leases and Events, and the Docker containers and networks of its projects. The namespace
 * stays: this control plane has no controller-manager to finish deleting one.
 */
export async function emptyNamespace(ns: string): Promise<void> {
  const names = (await kubectl(["get", "bproj", "-n", ns, "-o", "name"])).stdout.split("\n").filter(Boolean);
  for (const n of names) {
    await kubectl(["patch", n, "-n", ns, "--type=merge", "-p", '{"metadata":{"finalizers":null}}']);
  }
  await kubectl(["delete", "bproj", "--all", "-n", ns, "--wait=true", "--timeout=60s"], {
    timeoutMs: 70_000,
  });
  await kubectl(["delete", "leases,events", "--all", "-n", ns]);
  const d = docker();
  const mine = (labels: Record<string, string> | undefined) =>
    (labels?.["berth.dev/project"] ?? "").startsWith(`${ns}.`);
  for (const c of await d.listContainers({ all: true })) {
    if (mine(c.Labels))
      await d
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => {});
  }
  for (const n of await d.listNetworks()) {
    if (mine(n.Labels))
      await d
        .getNetwork(n.Id)
        .remove()
        .catch(() => {});
  }
}

/** One Project object, or undefined when it does not exist. */
export async function getProject(ns: string, name: string): Promise<KubeProject | undefined> {
  const r = await kubectl(["get", "bproj", name, "-n", ns, "-o", "json"]);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get bproj ${name} failed: ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as KubeProject;
}

/** Waits until the project's status says Running for its current generation; returns it. */
export async function waitRunning(ns: string, name: string, timeoutMs = 60_000): Promise<KubeProject> {
  return eventually(
    async () => {
      const p = await getProject(ns, name);
      const s = p?.status;
      return p && s?.phase === "Running" && s.observedGeneration === p.metadata.generation ? p : undefined;
    },
    timeoutMs,
    `${ns}/${name} Running`,
  );
}

/** A minimal Project document: one httpd container publishing port 8080 that stops on SIGTERM. */
export function projectYaml(
  ns: string,
  name: string,
  opts: {
    text?: string;
    host?: string;
    labels?: Record<string, string>;
    hostPort?: number;
    image?: string;
  } = {},
): string {
  const text = opts.text ?? "ok";
  const cmd = `mkdir -p /www; echo ${text} > /www/index.html; trap 'exit 0' TERM; httpd -f -p 8080 -h /www & wait`;
  const labels = opts.labels ? `\n  labels: ${JSON.stringify(opts.labels)}` : "";
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${name}
  namespace: ${ns}${labels}
spec:${opts.host ? `\n  host: ${opts.host}` : ""}
  containers:
    - name: web
      image: ${opts.image ?? IMAGE}
      imagePullPolicy: ${opts.image ? "Never" : "IfNotPresent"}
      command: ["sh", "-c", ${JSON.stringify(cmd)}]
      ports: [{name: http, containerPort: 8080${opts.hostPort ? `, hostPort: ${opts.hostPort}` : ""}}]
`;
}

/** A `berth run --kube` child process. */
export interface KubeOperator {
  url: string;
  stateDir: string;
  /** The API token in the state directory (read on first use; made when the HTTP server starts). */
  readonly token: string | undefined;
  proc: ChildProcess;
  logs(): string;
  /** SIGTERM (or `signal`) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** A metric's value summed over the series whose labels include `labels` (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

/** Options of {@link startOperator}. */
export interface OperatorOptions {
  namespace?: string;
  hostId?: string;
  portRange: string;
  stateDir?: string;
  extraArgs?: string[];
  /** Wait for /readyz; default true. */
  waitReady?: boolean;
}

/** Starts `berth run --kube` against the test control plane and waits until /readyz answers. */
export async function startOperator(opts: OperatorOptions): Promise<KubeOperator> {
  const env = kubeEnv();
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), "berth-kube-state-"));
  const port = await freePort();
  const args = [
    BIN,
    "run",
    "--kube",
    "--state-dir",
    stateDir,
    "--http",
    `127.0.0.1:${port}`,
    "--port-range",
    opts.portRange,
    "--stop-timeout",
    "2s",
    "--docker",
    readTestEnv().dockerHost,
    ...(opts.namespace ? ["--namespace", opts.namespace] : []),
    ...(opts.hostId ? ["--host-id", opts.hostId] : []),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: env.kubeconfig },
  });
  let out = "";
  proc.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  let token: string | undefined;
  const op: KubeOperator = {
    url,
    stateDir,
    get token() {
      token ??= readStateToken(stateDir);
      return token;
    },
    proc,
    logs: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    async metric(name, labels = {}) {
      const text = await (await api(op, "/metrics")).text();
      let sum = 0;
      for (const line of text.split("\n")) {
        const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
        if (!m || m[1] !== name) continue;
        const set = m[2] ?? "";
        if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[3]);
      }
      return sum;
    },
  };
  if (opts.waitReady === false) return op;
  await eventually(
    async () => {
      if (proc.exitCode !== null) throw new Error(`berth run --kube exited with ${proc.exitCode}:\n${out}`);
      return (await fetch(`${url}/readyz`)).ok;
    },
    60_000,
    "the operator to become ready",
  ).catch((err: unknown) => {
    proc.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n${out}`);
  });
  return op;
}

/** GETs a URL and returns its body when it answers 200 (undefined otherwise). */
export async function httpText(url: string): Promise<string | undefined> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = await r.text();
    return r.ok ? body : undefined;
  } catch {
    return undefined;
  }
}
