/**
 * The tools/list answer, built once per access mode: each tool's JSON Schemas made compact so
 * that all definitions together stay small in a model's context (test/unit/mcp/budget.test.ts).
 * Input schemas keep every constraint and description; output schemas keep the shape (types,
 * enums, required fields) down to two levels, which is what a client validates against.
 */
import type { Tool as ListedTool } from "@modelcontextprotocol/server";
import { z } from "zod";
import type { AnyTool } from "./tool.js";

/** Levels of an output schema kept in full; deeper objects and arrays keep their type only. */
const OUTPUT_DEPTH = 2;
const SAFE = Number.MAX_SAFE_INTEGER;

type Json = Record<string, unknown>;

function compact(node: unknown, output: boolean, depth: number): unknown {
  if (Array.isArray(node)) return node.map((n) => compact(n, output, depth));
  if (node === null || typeof node !== "object") return node;
  const src = node as Json;
  if (output && depth >= OUTPUT_DEPTH && (src["type"] === "object" || src["type"] === "array")) {
    return { type: src["type"] };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === "$schema") continue;
    if ((k === "minimum" && v === -SAFE) || (k === "maximum" && v === SAFE)) continue;
    if (output && (k === "description" || k === "additionalProperties")) continue;
    if (k === "properties" && v && typeof v === "object") {
      out[k] = Object.fromEntries(
        Object.entries(v as Json).map(([name, s]) => [name, compact(s, output, depth + 1)]),
      );
    } else if (k === "items") {
      out[k] = compact(v, output, depth + 1);
    } else {
      out[k] = compact(v, output, depth);
    }
  }
  return out;
}

/** The listed definition of one tool. */
export function listedTool(tool: AnyTool): ListedTool {
  return {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: compact(z.toJSONSchema(tool.input, { io: "input" }), false, 0) as ListedTool["inputSchema"],
    outputSchema: compact(
      z.toJSONSchema(tool.output, { io: "output" }),
      true,
      0,
    ) as ListedTool["outputSchema"],
    // the title is listed once, at the top level (annotations.title is its older, duplicate place)
    annotations: { ...tool.annotations },
    // 2025-11-25 clients may run these as tasks; the 2026-07-28 encoder drops the field
    ...(tool.waits === true ? { execution: { taskSupport: "optional" } } : {}),
  };
}
