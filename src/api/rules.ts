import type { ContainerSpec, Project } from "./types.js";
import { checkDependencies } from "./dependencies.js";
import { checkDevelop } from "./develop-rules.js";
import type { FieldPath, RuleViolation } from "./paths.js";
import { MIN_MEMORY_BYTES, parseCpu, parseMemory } from "./quantity.js";

export type { RuleViolation } from "./paths.js";

/**
 * The rules the schema cannot state: uniqueness across list items, references between fields
 * (health-check ports, `dependsOn`), dependency cycles and quantity ranges. Pure; runs on a
 * document the schema has accepted and defaulted.
 */
export function checkRules(project: Project): RuleViolation[] {
  const out: RuleViolation[] = [];
  const containers = project.spec.containers;
  const firstName = new Map<string, number>();
  const hostPorts = new Map<string, FieldPath>();
  containers.forEach((c, i) => {
    const base: FieldPath = ["spec", "containers", i];
    const seen = firstName.get(c.name);
    if (seen !== undefined) {
      out.push({
        path: [...base, "name"],
        message: `"${c.name}" is already the name of spec.containers[${seen}]; container names must be unique`,
      });
    } else firstName.set(c.name, i);
    checkPorts(c, base, hostPorts, out);
    checkHealth(c, base, out);
    checkResources(c, base, out);
    checkUniqueItems(
      c.env?.map((e) => e.name),
      [...base, "env"],
      "name",
      "environment variable",
      out,
    );
    checkEnv(c, base, out);
    checkDevelop(c, base, out);
    checkUniqueItems(
      c.volumes?.map((v) => v.mountPath),
      [...base, "volumes"],
      "mountPath",
      "mount path",
      out,
    );
  });
  checkDependencies(containers, out);
  checkVolumes(project, out);
  return out;
}

function where(path: FieldPath): string {
  return path
    .map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`))
    .join("")
    .slice(1);
}

function checkPorts(
  c: ContainerSpec,
  base: FieldPath,
  hostPorts: Map<string, FieldPath>,
  out: RuleViolation[],
): void {
  const containerPorts = new Map<string, number>();
  // port names are unique per container, as in Kubernetes: two containers may each have "http"
  const portNames = new Map<string, FieldPath>();
  c.ports?.forEach((p, j) => {
    const path: FieldPath = [...base, "ports", j];
    if (p.name !== undefined) {
      const prev = portNames.get(p.name);
      if (prev) {
        out.push({
          path: [...path, "name"],
          message: `port name "${p.name}" is already used at ${where(prev)}; port names must be unique within a container`,
        });
      } else portNames.set(p.name, path);
    }
    const cpKey = `${p.containerPort}/${p.protocol}`;
    const prevCp = containerPorts.get(cpKey);
    if (prevCp !== undefined) {
      out.push({
        path: [...path, "containerPort"],
        message: `${cpKey} is already listed at ports[${prevCp}] of this container`,
      });
    } else containerPorts.set(cpKey, j);
    if (p.hostPort !== 0) {
      const hpKey = `${p.hostPort}/${p.protocol}`;
      const prevHp = hostPorts.get(hpKey);
      if (prevHp) {
        out.push({
          path: [...path, "hostPort"],
          message: `host port ${hpKey} is already requested at ${where(prevHp)}; use another port or 0 to allocate one`,
        });
      } else hostPorts.set(hpKey, [...path, "hostPort"]);
    }
  });
}

function checkHealth(c: ContainerSpec, base: FieldPath, out: RuleViolation[]): void {
  const hc = c.healthCheck;
  if (!hc) return;
  const path: FieldPath = [...base, "healthCheck"];
  const kinds = (["exec", "httpGet", "tcpSocket"] as const).filter((k) => hc[k] !== undefined);
  if (kinds.length !== 1) {
    const found = kinds.length === 0 ? "none" : kinds.join(" and ");
    out.push({ path, message: `needs exactly one of exec, httpGet or tcpSocket, found ${found}` });
    return;
  }
  const probe = hc.httpGet ?? hc.tcpSocket;
  if (!probe) return;
  const kind = hc.httpGet ? "httpGet" : "tcpSocket";
  const port = probe.port;
  const ports = c.ports ?? [];
  const ok =
    typeof port === "number"
      ? ports.some((p) => p.containerPort === port)
      : ports.some((p) => p.name === port);
  if (!ok) {
    const names = ports.map((p) => p.name ?? String(p.containerPort));
    const known = names.length
      ? `this container's ports are ${names.join(", ")}`
      : "this container has no ports";
    out.push({
      path: [...path, kind, "port"],
      message: `${JSON.stringify(port)} is not a port of container "${c.name}" (${known}); health checks probe a published port`,
    });
  }
}

function checkResources(c: ContainerSpec, base: FieldPath, out: RuleViolation[]): void {
  const r = c.resources;
  if (!r) return;
  if (r.memory !== undefined) {
    const bytes = parseMemory(r.memory);
    const path: FieldPath = [...base, "resources", "memory"];
    if (bytes === undefined)
      out.push({ path, message: `${JSON.stringify(r.memory)} is not a memory quantity such as 256Mi` });
    else if (bytes < MIN_MEMORY_BYTES) {
      out.push({
        path,
        message: `${JSON.stringify(r.memory)} is below Docker's minimum memory limit of 6Mi`,
      });
    }
  }
  if (r.cpu !== undefined) {
    const nano = parseCpu(r.cpu);
    const path: FieldPath = [...base, "resources", "cpu"];
    if (nano === undefined)
      out.push({ path, message: `${JSON.stringify(r.cpu)} is not a CPU quantity such as 500m` });
    else if (nano < 1e6) out.push({ path, message: `${JSON.stringify(r.cpu)} is below the minimum of 1m` });
  }
}

function checkUniqueItems(
  values: string[] | undefined,
  listPath: FieldPath,
  field: string,
  what: string,
  out: RuleViolation[],
): void {
  const seen = new Map<string, number>();
  values?.forEach((v, i) => {
    const prev = seen.get(v);
    if (prev !== undefined) {
      out.push({
        path: [...listPath, i, field],
        message: `${what} "${v}" is already set at ${where(listPath)}[${prev}]; remove one`,
      });
    } else seen.set(v, i);
  });
}

/** Each mount is a hostPath or a volume the project declares; volume names are unique. */
function checkVolumes(project: Project, out: RuleViolation[]): void {
  const declared = project.spec.volumes ?? [];
  checkUniqueItems(
    declared.map((v) => v.name),
    ["spec", "volumes"],
    "name",
    "volume",
    out,
  );
  const names = new Set(declared.map((v) => v.name));
  project.spec.containers.forEach((c, i) => {
    c.volumes?.forEach((v, j) => {
      const path: FieldPath = ["spec", "containers", i, "volumes", j];
      if ((v.hostPath === undefined) === (v.volume === undefined)) {
        const found = v.hostPath === undefined ? "neither" : "both";
        out.push({ path, message: `a mount needs exactly one of hostPath or volume, found ${found}` });
      } else if (v.volume !== undefined && !names.has(v.volume)) {
        const known = names.size ? `spec.volumes declares ${[...names].join(", ")}` : "spec.volumes is empty";
        out.push({
          path: [...path, "volume"],
          message: `volume "${v.volume}" is not declared (${known}); add {name: ${v.volume}} to spec.volumes`,
        });
      }
    });
  });
}

/** An env entry has a value or a valueFrom with exactly one source. */
function checkEnv(c: ContainerSpec, base: FieldPath, out: RuleViolation[]): void {
  c.env?.forEach((e, j) => {
    const path: FieldPath = [...base, "env", j];
    const from = e.valueFrom;
    if (!from) return;
    if (e.value !== undefined && e.value !== "") {
      out.push({ path: [...path, "value"], message: `"${e.name}" has both value and valueFrom; keep one` });
      return;
    }
    const kinds = (["secret", "secretKeyRef"] as const).filter((k) => from[k] !== undefined);
    if (kinds.length !== 1) {
      const found = kinds.length === 0 ? "none" : "both";
      out.push({
        path: [...path, "valueFrom"],
        message: `needs exactly one of secret or secretKeyRef, found ${found}`,
      });
      return;
    }
    const secret = from.secret;
    if (secret && (secret.file === undefined) === (secret.env === undefined)) {
      const found = secret.file === undefined ? "neither" : "both";
      out.push({
        path: [...path, "valueFrom", "secret"],
        message: `needs exactly one of file or env, found ${found}`,
      });
    }
  });
}
