import { isAbsolute, relative, resolve } from "node:path";
import { hashOf } from "../api/hash.js";
import { parseCpu, parseMemory } from "../api/quantity.js";
import type { ContainerSpec, RestartPolicy } from "../api/types.js";
import type { ContainerCreateSpec } from "../runtime/docker.js";
import {
  LABEL_CONTAINER,
  LABEL_INSTANCE,
  LABEL_MANAGED,
  LABEL_PROJECT,
  LABEL_SPEC_HASH,
  projectLabelValue,
} from "../runtime/labels.js";
import { TerminalError } from "../controller/errors.js";
import type { PortAssignment } from "./ports.js";

/** The annotation whose change restarts a project's containers. */
export const RESTARTED_AT = "berth.dev/restartedAt";

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
  /** Directory relative volume paths resolve against (the spec file's directory). */
  specDir: string;
  restartedAt: string | undefined;
}

/** Where host paths may be mounted from, parsed once from the operator's options. */
export interface MountPolicy {
  /** Absolute directories a hostPath must lie within; empty = any. */
  allowedRoots: readonly string[];
}

const RESTART: Record<RestartPolicy, string> = {
  Always: "unless-stopped",
  OnFailure: "on-failure",
  Never: "no",
};

/** The spec-hash of a container: its spec, resolved host ports, image ID and restart marker. Pure. */
export function containerHash(inputs: Omit<ContainerInputs, "instance">): string {
  return hashOf({
    spec: inputs.spec,
    ports: inputs.ports.map((p) => [p.containerPort, p.protocol, p.hostPort]),
    imageID: inputs.imageID,
    network: inputs.network,
    publishAddress: inputs.publishAddress,
    restartedAt: inputs.restartedAt ?? "",
    // relative volume paths resolve against the spec file's directory
    ...(inputs.spec.volumes?.length ? { specDir: inputs.specDir } : {}),
  });
}

/**
 * Docker's create body for a container (without the name). Throws TerminalError for a volume
 * outside the allowed roots: a spec problem that retrying cannot fix.
 */
export function createSpec(
  inputs: ContainerInputs,
  name: string,
  hash: string,
  policy: MountPolicy,
): ContainerCreateSpec {
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
    Env: (spec.env ?? []).map((e) => `${e.name}=${e.value}`),
    ExposedPorts: exposed,
    Labels: {
      [LABEL_MANAGED]: "true",
      [LABEL_PROJECT]: projectLabelValue(inputs.key),
      [LABEL_CONTAINER]: spec.name,
      [LABEL_SPEC_HASH]: hash,
      [LABEL_INSTANCE]: inputs.instance,
      "berth.dev/image": spec.image,
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
      Binds: (spec.volumes ?? []).map((v) => {
        const host = hostPath(inputs.specDir, v.hostPath, policy);
        return `${host}:${v.mountPath}${v.readOnly ? ":ro" : ""}`;
      }),
      ...(memory !== undefined ? { Memory: memory } : {}),
      ...(cpu !== undefined ? { NanoCpus: cpu } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [inputs.network]: { Aliases: [spec.name] } } },
  };
}

function hostPath(specDir: string, path: string, policy: MountPolicy): string {
  const abs = resolve(specDir, path);
  if (policy.allowedRoots.length === 0) return abs;
  const inside = policy.allowedRoots.some((root) => {
    const rel = relative(root, abs);
    return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
  });
  if (!inside) {
    throw new TerminalError(
      `volume hostPath ${JSON.stringify(path)} resolves to ${abs}, outside the allowed roots (${policy.allowedRoots.join(", ")}); ` +
        "use a path inside the watched directory or start berth with --allow-host-path",
    );
  }
  return abs;
}
