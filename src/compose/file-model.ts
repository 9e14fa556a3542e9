import { mergeService } from "./merge.js";
import type { LoadedService, TopLevelEntry } from "./model.js";

/** The top-level sections of named entries. */
export const TOP = ["volumes", "secrets", "configs", "networks"] as const;

/** What one file (with its includes) defines. */
export interface FileModel {
  services: Map<string, LoadedService>;
  top: Record<(typeof TOP)[number], Map<string, TopLevelEntry>>;
  otherKeys: Map<string, TopLevelEntry>;
  name: string | undefined;
}

/** `b` over `a`, as a later `-f` file over an earlier one. Pure. */
export function mergeModels(a: FileModel, b: FileModel): FileModel {
  const services = new Map(a.services);
  for (const [name, svc] of b.services) {
    const prev = services.get(name);
    services.set(
      name,
      prev
        ? {
            ...svc,
            config: mergeService(prev.config, svc.config),
            sources: new Map([...prev.sources, ...svc.sources]),
            defined: prev.defined,
          }
        : svc,
    );
  }
  const top = { ...a.top };
  for (const key of TOP) {
    const m = new Map(a.top[key]);
    for (const [n, e] of b.top[key]) {
      const prev = m.get(n);
      m.set(n, prev ? { config: { ...prev.config, ...e.config }, source: e.source } : e);
    }
    top[key] = m;
  }
  return { services, top, otherKeys: new Map([...a.otherKeys, ...b.otherKeys]), name: b.name ?? a.name };
}
