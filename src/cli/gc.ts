/** `berth gc`: removes built images no container uses and lists volumes no spec claims. */
import type { GcImage, GcReport } from "../service/gc.js";
import { API_PREFIX } from "../http/wire.js";
import type { DaemonClient } from "./client.js";
import { CliError, type CliIo } from "./io.js";

/** Options of `berth gc`, as commander hands them over. */
export interface GcCommandOptions {
  dryRun: boolean;
  keep?: string;
  output?: string;
}

/** Runs one collection on the daemon and prints its report. Returns the exit code (1 if an image could not be removed). */
export async function runGc(client: DaemonClient, opts: GcCommandOptions, io: CliIo): Promise<number> {
  const q = new URLSearchParams();
  if (opts.dryRun) q.set("dryRun", "true");
  if (opts.keep !== undefined) {
    if (!/^\d+$/.test(opts.keep))
      throw new CliError(`--keep ${JSON.stringify(opts.keep)} must be a whole number`, 2);
    q.set("keep", opts.keep);
  }
  const report = await client.postJson<GcReport>(`${API_PREFIX}/gc?${q}`, { timeoutMs: 300_000 });
  if (opts.output === "json") {
    io.out(`${JSON.stringify(report, null, 2)}\n`);
    return report.failed.length > 0 ? 1 : 0;
  }
  const verb = report.dryRun ? "would remove" : "removed";
  for (const i of report.removed) io.out(`${verb} ${describe(i)}\n`);
  for (const i of report.failed) io.err(`could not remove ${describe(i)}: ${i.reason ?? ""}\n`);
  const n = report.removed.length;
  io.out(
    `${verb} ${n} image${n === 1 ? "" : "s"} (${mib(report.reclaimedBytes)}), kept ${report.kept.length} ` +
      `(in use, or among the newest ${report.keep} of their project)\n`,
  );
  for (const v of report.unclaimedVolumes) {
    io.out(
      `volume ${v.name} (project ${v.project || "?"}, volume ${v.volume || "?"}) is claimed by no spec\n`,
    );
  }
  if (report.unclaimedVolumes.length > 0) {
    io.out(
      "volumes are never removed by gc: remove one with docker volume rm NAME once its data is not needed\n",
    );
  }
  return report.failed.length > 0 ? 1 : 0;
}

function describe(i: GcImage): string {
  const name = i.tags[0] ?? i.id.slice(0, 19);
  return `${name} (${i.project || "no project"}, ${mib(i.bytes)}, built ${i.created})`;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
