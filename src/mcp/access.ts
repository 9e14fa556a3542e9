/**
 * Which tools a server offers: `--mcp-read-only` keeps the read tools only, `--mcp-toolsets`
 * picks groups. A hidden tool is not listed; a call to it anyway is refused with a tool error
 * that names the flag. Pure.
 */
import { TOOLSETS, type AnyTool, type Toolset } from "./tool.js";
import { BerthError } from "../util/errors.js";

/** The access mode of a server. */
export interface McpAccess {
  readOnly: boolean;
  toolsets: ReadonlySet<Toolset>;
}

/** Every tool, no restriction. */
export const FULL_ACCESS: McpAccess = { readOnly: false, toolsets: new Set(TOOLSETS) };

/** A `--mcp-toolsets` value that names an unknown group. */
export class ToolsetsInvalidError extends BerthError {
  override readonly name = "ToolsetsInvalidError";
}

/** Parses `--mcp-toolsets read,write,exec,import`; undefined or empty means all. */
export function parseToolsets(text: string | undefined): ReadonlySet<Toolset> {
  if (text === undefined || text.trim() === "") return new Set(TOOLSETS);
  const out = new Set<Toolset>();
  for (const part of text.split(",")) {
    const name = part.trim();
    if (name === "") continue;
    if (!(TOOLSETS as readonly string[]).includes(name)) {
      throw new ToolsetsInvalidError(
        `--mcp-toolsets: unknown toolset ${JSON.stringify(name)} in ${JSON.stringify(text)}; the toolsets are ${TOOLSETS.join(", ")}`,
      );
    }
    out.add(name as Toolset);
  }
  return out;
}

/** Why a tool is not offered in this mode, or undefined when it is. */
export function refusal(tool: AnyTool, access: McpAccess): string | undefined {
  if (access.readOnly && !tool.annotations.readOnlyHint) {
    return `${tool.name} changes state, and this Berth MCP server is read-only (--mcp-read-only); nothing was changed`;
  }
  if (!access.toolsets.has(tool.toolset)) {
    return `${tool.name} is in the toolset "${tool.toolset}", which this server does not offer (--mcp-toolsets ${[...access.toolsets].join(",")}); nothing was changed`;
  }
  return undefined;
}

/**
 * Headers with which a client narrows its own access on /mcp (`berth mcp --mcp-read-only` sends
 * them when it forwards to a daemon). They can only take tools away, never add any.
 */
export const READ_ONLY_HEADER = "x-berth-mcp-read-only";
export const TOOLSETS_HEADER = "x-berth-mcp-toolsets";

/** The headers that ask for `access`; none for full access. */
export function accessHeaders(access: McpAccess): Record<string, string> {
  const out: Record<string, string> = {};
  if (access.readOnly) out[READ_ONLY_HEADER] = "true";
  if (access.toolsets.size < TOOLSETS.length) out[TOOLSETS_HEADER] = [...access.toolsets].join(",");
  return out;
}

/** `access` narrowed by a request's headers; an unknown toolset in the header offers nothing. */
export function narrowed(access: McpAccess, headers: Headers | undefined): McpAccess {
  if (!headers) return access;
  const readOnly = access.readOnly || headers.get(READ_ONLY_HEADER) === "true";
  const asked = headers.get(TOOLSETS_HEADER);
  let toolsets = access.toolsets;
  if (asked !== null) {
    let wanted: ReadonlySet<Toolset>;
    try {
      wanted = parseToolsets(asked);
    } catch {
      wanted = new Set();
    }
    toolsets = new Set([...access.toolsets].filter((t) => wanted.has(t)));
  }
  return readOnly === access.readOnly && toolsets === access.toolsets ? access : { readOnly, toolsets };
}
