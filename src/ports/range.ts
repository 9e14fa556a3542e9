/** The host port range Berth allocates from, and its check against the kernel's ephemeral range. */
import { readFile } from "node:fs/promises";
import { BerthError } from "../util/errors.js";

/** An inclusive range of ports, `start <= end`, both in 1..65535. */
export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/** The range used when none is configured (outside Linux's default ephemeral range 32768-60999). */
export const DEFAULT_PORT_RANGE: PortRange = { start: 20000, end: 29999 };

/** Where Linux keeps the ephemeral (outgoing connection) port range. */
export const EPHEMERAL_RANGE_FILE = "/proc/sys/net/ipv4/ip_local_port_range";

/** A problem worth reporting that does not stop the operator (e.g. a range overlap). */
export interface PortDiagnostic {
  level: "warning";
  code: "EphemeralRangeOverlap" | "EphemeralRangeUnknown" | "RegistryEntryInvalid" | "RegistryFileCorrupt";
  message: string;
}

/** A configured port range is malformed or impossible; the message says which and how to fix it. */
export class PortRangeError extends BerthError {
  override readonly name = "PortRangeError";
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`invalid port range "${input}": ${reason}; expected START-END with 1 <= START <= END <= 65535`);
  }
}

/** `"20000-29999"` -> `{start: 20000, end: 29999}`. Throws `PortRangeError`. Pure. */
export function parsePortRange(input: string): PortRange {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(input);
  if (!m?.[1] || !m[2]) throw new PortRangeError(input, "not of the form START-END");
  return checkPortRange({ start: Number(m[1]), end: Number(m[2]) }, input);
}

/** Returns `range` when it is valid, else throws `PortRangeError` naming `input`. Pure. */
export function checkPortRange(range: PortRange, input = formatPortRange(range)): PortRange {
  const { start, end } = range;
  for (const [what, v] of [
    ["START", start],
    ["END", end],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 65535) {
      throw new PortRangeError(input, `${what} ${v} is not a port number (1-65535)`);
    }
  }
  if (start > end) throw new PortRangeError(input, `START ${start} is greater than END ${end}`);
  return { start, end };
}

/** `{start: 20000, end: 29999}` -> `"20000-29999"`. Pure. */
export function formatPortRange(range: PortRange): string {
  return `${range.start}-${range.end}`;
}

/**
 * Reads the kernel's ephemeral port range ("32768\t60999"). Returns `undefined` when the file is
 * missing or unreadable (not Linux, restricted /proc). Not retried.
 */
export async function readEphemeralPortRange(file = EPHEMERAL_RANGE_FILE): Promise<PortRange | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  const [start, end] = text.trim().split(/\s+/).map(Number);
  if (start === undefined || end === undefined) return undefined;
  try {
    return checkPortRange({ start, end });
  } catch {
    return undefined;
  }
}

/**
 * Warnings about `range` relative to the kernel's ephemeral range: an overlap means outgoing
 * connections can take allocated ports at any moment. `ephemeral` undefined = unknown. Pure.
 */
export function ephemeralRangeDiagnostics(
  range: PortRange,
  ephemeral: PortRange | undefined,
): PortDiagnostic[] {
  if (!ephemeral) {
    return [
      {
        level: "warning",
        code: "EphemeralRangeUnknown",
        message: `cannot read ${EPHEMERAL_RANGE_FILE}; make sure the port range ${formatPortRange(range)} is outside the kernel's ephemeral port range`,
      },
    ];
  }
  if (range.end < ephemeral.start || range.start > ephemeral.end) return [];
  return [
    {
      level: "warning",
      code: "EphemeralRangeOverlap",
      message:
        `port range ${formatPortRange(range)} overlaps the kernel's ephemeral port range ` +
        `${formatPortRange(ephemeral)} (${EPHEMERAL_RANGE_FILE}), so outgoing connections can take ` +
        `allocated ports; choose a range outside it or reserve it with sysctl net.ipv4.ip_local_reserved_ports`,
    },
  ];
}
