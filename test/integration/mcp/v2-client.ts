import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { CallToolResult } from "@modelcontextprotocol/server";
import type { Loose } from "./helpers.js";

/** A v2 SDK client speaking 2026-07-28 (stateless) to `${url}/mcp`; it confirms elicitations with `confirm`. */
export async function modernClient(
  url: string,
  token: string | undefined,
  opts: { confirm?: boolean; headers?: Record<string, string> } = {},
): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...opts.headers } },
  });
  const client = new Client(
    { name: "v2-test", version: "1.0.0" },
    {
      versionNegotiation: { mode: { pin: "2026-07-28" } },
      ...(opts.confirm !== undefined ? { capabilities: { elicitation: { form: {} } } } : {}),
    },
  );
  if (opts.confirm !== undefined) {
    const confirm = opts.confirm;
    client.setRequestHandler("elicitation/create", () =>
      confirm ? { action: "accept", content: { confirm: true } } : { action: "decline" },
    );
  }
  await client.connect(transport);
  return client;
}

/** Calls a tool over the v2 client; the result with its structured content typed loosely. */
export async function callModern(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (p: { progress: number; message?: string }) => void,
): Promise<CallToolResult & { structuredContent?: Loose }> {
  return (await client.callTool(
    { name, arguments: args },
    { timeout: 120_000, ...(onprogress ? { onprogress } : {}) },
  )) as CallToolResult & { structuredContent?: Loose };
}
