import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { Command, Option } from "commander";
import { stringify } from "yaml";
import {
  COMPOSE_FILE_NAMES,
  ComposeLoadError,
  convertProject,
  formatFinding,
  loadComposeProject,
  type Conversion,
} from "../compose/index.js";
import { formatSpecError } from "../api/index.js";
import { CliError, type CliIo } from "./io.js";

/** Flags of `berth import compose`, as commander hands them over. */
interface ImportFlags {
  file: string[];
  profile: string[];
  out: string;
  dryRun: boolean;
  output: "yaml" | "json";
  allocatePorts: boolean;
  projectName?: string;
  namespace?: string;
}

const OVERRIDES = [
  "compose.override.yaml",
  "compose.override.yml",
  "docker-compose.override.yaml",
  "docker-compose.override.yml",
];

/** `berth import compose`: writes a compose project as a Project spec file, with its loss report. */
export function importCommand(
  io: CliIo,
  result: { code: number },
  env: Readonly<Record<string, string | undefined>>,
  cwd: () => string = () => process.cwd(),
): Command {
  const cmd = new Command("import").description("convert other formats into Project spec files");
  cmd
    .command("compose")
    .description(
      "Convert a Docker Compose project into a Project spec file in --out, with a header naming its\n" +
        "source and the loss report (every key not carried over, with file:line and why).\n" +
        "Exit status: 0 when converted, 1 when an error finding or an invalid file stops it.",
    )
    .option(
      "-f, --file <file>",
      "compose file (repeatable; default compose.yaml and its override)",
      collect,
      [],
    )
    .option("--profile <name>", "enable a profile (repeatable; default COMPOSE_PROFILES)", collect, [])
    .option("--out <dir>", "directory the spec file is written to", ".")
    .option("--dry-run", "print the spec and the loss report, write nothing", false)
    .addOption(
      new Option("-o, --output <format>", "format of the spec").choices(["yaml", "json"]).default("yaml"),
    )
    .option("--allocate-ports", "use Berth's allocated host ports instead of the fixed ones", false)
    .option(
      "-p, --project-name <name>",
      "project name (default COMPOSE_PROJECT_NAME, name:, or the directory)",
    )
    .option("-n, --namespace <ns>", "namespace of the Project (default x-berth.namespace, else default)")
    .addHelpText(
      "after",
      "\nExamples:\n  berth import compose --dry-run\n  berth import compose -f docker-compose.yml --out specs",
    )
    .action(async (flags: ImportFlags) => {
      result.code = await runImportCompose(flags, io, env, cwd());
    });
  return cmd;
}

async function runImportCompose(
  flags: ImportFlags,
  io: CliIo,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<number> {
  const files = flags.file.length > 0 ? flags.file.map((f) => resolve(cwd, f)) : defaultFiles(cwd);
  const outDir = resolve(cwd, flags.out);
  const display = (p: string) => relative(cwd, p) || p;
  let conversion: Conversion;
  try {
    const project = loadComposeProject({
      files,
      env,
      profiles: flags.profile.length > 0 ? flags.profile : undefined,
      projectName: flags.projectName,
      display,
    });
    conversion = convertProject(project, {
      allocatePorts: flags.allocatePorts,
      specDir: outDir,
      source: files.map(display).join(", "),
      namespace: flags.namespace,
    });
  } catch (e) {
    if (e instanceof ComposeLoadError) throw new CliError(e.message, 1, e.hint);
    throw e;
  }
  const report = [...conversion.findings.map(formatFinding), ...conversion.schemaErrors.map(formatSpecError)];
  const failed = conversion.parsed === undefined;
  const name = String((conversion.project["metadata"] as { name: string }).name);
  const header = [
    `# Project ${name}, converted by \`berth import compose\` from ${files.map((f) => relative(outDir, f) || f).join(", ")}.`,
    "# Edit the compose file and convert again, or edit this spec and drop the compose file.",
    ...(conversion.findings.length > 0
      ? ["# Not carried over:", ...conversion.findings.map((f) => `#   ${formatFinding(f)}`)]
      : []),
  ].join("\n");
  const body =
    flags.output === "json"
      ? `${JSON.stringify(conversion.project, null, 2)}\n`
      : `${header}\n${stringify(conversion.project)}`;
  if (flags.dryRun || failed) {
    if (flags.output === "json")
      io.out(
        `${JSON.stringify({ project: conversion.project, findings: conversion.findings, errors: conversion.schemaErrors, converted: !failed }, null, 2)}\n`,
      );
    else io.out(body);
    for (const line of report) io.err(`${line}\n`);
    if (failed) io.err(`berth: ${name} is not converted: fix the errors above\n`);
    return failed ? 1 : 0;
  }
  await mkdir(outDir, { recursive: true });
  const target = join(outDir, `${name}.${flags.output === "json" ? "json" : "yaml"}`);
  await writeFile(target, body);
  for (const line of report) io.err(`${line}\n`);
  io.out(`wrote ${display(target)} (${conversion.findings.length} finding(s))\n`);
  return 0;
}

function defaultFiles(cwd: string): string[] {
  const main = COMPOSE_FILE_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  if (!main)
    throw new CliError(
      `no compose file in ${cwd}`,
      1,
      `give one with -f, or run it where ${COMPOSE_FILE_NAMES[0] ?? "compose.yaml"} is`,
    );
  const override = OVERRIDES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  return override ? [main, override] : [main];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
