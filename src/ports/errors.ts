/** Typed failures of port allocation. Each is a user error reported as a condition, never retried blindly. */
import type { PortOwner } from "./registry.js";
import type { PortRange } from "./range.js";
import { formatPortRange } from "./range.js";
import type { Protocol } from "../api/index.js";

/**
 * Who holds a host port. `project` (with container and portName) when a Berth project claims it in
 * the registry; `external` otherwise, with pid and command when /proc shows the process.
 */
export interface PortHolder {
  kind: "project" | "external";
  project?: string;
  container?: string;
  portName?: string;
  pid?: number;
  command?: string;
}

/** `project default/shop-api (container api, port http)` or `external process "nc" (pid 1234)`. Pure. */
export function describePortHolder(holder: PortHolder): string {
  if (holder.kind === "project") {
    return `project ${holder.project ?? "?"} (container ${holder.container ?? "?"}, port ${holder.portName ?? "?"})`;
  }
  if (holder.command === undefined || holder.pid === undefined) return "an external process";
  const proc = `external process ${JSON.stringify(holder.command)} (pid ${holder.pid})`;
  return holder.command === "docker-proxy" ? `${proc}, which publishes a port of a Docker container` : proc;
}

/** Describes the owner of a request: `project default/shop-api (container api, port http)`. Pure. */
export function describePortOwner(owner: PortOwner): string {
  return describePortHolder({ kind: "project", ...owner });
}

/** Base class of allocation failures for one requested port; `owner` is who asked. */
export abstract class PortAllocationError extends Error {
  constructor(
    readonly owner: PortOwner,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A fixed hostPort is held by another project or by a process outside Berth. The message names the
 * holder and the fix, e.g. `host port 8080/tcp is already used by project default/shop-api
 * (container api, port http); choose another hostPort or set hostPort: 0 to allocate one`.
 */
export class PortConflictError extends PortAllocationError {
  override readonly name = "PortConflictError";
  constructor(
    owner: PortOwner,
    readonly port: number,
    readonly protocol: Protocol,
    readonly holder: PortHolder,
  ) {
    super(
      owner,
      `host port ${port}/${protocol.toLowerCase()} is already used by ${describePortHolder(holder)}; ` +
        `choose another hostPort or set hostPort: 0 to allocate one`,
    );
  }
}

/** Every port of the range is claimed by a project or fails the bind test. */
export class PortRangeExhaustedError extends PortAllocationError {
  override readonly name = "PortRangeExhaustedError";
  constructor(
    owner: PortOwner,
    readonly range: PortRange,
    /** Ports of the range claimed by projects (this protocol). */
    readonly claimed: number,
    /** Ports of the range that failed the bind test. */
    readonly inUse: number,
  ) {
    super(
      owner,
      `no free ${owner.protocol.toLowerCase()} host port in range ${formatPortRange(range)} for ` +
        `${describePortOwner(owner)}: ${claimed} claimed by projects, ${inUse} used by other processes; ` +
        `delete unused projects, widen the operator's port range, or set a fixed hostPort`,
    );
  }
}
