/**
 * Maps a compose service's `develop.watch` onto Berth's `develop.watch` rules: path (relative to
 * the spec file), action, target, ignore and, for `sync+exec`, exec.command. What a rule cannot
 * carry (include, initial_sync, exec's user, privileged, working_dir and environment) is a
 * warning; a rule Berth could not run (no target for a sync, no command for sync+exec, rebuild
 * without build) is left out with a warning. Pure.
 */
import { posix } from "node:path";
import { WATCH_ACTIONS, type WatchAction } from "../api/index.js";
import type { Mapper } from "./map-context.js";
import type { Json } from "./normalize.js";

const SYNCS: ReadonlySet<WatchAction> = new Set(["sync", "sync+restart", "sync+exec"]);

const EXEC_KEYS: Readonly<Record<string, string>> = {
  user: "exec.user is not carried over; the command runs as the container's user",
  privileged: "exec.privileged is not carried over; Berth does not run privileged commands",
  working_dir: "exec.working_dir is not carried over; the command runs in the container's working directory",
  environment: "exec.environment is not carried over; the command sees the container's environment",
};

/** Sets `m.c.develop` from `cfg.develop`, reporting what it cannot carry. */
export function mapDevelop(m: Mapper, cfg: Json): void {
  const develop = cfg["develop"];
  if (!develop || typeof develop !== "object") return;
  const watch = (develop as Json)["watch"];
  if (!Array.isArray(watch)) return;
  const rules = watch.flatMap((r, i) => {
    const rule =
      r && typeof r === "object" ? mapRule(m, r as Json, i, cfg["build"] !== undefined) : undefined;
    return rule ? [rule] : [];
  });
  if (rules.length > 0) m.c["develop"] = { watch: rules };
}

function mapRule(m: Mapper, r: Json, i: number, hasBuild: boolean): Json | undefined {
  const at = ["watch", i];
  const warn = (sub: (string | number)[], reason: string, nearest?: string) =>
    m.report("warning", "develop", [...at, ...sub], reason, nearest);
  const action = r["action"] as WatchAction;
  if (typeof r["path"] !== "string" || !WATCH_ACTIONS.includes(action)) {
    warn([], "the rule needs a path and one of the actions sync, sync+restart, sync+exec, restart, rebuild");
    return undefined;
  }
  if (r["include"] !== undefined)
    warn(["include"], "include is not carried over; every file under path that is not ignored is watched");
  if (r["initial_sync"] === true)
    warn(["initial_sync"], "initial_sync is not carried over; Berth copies files as they change");
  const out: Json = { path: m.path(r["path"]), action };
  if (SYNCS.has(action)) {
    const target = r["target"];
    if (typeof target !== "string" || !posix.isAbsolute(target)) {
      warn(
        ["target"],
        `${action} needs an absolute target path in the container; the rule is not carried over`,
      );
      return undefined;
    }
    out["target"] = target;
  } else if (r["target"] !== undefined) warn(["target"], `${action} copies no files; target is not used`);
  const ignore = r["ignore"];
  if (Array.isArray(ignore) && ignore.length > 0) out["ignore"] = ignore.map(String);
  if (action === "rebuild" && !hasBuild) {
    warn([], "rebuild needs a build section; the rule is not carried over", "add build: to the service");
    return undefined;
  }
  const exec = r["exec"] as Json | undefined;
  const command = exec?.["command"];
  if (action === "sync+exec") {
    if (!Array.isArray(command) || command.length === 0) {
      warn(["exec"], "sync+exec needs exec.command; the rule is not carried over");
      return undefined;
    }
    out["exec"] = { command: command.map(String) };
  }
  if (exec && typeof exec === "object") {
    if (action !== "sync+exec" && Array.isArray(command))
      warn(["exec"], `exec runs after sync+exec only; it is not used by ${action}`);
    for (const [key, reason] of Object.entries(EXEC_KEYS))
      if (carries(exec[key])) warn(["exec", key], reason);
  }
  return out;
}

/** Whether an exec option says something (`privileged: false` and an empty environment do not). */
function carries(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === "false") return false;
  return typeof v !== "object" || Object.keys(v).length > 0;
}
