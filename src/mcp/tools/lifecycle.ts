/**
 * The lifecycle tools: delete_project, restart_project, set_project_state. Each acts on one
 * project (`name`), a list (`names`) or every project a label `selector` matches, at most `limit`;
 * each project succeeds or fails on its own. Deleting more than one project needs the user's
 * confirmation: an elicitation where the client can answer one, else `confirm: true`.
 */
import { z } from "zod";
import type { WriteResponse } from "../../service/service.js";
import { describeFailureText } from "../errors.js";
import { defineTool, type ToolContext, type ToolOutput } from "../tool.js";
import { resolveRef, writeOptions } from "./common.js";
import { resultOut, waitForResults, writeOutput, writeText, type WriteOut } from "./converge.js";
import { BadRequestError, keyOf, type WriteOptions, type WriteResult } from "../../api/index.js";

/** Most projects one call may touch. */
export const MAX_TARGETS = 100;
const DEFAULT_LIMIT = 20;

const targetArgs = {
  name: z
    .string()
    .min(1)
    .max(253)
    .optional()
    .describe('One project, e.g. "shop-api" or "namespace/name"; or use names or selector'),
  namespace: z
    .string()
    .min(1)
    .max(63)
    .optional()
    .describe('Namespace; default "default" (all, with selector)'),
  names: z.array(z.string().min(1).max(253)).min(1).max(MAX_TARGETS).optional().describe("Several projects"),
  selector: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe('Every project matching this label selector, e.g. "team=web"'),
  limit: z
    .number()
    .int()
    .min(1)
    .max(MAX_TARGETS)
    .optional()
    .describe(`Refuse if more projects match (default ${DEFAULT_LIMIT})`),
  dryRun: z.boolean().optional().describe("List what would be touched without writing anything"),
};

const bulkOutput = writeOutput.extend({
  failures: z.array(z.object({ project: z.string(), message: z.string() })),
});

type BulkOut = z.output<typeof bulkOutput>;

interface TargetArgs {
  name?: string | undefined;
  namespace?: string | undefined;
  names?: string[] | undefined;
  selector?: string | undefined;
  limit?: number | undefined;
  resourceVersion?: string | undefined;
}

/** The projects a call names, checked against its limit. */
export function targetsOf(ctx: ToolContext, args: TargetArgs): { namespace: string; name: string }[] {
  const given = [args.name, args.names, args.selector].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new BadRequestError(
      "name the projects with exactly one of name, names or selector",
      'e.g. {"name": "shop-api"}, {"names": ["a", "b"]} or {"selector": "team=web"}',
    );
  }
  const list =
    args.name !== undefined
      ? [resolveRef({ name: args.name, namespace: args.namespace })]
      : args.names !== undefined
        ? args.names.map((n) => resolveRef({ name: n, namespace: args.namespace }))
        : ctx.backend.service
            .list({
              labelSelector: args.selector ?? "",
              ...(args.namespace ? { namespace: args.namespace } : {}),
            })
            .map((v) => ({ namespace: v.namespace, name: v.name }));
  const limit = args.limit ?? DEFAULT_LIMIT;
  if (list.length > limit) {
    throw new BadRequestError(
      `${list.length} projects match, over the limit of ${limit}; nothing was changed`,
      `narrow the selector, or pass limit (at most ${MAX_TARGETS}) after checking the list with dryRun: true`,
    );
  }
  if (args.resourceVersion !== undefined && args.name === undefined) {
    throw new BadRequestError("resourceVersion applies to a single project (name) only");
  }
  return list.map((r) => ({ namespace: r.namespace, name: r.name }));
}

type Op = (namespace: string, name: string, options: WriteOptions) => Promise<WriteResponse>;

/** Runs `op` on each target, collecting per-project results and failures, then waits if asked. */
async function bulk(
  ctx: ToolContext,
  targets: readonly { namespace: string; name: string }[],
  op: Op,
  args: TargetArgs & {
    dryRun?: boolean | undefined;
    wait?: boolean | undefined;
    timeoutSeconds?: number | undefined;
  },
): Promise<ToolOutput<BulkOut>> {
  const options: WriteOptions = {
    dryRun: args.dryRun === true,
    ...(args.resourceVersion !== undefined ? { expectedHash: args.resourceVersion } : {}),
  };
  const written: WriteResult[] = [];
  const failures: BulkOut["failures"] = [];
  for (const t of targets) {
    try {
      written.push(...(await op(t.namespace, t.name, options)).results);
    } catch (err) {
      if (targets.length === 1 && args.name !== undefined) throw err; // one project: its own error
      failures.push({
        project: keyOf(t.namespace, t.name),
        message: describeFailureText(err, ctx.backend.service),
      });
    }
  }
  const out: WriteOut & { failures: BulkOut["failures"] } = {
    dryRun: options.dryRun === true,
    results: written.map(resultOut),
    failures,
  };
  if (args.wait && !options.dryRun && written.length > 0)
    out.wait = await waitForResults(ctx, written, args.timeoutSeconds);
  let text = writeText(
    out,
    failures.map((f) => `${f.project}: FAILED: ${f.message}`),
  );
  if (targets.length === 0) text = "No projects match; nothing was changed.";
  if (failures.length > 0)
    text += `\n${failures.length} of ${targets.length} project(s) failed; the others were written`;
  const waitFailed = out.wait !== undefined && out.wait.outcome !== "converged";
  return { text, structured: out, isError: failures.length > 0 || waitFailed };
}

const lifecycleHints = { readOnlyHint: false, destructiveHint: true, openWorldHint: false };

export const deleteProject = defineTool({
  name: "delete_project",
  title: "Delete projects",
  description:
    "Delete projects (name, names or a label selector): the document is removed from its spec file (the file " +
    "too when nothing else is left in it; in Kubernetes mode, the custom resource is deleted), and the reconciler " +
    "removes its containers and network and releases its ports. More than one project needs the user's " +
    "confirmation, or confirm: true. wait: true waits until they are gone.",
  toolset: "write",
  input: z.object({
    ...targetArgs,
    confirm: z.boolean().optional().describe("Confirms deleting more than one project"),
    ...writeOptions,
  }),
  output: bulkOutput,
  annotations: { ...lifecycleHints, idempotentHint: true },
  waits: true,
  async run(args, ctx) {
    const targets = targetsOf(ctx, args);
    if (targets.length > 1 && !args.dryRun && args.confirm !== true) {
      const list = targets.map((t) => keyOf(t.namespace, t.name)).join(", ");
      const answer = ctx.answer?.("confirm");
      if (answer === "declined") {
        return {
          text: `Not deleted: the user declined deleting ${targets.length} projects (${list}).`,
          structured: { dryRun: false, results: [], failures: [] },
        };
      }
      if (answer === undefined && ctx.canElicit) {
        return {
          text: "",
          structured: { dryRun: false, results: [], failures: [] },
          ask: { key: "confirm", message: `Delete ${targets.length} projects: ${list}?` },
        };
      }
      if (answer === undefined) {
        throw new BadRequestError(
          `deleting ${targets.length} projects (${list}) needs confirmation; nothing was deleted`,
          "ask the user, then call again with confirm: true (dryRun: true lists them without deleting)",
        );
      }
    }
    return bulk(ctx, targets, (ns, name, o) => ctx.backend.service.delete(ns, name, o), args);
  },
});

export const restartProject = defineTool({
  name: "restart_project",
  title: "Restart projects",
  description:
    "Restart all containers of projects (name, names or a label selector): sets the berth.dev/restartedAt " +
    "annotation to now, so the reconciler replaces every container (same spec, same host ports). Every call " +
    "restarts again. wait: true waits until the new containers run.",
  toolset: "write",
  input: z.object({ ...targetArgs, ...writeOptions }),
  output: bulkOutput,
  annotations: { ...lifecycleHints, idempotentHint: false },
  waits: true,
  async run(args, ctx) {
    return bulk(ctx, targetsOf(ctx, args), (ns, name, o) => ctx.backend.service.restart(ns, name, o), args);
  },
});

export const setProjectState = defineTool({
  name: "set_project_state",
  title: "Start or stop projects",
  description:
    "Set the desired state of projects (name, names or a label selector): Stopped stops their containers (they " +
    "and their host ports are kept), Running starts them again. wait: true waits until Running or Stopped.",
  toolset: "write",
  input: z.object({
    ...targetArgs,
    state: z.enum(["Running", "Stopped"]).describe("Running or Stopped"),
    ...writeOptions,
  }),
  output: bulkOutput,
  annotations: { ...lifecycleHints, idempotentHint: true },
  waits: true,
  async run(args, ctx) {
    return bulk(
      ctx,
      targetsOf(ctx, args),
      (ns, name, o) => ctx.backend.service.setState(ns, name, args.state, o),
      args,
    );
  },
});
