import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The control plane `scripts/kube-env.sh up` started, as it wrote to `.cache/kube-env.json`. */
export interface KubeEnv {
  kubeconfig: string;
  server: string;
  /** Directory holding kube-apiserver, etcd and helm. */
  bin: string;
  kubectl: string;
  helm: string;
}

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const KUBE_ENV_SCRIPT = `${ROOT}scripts/kube-env.sh`;

let cached: KubeEnv | undefined;

/**
 * Brings up etcd and kube-apiserver (idempotent; the first call on a fresh machine builds them,
 * which takes minutes) and returns their settings. Call it from `beforeAll` with a long timeout.
 */
export function kubeEnv(): KubeEnv {
  if (cached) return cached;
  execFileSync("bash", [KUBE_ENV_SCRIPT, "up"], {
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 60 * 60_000,
  });
  cached = JSON.parse(readFileSync(`${ROOT}.cache/kube-env.json`, "utf8")) as KubeEnv;
  return cached;
}

/** The output of a finished command. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file args` with KUBECONFIG set to the test control plane; never rejects. */
export function run(
  file: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  const env = kubeEnv();
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      {
        env: { ...process.env, KUBECONFIG: env.kubeconfig, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** `kubectl args` against the test control plane. */
export function kubectl(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}) {
  return run(kubeEnv().kubectl, args, options);
}

/** `helm args` against the test control plane. */
export function helm(args: readonly string[], options: { input?: string; timeoutMs?: number } = {}) {
  return run(kubeEnv().helm, args, options);
}
