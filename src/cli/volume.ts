/**
 * `berth volume ls` and `berth volume reset PROJECT VOLUME`: the daemon's named volumes, through
 * its REST API (`GET /api/v1/volumes`, `POST .../volumes/{volume}/reset`).
 */
import type { Command } from "commander";
import type { DaemonClient } from "./client.js";
import type { CliIo } from "./io.js";
import { resolveName } from "./names.js";
import { renderTable } from "./table.js";

/** A volume as `GET /api/v1/volumes` lists it. */
export interface VolumeRow {
  name: string;
  project: string;
  volume: string;
  retain: string;
  createdAt: string;
  claimed: boolean;
  users: string[];
}

/** What `POST .../volumes/{volume}/reset` answers. */
export interface VolumeResetAnswer {
  project: string;
  volume: string;
  dockerName: string;
  restarted: string[];
}

/** Prints the volume table (or JSON with `-o json`); exit code 0. */
export async function runVolumeLs(
  client: DaemonClient,
  opts: { output?: string },
  io: CliIo,
): Promise<number> {
  const res = await client.getBody("/api/v1/volumes");
  const items = ((await res.json()) as { items: VolumeRow[] }).items;
  if (opts.output === "json") {
    io.out(`${JSON.stringify({ items }, null, 2)}\n`);
    return 0;
  }
  if (items.length === 0) {
    io.out("No named volumes.\n");
    return 0;
  }
  const rows = items.map((v) => [
    v.project,
    v.volume,
    v.retain,
    v.claimed ? v.users.join(",") || "-" : "<unclaimed>",
    v.name,
  ]);
  io.out(renderTable(["PROJECT", "VOLUME", "RETAIN", "USED BY", "DOCKER VOLUME"], rows));
  return 0;
}

/** Empties a volume and says which containers start again; exit code 0. */
export async function runVolumeReset(
  client: DaemonClient,
  project: string,
  volume: string,
  opts: { namespace?: string },
  io: CliIo,
): Promise<number> {
  const ref = resolveName(project, opts.namespace);
  const r: VolumeResetAnswer = await client.resetVolume(ref.namespace, ref.name, volume);
  const again = r.restarted.length ? `; starting ${r.restarted.join(", ")} again` : "";
  io.out(`volume ${r.volume} of ${r.project} reset (${r.dockerName} recreated empty)${again}\n`);
  return 0;
}

/** Adds `berth volume ls|reset` to `program`. */
export function registerVolumeCommands(
  program: Command,
  io: CliIo,
  result: { code: number },
  client: (cmd: Command) => DaemonClient,
): void {
  const volume = program
    .command("volume")
    .summary("list or reset named volumes")
    .description("Named volumes of projects (spec.volumes): list them, or empty one.");
  volume
    .command("ls")
    .summary("list named volumes")
    .description("List the Docker volumes Berth made for projects, with the containers that mount them.")
    .option("-o, --output <format>", "output format (json)")
    .action(async (opts: { output?: string }, cmd: Command) => {
      result.code = await runVolumeLs(client(cmd), opts, io);
    });
  volume
    .command("reset")
    .summary("empty a named volume")
    .description(
      "Empty a named volume: stop and remove the containers that mount it, recreate the volume,\n" +
        "and start them again on the empty volume.",
    )
    .argument("<project>", "project NAME or NAMESPACE/NAME")
    .argument("<volume>", "the volume's name in spec.volumes")
    .option("-n, --namespace <namespace>", "namespace of the project (default: default)")
    .addHelpText("after", "\nExamples:\n  berth volume reset shop pgdata")
    .action(async (project: string, name: string, opts: { namespace?: string }, cmd: Command) => {
      result.code = await runVolumeReset(client(cmd), project, name, opts, io);
    });
}
