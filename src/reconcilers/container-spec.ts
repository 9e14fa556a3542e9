import type { ContainerCreateSpec } from "../runtime/docker.js";
import {
  LABEL_CONTAINER,
  LABEL_IMAGE,
  LABEL_INSTANCE,
  LABEL_MANAGED,
  LABEL_PROJECT,
  LABEL_SPEC_HASH,
  projectLabelValue,
} from "../runtime/labels.js";
import type { PortAssignment } from "../ports/allocator.js";
import type { ResolvedEnv } from "./env.js";
import { volumeName } from "./names.js";
import {
  type ContainerSpec,
  hashOf,
  parseCpu,
  parseMemory,
  type RestartPolicy,
  type VolumeSpec,
} from "../api/index.js";

/** Everything a container's Docker form depends on; its hash is the spec-hash label. */
export interface ContainerInputs {
  key: string;
  /** The owning operator's instance id (label `berth.dev/instance`; not part of the hash). */
  instance: string;
  spec: ContainerSpec;
  /** Host ports assigned to this container's ports. */
  ports: readonly PortAssignment[];
  imageID: string;
  network: string;
  /** Address host ports are published on. */
  publishAddress: string;
  /**
   * The real host path of each of `spec.volumes`, in order, as `PathResolver` (mounts.ts) resolved
   * and checked it: what Docker mounts, and part of the hash (a re-pointed link replaces the container).
   */
  hostPaths: readonly string[];
  restartedAt: string | undefined;
  /**
   * The environment from env files and secrets (env.ts), when the spec has either; its digest is
   * hashed, its values never are. Undefined: the spec's own `env` values.
   */
  env?: ResolvedEnv | undefined;
  /** The project's named volumes this container mounts, ensured before it is created (not hashed). */
  namedVolumes?: readonly VolumeSpec[] | undefined;
}

/**
 * `berth.dev/depends-on=<name>,<name>`: the spec containers a container depends on, so that a
 * teardown (whose spec may be gone) stops dependents before their dependencies. Not hashed.
 */
export const LABEL_DEPENDS_ON = "berth.dev/depends-on";

const RESTART: Record<RestartPolicy, string> = {
  Always: "unless-stopped",
  OnFailure: "on-failure",
  Never: "no",
};

/**
 * The spec-hash of a container: its spec, resolved host ports, image ID, restart marker and the
 * real paths of its volumes. `dependsOn` and `develop` are left out: one orders starts, the other
 * drives the dev loop from outside; neither changes anything inside the container, so editing them
 * recreates nothing. Pure.
 */
export function containerHash(inputs: Omit<ContainerInputs, "instance" | "namedVolumes">): string {
  const { dependsOn: _order, develop: _devloop, ...spec } = inputs.spec;
  return hashOf({
    spec,
    ports: inputs.ports.map((p) => [p.containerPort, p.protocol, p.hostPort]),
    imageID: inputs.imageID,
    network: inputs.network,
    publishAddress: inputs.publishAddress,
    restartedAt: inputs.restartedAt ?? "",
    // where the volumes really are (relative paths and links resolved)
    ...(inputs.hostPaths.length ? { hostPaths: inputs.hostPaths } : {}),
    // a digest of the env files' and secrets' values: an edit replaces the container
    ...(inputs.env ? { envDigest: inputs.env.digest } : {}),
  });
}

/**
 * Docker's create body for a container (without the name). Pure: volumes are bound from
 * `inputs.hostPaths`, which the caller has resolved and checked.
 */
export function createSpec(inputs: ContainerInputs, name: string, hash: string): ContainerCreateSpec {
  const { spec } = inputs;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of inputs.ports) {
    const k = `${p.containerPort}/${p.protocol.toLowerCase()}`;
    exposed[k] = {};
    bindings[k] = [{ HostIp: inputs.publishAddress, HostPort: String(p.hostPort) }];
  }
  const memory = spec.resources?.memory !== undefined ? parseMemory(spec.resources.memory) : undefined;
  const cpu = spec.resources?.cpu !== undefined ? parseCpu(spec.resources.cpu) : undefined;
  const hc = spec.healthCheck;
  return {
    name,
    Image: spec.image,
    ...(spec.command ? { Entrypoint: spec.command } : {}),
    ...(spec.args ? { Cmd: spec.args } : {}),
    ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
    Env: inputs.env
      ? [...inputs.env.values.reveal()]
      : (spec.env ?? []).map((e) => `${e.name}=${e.value ?? ""}`),
    ExposedPorts: exposed,
    Labels: {
      [LABEL_MANAGED]: "true",
      [LABEL_PROJECT]: projectLabelValue(inputs.key),
      [LABEL_CONTAINER]: spec.name,
      [LABEL_SPEC_HASH]: hash,
      [LABEL_INSTANCE]: inputs.instance,
      [LABEL_IMAGE]: spec.image,
      ...(spec.dependsOn?.length ? { [LABEL_DEPENDS_ON]: spec.dependsOn.map((d) => d.name).join(",") } : {}),
    },
    ...(hc?.exec
      ? {
          Healthcheck: {
            Test: ["CMD", ...hc.exec.command],
            Interval: hc.periodSeconds * 1e9,
            Timeout: hc.timeoutSeconds * 1e9,
            Retries: hc.failureThreshold,
            StartPeriod: hc.initialDelaySeconds * 1e9,
          },
        }
      : {}),
    HostConfig: {
      NetworkMode: inputs.network,
      PortBindings: bindings,
      RestartPolicy: { Name: RESTART[spec.restartPolicy] },
      Binds: (spec.volumes ?? []).map((v, i) => {
        if (v.volume !== undefined)
          return `${volumeName(inputs.key, v.volume)}:${v.mountPath}${v.readOnly ? ":ro" : ""}`;
        const host = inputs.hostPaths[i];
        if (host === undefined) throw new Error(`no resolved host path for volume ${i} of ${spec.name}`);
        return `${host}:${v.mountPath}${v.readOnly ? ":ro" : ""}`;
      }),
      ...(memory !== undefined ? { Memory: memory } : {}),
      ...(cpu !== undefined ? { NanoCpus: cpu } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [inputs.network]: { Aliases: [spec.name] } } },
  };
}
