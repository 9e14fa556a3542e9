import { relative } from "node:path";
import { stringify } from "yaml";
import type { ProjectView } from "../service/view.js";
import type { DaemonClient } from "./client.js";
import { jobsColumn, portsColumn, readyColumn, toResource } from "./columns.js";
import { ageOf } from "./duration.js";
import { CliError, type CliIo } from "./io.js";
import { resolveName } from "./names.js";
import { renderTable } from "./table.js";

/** Options of `berth get`, parsed once by the command line. */
export interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  output?: string;
  selector?: string;
}

const OUTPUTS = ["wide", "json", "yaml"];

/**
 * `berth get [NAME]`: one project, or the projects of a namespace (`-A`: all), as a table or as
 * JSON/YAML resources. Returns the exit code; throws CliError when the daemon cannot answer.
 */
export async function runGet(
  client: DaemonClient,
  name: string | undefined,
  opts: GetOptions,
  io: CliIo,
  now: Date,
): Promise<number> {
  if (opts.output !== undefined && !OUTPUTS.includes(opts.output)) {
    throw new CliError(`invalid output format "${opts.output}": use wide, json or yaml`, 2);
  }
  if (opts.allNamespaces && opts.namespace) throw new CliError("use either -n NAMESPACE or -A, not both", 2);
  if (name !== undefined) {
    const ref = resolveName(name, opts.namespace);
    const view = await client.get(ref.namespace, ref.name);
    print([view], opts, io, now, false);
    return 0;
  }
  const namespace = opts.allNamespaces ? undefined : (opts.namespace ?? "default");
  const [views, info] = await Promise.all([
    client.list({
      ...(namespace ? { namespace } : {}),
      ...(opts.selector ? { labelSelector: opts.selector } : {}),
    }),
    client.info().catch(() => undefined), // only for the warnings below
  ]);
  // Parts of the spec directory that are not watched (a tree too large, an unreadable directory).
  for (const c of info?.conditions ?? []) io.err(`warning: ${c.reason}: ${c.message}\n`);
  if (views.length === 0 && (opts.output === undefined || opts.output === "wide")) {
    io.err(namespace ? `No projects found in namespace ${namespace}.\n` : "No projects found.\n");
    return 0;
  }
  print(views, opts, io, now, true);
  return 0;
}

function print(views: ProjectView[], opts: GetOptions, io: CliIo, now: Date, list: boolean): void {
  if (opts.output === "json" || opts.output === "yaml") {
    const items = views.map(toResource);
    const doc = list ? { apiVersion: "berth.dev/v1alpha1", kind: "ProjectList", items } : items[0];
    io.out(opts.output === "json" ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc, { lineWidth: 0 }));
    return;
  }
  io.out(formatTable(views, { wide: opts.output === "wide", namespaces: opts.allNamespaces === true }, now));
}

/**
 * The `berth get` table: NAME PHASE READY PORTS AGE; with `namespaces` a leading NAMESPACE
 * column; `wide` adds NAMESPACE, JOBS/WAITING (completed, failed and waiting containers),
 * GENERATION and FILE. Pure.
 */
export function formatTable(
  views: readonly ProjectView[],
  opts: { wide?: boolean; namespaces?: boolean },
  now: Date,
  cwd = process.cwd(),
): string {
  const ns = opts.wide === true || opts.namespaces === true;
  const headers = [...(ns ? ["NAMESPACE"] : []), "NAME", "PHASE", "READY", "PORTS", "AGE"];
  if (opts.wide) headers.push("JOBS/WAITING", "GENERATION", "FILE");
  const rows = views.map((v) => {
    const row = [
      ...(ns ? [v.namespace] : []),
      v.name,
      v.status.phase ?? "Pending",
      readyColumn(v),
      portsColumn(v),
      ageOf(v.creationTimestamp, now),
    ];
    if (opts.wide) row.push(jobsColumn(v), String(v.generation), `${displayPath(v.file, cwd)}:${v.line}`);
    return row;
  });
  return renderTable(headers, rows);
}

/** A path relative to `cwd` when it is below it, else as given. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") ? rel : path;
}
