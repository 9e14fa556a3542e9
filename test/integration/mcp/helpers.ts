import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { readTestEnv } from "../../helpers/env.js";

/** Structured content as the tests read it; the assertions check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const IMAGE = "berth-test/busybox:1";

/** An SDK client over Streamable HTTP to `${url}/mcp` with a bearer token. */
export async function httpClient(url: string, token: string | undefined, name = "test"): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
  });
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(transport);
  return client;
}

/** An SDK client that spawns `node bin/berth.js mcp ARGS` and talks to it over stdio. */
export async function stdioClient(args: string[]): Promise<{ client: Client; stderr: () => string }> {
  const env = readTestEnv();
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(ROOT, "bin", "berth.js"), "mcp", "--docker", env.dockerHost, ...args],
    cwd: ROOT,
    stderr: "pipe",
  });
  let err = "";
  transport.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: "stdio-test", version: "1.0.0" });
  await client.connect(transport);
  return { client, stderr: () => err };
}

/** Calls a tool; returns the result with its structured content typed loosely. */
export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  onprogress?: (p: { progress: number; message?: string }) => void,
): Promise<CallToolResult & { structuredContent?: Loose }> {
  return (await client.callTool({ name, arguments: args }, undefined, {
    timeout: 120_000,
    ...(onprogress ? { onprogress } : {}),
  })) as CallToolResult & { structuredContent?: Loose };
}

/** The first text block of a result. */
export function text(r: CallToolResult): string {
  const first = r.content[0];
  return first && first.type === "text" ? first.text : "";
}

/** The `{"error": ...}` details of a failed call. */
export function failure(r: CallToolResult): Loose {
  const second = r.content[1];
  if (!second || second.type !== "text") throw new Error(`no error details in ${JSON.stringify(r)}`);
  return (JSON.parse(second.text) as { error: Loose }).error;
}

/** A one-container project serving HTTP on 8080, printing `lines` log lines first. */
export function webProject(name: string, opts: { lines?: string; env?: string } = {}): string {
  const before = opts.lines ? `${opts.lines}; ` : "";
  const cmd = `${before}mkdir -p /www && echo hello-${name} > /www/index.html && exec httpd -f -p 8080 -h /www`;
  return `apiVersion: berth.dev/v1alpha1
kind: Project
metadata:
  name: ${name}
  labels: {suite: mcp}
spec:
  containers:
    - name: web
      image: ${IMAGE}
      command: ["sh", "-c", ${JSON.stringify(cmd)}]
${opts.env ? `      env:\n        - {name: GREETING, value: ${opts.env}}\n` : ""}      ports:
        - {name: http, containerPort: 8080}
`;
}
