/** Schemas and helpers shared by the tools. */
import { z } from "zod";
import type { ProjectView } from "../../service/view.js";
import { type PortStatus, keyOf } from "../../api/index.js";

/** The project a call names: `name` (or `namespace/name`) and an optional namespace. */
export const projectRef = {
  name: z.string().min(1).max(253).describe('Project name ("shop-api") or "namespace/name"'),
  namespace: z.string().min(1).max(63).optional().describe('Namespace; default "default"'),
};

/** Optimistic concurrency and convergence options of the single-project writes. */
export const writeOptions = {
  resourceVersion: z
    .string()
    .max(128)
    .optional()
    .describe("The resourceVersion you read: the write fails if the project changed since"),
  wait: z.boolean().optional().describe("Wait until Ready, Failed or the timeout, notifying progress"),
  timeoutSeconds: z.number().int().min(1).max(600).optional().describe("How long wait may take; default 30"),
};

/** Default wait, below MCP clients' usual 60 s request timeout. */
export const DEFAULT_WAIT_SECONDS = 30;

/** `namespace` and `name` of a reference; `ns/name` in `name` wins over `namespace`. */
export function resolveRef(args: { name: string; namespace?: string | undefined }): {
  namespace: string;
  name: string;
  key: string;
} {
  const at = args.name.indexOf("/");
  const namespace = at >= 0 ? args.name.slice(0, at) : (args.namespace ?? "default");
  const name = at >= 0 ? args.name.slice(at + 1) : args.name;
  return { namespace, name, key: keyOf(namespace, name) };
}

/** A published port as the tools show it. */
export const portSchema = z.object({
  container: z.string(),
  name: z.string(),
  containerPort: z.number().optional(),
  hostPort: z.number().optional(),
  protocol: z.string().optional(),
  url: z.string().optional(),
});

export type PortOut = z.output<typeof portSchema>;

/** The ports of a status, as the tools show them. */
export function portsOf(ports: readonly PortStatus[] | undefined): PortOut[] {
  return (ports ?? []).map((p) => ({
    container: p.container ?? "",
    name: p.name ?? String(p.containerPort ?? ""),
    ...(p.containerPort !== undefined ? { containerPort: p.containerPort } : {}),
    ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
    ...(p.protocol !== undefined ? { protocol: p.protocol } : {}),
    ...(p.url !== undefined ? { url: p.url } : {}),
  }));
}

/** `ns/name Phase (ready) ports` in one line. */
export function oneLine(v: ProjectView): string {
  const ready = v.status.ready ? ` ${v.status.ready} ready` : "";
  const ports = (v.status.ports ?? []).map((p) => p.url ?? `${p.hostPort}`).join(" ");
  return `${v.namespace}/${v.name} ${v.status.phase ?? "Pending"}${ready}${ports ? ` ${ports}` : ""}`;
}
