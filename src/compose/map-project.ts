/**
 * Maps a loaded compose project onto one Berth Project and its loss report, then validates the
 * result with the Project schema (so a compose project is accepted exactly when the Project it
 * becomes is). Pure apart from the schema.
 */
import { API_VERSION, KIND, parseProjects, type ParsedProject, type SpecError } from "../api/index.js";
import type { Finding } from "./findings.js";
import { mapService, berthName, type MapOptions } from "./map-service.js";
import { locateIn, type ComposeProject } from "./model.js";
import type { Json } from "./normalize.js";

/** The annotation naming the compose file a Project was made from. */
export const COMPOSE_FILE_ANNOTATION = "berth.dev/compose-file";

/** Berth options a compose file may set under `x-berth:`. */
export interface BerthExtension {
  namespace?: string;
  name?: string;
  allocatePorts?: boolean;
}

/** Options of a conversion, parsed once by the caller. */
export interface ConvertOptions extends MapOptions {
  /** Namespace when `x-berth.namespace` does not set one. Default "default". */
  namespace?: string | undefined;
  /** How the compose file is named in the annotation and messages. */
  source: string;
}

/** A converted project: the Project document (undefined when errors stop it) and the findings. */
export interface Conversion {
  project: Json;
  findings: Finding[];
  /** The validated, defaulted Project; undefined when there are error findings or schema errors. */
  parsed: ParsedProject | undefined;
  /** Schema errors of the mapped Project, located in the compose file. */
  schemaErrors: SpecError[];
}

/** Converts. Never throws for a loaded project: what cannot be carried over is in `findings`. */
export function convertProject(project: ComposeProject, opts: ConvertOptions): Conversion {
  const findings: Finding[] = [];
  const ext = extension(project, findings);
  const allocatePorts = opts.allocatePorts || ext.allocatePorts === true;
  const containers: Json[] = [];
  const volumes = new Map<string, "Keep" | "Delete">();
  for (const svc of project.services) {
    const mapped = mapService(svc, project, { ...opts, allocatePorts });
    containers.push(mapped.container);
    findings.push(...mapped.findings);
    for (const [n, r] of mapped.volumes) volumes.set(n, r);
  }
  topLevelFindings(project, findings);
  for (const u of project.unset)
    findings.push({
      severity: "warning",
      key: u.name,
      where: u.where,
      reason: `the variable ${u.name} is not set; it reads as the empty string`,
    });
  const name = berthName(ext.name ?? project.name) ?? project.name;
  const spec: Json = { state: "Running", containers };
  if (volumes.size > 0) spec["volumes"] = [...volumes].map(([n, retain]) => ({ name: n, retain }));
  const doc: Json = {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      namespace: ext.namespace ?? opts.namespace ?? "default",
      annotations: { [COMPOSE_FILE_ANNOTATION]: opts.source },
    },
    spec,
  };
  findings.sort(
    (a, b) =>
      a.where.file.localeCompare(b.where.file) ||
      a.where.line - b.where.line ||
      a.where.column - b.where.column,
  );
  const result = parseProjects(JSON.stringify(doc), opts.source);
  const schemaErrors = result.errors.map((e) => relocate(e, project));
  const blocked = findings.some((f) => f.severity === "error") || schemaErrors.length > 0;
  return { project: doc, findings, parsed: blocked ? undefined : result.projects[0], schemaErrors };
}

function extension(project: ComposeProject, findings: Finding[]): BerthExtension {
  const entry = project.otherKeys.get("x-berth");
  if (!entry) return {};
  const v = entry.config["value"];
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    findings.push({
      severity: "error",
      key: "x-berth",
      where: locateIn(entry.source),
      reason: "x-berth is a mapping: namespace, name, allocatePorts",
    });
    return {};
  }
  const out: BerthExtension = {};
  for (const [k, val] of Object.entries(v as Json)) {
    if ((k === "namespace" || k === "name") && typeof val === "string") out[k] = val;
    else if (k === "allocatePorts" && typeof val === "boolean") out.allocatePorts = val;
    else
      findings.push({
        severity: "error",
        key: `x-berth.${k}`,
        where: locateIn(entry.source, [k]),
        reason: `x-berth takes namespace and name (strings) and allocatePorts (a boolean), not ${k}: ${JSON.stringify(val)}`,
      });
  }
  return out;
}

function topLevelFindings(project: ComposeProject, findings: Finding[]): void {
  const add = (
    severity: Finding["severity"],
    source: Parameters<typeof locateIn>[0],
    key: string,
    reason: string,
    nearest?: string,
  ) => findings.push({ severity, key, where: locateIn(source), reason, ...(nearest ? { nearest } : {}) });
  for (const [key, e] of project.otherKeys) {
    if (key === "version")
      add("warning", e.source, key, "version is obsolete and ignored, as by Docker Compose");
    else if (!key.startsWith("x-"))
      add("warning", e.source, key, "Berth has no equivalent of this top-level key");
  }
  for (const [name, e] of project.volumes) {
    if (e.config["external"] === true)
      add(
        "error",
        e.source,
        `volumes.${name}.external`,
        "Berth's named volumes belong to their project; external volumes are not supported",
        "a hostPath volume",
      );
    for (const k of Object.keys(e.config))
      if (k !== "external")
        add(
          "warning",
          { file: e.source.file, path: [...e.source.path, k] },
          `volumes.${name}.${k}`,
          `volumes.${name}.${k} is not carried over; Berth creates local volumes`,
        );
  }
  for (const kind of ["secrets", "configs"] as const) {
    for (const [name, e] of project[kind]) {
      for (const k of Object.keys(e.config))
        if (k !== "file" && k !== "name")
          add(
            k === "external" ? "error" : "warning",
            { file: e.source.file, path: [...e.source.path, k] },
            `${kind}.${name}.${k}`,
            `${kind}.${name}.${k} is not carried over; Berth mounts file ${kind} only`,
          );
    }
  }
  const own = [...project.networks].filter(([n]) => n !== "default");
  for (const [name, e] of project.networks) {
    if (e.config["external"] === true)
      add(
        "error",
        e.source,
        `networks.${name}.external`,
        "Berth runs each project on its own network; external networks are not supported",
      );
    for (const k of Object.keys(e.config))
      if (k !== "external")
        add(
          "warning",
          { file: e.source.file, path: [...e.source.path, k] },
          `networks.${name}.${k}`,
          `networks.${name}.${k} is not carried over`,
        );
  }
  if (own.length > 1) {
    const [, first] = own[0] ?? [];
    if (first)
      add(
        "warning",
        first.source,
        "networks",
        `the ${own.length} networks become the project's one network: services that were kept apart can reach each other`,
      );
  }
}

/** A Project schema error as the compose file's location of the service it concerns. */
function relocate(e: SpecError, project: ComposeProject): SpecError {
  const m = /^spec\.containers\[(\d+)\](?:\.(\w+))?/.exec(e.path);
  const svc = m ? project.services[Number(m[1])] : undefined;
  const where = svc
    ? locateIn(svc.sources.get(composeKey(m?.[2])) ?? svc.defined)
    : { file: e.file, line: 1, column: 1 };
  const label = svc ? `services.${svc.name}` : "";
  return {
    ...e,
    file: where.file,
    line: where.line,
    column: where.column,
    path: label,
    message: `${e.path}: ${e.message}`,
  };
}

function composeKey(field: string | undefined): string {
  const keys: Record<string, string> = {
    command: "entrypoint",
    args: "command",
    env: "environment",
    envFrom: "env_file",
    workingDir: "working_dir",
    healthCheck: "healthcheck",
    dependsOn: "depends_on",
    restartPolicy: "restart",
  };
  return field ? (keys[field] ?? field) : "";
}
