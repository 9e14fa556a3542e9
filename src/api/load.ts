import { readdir, stat } from "node:fs/promises";
import { join, relative } from "node:path";
import type { SpecError } from "./errors.js";
import { projectKey } from "./keys.js";
import { parseProjects, type ParsedProject } from "./parse.js";
import { readSpecText } from "./spec-file.js";

export { readSpecText } from "./spec-file.js";

const SPEC_FILE = /\.ya?ml$/i;
const SKIPPED_DIRS = new Set(["node_modules", ".git"]);

/** Whether a file name is one Berth reads as specs. */
export function isSpecFile(name: string): boolean {
  return SPEC_FILE.test(name);
}

/**
 * Expands files and directories into the spec files they hold (recursively, sorted, skipping
 * hidden directories and node_modules). A path that does not exist is reported, not thrown.
 * A path given here is followed if it is a link; inside a directory only regular files and real
 * directories are taken: symbolic links (to files or directories), FIFOs, devices and sockets
 * are skipped, so nothing outside the directory is listed.
 */
export async function collectSpecFiles(
  paths: readonly string[],
): Promise<{ files: string[]; missing: string[] }> {
  const files: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (!info) missing.push(p);
    else if (info.isDirectory()) files.push(...(await walk(p)));
    else files.push(p);
  }
  return { files: [...new Set(files)], missing };
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : 1));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith(".") || SKIPPED_DIRS.has(e.name)) continue;
    const path = join(dir, e.name);
    // Dirent types are the entry's own (lstat): a link is neither a directory nor a file.
    if (e.isDirectory()) out.push(...(await walk(path)));
    else if (e.isFile() && isSpecFile(e.name)) out.push(path);
  }
  return out;
}

/** The result of validating a set of files: valid projects, and errors in file order. */
export interface LoadResult {
  files: string[];
  projects: ParsedProject[];
  errors: SpecError[];
}

/**
 * Reads (see {@link readSpecText}: regular files only, at most 1 MiB, never a blocking open),
 * parses and validates spec files, synchronously. A project defined twice (same namespace and
 * name) is kept where it is first defined and reported where it is defined again. `display`
 * turns a path into the name errors show (relative to the working directory by default).
 */
export function loadSpecFiles(
  files: readonly string[],
  display: (path: string) => string = (p) => relative(process.cwd(), p) || p,
): LoadResult {
  const result: LoadResult = { files: [...files], projects: [], errors: [] };
  for (const path of files) {
    const name = display(path);
    const text = readSpecText(path);
    if (typeof text !== "string") {
      result.errors.push({
        code: text.code,
        file: name,
        line: 1,
        column: 1,
        path: "",
        message: text.message,
      });
      continue;
    }
    const parsed = parseProjects(text, name);
    result.projects.push(...parsed.projects);
    result.errors.push(...parsed.errors);
  }
  const { unique, duplicates } = splitDuplicates(result.projects);
  result.projects = unique;
  result.errors.push(...duplicates);
  return result;
}

/**
 * Keeps the first definition of each namespace/name and reports the later ones at their
 * `metadata.name`. Pure; input order decides which definition is first.
 */
export function splitDuplicates(projects: readonly ParsedProject[]): {
  unique: ParsedProject[];
  duplicates: SpecError[];
} {
  const first = new Map<string, ParsedProject>();
  const duplicates: SpecError[] = [];
  for (const p of projects) {
    const key = projectKey(p.project);
    const prev = first.get(key);
    if (!prev) {
      first.set(key, p);
      continue;
    }
    duplicates.push({
      code: "Duplicate",
      file: p.file,
      line: p.line,
      column: 1,
      path: "metadata.name",
      message: `project ${key} is already defined at ${prev.file}:${prev.line}; rename one of them or give it another namespace`,
      project: { namespace: p.project.metadata.namespace, name: p.project.metadata.name },
    });
  }
  return { unique: [...first.values()], duplicates };
}
