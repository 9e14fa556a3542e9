/**
 * A compose file as a source of desired state: the file source hands over the text of a
 * `compose.yaml` it watches and gets back what a Project spec file would give, a ParseResult,
 * plus the loss report's warnings. Synchronous (it reads `.env`, included and extended files).
 */
import { basename, dirname } from "node:path";
import type { ParseResult, SpecError } from "../api/index.js";
import { ComposeLoadError } from "./errors.js";
import { formatFinding, type Finding } from "./findings.js";
import { loadComposeProject } from "./loader.js";
import { convertProject } from "./map-project.js";

/** The file names Docker Compose looks for, which a watched directory runs as compose projects. */
export const COMPOSE_FILE_NAMES: readonly string[] = [
  "compose.yaml",
  "compose.yml",
  "docker-compose.yaml",
  "docker-compose.yml",
];

/** Whether `path` is named like a compose file. */
export function isComposeFile(path: string): boolean {
  return COMPOSE_FILE_NAMES.includes(basename(path));
}

/** Options of compose projects in a watched directory, parsed once from the operator's options. */
export interface ComposeSourceOptions {
  /**
   * The environment interpolation reads (the operator's, passed in); a function, so that printing
   * the options never prints the environment.
   */
  env: () => Readonly<Record<string, string | undefined>>;
  /** `--allocate-ports` for compose projects. */
  allocatePorts: boolean;
  /** `--profile`; default COMPOSE_PROFILES. */
  profiles?: readonly string[] | undefined;
}

/** What a compose file yields: its project (or errors), and warnings of the loss report. */
export interface ComposeParse {
  result: ParseResult;
  warnings: Finding[];
}

/**
 * Loads the compose file at `abs` (whose current text is `text`) and converts it. Never throws
 * for bad input: load errors, error findings and schema errors of the Project become SpecErrors
 * with the compose file's line and column.
 */
export function parseComposeSpec(
  abs: string,
  text: string,
  display: (p: string) => string,
  opts: ComposeSourceOptions,
): ComposeParse {
  try {
    const project = loadComposeProject({
      files: [abs],
      env: opts.env(),
      profiles: opts.profiles,
      display,
      texts: new Map([[abs, text]]),
    });
    const conversion = convertProject(project, {
      allocatePorts: opts.allocatePorts,
      specDir: dirname(abs),
      source: display(abs),
    });
    const name = conversion.project["metadata"] as { name: string; namespace: string };
    const ref = { namespace: name.namespace, name: name.name };
    const errors: SpecError[] = conversion.findings
      .filter((f) => f.severity === "error")
      .map((f) => ({
        code: "Rule",
        file: f.where.file,
        line: f.where.line,
        column: f.where.column,
        path: f.key,
        message: formatFinding(f).replace(/^\S+ \S+: error: /, ""),
        project: ref,
      }));
    errors.push(...conversion.schemaErrors.map((e) => ({ ...e, project: ref })));
    const warnings = conversion.findings.filter((f) => f.severity === "warning");
    const parsed = conversion.parsed;
    if (errors.length > 0 || !parsed) return { result: { projects: [], errors }, warnings };
    return {
      result: { projects: [{ ...parsed, file: display(abs), line: 1, document: 0 }], errors: [] },
      warnings,
    };
  } catch (error) {
    if (!(error instanceof ComposeLoadError)) throw error;
    const { file, line, column } = error.location;
    const message = error.message.replace(/^\S+:\d+:\d+ (\S+: )?/, "");
    const code = message.startsWith("YAML syntax error") ? "Syntax" : "Schema";
    return {
      result: { projects: [], errors: [{ code, file, line, column, path: error.path, message }] },
      warnings: [],
    };
  }
}
