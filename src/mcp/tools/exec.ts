/** exec_in_container: a bounded command in a project's container. */
import { z } from "zod";
import { ToolError } from "../errors.js";
import { defineTool } from "../tool.js";
import { projectRef, resolveRef } from "./common.js";

/** Most output characters one answer carries (the command's output is cut there). */
export const MAX_EXEC_OUTPUT = 20_000;

export const execInContainerTool = defineTool({
  name: "exec_in_container",
  title: "Run a command in a container",
  description:
    "Run a command in a running container of a project (docker exec, no TTY, no stdin) and return its exit " +
    `code and output (stdout and stderr together, at most ${MAX_EXEC_OUTPUT} characters; truncated says when ` +
    'cut). command is an argv list, not run through a shell: use ["sh", "-c", "..."] for pipes. A command past ' +
    "timeoutSeconds is left running and reported as timed out.",
  toolset: "exec",
  input: z.object({
    ...projectRef,
    container: z.string().min(1).max(63).describe("The container's name in the spec"),
    command: z.array(z.string().max(8192)).min(1).max(256).describe('argv, e.g. ["cat", "/etc/hosts"]'),
    timeoutSeconds: z.number().int().min(1).max(600).optional().describe("Default 30"),
  }),
  output: z.object({
    exitCode: z.number().int().nullable(),
    output: z.string(),
    truncated: z.boolean(),
    timedOut: z.boolean(),
    durationMs: z.number(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run(args, ctx) {
    const exec = ctx.backend.exec;
    if (!exec) {
      throw new ToolError(
        "Unavailable",
        "this Berth server cannot run commands in containers",
        "run the command with docker exec on the host",
      );
    }
    const ref = resolveRef(args);
    const r = await exec({
      namespace: ref.namespace,
      name: ref.name,
      container: args.container,
      command: args.command,
      timeoutMs: (args.timeoutSeconds ?? 30) * 1000,
      maxOutputBytes: MAX_EXEC_OUTPUT * 4,
      signal: ctx.signal,
    });
    const cutHere = r.output.length > MAX_EXEC_OUTPUT;
    const output = cutHere ? r.output.slice(0, MAX_EXEC_OUTPUT) : r.output;
    const structured = {
      exitCode: r.exitCode,
      output,
      truncated: r.truncated || cutHere,
      timedOut: r.timedOut,
      durationMs: r.durationMs,
    };
    const head = r.timedOut
      ? `timed out after ${args.timeoutSeconds ?? 30} s (the command may still run)`
      : `exit code ${r.exitCode ?? "unknown"}`;
    const text = `${head}${structured.truncated ? " (output truncated)" : ""}\n${output}`;
    return { text, structured, isError: r.timedOut || (r.exitCode ?? 1) !== 0 };
  },
});
