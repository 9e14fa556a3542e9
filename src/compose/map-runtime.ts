/** Maps resources, restart policy, dependencies and networks of a compose service. Pure. */
import { berthName, type Mapper } from "./map-context.js";
import type { Json } from "./normalize.js";

export function mapResources(m: Mapper, cfg: Json): void {
  const deploy = (cfg["deploy"] ?? {}) as Json;
  const limits = ((deploy["resources"] as Json | undefined)?.["limits"] ?? {}) as Json;
  const memory = limits["memory"] ?? cfg["mem_limit"];
  const cpus = limits["cpus"] ?? cfg["cpus"];
  const res: Json = {};
  if (memory !== undefined) res["memory"] = Number(memory);
  if (cpus !== undefined && Number(cpus) > 0) res["cpu"] = String(cpus);
  if (Object.keys(res).length > 0) m.c["resources"] = res;
  for (const key of Object.keys(limits))
    if (key !== "memory" && key !== "cpus")
      m.report(
        "warning",
        "deploy",
        ["resources", "limits", key],
        `deploy.resources.limits.${key} is not carried over`,
      );
  for (const key of Object.keys(deploy)) {
    if (key === "resources") {
      for (const k of Object.keys(deploy["resources"] as Json))
        if (k !== "limits")
          m.report(
            "warning",
            "deploy",
            ["resources", k],
            `deploy.resources.${k} is not carried over`,
            "resources (limits)",
          );
    } else if (key === "replicas") {
      const n = Number(deploy["replicas"]);
      if (n > 1) m.report("error", "deploy", ["replicas"], `Berth runs one container per service, not ${n}`);
      else if (n === 0)
        m.report(
          "warning",
          "deploy",
          ["replicas"],
          "replicas: 0 is not carried over; the container runs",
          "spec.state: Stopped",
        );
    } else if (key !== "restart_policy")
      m.report("warning", "deploy", [key], `deploy.${key} is not carried over`);
  }
  const scale = Number(cfg["scale"] ?? 1);
  if (scale > 1) m.report("error", "scale", [], `Berth runs one container per service, not ${scale}`);
}

export function mapRestart(m: Mapper, cfg: Json): string {
  const policy = ((cfg["deploy"] as Json | undefined)?.["restart_policy"] ?? undefined) as Json | undefined;
  if (policy) {
    const cond = String(policy["condition"] ?? "any");
    for (const k of Object.keys(policy))
      if (k !== "condition")
        m.report(
          "warning",
          "deploy",
          ["restart_policy", k],
          `deploy.restart_policy.${k} is not carried over`,
        );
    if (cfg["restart"] === undefined)
      return cond === "none" ? "Never" : cond === "on-failure" ? "OnFailure" : "Always";
  }
  const restart = String(cfg["restart"] ?? "no");
  if (restart === "no") return "Never";
  if (restart === "always") return "Always";
  if (restart === "unless-stopped") return "Always";
  if (restart.startsWith("on-failure")) {
    if (restart.includes(":"))
      m.report(
        "warning",
        "restart",
        [],
        `the retry limit of ${restart} is not carried over; dockerd retries without a limit`,
      );
    return "OnFailure";
  }
  m.report("warning", "restart", [], `restart "${restart}" is not known; Never is used`);
  return "Never";
}

export function mapDependsOn(m: Mapper, cfg: Json): void {
  const deps = (cfg["depends_on"] ?? {}) as Record<string, Json>;
  const conditions: Record<string, string> = {
    service_started: "Started",
    service_healthy: "Healthy",
    service_completed_successfully: "Completed",
  };
  const out = Object.entries(deps).map(([dep, d]) => {
    if (d["restart"] === true)
      m.report(
        "warning",
        "depends_on",
        [dep, "restart"],
        "Berth does not restart a dependent when its dependency restarts",
      );
    if (d["required"] === false)
      m.report("warning", "depends_on", [dep, "required"], "Berth waits for every dependency");
    return { name: berthName(dep) ?? dep, condition: conditions[String(d["condition"])] ?? "Started" };
  });
  if (out.length > 0) m.c["dependsOn"] = out;
}

export function mapNetworks(m: Mapper, cfg: Json): void {
  const nets = (cfg["networks"] ?? {}) as Record<string, Json | null>;
  for (const [net, opts] of Object.entries(nets)) {
    for (const key of Object.keys(opts ?? {})) {
      const reason =
        key === "aliases"
          ? "Berth containers are reached by their service name only; the aliases are not carried over"
          : `networks.${net}.${key} is not carried over`;
      m.report("warning", "networks", [net, key], reason, "the project's one network, by service name");
    }
  }
}
