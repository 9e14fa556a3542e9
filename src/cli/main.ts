import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { API_VERSION } from "../api/index.js";
import { CliError, processIo, type CliIo } from "./io.js";
import { runValidate, type ValidateOptions } from "./validate.js";

/** The package version, read from package.json next to the code. */
export function berthVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Builds the `berth` program. Each action stores its exit code in `result.code`. */
export function buildProgram(io: CliIo, result: { code: number }): Command {
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
      result.code = await runValidate(paths, opts, io);
    });

  program
    .command("version")
    .description("print the Berth version and the API version it serves")
    .action(() => {
      io.out(`berth ${berthVersion()} (${API_VERSION}, node ${process.version})\n`);
      result.code = 0;
    });

  return program;
}

/** Runs the CLI with `argv` (as process.argv) and returns the exit code. Never calls process.exit. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const result = { code: 0 };
  const program = buildProgram(io, result);
  try {
    await program.parseAsync([...argv]);
    return result.code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof CliError) {
      io.err(`berth: ${err.message}\n`);
      return err.exitCode;
    }
    io.err(`berth: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}
