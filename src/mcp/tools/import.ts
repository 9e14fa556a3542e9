/** The import tools: import_compose. */
import { stringify } from "yaml";
import { z } from "zod";
import { ComposeLoadError, convertProject, formatFinding, loadComposeProject } from "../../compose/index.js";
import { defineTool } from "../tool.js";
import { resultOut, writeResultSchema } from "./converge.js";
import { formatSpecError } from "../../api/index.js";

/** Where the sent compose text is placed; relative paths in it resolve below this name. */
const VIRTUAL_DIR = "/compose";
const VIRTUAL_FILE = `${VIRTUAL_DIR}/compose.yaml`;

const findingSchema = z.object({
  severity: z.enum(["error", "warning"]),
  key: z.string().describe("compose key path, e.g. services.web.privileged"),
  line: z.number().int(),
  column: z.number().int(),
  reason: z.string(),
  nearest: z.string().optional().describe("the nearest Berth feature"),
});

export const importCompose = defineTool({
  name: "import_compose",
  title: "Convert a compose file into a Project",
  description:
    "Convert a Docker Compose file (its text) into a Berth Project, as Docker Compose v2 loads it (interpolation " +
    "from the text's defaults only, profiles), and report every key that cannot be carried over with its line, " +
    "why and the nearest Berth feature. write: false (the default) returns the Project YAML and the loss report; " +
    "write: true also applies it as a new Project spec file. A report with errors is never written. include, " +
    "extends with file: and env_file name files the daemon does not read here: import those with " +
    "`berth import compose` on the host instead.",
  input: z.object({
    compose: z.string().min(1).describe("The compose file's text (compose.yaml)"),
    name: z.string().optional().describe("Project name; default the compose file's name:, else 'compose'"),
    profiles: z.array(z.string()).optional().describe("Profiles to enable"),
    allocatePorts: z
      .boolean()
      .optional()
      .describe("Use Berth's allocated host ports instead of the fixed ones"),
    write: z.boolean().optional().describe("Apply the Project (default false: a plan only)"),
  }),
  output: z.object({
    converted: z.boolean(),
    project: z.string().describe("The Project, YAML"),
    findings: z.array(findingSchema),
    errors: z.array(z.string()).describe("line:column and message of what stops the conversion"),
    written: z.array(writeResultSchema).optional(),
  }),
  toolset: "import",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    let conversion;
    try {
      const project = loadComposeProject({
        files: [VIRTUAL_FILE],
        env: {},
        profiles: args.profiles,
        projectName: args.name ?? (/^name:/m.test(args.compose) ? undefined : "compose"),
        display: (p) => (p === VIRTUAL_FILE ? "compose.yaml" : p),
        texts: new Map([[VIRTUAL_FILE, args.compose]]),
        offline: true,
      });
      conversion = convertProject(project, {
        allocatePorts: args.allocatePorts === true,
        specDir: VIRTUAL_DIR,
        source: "compose.yaml",
      });
    } catch (e) {
      if (!(e instanceof ComposeLoadError)) throw e;
      const error = e.message.replace(/^compose\.yaml:/, "line ");
      return {
        text: `Not converted: ${error}`,
        structured: { converted: false, project: "", findings: [], errors: [error] },
        isError: true,
      };
    }
    const findings = conversion.findings.map((f) => ({
      severity: f.severity,
      key: f.key,
      line: f.where.line,
      column: f.where.column,
      reason: f.reason,
      ...(f.nearest ? { nearest: f.nearest } : {}),
    }));
    const errors = conversion.schemaErrors.map(formatSpecError);
    const converted = conversion.parsed !== undefined;
    const yamlText = stringify(conversion.project);
    const report = conversion.findings.map(formatFinding).concat(errors);
    const out = {
      converted,
      project: yamlText,
      findings,
      errors: [...errors, ...conversion.findings.filter((f) => f.severity === "error").map(formatFinding)],
    };
    if (!converted || args.write !== true) {
      const head = converted
        ? "Converted (not written; write: true applies it)"
        : "Not converted: fix the errors";
      return {
        text: `${head}\n${report.join("\n")}\n---\n${yamlText}`,
        structured: out,
        isError: !converted,
      };
    }
    const response = await ctx.backend.service.apply(yamlText, { source: "compose.yaml", atomic: true });
    const written = response.results.map(resultOut);
    const lines = written.map((r) => `${r.namespace}/${r.name}: ${r.action}`);
    return { text: `${lines.join("\n")}\n${report.join("\n")}`, structured: { ...out, written } };
  },
});
