import { Option, type Command } from "commander";
import { runApply, type ApplyCommandOptions } from "./apply.js";
import { DaemonClient } from "./client.js";
import { findToken, type CredentialSources } from "./credentials.js";
import { runDescribe } from "./describe.js";
import { runDev, type DevCommandOptions } from "./dev.js";
import { runExec, type ExecCommandOptions } from "./exec.js";
import { registerVolumeCommands } from "./volume.js";
import { runGc, type GcCommandOptions } from "./gc.js";
import { runGet, type GetOptions } from "./get.js";
import type { CliIo } from "./io.js";
import { runLogs, type LogsCommandOptions } from "./logs.js";
import { runWrite, type WriteCommand, type WriteCommandOptions } from "./writes.js";

/** Settings the daemon commands get from `main`: environment read once, and a clock. */
export interface DaemonCommandSettings {
  /** Default of `--server` (BERTH_SERVER, else http://127.0.0.1:7420). */
  server: string;
  /** Default of `--token` (BERTH_TOKEN). */
  token?: string;
  /** Where tokens are looked for when neither is given (see credentials.ts). */
  lockDir: string;
  env: CredentialSources["env"];
  now: () => Date;
}

interface GlobalOptions {
  server: string;
  token?: string;
}

/**
 * Adds the commands that talk to a running daemon (get, describe, logs, dev, apply, delete, start,
 * stop, restart) and the global `--server`/`--token` options to `program`. Each action stores its exit
 * code in `result.code` and throws CliError for failures.
 */
export function registerDaemonCommands(
  program: Command,
  io: CliIo,
  result: { code: number },
  settings: DaemonCommandSettings,
): void {
  program
    .addOption(
      new Option("--server <url>", "URL of the Berth daemon (env BERTH_SERVER)").default(settings.server),
    )
    .addOption(
      new Option(
        "--token <token>",
        "the daemon's API token (env BERTH_TOKEN; default: read from the daemon's state directory)",
      ),
    );
  const client = (cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    const explicit = g.token ?? settings.token;
    const token = () =>
      findToken({ explicit, server: g.server, lockDir: settings.lockDir, env: settings.env });
    return new DaemonClient({ server: g.server, token });
  };
  const tty = io.errIsTTY === true;
  const ns = () => new Option("-n, --namespace <namespace>", "namespace of the project (default: default)");

  program
    .command("get")
    .summary("list projects, or show one")
    .description("List projects with their phase, readiness, ports and age, or show one project.")
    .argument("[name]", "project NAME or NAMESPACE/NAME")
    .addOption(ns())
    .option("-A, --all-namespaces", "list projects of all namespaces", false)
    .addOption(new Option("-o, --output <format>", "output format").choices(["wide", "json", "yaml"]))
    .option("-l, --selector <selector>", "label selector, e.g. team=web,tier!=db")
    .addHelpText("after", "\nExamples:\n  berth get\n  berth get -A -o wide\n  berth get web -o yaml")
    .action(async (name: string | undefined, opts: GetOptions, cmd: Command) => {
      result.code = await runGet(client(cmd), name, opts, io, settings.now());
    });

  program
    .command("describe")
    .summary("show a project in detail")
    .description("Show a project's conditions, containers, ports, spec errors and recent transitions.")
    .argument("<name>", "project NAME or NAMESPACE/NAME")
    .addOption(ns())
    .action(async (name: string, opts: { namespace?: string }, cmd: Command) => {
      result.code = await runDescribe(client(cmd), name, opts, io, settings.now());
    });

  program
    .command("apply")
    .summary("create or update projects from spec files")
    .description(
      "Validate spec files, then write them into the daemon's watched directory, replacing the\n" +
        "documents that define the same projects. All files are applied together or not at all.",
    )
    .option("-f, --filename <path>", "spec file or directory (repeatable)", collect, [])
    .option("--dry-run", "validate and show what would change, without writing", false)
    .option("--wait", "wait until the projects are running (or stopped)", false)
    .option("--timeout <duration>", "how long --wait waits", "60s")
    .addHelpText(
      "after",
      "\nExamples:\n  berth apply -f examples/web.yaml --wait\n  berth apply -f specs/ --dry-run",
    )
    .action(async (opts: ApplyCommandOptions, cmd: Command) => {
      result.code = await runApply(client(cmd), opts, io, tty);
    });

  program
    .command("logs")
    .summary("print a project's container logs")
    .description(
      "Print the lines the daemon keeps for a project's containers (spec.logs.retainLines each),\n" +
        "oldest first; with -f keep printing new lines as they are written.",
    )
    .argument("<name>", "project NAME or NAMESPACE/NAME")
    .addOption(ns())
    .option("-c, --container <name>", "only this container")
    .option("--tail <n>", "only the last N lines")
    .option("--since <time>", "only lines since a duration ago (5m) or an RFC 3339 time")
    .option("--until <time>", "only lines before a duration ago or an RFC 3339 time")
    .option("--grep <regex>", "only lines matching a JavaScript regular expression")
    .addOption(new Option("--stream <stream>", "only stdout or stderr").choices(["stdout", "stderr"]))
    .option("-f, --follow", "keep printing new lines", false)
    .option("-t, --timestamps", "show each line's timestamp", false)
    .addOption(new Option("-o, --output <format>", "output format").choices(["json"]))
    .addHelpText(
      "after",
      "\nExamples:\n  berth logs web --tail 100\n  berth logs web -c api -f --grep 'ERROR|WARN'",
    )
    .action(async (name: string, opts: LogsCommandOptions, cmd: Command) => {
      result.code = await runLogs(client(cmd), name, opts, io);
    });

  program
    .command("dev")
    .summary("follow a project's logs and dev-loop syncs until Ctrl-C")
    .description(
      "Follow a project's container logs and what its develop.watch rules do (files synced,\n" +
        "containers restarted, commands run, images rebuilt, failures) in one stream, like\n" +
        "`docker compose watch`, until interrupted. The daemon watches and syncs whether or not\n" +
        "this command runs; stopping it stops only the output.",
    )
    .argument("<name>", "project NAME or NAMESPACE/NAME")
    .addOption(ns())
    .option("-c, --container <name>", "only this container")
    .option("--tail <n>", "kept log lines to print first", "10")
    .option("-t, --timestamps", "show each line's timestamp", false)
    .addOption(
      new Option("-o, --output <format>", "one JSON object a line (type log, sync or phase)").choices([
        "json",
      ]),
    )
    .addHelpText(
      "after",
      "\nExamples:\n  berth dev web\n  berth dev shop/api -c api --tail 0\n  berth dev web -o json | jq 'select(.type == \"sync\")'",
    )
    .action(async (name: string, opts: DevCommandOptions, cmd: Command) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      try {
        result.code = await runDev(client(cmd), name, opts, io, stop.signal);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
    });

  program
    .command("exec")
    .summary("run a command in a project's container")
    .description(
      "Run a command in a running container of a project (docker exec through the daemon), stream\n" +
        "its output and exit with its exit code. Put the command after --.",
    )
    .argument("<project>", "project NAME or NAMESPACE/NAME")
    .argument("<container>", "the container's name in the spec")
    .argument("<command...>", "the command and its arguments")
    .addOption(ns())
    .option("-i, --interactive", "send stdin to the command", false)
    .option("-t, --tty", "allocate a pseudo-terminal", false)
    .addHelpText(
      "after",
      "\nExamples:\n  berth exec web api -- ls /\n  berth exec -it web api -- sh\n  berth exec web api -- sh -c 'echo $HOME'",
    )
    .action(
      async (
        project: string,
        container: string,
        command: string[],
        opts: ExecCommandOptions,
        cmd: Command,
      ) => {
        const streams = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
        result.code = await runExec(client(cmd), project, container, command, opts, streams);
      },
    );

  program
    .command("gc")
    .summary("remove built images no container uses")
    .description(
      "Remove the images Berth built that no container uses, keeping the newest --keep of each\n" +
        "project, and list the named volumes no project's spec claims (never removed).",
    )
    .option("--dry-run", "show what would be removed, remove nothing", false)
    .option("--keep <n>", "unused built images kept per project", "2")
    .addOption(new Option("-o, --output <format>", "output format").choices(["json"]))
    .addHelpText("after", "\nExamples:\n  berth gc --dry-run\n  berth gc --keep 0")
    .action(async (opts: GcCommandOptions, cmd: Command) => {
      result.code = await runGc(client(cmd), opts, io);
    });

  registerVolumeCommands(program, io, result, client);

  program
    .command("dashboard")
    .summary("print a one-time URL that logs a browser in to the dashboard")
    .description(
      "Ask the daemon for a new dashboard login link. Opening it in a browser logs that browser in\n" +
        "once (a session cookie, HttpOnly and SameSite=Strict) and then drops the code from the address.",
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const link = await client(cmd).loginLink();
      io.out(`${link.url}\n`);
      io.err(`berth: the link works once, within ${Math.round(link.expiresInSeconds / 3600)} h\n`);
      result.code = 0;
    });

  const writes: Array<[WriteCommand, string]> = [
    ["delete", "delete a project (removes its document from its spec file)"],
    ["start", "set a project's spec.state to Running"],
    ["stop", "set a project's spec.state to Stopped (containers stop, ports are kept)"],
    ["restart", "restart a project's containers (sets the berth.dev/restartedAt annotation)"],
  ];
  for (const [command, summary] of writes) {
    program
      .command(command)
      .summary(summary)
      .description(`${summary[0]?.toUpperCase() ?? ""}${summary.slice(1)}.`)
      .argument("<name>", "project NAME or NAMESPACE/NAME")
      .addOption(ns())
      .option("--dry-run", "show what would change, without writing", false)
      .option("--wait", "wait until the change has converged", false)
      .option("--timeout <duration>", "how long --wait waits", "60s")
      .action(async (name: string, opts: WriteCommandOptions, cmd: Command) => {
        result.code = await runWrite(command, client(cmd), name, opts, io, tty);
      });
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
