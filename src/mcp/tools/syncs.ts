/** get_syncs: a project's last dev-loop outcomes (develop.watch syncs, restarts, execs, rebuilds). */
import { z } from "zod";
import { hasWatchRules, syncLine, syncsOf } from "../syncs.js";
import { defineTool } from "../tool.js";
import { projectRef, resolveRef } from "./common.js";

const syncSchema = z.object({
  container: z.string(),
  path: z.string(),
  action: z.string(),
  time: z.string(),
  files: z.number().int(),
  bytes: z.number().int(),
  durationMs: z.number(),
  error: z.string().optional(),
});

export const getSyncs = defineTool({
  name: "get_syncs",
  title: "Read syncs",
  description:
    "A project's last develop.watch outcomes, newest first (at most 10), with sizes, durations and errors.",
  input: z.object({
    ...projectRef,
    container: z.string().optional().describe("Only this container"),
  }),
  output: z.object({ syncs: z.array(syncSchema), hint: z.string().optional() }),
  toolset: "read",
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  run(args, { backend }) {
    const ref = resolveRef(args);
    const view = backend.service.get(ref.namespace, ref.name);
    const watching = hasWatchRules(view);
    const syncs = syncsOf(view, args.container !== undefined ? { container: args.container } : {});
    const hint = !watching
      ? "the project has no develop.watch rules; add them to a container's spec (patch_project) to sync edits"
      : syncs.length === 0
        ? "nothing synced yet: outcomes appear after a file under a rule's path changes while its container runs"
        : undefined;
    const text = [
      `${ref.key}: ${syncs.length === 0 ? "no syncs" : `${syncs.length} sync(s), newest first`}`,
      ...syncs.map(syncLine),
      ...(hint ? [`hint: ${hint}`] : []),
    ].join("\n");
    return { text, structured: { syncs, ...(hint ? { hint } : {}) } };
  },
});
