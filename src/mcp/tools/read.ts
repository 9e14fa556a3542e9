/** The read tools: list_projects, get_project, validate_project. */
import { z } from "zod";
import { describeStatus, type ProjectView } from "../../service/view.js";
import { defineTool } from "../tool.js";
import { oneLine, portSchema, portsOf, projectRef, resolveRef } from "./common.js";
import { formatSpecError, parseProjects, splitDuplicates, keyOf, PHASES } from "../../api/index.js";

const READ = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };

const summarySchema = z.object({
  namespace: z.string(),
  name: z.string(),
  phase: z.string(),
  ready: z.string().optional().describe('Ready containers, e.g. "2/2"'),
  generation: z.number().int(),
  observedGeneration: z.number().int().optional(),
  resourceVersion: z.string(),
  labels: z.record(z.string(), z.string()),
  ports: z.array(portSchema),
});

function summary(v: ProjectView): z.output<typeof summarySchema> {
  return {
    namespace: v.namespace,
    name: v.name,
    phase: v.status.phase ?? "Pending",
    ...(v.status.ready !== undefined ? { ready: v.status.ready } : {}),
    generation: v.generation,
    ...(v.status.observedGeneration !== undefined ? { observedGeneration: v.status.observedGeneration } : {}),
    resourceVersion: v.hash,
    labels: v.labels,
    ports: portsOf(v.status.ports),
  };
}

export const listProjects = defineTool({
  name: "list_projects",
  title: "List projects",
  description:
    "List Berth projects with their phase, ready count, published ports (URLs) and resourceVersion. " +
    'Filter by namespace, Kubernetes label selector (e.g. "team=web,tier!=db") and phase. Reads the cache; cheap.',
  input: z.object({
    namespace: z.string().optional().describe("Only this namespace; default all"),
    labelSelector: z
      .string()
      .max(1024)
      .optional()
      .describe('Label selector, e.g. "team=web" or "env in (dev,test)"'),
    phase: z.enum(PHASES).optional().describe("Only projects in this phase"),
  }),
  output: z.object({ projects: z.array(summarySchema), count: z.number().int() }),
  toolset: "read",
  annotations: READ,
  run(args, { backend }) {
    const views = backend.service.list({
      ...(args.namespace ? { namespace: args.namespace } : {}),
      ...(args.labelSelector ? { labelSelector: args.labelSelector } : {}),
      ...(args.phase ? { phase: args.phase } : {}),
    });
    const projects = views.map(summary);
    const text = views.length === 0 ? "No projects match." : views.map(oneLine).join("\n");
    return { text, structured: { projects, count: projects.length } };
  },
});

const containerSchema = z.object({
  name: z.string(),
  image: z.string(),
  state: z.string().optional(),
  health: z.string().optional(),
  restartCount: z.number().int().optional(),
});

export const getProject = defineTool({
  name: "get_project",
  title: "Get a project",
  description:
    'One project\'s desired spec and observed status. format "concise" (default): phase, status summary, ' +
    'containers, ports, problems and resourceVersion. "detailed" adds the full spec, labels, annotations, ' +
    "conditions, recent phase transitions and the spec file. Pass resourceVersion to writes for optimistic concurrency.",
  input: z.object({
    ...projectRef,
    format: z.enum(["concise", "detailed"]).optional().describe("concise (default) or detailed"),
  }),
  output: summarySchema.extend({
    summary: z.string().describe("Phase and the condition that explains it"),
    state: z.string().describe("Desired state: Running or Stopped"),
    containers: z.array(containerSchema),
    problems: z.array(z.string()).describe("Failing conditions and spec file errors"),
    spec: z.record(z.string(), z.unknown()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    conditions: z.array(z.record(z.string(), z.unknown())).optional(),
    transitions: z.array(z.record(z.string(), z.unknown())).optional(),
    file: z.string().optional(),
    line: z.number().int().optional(),
  }),
  toolset: "read",
  annotations: READ,
  run(args, { backend }) {
    const ref = resolveRef(args);
    const v = backend.service.get(ref.namespace, ref.name);
    const observed = new Map((v.status.containers ?? []).map((c) => [c.name, c]));
    const containers = v.spec.containers.map((c) => {
      const s = observed.get(c.name);
      return {
        name: c.name,
        image: c.image,
        ...(s?.state !== undefined ? { state: s.state } : {}),
        ...(s?.health !== undefined ? { health: s.health } : {}),
        ...(s?.restartCount !== undefined ? { restartCount: s.restartCount } : {}),
      };
    });
    const problems = [
      ...(v.status.conditions ?? [])
        .filter((c) => c.type !== "Progressing" && c.status === "False")
        .map((c) => `${c.type}: ${c.reason}${c.message ? ` - ${c.message}` : ""}`),
      ...v.specErrors.map(formatSpecError),
    ];
    const base = {
      ...summary(v),
      summary: describeStatus(v.status),
      state: v.spec.state,
      containers,
      problems,
    };
    const structured =
      args.format === "detailed"
        ? {
            ...base,
            spec: v.spec as unknown as Record<string, unknown>,
            annotations: v.annotations,
            conditions: (v.status.conditions ?? []) as unknown as Array<Record<string, unknown>>,
            transitions: v.transitions as unknown as Array<Record<string, unknown>>,
            file: v.file,
            line: v.line,
          }
        : base;
    const text =
      args.format === "detailed"
        ? JSON.stringify(structured, null, 1)
        : [
            `${v.namespace}/${v.name}: ${base.summary} (desired ${v.spec.state}, generation ${v.generation}, observed ${v.status.observedGeneration ?? "-"})`,
            `resourceVersion: ${v.hash}`,
            ...containers.map(
              (c) =>
                `container ${c.name}: ${c.image} ${c.state ?? "not created"}${c.health && c.health !== "none" ? ` (${c.health})` : ""}${c.restartCount ? `, ${c.restartCount} restarts` : ""}`,
            ),
            ...base.ports.map((p) => `port ${p.container}/${p.name}: ${p.url ?? p.hostPort}`),
            ...problems.map((p) => `problem: ${p}`),
          ].join("\n");
    return { text, structured };
  },
});

const specErrorSchema = z.object({
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
  path: z.string(),
  message: z.string(),
});

export const validateProject = defineTool({
  name: "validate_project",
  title: "Validate project specs",
  description:
    "Check one or more Project documents (YAML or JSON, apiVersion berth.dev/v1alpha1, kind Project) against the " +
    "schema and Berth's rules without writing anything. Errors name line, column and field path of the text you sent.",
  input: z.object({
    documents: z.string().min(1).describe("The Project document(s), YAML (several separated by ---) or JSON"),
  }),
  output: z.object({
    valid: z.boolean(),
    projects: z.array(z.object({ namespace: z.string(), name: z.string(), resourceVersion: z.string() })),
    errors: z.array(specErrorSchema),
  }),
  toolset: "read",
  annotations: READ,
  run(args) {
    const parsed = parseProjects(args.documents, "documents");
    const { unique, duplicates } = splitDuplicates(parsed.projects);
    const errors = [...parsed.errors, ...duplicates].map((e) => ({
      file: e.file,
      line: e.line,
      column: e.column,
      path: e.path,
      message: e.message,
    }));
    if (unique.length === 0 && errors.length === 0) {
      errors.push({ file: "documents", line: 1, column: 1, path: "", message: "no Project documents found" });
    }
    const projects = unique.map((p) => ({
      namespace: p.project.metadata.namespace,
      name: p.project.metadata.name,
      resourceVersion: p.hash,
    }));
    const valid = errors.length === 0;
    const text = valid
      ? `Valid: ${projects.map((p) => keyOf(p.namespace, p.name)).join(", ")}`
      : `Invalid (${errors.length} error(s)):\n${errors.map((e) => `  line ${e.line}:${e.column} ${e.path ? `${e.path}: ` : ""}${e.message}`).join("\n")}`;
    return { text, structured: { valid, projects, errors } };
  },
});
