import { readFileSync } from "node:fs";
import { relative, resolve } from "node:path";
import { collectSpecFiles, formatSpecError, loadSpecFiles, projectKey } from "../api/index.js";
import { isComposeFile, parseComposeSpec } from "../compose/index.js";
import type { CliIo } from "./io.js";
import { CliError } from "./io.js";

/** Options of `berth validate`, parsed once by the command line. */
export interface ValidateOptions {
  output: "text" | "json";
  quiet: boolean;
}

/**
 * `berth validate PATH...`: validates every spec file under the paths. Returns the exit code:
 * 0 when everything is valid, 1 otherwise. Never throws for bad specs.
 */
export async function runValidate(
  paths: readonly string[],
  opts: ValidateOptions,
  io: CliIo,
  env: Readonly<Record<string, string | undefined>> = {},
): Promise<number> {
  const { files, missing } = await collectSpecFiles(paths.map((p) => resolve(p)));
  if (missing.length > 0) {
    const shown = missing.map((m) => paths[paths.map((p) => resolve(p)).indexOf(m)] ?? m);
    throw new CliError(`no such file or directory: ${shown.join(", ")}`);
  }
  if (files.length === 0) throw new CliError(`no .yaml or .yml files under ${paths.join(", ")}`);
  const result = loadSpecFiles(files.filter((f) => !isComposeFile(f)));
  // compose files are projects too, as `berth run --dir` reads them
  for (const f of files.filter(isComposeFile)) {
    const parsed = parseComposeSpec(f, readFileSync(f, "utf8"), (p) => relative(process.cwd(), p) || p, {
      env: () => env,
      allocatePorts: false,
    }).result;
    result.files.push(f);
    result.projects.push(...parsed.projects);
    result.errors.push(...parsed.errors);
  }
  const valid = result.errors.length === 0;
  if (opts.output === "json") {
    const projects = result.projects.map((p) => ({
      namespace: p.project.metadata.namespace,
      name: p.project.metadata.name,
      file: p.file,
      line: p.line,
      hash: p.hash,
    }));
    io.out(
      `${JSON.stringify({ valid, files: result.files.length, projects, errors: result.errors }, null, 2)}\n`,
    );
    return valid ? 0 : 1;
  }
  for (const e of result.errors) io.err(`${formatSpecError(e)}\n`);
  if (!opts.quiet) {
    for (const p of result.projects) io.out(`ok  ${projectKey(p.project).padEnd(32)} ${p.file}:${p.line}\n`);
  }
  const errorFiles = new Set(result.errors.map((e) => e.file)).size;
  const summary = valid
    ? `${result.projects.length} project(s) in ${files.length} file(s) valid\n`
    : `${result.errors.length} error(s) in ${errorFiles} of ${files.length} file(s); ${result.projects.length} project(s) valid\n`;
  (valid ? io.out : io.err)(summary);
  return valid ? 0 : 1;
}
