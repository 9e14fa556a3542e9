/**
 * The loss report: every compose key Berth cannot carry over, with where it is written, why,
 * and the nearest Berth feature. An `error` finding means the project would behave differently
 * in a way that matters (it is not converted); a `warning` is converted without it. The table
 * below is the README's "From docker compose" table.
 */
import type { ComposeLocation } from "./errors.js";

export type Severity = "error" | "warning";

/** One key that was not carried over (or only partly). */
export interface Finding {
  severity: Severity;
  /** The compose key path, e.g. `services.web.privileged`. */
  key: string;
  where: ComposeLocation;
  reason: string;
  /** The nearest Berth feature, when there is one. */
  nearest?: string;
}

interface Rule {
  severity: Severity;
  reason: string;
  nearest?: string;
}

const HOST = "Berth runs every container on its project's own bridge network";

/** Service keys Berth refuses or leaves out, by key. Keys not listed here and not mapped are warnings. */
export const SERVICE_KEY_RULES: Readonly<Record<string, Rule>> = {
  network_mode: {
    severity: "error",
    reason: `${HOST}; host, none, container: and service: network modes are not supported`,
    nearest: "ports (published host ports)",
  },
  privileged: { severity: "error", reason: "Berth does not run privileged containers" },
  cap_add: { severity: "error", reason: "Berth does not add kernel capabilities" },
  devices: { severity: "error", reason: "Berth does not pass host devices into containers" },
  device_cgroup_rules: { severity: "error", reason: "Berth does not pass host devices into containers" },
  gpus: { severity: "error", reason: "Berth does not pass GPUs into containers" },
  ipc: { severity: "error", reason: "Berth does not share IPC namespaces" },
  pid: { severity: "error", reason: "Berth does not share PID namespaces" },
  userns_mode: { severity: "error", reason: "Berth does not change the user namespace" },
  uts: { severity: "error", reason: "Berth does not share the UTS namespace" },
  cgroup: { severity: "error", reason: "Berth does not change the cgroup namespace" },
  volumes_from: {
    severity: "error",
    reason: "Berth does not share one container's volumes with another",
    nearest: "a named volume (spec.volumes) mounted in both",
  },
  use_api_socket: { severity: "error", reason: "Berth does not hand the Docker socket to containers" },
  provider: { severity: "error", reason: "Berth runs containers only; provider services are not supported" },
  models: { severity: "error", reason: "Berth does not run models" },
  user: {
    severity: "warning",
    reason: "Berth runs the image's user; the container spec has no user",
    nearest: "set USER in the image",
  },
  container_name: {
    severity: "warning",
    reason: "Berth names containers berth-<namespace>-<project>-<container>",
    nearest: "the service name stays the container's name on the network",
  },
  hostname: {
    severity: "warning",
    reason: "the container is reached by its service name on the project network",
  },
  domainname: {
    severity: "warning",
    reason: "the container is reached by its service name on the project network",
  },
  labels: {
    severity: "warning",
    reason: "Berth sets its own container labels",
    nearest: "metadata.labels of the project",
  },
  links: { severity: "warning", reason: "every service reaches the others by name on the project network" },
  external_links: {
    severity: "warning",
    reason: "Berth projects do not reach containers outside their network",
  },
  extra_hosts: { severity: "warning", reason: "Berth does not add /etc/hosts entries" },
  dns: { severity: "warning", reason: "Berth uses Docker's DNS" },
  dns_opt: { severity: "warning", reason: "Berth uses Docker's DNS" },
  dns_search: { severity: "warning", reason: "Berth uses Docker's DNS" },
  cap_drop: { severity: "warning", reason: "Berth keeps Docker's default capabilities" },
  security_opt: { severity: "warning", reason: "Berth keeps Docker's default security options" },
  sysctls: { severity: "warning", reason: "Berth does not set sysctls" },
  ulimits: { severity: "warning", reason: "Berth keeps Docker's default ulimits" },
  tmpfs: { severity: "warning", reason: "Berth does not mount tmpfs", nearest: "a named volume" },
  shm_size: { severity: "warning", reason: "Berth keeps Docker's default /dev/shm size" },
  stop_signal: { severity: "warning", reason: "Berth stops containers with SIGTERM" },
  stop_grace_period: { severity: "warning", reason: "Berth uses its own stop timeout" },
  logging: {
    severity: "warning",
    reason: "Berth follows container logs itself",
    nearest: "spec.logs.retainLines",
  },
  init: { severity: "warning", reason: "Berth does not add an init process" },
  tty: { severity: "warning", reason: "Berth does not allocate a TTY" },
  stdin_open: { severity: "warning", reason: "Berth does not keep stdin open" },
  platform: { severity: "warning", reason: "Berth pulls and builds for the host's platform" },
  read_only: { severity: "warning", reason: "Berth does not make the root file system read-only" },
  mem_reservation: {
    severity: "warning",
    reason: "Berth sets memory limits only",
    nearest: "resources.memory",
  },
  memswap_limit: {
    severity: "warning",
    reason: "Berth sets memory limits only",
    nearest: "resources.memory",
  },
  post_start: { severity: "warning", reason: "Berth has no lifecycle hooks" },
  pre_stop: { severity: "warning", reason: "Berth has no lifecycle hooks" },
  annotations: { severity: "warning", reason: "Berth does not set container annotations" },
  attach: { severity: "warning", reason: "Berth follows every container's logs" },
  label_file: { severity: "warning", reason: "Berth sets its own container labels" },
  mac_address: { severity: "warning", reason: "Docker assigns the address" },
  pull_refresh_after: {
    severity: "warning",
    reason: "Berth pulls by imagePullPolicy",
    nearest: "imagePullPolicy",
  },
};

/** A finding of a rule of {@link SERVICE_KEY_RULES}, or the default one for a key Berth does not know. */
export function serviceKeyFinding(key: string, path: string, where: ComposeLocation): Finding {
  const rule = SERVICE_KEY_RULES[key] ?? {
    severity: "warning" as const,
    reason: "Berth has no equivalent of this key",
  };
  return {
    severity: rule.severity,
    key: path,
    where,
    reason: rule.reason,
    ...(rule.nearest ? { nearest: rule.nearest } : {}),
  };
}

/** `file:line:col key: [error] reason (nearest: ...)`, one line. */
export function formatFinding(f: Finding): string {
  const near = f.nearest ? ` (nearest: ${f.nearest})` : "";
  return `${f.where.file}:${f.where.line}:${f.where.column} ${f.key}: ${f.severity}: ${f.reason}${near}`;
}
