import { existsSync } from "node:fs";
import { ComposeLoadError } from "./errors.js";
import type { Lookup } from "./interpolate.js";
import { locateIn, type LoadedService } from "./model.js";
import type { Json } from "./normalize.js";
import { readDotenv } from "./project-env.js";

/** Checks depends_on against the enabled services and resolves environment values. */
export function resolveService(
  svc: LoadedService,
  enabled: readonly LoadedService[],
  lookup: Lookup,
  display: (p: string) => string,
  offline: boolean,
): void {
  const names = new Set(enabled.map((s) => s.name));
  const deps = (svc.config["depends_on"] ?? {}) as Record<string, Json>;
  for (const [dep, d] of Object.entries(deps)) {
    if (names.has(dep)) continue;
    if (d["required"] === false) {
      delete deps[dep];
      continue;
    }
    const src = svc.sources.get("depends_on") ?? svc.defined;
    throw new ComposeLoadError(
      locateIn(src),
      `services.${svc.name}.depends_on`,
      `service "${svc.name}" depends on undefined service "${dep}"`,
      { hint: "define it, enable its profile, or mark the dependency required: false" },
    );
  }
  const values: Record<string, string> = {};
  for (const e of offline ? [] : ((svc.config["env_file"] ?? []) as Json[])) {
    const path = String(e["path"]);
    if (!existsSync(path)) {
      if (e["required"] === false) continue;
      const src = svc.sources.get("env_file") ?? svc.defined;
      throw new ComposeLoadError(
        locateIn(src),
        `services.${svc.name}.env_file`,
        `env file ${path} not found`,
      );
    }
    for (const [k, v] of readDotenv(path, display(path), lookup)) values[k] = v;
  }
  svc.envFileValues = values;
  const args = (svc.config["build"] as Record<string, unknown> | undefined)?.["args"] as
    Record<string, string | null> | undefined;
  if (args)
    for (const [k, v] of Object.entries(args))
      if (v === null) {
        const found = lookup(k);
        if (found === undefined) delete args[k];
        else args[k] = found;
      }
  const env = svc.config["environment"] as Record<string, string | null> | undefined;
  if (env) for (const [k, v] of Object.entries(env)) if (v === null) env[k] = lookup(k) ?? values[k] ?? null;
}
