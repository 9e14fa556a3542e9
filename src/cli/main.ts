import { Command, CommanderError, Option } from "commander";
import { API_VERSION } from "../api/index.js";
import { defaultLockDir } from "../operator/manager.js";
import { DEFAULT_SERVER } from "./client.js";
import { registerDaemonCommands } from "./daemon-commands.js";
import { BerthError } from "../util/errors.js";
import { CliError, processIo, type CliIo } from "./io.js";
import { mcpCommand } from "./mcp.js";
import { runCommand } from "./run.js";
import { berthVersion } from "../util/version.js";
export { berthVersion };
import { runValidate, type ValidateOptions } from "./validate.js";
import { importCommand } from "./import-compose.js";

/** The environment variables the CLI reads, once, in {@link main}. */
export interface CliEnv {
  readonly BERTH_SERVER?: string | undefined;
  readonly BERTH_TOKEN?: string | undefined;
  readonly BERTH_STATE_DIR?: string | undefined;
  readonly DOCKER_HOST?: string | undefined;
  readonly XDG_STATE_HOME?: string | undefined;
  readonly HOME?: string | undefined;
  /** Any other variable (`berth run` hands them to `valueFrom.secret.env`). */
  readonly [name: string]: string | undefined;
}

/** Settings {@link buildProgram} takes instead of reading the environment itself. */
export interface ProgramSettings {
  /** Default daemon URL; default http://127.0.0.1:7420. */
  server?: string;
  /** Default bearer token. */
  token?: string;
  /** Clock for AGE columns; default the wall clock. */
  now?: () => Date;
  /** Environment `berth run` reads its defaults from. */
  env?: CliEnv;
  /** This user's lock directory, where running operators are found; default defaultLockDir(). */
  lockDir?: string;
}

/** Builds the `berth` program. Each action stores its exit code in `result.code`. */
export function buildProgram(io: CliIo, result: { code: number }, settings: ProgramSettings = {}): Command {
  const program = new Command("berth")
    .description(
      "Berth turns Project specs (berth.dev/v1alpha1) into running Docker containers with published ports.",
    )
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError("(run 'berth --help' for usage)")
    .exitOverride();

  program
    .command("validate")
    .summary("check Project spec files without running anything")
    .description(
      "Validate Project spec files against the berth.dev/v1alpha1 schema and Berth's rules.\n" +
        "Directories are searched recursively for *.yaml and *.yml files.\n" +
        "Exit status: 0 when every document is valid, 1 otherwise.",
    )
    .argument("<paths...>", "spec files or directories")
    .addOption(new Option("-o, --output <format>", "output format").choices(["text", "json"]).default("text"))
    .option("-q, --quiet", "print only errors and the summary", false)
    .addHelpText("after", "\nExamples:\n  berth validate examples\n  berth validate -o json project.yaml")
    .action(async (paths: string[], opts: ValidateOptions) => {
      result.code = await runValidate(paths, opts, io, settings.env ?? {});
    });

  registerDaemonCommands(program, io, result, {
    server: settings.server ?? DEFAULT_SERVER,
    ...(settings.token ? { token: settings.token } : {}),
    lockDir: settings.lockDir ?? defaultLockDir(),
    env: settings.env ?? {},
    now: settings.now ?? (() => new Date()),
  });

  program.addCommand(runCommand(io, result, settings.env ?? {}));
  program.addCommand(importCommand(io, result, settings.env ?? {}));
  program.addCommand(
    mcpCommand(result, settings.env ?? {}, { stdin: process.stdin, stdout: process.stdout }, io),
  );

  program
    .command("version")
    .description("print the Berth version and the API version it serves")
    .action(() => {
      io.out(`berth ${berthVersion()} (${API_VERSION}, node ${process.version})\n`);
      result.code = 0;
    });

  return program;
}

/**
 * Runs the CLI with `argv` (as process.argv) and returns the exit code. Never calls process.exit.
 * `env` is read here, once (BERTH_SERVER, BERTH_TOKEN); default `process.env`.
 */
export async function main(
  argv: readonly string[],
  io: CliIo = processIo,
  env: CliEnv = process.env,
): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, result, {
    env,
    ...(env.BERTH_SERVER ? { server: env.BERTH_SERVER } : {}),
    ...(env.BERTH_TOKEN ? { token: env.BERTH_TOKEN } : {}),
  });
  try {
    await program.parseAsync([...argv]);
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    io.err(describeFailure(err, wantsStacks(argv)));
    return err instanceof CliError ? err.exitCode : 1;
  }
}

/**
 * How a failed command reads on stderr. An error Berth knows (BerthError) is its message and
 * hint, with the stack only when `stacks`; anything else is unexpected and shows its stack. Pure.
 */
export function describeFailure(err: unknown, stacks: boolean): string {
  if (err instanceof BerthError) {
    const hint = err.hint && !err.message.includes(err.hint) ? `hint: ${err.hint}\n` : "";
    const stack = stacks && err.stack ? `${err.stack}\n` : "";
    return `berth: ${err.message}\n${hint}${stack}`;
  }
  return `berth: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`;
}

/** Whether the command line asks for debug logs (`--log-level debug`), which show stacks. Pure. */
function wantsStacks(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "--log-level=debug" || (a === "--log-level" && argv[i + 1] === "debug"));
}
