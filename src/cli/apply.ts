import { resolve } from "node:path";
import {
  collectSpecFiles,
  formatSpecError,
  loadSpecFiles,
  readSpecText,
  type WriteResult,
} from "../api/index.js";
import type { DaemonClient } from "./client.js";
import { parseTimeout } from "./duration.js";
import { CliError, type CliIo } from "./io.js";
import { ProgressLine } from "./progress.js";
import { reportWrite } from "./write-output.js";

/** Options of `berth apply`, parsed once by the command line. */
export interface ApplyCommandOptions {
  filename: string[];
  dryRun?: boolean;
  wait?: boolean;
  timeout?: string;
}

/**
 * `berth apply -f FILE|DIR...`: validates the files locally (printing the same errors as
 * `berth validate`, and sending nothing when there is one), then sends all their documents in
 * one request, which the daemon applies as a whole or not at all. Returns the exit code.
 */
export async function runApply(
  client: DaemonClient,
  opts: ApplyCommandOptions,
  io: CliIo,
  tty: boolean,
): Promise<number> {
  if (opts.filename.length === 0) throw new CliError("no files given; use -f FILE or -f DIR", 2);
  const timeoutMs = parseTimeout(opts.timeout ?? "60s");
  const { files, missing } = await collectSpecFiles(opts.filename.map((p) => resolve(p)));
  if (missing.length > 0) throw new CliError(`no such file or directory: ${missing.join(", ")}`);
  if (files.length === 0) throw new CliError(`no .yaml or .yml files under ${opts.filename.join(", ")}`);
  const loaded = loadSpecFiles(files);
  if (loaded.errors.length > 0) {
    for (const e of loaded.errors) io.err(`${formatSpecError(e)}\n`);
    const bad = new Set(loaded.errors.map((e) => e.file)).size;
    io.err(`${loaded.errors.length} error(s) in ${bad} of ${files.length} file(s); nothing was applied\n`);
    return 1;
  }
  if (loaded.projects.length === 0) throw new CliError(`no Project documents in ${opts.filename.join(", ")}`);
  const texts = files.map((f) => readSpecText(f));
  const body = joinDocuments(texts.filter((t): t is string => typeof t === "string"));
  const progress = new ProgressLine(io, tty);
  const response = await client.apply(body, {
    dryRun: opts.dryRun === true,
    wait: opts.wait === true,
    timeoutMs,
    onProgress: (m) => progress.update(m),
  });
  return reportWrite(response, applyVerb, io, progress);
}

function applyVerb(r: WriteResult): string {
  return r.action === "updated" ? "configured" : r.action;
}

/**
 * One multi-document YAML text from several files: `---` between them, or `...` before a file
 * that starts with a directive (which must not follow a document without an end marker).
 */
export function joinDocuments(texts: readonly string[]): string {
  return texts
    .map((t, i) => {
      const body = t.endsWith("\n") || t === "" ? t : `${t}\n`;
      if (i === 0) return body;
      const first = body.split("\n").find((l) => !/^\s*(#|$)/.test(l)) ?? "";
      return (first.startsWith("%") ? "...\n" : "---\n") + body;
    })
    .join("");
}
