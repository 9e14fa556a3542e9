/**
 * The workload of bench/compose, the same on both sides: one image, one command, one published
 * port per container; as compose services and as Berth Project specs. Also which dockerd events
 * belong to each side.
 */
import { formatSpecError, parseProjects } from "../src/api/index.js";
import { BERTH_NAMESPACE } from "./compose-kit.js";
import type { EventFilter } from "./docker-trace.js";

export const IMAGE = "berth-test/busybox:1";

/** httpd on 8080 under a shell that ignores SIGTERM (so do its children): a stop waits the grace. */
export const CMD = [
  "sh",
  "-c",
  "trap '' TERM; mkdir -p /www && echo ok > /www/index.html; httpd -f -p 8080 -h /www & while true; do sleep 1; done",
];

/** `n` consecutive numbers from `from`. */
export const range = (n: number, from: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/** One compose service publishing 127.0.0.1:`port`; `bridge`: on Docker's default bridge. */
export function composeService(name: string, port: number, graceSeconds: number, bridge: boolean): string {
  return (
    `  ${name}:\n    image: ${IMAGE}\n    entrypoint: ${JSON.stringify(CMD)}\n` +
    `    ports: ["127.0.0.1:${port}:8080"]\n    stop_grace_period: ${graceSeconds}s\n` +
    (bridge ? "    network_mode: bridge\n" : "")
  );
}

/** The name compose gives the container of service `s<i>` of `project`. */
export const composeContainer = (project: string, i: number): string => `${project}-s${i}-1`;

/** The name Berth gives container `c<i>` of project `name` in the benchmark's namespace. */
export const berthContainer = (name: string, i: number): string => `berth-${BERTH_NAMESPACE}-${name}-c${i}`;

/** A compose file of one service `s<i>` per port. */
export function composeFile(ports: readonly number[], graceSeconds: number, bridge: boolean): string {
  return `services:\n${ports.map((p, i) => composeService(`s${i}`, p, graceSeconds, bridge)).join("")}`;
}

/**
 * A Project of one container per port, in the benchmark's namespace. Checked here, so that a spec
 * Berth would reject fails the benchmark at once instead of at the poller's deadline.
 */
export function berthSpec(name: string, ports: readonly number[]): string {
  const containers = ports.map(
    (p, i) =>
      `    - name: c${i}\n      image: ${IMAGE}\n      command: ${JSON.stringify(CMD)}\n` +
      `      ports: [{name: http${i}, containerPort: 8080, hostPort: ${p}}]\n`,
  );
  const text =
    `apiVersion: berth.dev/v1alpha1\nkind: Project\n` +
    `metadata: {name: ${name}, namespace: ${BERTH_NAMESPACE}}\nspec:\n  containers:\n${containers.join("")}`;
  const { errors } = parseProjects(text, `${name}.yaml`);
  if (errors.length > 0) throw new Error(`bench spec invalid: ${errors.map(formatSpecError).join("; ")}`);
  return text;
}

/** Events of the compose projects whose names start with `prefix`. */
export const composeEvents = (prefix: string): EventFilter => ({
  container: (l) => (l["com.docker.compose.project"] ?? "").startsWith(prefix),
  network: (n) => n.startsWith(prefix),
});

/** Events of the Berth projects (of the benchmark's namespace) whose names start with `prefix`. */
export const berthEvents = (prefix: string): EventFilter => ({
  container: (l) => (l["berth.dev/project"] ?? "").startsWith(`${BERTH_NAMESPACE}.${prefix}`),
  network: (n) => n.startsWith(`berth-${BERTH_NAMESPACE}-${prefix}`),
});
