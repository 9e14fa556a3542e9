/** Write results and waits for convergence, as the write tools and wait_for_project report them. */
import { z } from "zod";
import type { WriteResponse } from "../../service/service.js";
import type { WaitResult } from "../../service/wait.js";
import type { ToolContext, ToolOutput } from "../tool.js";
import { DEFAULT_WAIT_SECONDS, portSchema, portsOf } from "./common.js";
import type { WriteResult } from "../../api/index.js";

export const waitSchema = z.object({
  outcome: z.enum(["converged", "failed", "timeout", "aborted"]),
  message: z.string(),
  projects: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      phase: z.string(),
      ports: z.array(portSchema),
    }),
  ),
});

export type WaitOut = z.output<typeof waitSchema>;

export const writeResultSchema = z.object({
  namespace: z.string(),
  name: z.string(),
  action: z.enum(["created", "updated", "unchanged", "deleted"]),
  file: z
    .string()
    .describe(
      "The spec file written (or that would be written, in a dry run); in Kubernetes mode, the resource",
    ),
  resourceVersion: z.string().optional().describe("The new resourceVersion; pass it to the next write"),
  generation: z
    .number()
    .int()
    .optional()
    .describe("The generation the daemon gives this spec (it grows with every spec change)"),
});

export type WriteResultOut = z.output<typeof writeResultSchema>;

export const writeOutput = z.object({
  dryRun: z.boolean(),
  results: z.array(writeResultSchema),
  wait: waitSchema.optional(),
});

export type WriteOut = z.output<typeof writeOutput>;

/**
 * A write result with its resourceVersion and the generation the desired state gave the spec, as
 * the writer read it back after the write (absent when it has none, e.g. after a delete).
 */
export function resultOut(r: WriteResult): WriteResultOut {
  return {
    namespace: r.namespace,
    name: r.name,
    action: r.action,
    file: r.file,
    ...(r.hash !== undefined ? { resourceVersion: r.hash } : {}),
    ...(r.generation !== undefined ? { generation: r.generation } : {}),
  };
}

/** Waits for written projects (or, with `results` made from a read, for existing ones). */
export async function waitForResults(
  ctx: ToolContext,
  results: readonly WriteResult[],
  timeoutSeconds: number | undefined,
): Promise<WaitOut> {
  const timeoutMs = (timeoutSeconds ?? DEFAULT_WAIT_SECONDS) * 1000;
  ctx.waiting?.(); // the writes are saved: a call that runs as a task goes on as one from here
  const outcome: WaitResult = await ctx.backend.service.waitForWrites(results, {
    timeoutMs,
    signal: ctx.signal,
    onProgress: (m) => ctx.progress(m),
  });
  const projects = results
    .filter((r) => r.action !== "deleted")
    .map((r) => {
      try {
        const v = ctx.backend.service.get(r.namespace, r.name);
        return {
          namespace: r.namespace,
          name: r.name,
          phase: v.status.phase ?? "Pending",
          ports: portsOf(v.status.ports),
        };
      } catch {
        return { namespace: r.namespace, name: r.name, phase: "Deleted", ports: [] };
      }
    });
  return { outcome: outcome.outcome, message: outcome.message, projects };
}

const VERB: Record<WriteResult["action"], string> = {
  created: "created",
  updated: "updated",
  unchanged: "unchanged (already as asked)",
  deleted: "deleted",
};

/** Text of a write: one line per project, then how the wait ended. */
export function writeText(out: WriteOut, failures: readonly string[] = []): string {
  const lines = out.results.map((r) => {
    const what = out.dryRun ? `would be ${VERB[r.action]}` : VERB[r.action];
    const version = r.resourceVersion ? ` resourceVersion=${r.resourceVersion}` : "";
    const gen = r.generation !== undefined ? ` generation=${r.generation}` : "";
    return `${r.namespace}/${r.name}: ${what} (${r.file})${version}${gen}`;
  });
  lines.push(...failures);
  if (out.wait) lines.push(waitText(out.wait));
  else if (!out.dryRun && out.results.length > 0)
    lines.push("The spec is saved; the reconciler converges it now (wait_for_project waits for Ready).");
  return lines.join("\n");
}

/** Text of a wait's outcome, with the URLs of the ports when it converged. */
export function waitText(w: WaitOut): string {
  const ports = w.projects.flatMap((p) =>
    p.ports.map((port) => `${p.name}/${port.container}/${port.name} -> ${port.url ?? port.hostPort}`),
  );
  switch (w.outcome) {
    case "converged":
      return `${w.projects.length > 0 ? "Ready" : "Done"}: ${w.message}${ports.length ? `\nPorts: ${ports.join(", ")}` : ""}`;
    case "failed":
      return `Failed: ${w.message}\nHow to fix: read the message above; get_project (format: detailed) shows the conditions and get_logs the container output`;
    case "timeout":
      return `Not ready yet: ${w.message}\nHow to fix: call wait_for_project again to keep waiting, or get_project / get_logs to see what it is doing`;
    case "aborted":
      return `Wait cancelled: ${w.message}`;
  }
}

/** The tool output of a write, waiting first when asked. A wait that did not converge is an error. */
export async function finishWrite(
  ctx: ToolContext,
  response: WriteResponse,
  args: { wait?: boolean | undefined; timeoutSeconds?: number | undefined },
): Promise<ToolOutput<WriteOut>> {
  const out: WriteOut = { dryRun: response.dryRun, results: response.results.map(resultOut) };
  if (args.wait && !response.dryRun)
    out.wait = await waitForResults(ctx, response.results, args.timeoutSeconds);
  return {
    text: writeText(out),
    structured: out,
    isError: out.wait !== undefined && out.wait.outcome !== "converged",
  };
}
