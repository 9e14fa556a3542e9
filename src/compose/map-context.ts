/**
 * The state of mapping one compose service: the container being built, the named volumes it
 * needs, the findings, and how to locate and report a key. Shared by the map-* modules.
 */
import { isAbsolute, relative } from "node:path";
import type { Finding, Severity } from "./findings.js";
import { locateIn, type ComposeProject, type KeySource, type LoadedService } from "./model.js";
import type { Json } from "./normalize.js";

/** How services are mapped, parsed once by the caller. */
export interface MapOptions {
  /** Turn fixed host ports into Berth's allocated ports (hostPort 0). */
  allocatePorts: boolean;
  /** Directory the Project's relative paths will be relative to (where its spec lives). */
  specDir: string;
}

/** What mapping a service yields: the container, named volumes it needs, and findings. */
export interface MappedService {
  container: Json;
  /** Named volumes (Berth names) the container mounts, with their retain policy. */
  volumes: Map<string, "Keep" | "Delete">;
  findings: Finding[];
}

/** A DNS-1123 label made of a compose name (`my_db` -> `my-db`), or undefined when none fits. */
export function berthName(name: string): string | undefined {
  const n = name.toLowerCase().replace(/[_.]/g, "-").slice(0, 63);
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(n) ? n : undefined;
}

/** Builds one container; see mapService. */
export class Mapper {
  readonly findings: Finding[] = [];
  readonly volumes = new Map<string, "Keep" | "Delete">();
  readonly c: Json = {};
  constructor(
    readonly svc: LoadedService,
    readonly project: ComposeProject,
    readonly opts: MapOptions,
  ) {}

  src(key: string): KeySource {
    return this.svc.sources.get(key) ?? this.svc.defined;
  }

  report(severity: Severity, key: string, sub: (string | number)[], reason: string, nearest?: string): void {
    const path = [
      `services.${this.svc.name}.${key}`,
      ...sub.map((s) => (typeof s === "number" ? `[${s}]` : `.${s}`)),
    ].join("");
    this.findings.push({
      severity,
      key: path,
      where: locateIn(this.src(key), sub),
      reason,
      ...(nearest ? { nearest } : {}),
    });
  }

  path(p: string): string {
    const rel = relative(this.opts.specDir, p);
    return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? p : `./${rel}`;
  }
}
