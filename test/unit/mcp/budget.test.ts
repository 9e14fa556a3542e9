import { Client } from "@modelcontextprotocol/client";
import { InMemoryTransport } from "@modelcontextprotocol/server";
import { describe, expect, it } from "vitest";
import type { McpBackend } from "../../../src/mcp/backend.js";
import { createMcpServer } from "../../../src/mcp/server.js";
import { createLogger } from "../../../src/util/logger.js";

/** A backend no tool is called on: tools/list needs none. */
const backend = { service: { list: () => [] } } as unknown as McpBackend;

describe("the tool definitions' share of a model's context", () => {
  it("stays under 6,000 tokens (characters / 4) for all tools together", async () => {
    const server = createMcpServer({
      backend,
      metrics: { observe: () => undefined },
      logger: createLogger({ level: "error", format: "json" }),
      version: "0.0.0",
    });
    const [a, b] = InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new Client({ name: "budget", version: "1" });
    await client.connect(b);
    const { tools } = await client.listTools();
    const chars = JSON.stringify(tools).length;
    const tokens = Math.ceil(chars / 4);
    console.log(`tool definitions: ${tools.length} tools, ${chars} characters, about ${tokens} tokens`);
    for (const t of tools) console.log(`  ${t.name}: ${Math.ceil(JSON.stringify(t).length / 4)} tokens`);
    expect(tools.length).toBeGreaterThanOrEqual(13);
    expect(tokens).toBeLessThan(6000);
    await client.close();
    await server.close();
  });
});
