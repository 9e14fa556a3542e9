/** Maps ports, volumes, secrets and configs of a compose service. Pure. */
import { berthName, type Mapper } from "./map-context.js";
import type { Json } from "./normalize.js";

export function mapPorts(m: Mapper, cfg: Json): void {
  const ports = (cfg["ports"] ?? []) as Json[];
  const out: Json[] = [];
  ports.forEach((p, i) => {
    const protocol = String(p["protocol"] ?? "tcp").toUpperCase();
    if (protocol !== "TCP" && protocol !== "UDP") {
      m.report(
        "error",
        "ports",
        [i],
        `protocol ${protocol.toLowerCase()} is not supported; Berth publishes TCP and UDP`,
      );
      return;
    }
    const published = p["published"] === undefined || p["published"] === null ? "" : String(p["published"]);
    let hostPort = 0;
    if (/^[0-9]+$/.test(published)) hostPort = m.opts.allocatePorts ? 0 : Number(published);
    else if (published !== "")
      m.report(
        "warning",
        "ports",
        [i],
        `the host port range ${published} is not carried over; Berth allocates one port`,
        "hostPort: 0",
      );
    const ip = p["host_ip"];
    if (typeof ip === "string" && ip !== "" && ip !== "0.0.0.0")
      m.report("warning", "ports", [i, "host_ip"], `Berth publishes on its own address, not ${ip}`);
    for (const key of ["name", "app_protocol"])
      if (p[key] !== undefined) m.report("warning", "ports", [i, key], `ports[].${key} is not carried over`);
    out.push({ containerPort: Number(p["target"]), hostPort, protocol });
  });
  if (out.length > 0) m.c["ports"] = out;
}

export function mapVolumes(m: Mapper, cfg: Json): void {
  const volumes = (cfg["volumes"] ?? []) as Json[];
  const out: Json[] = [];
  volumes.forEach((v, i) => {
    const readOnly = v["read_only"] === true;
    const target = String(v["target"]);
    for (const key of ["mode", "consistency", "bind", "volume", "tmpfs", "image"]) {
      const value = v[key];
      if (
        value === undefined ||
        (key === "bind" && isOnlyCreateHostPath(value)) ||
        (typeof value === "object" && value !== null && Object.keys(value).length === 0)
      )
        continue;
      m.report("warning", "volumes", [i, key], `volumes[].${key} is not carried over`);
    }
    if (v["type"] === "bind")
      out.push({ hostPath: m.path(String(v["source"])), mountPath: target, readOnly });
    else if (v["type"] === "volume" && typeof v["source"] === "string" && v["source"] !== "") {
      const name = volumeName(m, String(v["source"]), i);
      if (name) out.push({ volume: name, mountPath: target, readOnly });
    } else if (v["type"] === "volume") {
      const name = berthName(`${m.svc.name}-anon-${i}`) ?? `anon-${i}`;
      m.volumes.set(name, "Delete");
      m.report(
        "warning",
        "volumes",
        [i],
        `the anonymous volume becomes the named volume ${name}, kept until the project is deleted`,
      );
      out.push({ volume: name, mountPath: target, readOnly });
    } else
      m.report(
        "warning",
        "volumes",
        [i],
        `a ${String(v["type"])} mount is not carried over`,
        "a named volume or a hostPath",
      );
  });
  if (out.length > 0) m.c["volumes"] = [...((m.c["volumes"] as Json[] | undefined) ?? []), ...out];
}

function isOnlyCreateHostPath(v: unknown): boolean {
  return typeof v === "object" && v !== null && Object.keys(v).every((k) => k === "create_host_path");
}

function volumeName(m: Mapper, source: string, i: number): string | undefined {
  const top = m.project.volumes.get(source);
  if (!top) {
    m.report("error", "volumes", [i], `volume ${source} is not declared under the top-level volumes:`);
    return undefined;
  }
  const name = berthName(source);
  if (!name) m.report("error", "volumes", [i], `"${source}" cannot be a volume name`);
  else m.volumes.set(name, "Keep");
  return name;
}

export function mapFileMounts(m: Mapper, cfg: Json, kind: "secrets" | "configs"): void {
  const refs = (cfg[kind] ?? []) as Json[];
  const table = kind === "secrets" ? m.project.secrets : m.project.configs;
  refs.forEach((r, i) => {
    const source = String(r["source"]);
    const top = table.get(source);
    if (!top) {
      m.report(
        "error",
        kind,
        [i],
        `${kind.slice(0, -1)} ${source} is not declared under the top-level ${kind}:`,
      );
      return;
    }
    const file = top.config["file"];
    if (typeof file !== "string") {
      m.report(
        "error",
        kind,
        [i],
        `only file ${kind} are carried over; ${source} is not a file ${kind.slice(0, -1)}`,
        kind === "secrets" ? "env[].valueFrom.secret.file" : "a hostPath volume",
      );
      return;
    }
    const target = typeof r["target"] === "string" ? r["target"] : source;
    const mountPath = target.startsWith("/")
      ? target
      : kind === "secrets"
        ? `/run/secrets/${target}`
        : `/${target}`;
    for (const key of ["uid", "gid", "mode"])
      if (r[key] !== undefined)
        m.report(
          "warning",
          kind,
          [i, key],
          `${kind}[].${key} is not carried over; the file keeps its host owner and mode`,
        );
    m.c["volumes"] = [
      ...((m.c["volumes"] as Json[] | undefined) ?? []),
      { hostPath: m.path(file), mountPath, readOnly: true },
    ];
  });
}
