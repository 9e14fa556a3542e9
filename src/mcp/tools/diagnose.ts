/** diagnose_project: why a project is not healthy, in one bounded answer. */
import { z } from "zod";
import { diagnose, diagnosisText, MAX_DIGEST_CHARS } from "../diagnosis.js";
import { defineTool } from "../tool.js";
import { projectRef, resolveRef } from "./common.js";

const lines = z.array(z.string());

export const diagnoseProject = defineTool({
  name: "diagnose_project",
  title: "Diagnose a project",
  description:
    "Why a project is not healthy, in one call: failing conditions (port conflicts name the holder, image " +
    "failures the build step), per container its state, exit code, OOM kill, restarts, health check, last " +
    "probe, awaited dependency and the log lines that matter, and the last develop.watch syncs (failed first). " +
    `At most ${MAX_DIGEST_CHARS} characters; ends with a suggested next action.`,
  toolset: "read",
  input: z.object({ ...projectRef }),
  output: z.object({
    namespace: z.string(),
    name: z.string(),
    phase: z.string(),
    healthy: z.boolean(),
    summary: z.string(),
    problems: z.array(z.string()),
    containers: z.array(
      z.object({
        name: z.string(),
        state: z.string(),
        health: z.string().optional(),
        exitCode: z.number().int().optional(),
        oomKilled: z.boolean().optional(),
        restartCount: z.number().int(),
        reason: z.string().optional(),
        message: z.string().optional(),
        error: z.string().optional(),
        probe: z
          .object({ check: z.string(), failureThreshold: z.number(), lastResult: z.string().optional() })
          .optional(),
        waitingFor: lines.optional(),
        firstLines: lines,
        lastLines: lines,
        errorLines: lines,
      }),
    ),
    syncs: z
      .array(
        z.object({
          container: z.string(),
          path: z.string(),
          action: z.string(),
          time: z.string(),
          files: z.number(),
          bytes: z.number(),
          durationMs: z.number(),
          error: z.string().optional(),
        }),
      )
      .optional(),
    nextAction: z.string(),
    truncated: z.boolean(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run(args, { backend }) {
    const ref = resolveRef(args);
    const view = backend.service.get(ref.namespace, ref.name);
    const d = diagnose({
      view,
      observed: backend.observed(ref.key),
      logs: (container, since) => backend.logs(ref.key, { container, ...(since ? { since } : {}) }),
      probe: (container) => backend.probe?.(ref.key, container),
    });
    return { text: diagnosisText(d), structured: d };
  },
});
