import { Counter, Histogram, type Registry } from "prom-client";

/** How a tool call ended: a result, a tool error (`isError`), or a protocol error. */
export type ToolCallResult = "ok" | "error" | "protocol_error";

/** The MCP tool metrics of one registry. */
export interface McpMetrics {
  observe(tool: string, result: ToolCallResult, seconds: number): void;
}

/**
 * Registers (once per registry; later calls reuse the series) `berth_mcp_tool_calls_total{tool,
 * result}` and `berth_mcp_tool_duration_seconds{tool}`. Unknown tool names are counted as
 * `unknown`, so a client cannot grow the label set.
 */
export function mcpMetrics(registry: Registry): McpMetrics {
  const calls =
    (registry.getSingleMetric("berth_mcp_tool_calls_total") as Counter<"tool" | "result"> | undefined) ??
    new Counter({
      name: "berth_mcp_tool_calls_total",
      help: "MCP tool calls by tool and result (ok, error = a tool result with isError, protocol_error).",
      labelNames: ["tool", "result"],
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric("berth_mcp_tool_duration_seconds") as Histogram<"tool"> | undefined) ??
    new Histogram({
      name: "berth_mcp_tool_duration_seconds",
      help: "Time to answer an MCP tool call (waits included).",
      labelNames: ["tool"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 30, 120],
      registers: [registry],
    });
  return {
    observe(tool, result, seconds) {
      calls.inc({ tool, result });
      duration.observe({ tool }, seconds);
    },
  };
}
