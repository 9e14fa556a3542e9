/**
 * The shape of a Berth MCP tool: zod input and output schemas, the four behaviour annotations,
 * the toolset it belongs to, and a `run` function that returns text for the model plus structured
 * content matching the output schema. Tools throw the service's typed errors (or ToolError);
 * server.ts turns them into `isError` results.
 */
import type { z } from "zod";
import type { McpBackend } from "./backend.js";

/** The groups `--mcp-toolsets` picks from. */
export const TOOLSETS = ["read", "write", "exec", "import"] as const;
export type Toolset = (typeof TOOLSETS)[number];

/** What a running tool call gets besides its arguments. */
export interface ToolContext {
  backend: McpBackend;
  /** Aborts when the client cancels the call or goes away. */
  signal: AbortSignal;
  /** Sends a progress notification when the client asked for them (a progress token); never throws. */
  progress(message: string): void;
  /** Whether the client can answer an elicitation (a confirmation form); default false. */
  canElicit?: boolean;
  /** The answer to an earlier {@link ToolOutput.ask} of this call, when the client sent one back. */
  answer?(key: string): "accepted" | "declined" | undefined;
  /**
   * Called once the tool has saved what it writes and starts waiting for convergence. Where the
   * call runs as a task, its client gets the task handle now and the wait goes on without the
   * request: `signal` then aborts on tasks/cancel, and progress becomes the task's status message.
   */
  waiting?(): void;
}

/**
 * A tool's answer. `isError` marks a failure that still carries structured content. `ask` instead
 * asks the user to confirm (an elicitation) before the tool goes on: the call is then repeated
 * with the answer ({@link ToolContext.answer}), and `text` and `structured` are not sent.
 */
export interface ToolOutput<O> {
  text: string;
  structured: O;
  isError?: boolean;
  ask?: { key: string; message: string };
}

/** The behaviour hints every Berth tool sets, all four of them. */
export interface ToolHints {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** One tool. */
export interface Tool<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  input: I;
  output: O;
  annotations: ToolHints;
  /** The call may wait for convergence (`wait`), so it can run as a task (listed taskSupport optional). */
  waits?: boolean;
  run(args: z.output<I>, ctx: ToolContext): Promise<ToolOutput<z.output<O>>> | ToolOutput<z.output<O>>;
}

/** A tool with its types erased, as the server holds it. */
export interface AnyTool {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  input: z.ZodObject;
  output: z.ZodObject;
  annotations: ToolHints;
  /** The call may wait for convergence (`wait`), so it can run as a task (listed taskSupport optional). */
  waits?: boolean;
  run(args: unknown, ctx: ToolContext): Promise<ToolOutput<unknown>> | ToolOutput<unknown>;
}

/** Checks a tool definition's types and erases them. */
export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(tool: Tool<I, O>): AnyTool {
  return tool as unknown as AnyTool;
}
