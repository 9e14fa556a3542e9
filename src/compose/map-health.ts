import type { Json } from "./normalize.js";
import { parseDurationMs } from "./units.js";

/** Docker's defaults when a health check omits them. */
const DOCKER_DEFAULTS = { interval: 30, timeout: 30, retries: 3, start_period: 0 };

/**
 * Maps a compose healthcheck onto Berth's exec health check: `CMD` runs its list, `CMD-SHELL`
 * runs through `/bin/sh -c`, `NONE` (or `disable: true`) means none. Durations become whole
 * seconds (rounded up); Docker's defaults fill what is not given. `report` gets each sub-key that
 * cannot be carried over. Pure.
 */
export function mapHealthcheck(
  h: Json | undefined,
  report: (sub: string[], reason: string) => void,
): Json | undefined {
  if (!h) return undefined;
  const test = h["test"] as string[] | undefined;
  if (!test || test[0] === "NONE") return undefined;
  const [kind, ...rest] = test;
  const command = kind === "CMD-SHELL" ? ["/bin/sh", "-c", rest.join(" ")] : kind === "CMD" ? rest : test;
  const seconds = (key: keyof typeof DOCKER_DEFAULTS, min: number, max: number): number => {
    const raw = h[key];
    if (raw === undefined) return DOCKER_DEFAULTS[key];
    if (key === "retries") return Math.min(max, Math.max(min, Number(raw)));
    const ms = parseDurationMs(raw) ?? 0;
    const s = Math.ceil(ms / 1000);
    if (s * 1000 !== ms) report([key], `${String(raw)} is rounded up to ${s}s; Berth counts whole seconds`);
    return Math.min(max, Math.max(min, s));
  };
  if (h["start_interval"] !== undefined) report(["start_interval"], "start_interval is not carried over");
  return {
    exec: { command },
    periodSeconds: seconds("interval", 1, 3600),
    timeoutSeconds: seconds("timeout", 1, 3600),
    failureThreshold: seconds("retries", 1, 100),
    initialDelaySeconds: seconds("start_period", 0, 3600),
  };
}
