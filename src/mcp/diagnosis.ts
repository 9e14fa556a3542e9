/**
 * Why a project is not healthy, in one bounded digest: the failing conditions, each container's
 * state, exit code, OOM kill, restarts, probe and the dependency it waits for, and the log lines
 * that matter (the first lines of its last start, the last lines, lines that look like errors),
 * the last dev-loop syncs when it has watch rules, ending with one suggested next action. The text stays under {@link MAX_DIGEST_CHARS} (about
 * 2,000 tokens at 4 characters a token): log lines go first when it would not. Pure.
 */
import type { ObservedContainer } from "../runtime/observed.js";
import type { LogLine } from "../streams/log-line.js";
import { normalizeTimestamp } from "../streams/log-line.js";
import type { ProjectView } from "../service/view.js";
import { describeStatus } from "../service/view.js";
import { formatSpecError, type ContainerSpec, type SyncRecord } from "../api/index.js";
import { failedFirst, hasWatchRules, syncLine } from "./syncs.js";

type HealthCheck = NonNullable<ContainerSpec["healthCheck"]>;

/** Most characters of a digest's text. */
export const MAX_DIGEST_CHARS = 8_000;
/** Characters of one log line kept. */
const LINE_CHARS = 200;
const FIRST_LINES = 5;
const LAST_LINES = 10;
const ERROR_LINES = 5;
/** Dev-loop outcomes a digest shows. */
const SYNCS = 5;

/** Lines that usually say what went wrong. */
const ERROR_PATTERN =
  /\b(error|err|fatal|panic|exception|traceback|failed|failure|denied|refused|cannot|can't|unable|not found|no such|killed|segmentation fault|out of memory)\b/i;

/** What a digest is made from. */
export interface DiagnosisInput {
  view: ProjectView;
  observed: readonly ObservedContainer[];
  /** Log lines of one container since `since` (normalised), oldest first; all kept when undefined. */
  logs(container: string, since: string | undefined): readonly LogLine[];
  /** Berth's latest probe result of a container, if it probes it. */
  probe(container: string): { ok: boolean; message: string } | undefined;
}

/** One container in a digest. */
export interface ContainerDiagnosis {
  name: string;
  state: string;
  health?: string;
  exitCode?: number;
  oomKilled?: boolean;
  restartCount: number;
  reason?: string;
  message?: string;
  error?: string;
  probe?: { check: string; failureThreshold: number; lastResult?: string };
  waitingFor?: string[];
  firstLines: string[];
  lastLines: string[];
  errorLines: string[];
}

/** The digest, as structured content. */
export interface Diagnosis {
  namespace: string;
  name: string;
  phase: string;
  healthy: boolean;
  summary: string;
  problems: string[];
  containers: ContainerDiagnosis[];
  /** When the project has develop.watch rules: its last outcomes, the newest failed one first. */
  syncs?: SyncRecord[];
  nextAction: string;
  /** True when log lines were left out to stay under the bound. */
  truncated: boolean;
}

function cut(line: string): string {
  return line.length > LINE_CHARS ? `${line.slice(0, LINE_CHARS)}…` : line;
}

function checkText(h: HealthCheck): string {
  if (h.httpGet) return `httpGet ${h.httpGet.path} on port ${h.httpGet.port}`;
  if (h.tcpSocket) return `tcpSocket on port ${h.tcpSocket.port}`;
  if (h.exec) return `exec ${JSON.stringify(h.exec.command)}`;
  return "none";
}

function containerOf(input: DiagnosisInput, spec: ContainerSpec): ContainerDiagnosis {
  const st = input.view.status.containers?.find((c) => c.name === spec.name);
  const obs = input.observed.find((c) => c.containerName === spec.name);
  const since = obs?.startedAt !== undefined ? normalizeTimestamp(obs.startedAt) : undefined;
  const sinceStart = since !== undefined ? input.logs(spec.name, since) : [];
  const all = input.logs(spec.name, undefined);
  const first = sinceStart.slice(0, FIRST_LINES);
  const last = all.slice(-LAST_LINES);
  const shown = new Set([...first, ...last]);
  const errors = all.filter((l) => !shown.has(l) && ERROR_PATTERN.test(l.line)).slice(-ERROR_LINES);
  const probeResult = input.probe(spec.name);
  const exitCode = st?.exitCode ?? (obs && !obs.running && obs.startedAt ? obs.exitCode : undefined);
  return {
    name: spec.name,
    state: st?.state ?? obs?.state ?? "missing",
    ...(st?.health && st.health !== "none" ? { health: st.health } : {}),
    ...(exitCode !== undefined ? { exitCode } : {}),
    ...(obs?.oomKilled ? { oomKilled: true } : {}),
    restartCount: st?.restartCount ?? obs?.restartCount ?? 0,
    ...(st?.reason ? { reason: st.reason } : {}),
    ...(st?.message ? { message: st.message.split("\n")[0] ?? "" } : {}),
    ...(obs?.error ? { error: obs.error } : {}),
    ...(spec.healthCheck && checkText(spec.healthCheck) !== "none"
      ? {
          probe: {
            check: checkText(spec.healthCheck),
            failureThreshold: spec.healthCheck.failureThreshold,
            ...(probeResult ? { lastResult: probeResult.message } : {}),
          },
        }
      : {}),
    ...(st?.reason === "Waiting" && spec.dependsOn?.length
      ? { waitingFor: spec.dependsOn.map((d) => `${d.name} (${d.condition})`) }
      : {}),
    firstLines: first.map((l) => cut(l.line)),
    lastLines: last.map((l) => cut(l.line)),
    errorLines: errors.map((l) => cut(l.line)),
  };
}

/** The one next step the findings point to. */
function nextAction(d: Omit<Diagnosis, "nextAction" | "truncated">, view: ProjectView): string {
  const key = `${d.namespace}/${d.name}`;
  if (view.specErrors.length > 0)
    return `Fix the spec errors listed above in ${view.file}, then validate_project before writing it again.`;
  if (view.spec.state === "Stopped")
    return `The project is Stopped as asked; set_project_state ${key} Running to start it.`;
  const conflict = d.problems.find((p) => p.startsWith("PortsAllocated"));
  if (conflict)
    return "A host port is taken (see PortsAllocated above): free it, or patch_project the port's hostPort to another one (or omit it to have one allocated).";
  const image = d.problems.find((p) => p.startsWith("ImageAvailable"));
  if (image)
    return "The image is not available (see ImageAvailable above): fix the image name or the failing build step, then apply again.";
  const oom = d.containers.find((c) => c.oomKilled);
  if (oom)
    return `Container ${oom.name} was killed for running out of memory: raise its resources.memory with patch_project.`;
  const failed = d.containers.find((c) => c.exitCode !== undefined && c.exitCode !== 0);
  if (failed)
    return `Container ${failed.name} exited with code ${failed.exitCode}: the last lines above say why; fix its command, env or program (patch_project), then wait_for_project.`;
  const probe = d.containers.find((c) => c.health === "unhealthy" && c.probe);
  if (probe)
    return `The health check of ${probe.name} (${probe.probe?.check}) fails${probe.probe?.lastResult ? `: ${probe.probe.lastResult}` : ""}. Check that the program listens there (get_logs), or fix healthCheck with patch_project.`;
  const waiting = d.containers.find((c) => c.waitingFor);
  if (waiting)
    return `Container ${waiting.name} waits for ${waiting.waitingFor?.join(", ")}: diagnose that container's problem first.`;
  // only when the newest outcome failed: a later success means the failure is fixed
  const sync = d.syncs ? view.status.syncs?.[0] : undefined;
  if (sync?.error)
    return `The last ${sync.action} of ${sync.path} in ${sync.container} failed (${sync.error}): fix that, then save a file under the path again; get_syncs shows the history.`;
  if (d.healthy) return "Nothing to fix: the project is Ready.";
  return `The project is still converging; wait_for_project ${key}, then diagnose_project again if it does not get Ready.`;
}

/** The text of a digest: one block per container, then the next action. */
export function diagnosisText(d: Diagnosis): string {
  const out = [`${d.namespace}/${d.name}: ${d.summary}`];
  for (const p of d.problems) out.push(`problem: ${p}`);
  for (const c of d.containers) {
    const facts = [
      c.state,
      c.exitCode !== undefined ? `exit code ${c.exitCode}` : "",
      c.oomKilled ? "OOM-killed" : "",
      c.health ? `health ${c.health}` : "",
      c.restartCount ? `${c.restartCount} restarts` : "",
      c.reason ? `reason ${c.reason}` : "",
    ].filter(Boolean);
    out.push(`container ${c.name}: ${facts.join(", ")}`);
    if (c.message) out.push(`  message: ${c.message}`);
    if (c.error) out.push(`  docker error: ${c.error}`);
    if (c.probe)
      out.push(
        `  probe: ${c.probe.check}, failureThreshold ${c.probe.failureThreshold}${c.probe.lastResult ? `; last result: ${c.probe.lastResult}` : ""}`,
      );
    if (c.waitingFor) out.push(`  waiting for: ${c.waitingFor.join(", ")}`);
    if (c.firstLines.length)
      out.push("  first lines of the last start:", ...c.firstLines.map((l) => `    ${l}`));
    if (c.lastLines.length) out.push("  last lines:", ...c.lastLines.map((l) => `    ${l}`));
    if (c.errorLines.length) out.push("  error lines:", ...c.errorLines.map((l) => `    ${l}`));
  }
  if (d.syncs?.length) out.push("syncs (failed first):", ...d.syncs.map((s) => `  ${cut(syncLine(s))}`));
  if (d.truncated) out.push("(some log lines were left out; get_logs has them all)");
  out.push(`Next: ${d.nextAction}`);
  return out.join("\n");
}

/** Builds the digest, dropping log lines (error lines, first lines, then the oldest last lines) to fit. */
export function diagnose(input: DiagnosisInput): Diagnosis {
  const { view } = input;
  const problems = [
    ...(view.status.conditions ?? [])
      .filter((c) => c.type !== "Progressing" && c.status === "False")
      .map((c) => cut(`${c.type}: ${c.reason}${c.message ? ` - ${c.message.split("\n")[0]}` : ""}`)),
    ...view.specErrors.map((e) => cut(formatSpecError(e))),
  ];
  const containers = view.spec.containers.map((s) => containerOf(input, s));
  const base = {
    namespace: view.namespace,
    name: view.name,
    phase: view.status.phase ?? "Pending",
    healthy: view.status.phase === "Running" && problems.length === 0,
    summary: describeStatus(view.status),
    problems,
    containers,
    ...(hasWatchRules(view) ? { syncs: failedFirst(view.status.syncs ?? []).slice(0, SYNCS) } : {}),
  };
  const d: Diagnosis = { ...base, nextAction: nextAction(base, view), truncated: false };
  const trims: Array<(c: ContainerDiagnosis) => boolean> = [
    (c) => c.errorLines.shift() !== undefined,
    (c) => c.firstLines.pop() !== undefined,
    (c) => (c.lastLines.length > 2 ? c.lastLines.shift() !== undefined : false),
  ];
  for (const trim of trims) {
    while (diagnosisText(d).length > MAX_DIGEST_CHARS) {
      const widest = [...d.containers].sort((a, b) => lines(b) - lines(a));
      if (!widest.some((c) => trim(c))) break;
      d.truncated = true;
    }
  }
  while (diagnosisText(d).length > MAX_DIGEST_CHARS && d.containers.length > 1) {
    d.containers.pop();
    d.truncated = true;
  }
  return d;
}

function lines(c: ContainerDiagnosis): number {
  return c.firstLines.length + c.lastLines.length + c.errorLines.length;
}
