import type { ProjectView } from "../service/view.js";
import type { DaemonClient } from "./client.js";
import { formatPort, readyColumn } from "./columns.js";
import { ageOf } from "./duration.js";
import type { CliIo } from "./io.js";
import { resolveName } from "./names.js";
import { renderTable } from "./table.js";
import { formatSpecError, type ContainerSpec, type ContainerStatus } from "../api/index.js";

/** Recent transitions `describe` shows, newest last. */
const TRANSITIONS_SHOWN = 10;

/** `berth describe NAME`: prints one project in detail. Throws CliError (e.g. not found). */
export async function runDescribe(
  client: DaemonClient,
  name: string,
  opts: { namespace?: string },
  io: CliIo,
  now: Date,
): Promise<number> {
  const ref = resolveName(name, opts.namespace);
  io.out(formatDescribe(await client.get(ref.namespace, ref.name), now));
  return 0;
}

/**
 * The kubectl-describe style text of a project: identity, phase, spec file, then Conditions,
 * Containers, Ports, Spec errors and Recent transitions as indented tables (`<none>` when
 * empty). Below the containers' table, each container with dependencies or a reason gets its
 * `depends on:` line and its reason (`Waiting: ...`, `Completed (exit 0)`, `Failed (exit 3)`
 * with the message). Pure.
 */
export function formatDescribe(v: ProjectView, now: Date): string {
  const st = v.status;
  const observed =
    st.observedGeneration === undefined ? "not yet observed" : `observed ${st.observedGeneration}`;
  const fields: Array<[string, string]> = [
    ["Name", v.name],
    ["Namespace", v.namespace],
    ["Labels", pairs(v.labels)],
    ["Annotations", pairs(v.annotations)],
    ["Desired state", v.spec.state],
    ["Phase", st.phase ?? "Pending"],
    ["Ready", readyColumn(v)],
    ["Generation", `${v.generation} (${observed})`],
    ["Created", `${v.creationTimestamp} (${ageOf(v.creationTimestamp, now)} ago)`],
    ["Spec file", `${v.file}:${v.line}`],
    ["Spec hash", v.hash.slice(0, 12)],
  ];
  if (st.lastReconcileTime)
    fields.push(["Last reconcile", `${st.lastReconcileTime} (${ageOf(st.lastReconcileTime, now)} ago)`]);
  const label = Math.max(16, ...fields.map(([k]) => k.length + 2));
  let out = fields.map(([k, val]) => `${`${k}:`.padEnd(label)}${indentRest(val, label)}`).join("\n") + "\n";
  out += section(
    "Conditions",
    ["TYPE", "STATUS", "REASON", "MESSAGE", "AGE"],
    (st.conditions ?? []).map((c) => [
      c.type,
      c.status,
      c.reason,
      c.message,
      ageOf(c.lastTransitionTime, now),
    ]),
  );
  out += section("Containers", ["NAME", "STATE", "HEALTH", "RESTARTS", "ID"], containerRows(v));
  out += containerDetails(v);
  out += section(
    "Ports",
    ["CONTAINER", "NAME", "PORT", "URL"],
    (st.ports ?? []).map((p) => [p.container ?? "", p.name ?? "", formatPort(p), p.url ?? ""]),
  );
  out +=
    v.specErrors.length === 0
      ? "Spec errors:\n  <none>\n"
      : `Spec errors:\n${v.specErrors.map((e) => `  ${formatSpecError(e)}\n`).join("")}`;
  out += section(
    "Recent transitions",
    ["AGE", "FROM", "TO", "REASON", "MESSAGE"],
    v.transitions
      .slice(-TRANSITIONS_SHOWN)
      .map((t) => [ageOf(t.time, now), t.from ?? "", t.to, t.reason, t.message]),
  );
  return out;
}

function containerRows(v: ProjectView): string[][] {
  const observed = new Map((v.status.containers ?? []).map((c) => [c.name, c]));
  const names = [
    ...v.spec.containers.map((c) => c.name),
    ...[...observed.keys()].filter((n) => !v.spec.containers.some((c) => c.name === n)),
  ];
  return names.map((name) => {
    const c = observed.get(name);
    return [
      name,
      c?.state ?? "<not created>",
      c?.health || "-",
      String(c?.restartCount ?? 0),
      (c?.containerID ?? "").slice(0, 12),
    ];
  });
}

/** The lines under the containers' table: per container its dependencies and its reason. */
function containerDetails(v: ProjectView): string {
  const observed = new Map((v.status.containers ?? []).map((c) => [c.name, c]));
  const names = [...new Set([...v.spec.containers.map((c) => c.name), ...observed.keys()])];
  let out = "";
  for (const name of names) {
    const spec = v.spec.containers.find((c) => c.name === name);
    const deps = spec?.dependsOn ?? [];
    const lines: string[] = [];
    if (deps.length > 0)
      lines.push(`depends on: ${deps.map((d) => `${d.name} (${d.condition})`).join(", ")}`);
    if (spec) lines.push(...sourceLines(spec));
    const c = observed.get(name);
    if (c) lines.push(...reasonLines(c));
    if (lines.length > 0) out += `  ${name}:\n${lines.map((l) => `    ${l}\n`).join("")}`;
  }
  return out;
}

/**
 * A container's reason as lines: `Waiting: db is not Healthy yet`, `Completed (exit 0)`,
 * `Failed (exit 3): message`; a message of several lines (a failure's last log lines) goes
 * below, indented. Control characters from logs are shown escaped, never sent to the terminal.
 */
function reasonLines(c: ContainerStatus): string[] {
  if (!c.reason) return [];
  const exit = c.exitCode === undefined || c.reason === "Waiting" ? "" : ` (exit ${c.exitCode})`;
  const head = `${printable(c.reason)}${exit}`;
  const message = (c.message ?? "").replace(/\s+$/, "").split("\n").map(printable);
  if (message.length === 1 && message[0] === "") return [head];
  if (message.length === 1) return [`${head}: ${message[0] ?? ""}`];
  return [`${head}:`, ...message.map((l) => `  ${l}`)];
}

/** `text` with control characters (ANSI escapes, carriage returns, tabs, ...) shown as `\xNN`. */
function printable(text: string): string {
  return text.replace(/\p{Cc}/gu, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

function section(title: string, headers: string[], rows: string[][]): string {
  if (rows.length === 0) return `${title}:\n  <none>\n`;
  return `${title}:\n${renderTable(headers, rows, "  ")}`;
}

function pairs(map: Record<string, string>): string {
  const entries = Object.entries(map).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.length === 0 ? "<none>" : entries.map(([k, val]) => `${k}=${val}`).join("\n");
}

function indentRest(text: string, by: number): string {
  return text.split("\n").join(`\n${" ".repeat(by)}`);
}

/**
 * Where a container's environment and named volumes come from: env files, and each secret as
 * `<secret from ./secrets/pg>` (a value is never shown: the spec holds only the reference).
 */
function sourceLines(spec: ContainerSpec): string[] {
  const lines: string[] = [];
  for (const f of spec.envFrom ?? []) lines.push(`env file: ${f.file}`);
  for (const e of spec.env ?? []) {
    const from = e.valueFrom;
    if (!from) continue;
    const where = from.secret?.file
      ? from.secret.file
      : from.secret?.env
        ? `$${from.secret.env}`
        : `Secret ${from.secretKeyRef?.name ?? ""} key ${from.secretKeyRef?.key ?? ""}`;
    lines.push(`env ${e.name}: <secret from ${where}>`);
  }
  for (const m of spec.volumes ?? [])
    if (m.volume !== undefined)
      lines.push(`volume ${m.volume}: ${m.mountPath}${m.readOnly ? " (read-only)" : ""}`);
  return lines;
}
