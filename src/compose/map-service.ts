/**
 * Maps one loaded compose service onto a Berth container spec, reporting every key (and part of
 * a key) it cannot carry over as a {@link Finding}. Pure.
 */
import { serviceKeyFinding } from "./findings.js";
import { mapDevelop } from "./map-develop.js";
import { mapHealthcheck } from "./map-health.js";
import { berthName, Mapper, type MapOptions, type MappedService } from "./map-context.js";
import { mapDependsOn, mapNetworks, mapResources, mapRestart } from "./map-runtime.js";
import { mapFileMounts, mapPorts, mapVolumes } from "./map-storage.js";
import { locateIn, type ComposeProject, type LoadedService } from "./model.js";
import type { Json } from "./normalize.js";

export { berthName } from "./map-context.js";
export type { MapOptions, MappedService } from "./map-context.js";

/** Keys mapped (fully or with findings) by this module; anything else goes through the rules table. */
export const MAPPED_SERVICE_KEYS: ReadonlySet<string> = new Set([
  "image",
  "build",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "expose",
  "volumes",
  "depends_on",
  "healthcheck",
  "restart",
  "working_dir",
  "deploy",
  "mem_limit",
  "cpus",
  "secrets",
  "configs",
  "networks",
  "profiles",
  "pull_policy",
  "scale",
  "develop",
]);

/** Maps one service. */
export function mapService(svc: LoadedService, project: ComposeProject, opts: MapOptions): MappedService {
  const m = new Mapper(svc, project, opts);
  const cfg = svc.config;
  const name = berthName(svc.name);
  if (!name)
    m.findings.push({
      severity: "error",
      key: `services.${svc.name}`,
      where: locateIn(svc.defined),
      reason: `"${svc.name}" cannot be a container name`,
      nearest: "rename the service to a DNS-1123 label",
    });
  m.c["name"] = name ?? svc.name;
  for (const key of Object.keys(cfg)) {
    if (MAPPED_SERVICE_KEYS.has(key) || key.startsWith("x-")) continue;
    m.findings.push(serviceKeyFinding(key, `services.${svc.name}.${key}`, locateIn(m.src(key))));
  }
  mapImage(m, cfg);
  if (Array.isArray(cfg["entrypoint"])) m.c["command"] = cfg["entrypoint"];
  if (Array.isArray(cfg["command"])) m.c["args"] = cfg["command"];
  if (typeof cfg["working_dir"] === "string") m.c["workingDir"] = cfg["working_dir"];
  mapEnvironment(m, cfg);
  mapPorts(m, cfg);
  mapVolumes(m, cfg);
  mapFileMounts(m, cfg, "secrets");
  mapFileMounts(m, cfg, "configs");
  mapResources(m, cfg);
  m.c["restartPolicy"] = mapRestart(m, cfg);
  const health = mapHealthcheck(cfg["healthcheck"] as Json | undefined, (sub, reason) =>
    m.report("warning", "healthcheck", sub, reason),
  );
  if (health) m.c["healthCheck"] = health;
  mapDependsOn(m, cfg);
  mapNetworks(m, cfg);
  mapDevelop(m, cfg);
  return { container: m.c, volumes: m.volumes, findings: m.findings };
}

function mapImage(m: Mapper, cfg: Json): void {
  const build = cfg["build"] as Json | undefined;
  const image =
    typeof cfg["image"] === "string" ? cfg["image"] : build ? `${m.project.name}-${m.svc.name}` : undefined;
  if (!image)
    m.findings.push({
      severity: "error",
      key: `services.${m.svc.name}`,
      where: locateIn(m.svc.defined),
      reason: "the service has neither image nor build",
    });
  m.c["image"] = image ?? "";
  const policy = cfg["pull_policy"];
  const pulls: Record<string, string> = {
    always: "Always",
    never: "Never",
    missing: "IfNotPresent",
    if_not_present: "IfNotPresent",
    build: "IfNotPresent",
  };
  if (typeof policy === "string") {
    const p = pulls[policy];
    if (!p)
      m.report(
        "warning",
        "pull_policy",
        [],
        `"${policy}" is not carried over; IfNotPresent is used`,
        "imagePullPolicy",
      );
    m.c["imagePullPolicy"] = p ?? "IfNotPresent";
  } else if (build) m.c["imagePullPolicy"] = "IfNotPresent";
  if (!build) return;
  const context = String(build["context"]);
  if (context.includes("://") || context.startsWith("git@")) {
    m.report("error", "build", ["context"], "Berth builds from a local directory only");
    return;
  }
  m.c["build"] = { context: m.path(context), dockerfile: String(build["dockerfile"] ?? "Dockerfile") };
  for (const key of Object.keys(build)) {
    if (key !== "context" && key !== "dockerfile")
      m.report(
        "warning",
        "build",
        [key],
        `build.${key} is not carried over; Berth builds with context and dockerfile only`,
      );
  }
}

function mapEnvironment(m: Mapper, cfg: Json): void {
  const env = (cfg["environment"] ?? {}) as Record<string, string | null>;
  const list = Object.entries(env).flatMap(([name, value]) => (value === null ? [] : [{ name, value }]));
  if (list.length > 0) m.c["env"] = list;
  const files = (cfg["env_file"] ?? []) as Json[];
  if (files.length > 0) m.c["envFrom"] = files.map((f) => ({ file: m.path(String(f["path"])) }));
  files.forEach((f, i) => {
    if (f["required"] === false)
      m.report("warning", "env_file", [i, "required"], "Berth requires every env file to exist");
    if (f["format"] !== undefined)
      m.report("warning", "env_file", [i, "format"], "Berth reads env files as dotenv");
  });
}
