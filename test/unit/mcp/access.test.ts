import { describe, expect, it } from "vitest";
import {
  accessHeaders,
  FULL_ACCESS,
  narrowed,
  parseToolsets,
  refusal,
  ToolsetsInvalidError,
} from "../../../src/mcp/access.js";
import { toolsFor } from "../../../src/mcp/server.js";
import { TOOLS } from "../../../src/mcp/tools/index.js";

const tool = (name: string) => {
  const t = TOOLS.find((x) => x.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
};

describe("MCP access modes", () => {
  it("parses --mcp-toolsets and names an unknown group", () => {
    expect([...parseToolsets("read, exec")]).toEqual(["read", "exec"]);
    expect(parseToolsets(undefined).size).toBe(4);
    expect(() => parseToolsets("read,admin")).toThrow(ToolsetsInvalidError);
    expect(() => parseToolsets("read,admin")).toThrow(/unknown toolset "admin".*read, write, exec, import/);
  });

  it("read-only lists the read tools only and refuses the others by name", () => {
    const access = { readOnly: true, toolsets: FULL_ACCESS.toolsets };
    const listed = toolsFor(access).listed.map((t) => t.name);
    expect(listed).toContain("diagnose_project");
    expect(listed).toContain("get_logs");
    expect(listed).not.toContain("delete_project");
    expect(listed).not.toContain("exec_in_container");
    expect(refusal(tool("set_project_state"), access)).toMatch(
      /read-only \(--mcp-read-only\); nothing was changed/,
    );
    expect(refusal(tool("get_project"), access)).toBeUndefined();
    for (const t of TOOLS) expect(refusal(t, access) === undefined, t.name).toBe(t.annotations.readOnlyHint);
  });

  it("toolsets pick groups", () => {
    const access = { readOnly: false, toolsets: parseToolsets("read,exec") };
    expect(refusal(tool("exec_in_container"), access)).toBeUndefined();
    expect(refusal(tool("apply_project"), access)).toMatch(/toolset "write"/);
  });

  it("request headers only narrow access", () => {
    const h = new Headers(accessHeaders({ readOnly: true, toolsets: parseToolsets("read") }));
    const n = narrowed(FULL_ACCESS, h);
    expect(n.readOnly).toBe(true);
    expect([...n.toolsets]).toEqual(["read"]);
    const readOnly = { readOnly: true, toolsets: parseToolsets("read") };
    expect(
      narrowed(
        readOnly,
        new Headers({ "x-berth-mcp-read-only": "false", "x-berth-mcp-toolsets": "read,write" }),
      ),
    ).toEqual(readOnly);
    expect(narrowed(FULL_ACCESS, new Headers())).toBe(FULL_ACCESS);
    expect(narrowed(FULL_ACCESS, new Headers({ "x-berth-mcp-toolsets": "bogus" })).toolsets.size).toBe(0);
  });
});
