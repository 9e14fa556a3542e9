/** The spec write tools: apply_project, patch_project (the lifecycle ones are in lifecycle.ts). */
import { dirname } from "node:path";
import { z } from "zod";
import type { ApplyFailure, ProjectService } from "../../service/service.js";
import { describeFailureText } from "../errors.js";
import { realHostPaths } from "../../reconcilers/mounts.js";
import { dryRunPlan, type ProjectPlan } from "../../reconcilers/dry-run.js";
import { defineTool, type ToolContext } from "../tool.js";
import { projectRef, resolveRef, writeOptions } from "./common.js";
import {
  finishWrite,
  resultOut,
  waitForResults,
  waitSchema,
  writeOutput,
  writeResultSchema,
  writeText,
  type WriteOut,
} from "./converge.js";
import {
  formatSpecError,
  type ParsedProject,
  SpecInvalidError,
  type WriteOptions,
  type WriteResult,
  keyOf,
} from "../../api/index.js";

const dryRun = z
  .boolean()
  .optional()
  .describe("Compute the result (and for apply_project the plan) without writing anything");

const planSchema = z.object({
  containers: z.array(
    z.object({
      name: z.string(),
      action: z.enum(["create", "replace", "keep", "start", "stop", "remove"]),
      reason: z.string().optional(),
    }),
  ),
  ports: z.array(
    z.object({
      container: z.string(),
      name: z.string(),
      containerPort: z.number().int(),
      protocol: z.string(),
      hostPort: z.number().int().nullable(),
      source: z.enum(["fixed", "kept", "allocate"]),
    }),
  ),
});

const failureSchema = z.object({
  project: z.string().optional().describe("namespace/name, when the document names one"),
  message: z.string(),
  errors: z.array(z.string()).optional().describe("file:line:column field.path: message"),
});

export const applyProject = defineTool({
  name: "apply_project",
  title: "Create or replace projects",
  description:
    "Create or replace one or more projects from Project documents (YAML, several separated by ---, or JSON; " +
    "apiVersion berth.dev/v1alpha1, kind Project). A new project gets its own file in the watched directory; an " +
    "existing one is rewritten in place, keeping comments and the user's formatting (in Kubernetes mode, the Project " +
    "custom resource is created or replaced). Each project succeeds or fails " +
    "on its own; failures name line, column and field path. dryRun: true writes nothing and returns the plan " +
    "(containers to create, replace, keep or remove, and host ports). Returns once the spec is saved; wait: true " +
    "waits until Ready.",
  input: z.object({
    documents: z.string().min(1).describe("The Project document(s)"),
    dryRun,
    ...writeOptions,
  }),
  output: z.object({
    dryRun: z.boolean(),
    results: z.array(writeResultSchema.extend({ plan: planSchema.optional() })),
    failures: z.array(failureSchema),
    wait: waitSchema.optional(),
  }),
  toolset: "write",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  waits: true,
  async run(args, ctx) {
    const service = ctx.backend.service;
    const response = await service.apply(args.documents, {
      ...writeOptionsOf(args),
      source: "documents",
      atomic: false,
    });
    const failures = response.failures.map((f) => failureOut(f, service));
    const written = response.results.map((result, i) => ({ result, project: response.projects[i] }));
    const results = await Promise.all(
      written.map(async ({ result, project }) => ({
        ...resultOut(result),
        ...(args.dryRun && project ? { plan: await planFor(ctx, result, project) } : {}),
      })),
    );
    const out: WriteOut & { failures: typeof failures } = { dryRun: args.dryRun === true, results, failures };
    if (args.wait && !args.dryRun && response.results.length > 0) {
      out.wait = await waitForResults(ctx, response.results, args.timeoutSeconds);
    }
    const failureLines = failures.map(
      (f) =>
        `${f.project ?? "document"}: FAILED: ${f.message}${f.errors ? `\n  ${f.errors.join("\n  ")}` : ""}`,
    );
    let text = writeText(out, failureLines);
    if (args.dryRun)
      text += `\n${results.map((r) => planText(keyOf(r.namespace, r.name), r.plan)).join("\n")}`;
    if (failures.length > 0) {
      text += `\n${failures.length} of ${failures.length + results.length} project(s) failed and were not written; fix them and apply them again`;
    }
    const waitFailed = out.wait !== undefined && out.wait.outcome !== "converged";
    return { text, structured: out, isError: failures.length > 0 || waitFailed };
  },
});

/** The service's write options from a tool's `dryRun` and `resourceVersion` arguments. */
function writeOptionsOf(args: {
  dryRun?: boolean | undefined;
  resourceVersion?: string | undefined;
}): WriteOptions {
  return {
    dryRun: args.dryRun === true,
    ...(args.resourceVersion !== undefined ? { expectedHash: args.resourceVersion } : {}),
  };
}

/** A failure as apply_project reports it: spec errors listed one by one, else what failed and the fix. */
function failureOut(f: ApplyFailure, service: ProjectService): z.output<typeof failureSchema> {
  const project = f.key !== undefined ? { project: f.key } : {};
  if (f.error instanceof SpecInvalidError) {
    return { ...project, message: "invalid spec", errors: f.error.errors.map(formatSpecError) };
  }
  return { ...project, message: describeFailureText(f.error, service) };
}

async function planFor(ctx: ToolContext, result: WriteResult, p: ParsedProject): Promise<ProjectPlan> {
  let previous;
  try {
    previous = ctx.backend.service.get(result.namespace, result.name);
  } catch {
    previous = undefined;
  }
  return dryRunPlan({
    key: result.key,
    project: p.project,
    current: previous,
    observed: ctx.backend.observed(result.key),
    hostPaths: await realHostPaths(p.project.spec.containers, dirname(result.file)),
    publishAddress: ctx.backend.publishAddress,
  });
}

function planText(key: string, plan: ProjectPlan | undefined): string {
  if (!plan) return "";
  const containers = plan.containers.map(
    (c) => `  ${c.action} container ${c.name}${c.reason ? ` (${c.reason})` : ""}`,
  );
  const ports = plan.ports.map(
    (p) =>
      `  port ${p.container}/${p.name} ${p.containerPort}/${p.protocol} -> ${p.hostPort ?? "allocated on apply"} (${p.source})`,
  );
  return [`plan for ${key}:`, ...containers, ...ports].join("\n");
}

export const patchProject = defineTool({
  name: "patch_project",
  title: "Patch a project",
  description:
    "Change part of a project with a JSON merge patch (RFC 7386) of spec and metadata.labels/annotations: " +
    "null removes a key, objects merge, lists given as lists replace. Named lists (containers, their env, ports, " +
    "volumes) can also be patched by name with an object: " +
    '{"spec": {"containers": {"api": {"image": "x:2", "env": {"MODE": "debug", "OLD": null}}}}} changes container ' +
    'api only; {"spec": {"state": "Stopped"}} stops the project. The result is validated before it is written; the ' +
    "file keeps its comments and every untouched line (in Kubernetes mode, the custom resource is patched). Pass " +
    "resourceVersion to fail on a concurrent change.",
  input: z.object({
    ...projectRef,
    patch: z
      .record(z.string(), z.unknown())
      .describe('The merge patch, e.g. {"spec": {"containers": {"api": {"env": {"GREETING": "hi"}}}}}'),
    dryRun,
    ...writeOptions,
  }),
  output: writeOutput,
  toolset: "write",
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  waits: true,
  async run(args, ctx) {
    const ref = resolveRef(args);
    const response = await ctx.backend.service.patch(
      ref.namespace,
      ref.name,
      args.patch,
      writeOptionsOf(args),
    );
    return finishWrite(ctx, response, args);
  },
});
