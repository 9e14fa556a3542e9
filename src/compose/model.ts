import type { ComposeLocation } from "./errors.js";
import type { KeyPath, LocatedFile } from "./located.js";
import type { Json } from "./normalize.js";
import type { UnsetVariable } from "./read-file.js";

/** Where a value was written: a file and the key path in it. */
export interface KeySource {
  file: LocatedFile;
  path: KeyPath;
}

/** The location of `sub` under a source. */
export function locateIn(source: KeySource, sub: KeyPath = []): ComposeLocation {
  return source.file.locate([...source.path, ...sub]);
}

/** One service after includes, extends and overrides, in the canonical long form. */
export interface LoadedService {
  name: string;
  /** Normalised (see normalizeService); environment holds only what `environment:` sets, resolved. */
  config: Json;
  /** The values its env files give (in file order, later files win), resolved. */
  envFileValues: Record<string, string>;
  /** Where each top-level key of `config` was written last. */
  sources: Map<string, KeySource>;
  /** Where the service is defined (its key under `services:`). */
  defined: KeySource;
}

/** One entry of the top-level `volumes:`, `secrets:`, `configs:` or `networks:`. */
export interface TopLevelEntry {
  config: Json;
  source: KeySource;
}

/** A compose project as Docker Compose v2 loads it. */
export interface ComposeProject {
  /** The project name (`-p`, COMPOSE_PROJECT_NAME, `name:`, or the directory's name). */
  name: string;
  /** The project directory relative paths resolve against. */
  workingDir: string;
  /** The compose files given (absolute), first to last. */
  files: string[];
  /** Every file read: the given ones, included and extended ones. */
  read: string[];
  /** The services the active profiles enable, in file order. */
  services: LoadedService[];
  /** Services left out because none of their profiles is active. */
  disabled: string[];
  volumes: Map<string, TopLevelEntry>;
  secrets: Map<string, TopLevelEntry>;
  configs: Map<string, TopLevelEntry>;
  networks: Map<string, TopLevelEntry>;
  /** Top-level keys other than these, with where they are (`version`, `x-*`, ...). */
  otherKeys: Map<string, TopLevelEntry>;
  /** Variables used but not set. */
  unset: UnsetVariable[];
}
