import type { ContainerSpec, WatchAction } from "./types.js";
import type { FieldPath, RuleViolation } from "./paths.js";

/** The actions that copy files into the container, and so need a `target`. */
const SYNCING: ReadonlySet<WatchAction> = new Set<WatchAction>(["sync", "sync+restart", "sync+exec"]);

/**
 * The `develop.watch` rules the schema cannot state: a syncing action has a `target`, `sync+exec`
 * has `exec.command` (and no other action has one), `rebuild` needs the container's `build`, and
 * `target`/`ignore` mean nothing to the actions that copy nothing. Pure; never throws.
 */
export function checkDevelop(c: ContainerSpec, base: FieldPath, out: RuleViolation[]): void {
  const rules = c.develop?.watch;
  if (!Array.isArray(rules)) return;
  rules.forEach((rule, j) => {
    const path: FieldPath = [...base, "develop", "watch", j];
    const action = rule.action;
    if (SYNCING.has(action) && rule.target === undefined) {
      out.push({
        path: [...path, "target"],
        message: `action ${action} copies files into the container and needs a target: add target: /app (the absolute container path ${JSON.stringify(rule.path)} is copied to)`,
      });
    }
    if (!SYNCING.has(action) && rule.target !== undefined) {
      out.push({
        path: [...path, "target"],
        message: `action ${action} copies no files, so target has no effect; remove it, or use action sync+restart`,
      });
    }
    if (action === "sync+exec" && rule.exec === undefined) {
      out.push({
        path: [...path, "exec"],
        message: `action sync+exec runs a command after each sync: add exec: {command: [...]}`,
      });
    }
    if (action !== "sync+exec" && rule.exec !== undefined) {
      out.push({
        path: [...path, "exec"],
        message: `only action sync+exec runs exec.command; remove exec, or use action sync+exec`,
      });
    }
    if (action === "rebuild" && c.build === undefined) {
      out.push({
        path: [...path, "action"],
        message: `action rebuild rebuilds the image, and container "${c.name}" has no build; add build: {context: ...}, or use action restart`,
      });
    }
  });
}
