/**
 * Turns one service as written (short and long syntaxes) into the canonical long form Docker
 * Compose prints with `config --format json`: lists of long-syntax ports and volumes, maps for
 * environment, labels and depends_on, absolute paths. Relative paths resolve against `baseDir`,
 * the directory of the file that wrote them. Pure apart from `home` for `~`. Throws Error with a
 * message naming the value; the loader adds the location.
 */
import { isAbsolute, resolve } from "node:path";
import { shellWords } from "./shell-words.js";
import { parseBytes } from "./units.js";

export type Json = Record<string, unknown>;

/** Where relative paths of a service resolve. */
export interface PathContext {
  baseDir: string;
  home: string | undefined;
}

/** Normalises a service mapping; returns a new object. */
export function normalizeService(service: Json, ctx: PathContext): Json {
  const out: Json = { ...service };
  const set = (key: string, fn: (v: unknown) => unknown) => {
    if (key in out && out[key] !== null && out[key] !== undefined) out[key] = fn(out[key]);
  };
  set("build", (v) => normalizeBuild(v, ctx));
  set("command", commandList);
  set("entrypoint", commandList);
  set("environment", (v) => toMap(v, "="));
  set("labels", (v) => toMap(v, "=", true));
  set("env_file", (v) => envFiles(v, ctx));
  set("ports", (v) => (v as unknown[]).flatMap(normalizePort));
  set("expose", (v) => (v as unknown[]).map(String));
  set("volumes", (v) => (v as unknown[]).map((x) => normalizeVolume(x, ctx)));
  set("depends_on", normalizeDependsOn);
  set("healthcheck", normalizeHealthcheck);
  set("mem_limit", (v) => String(parseBytes(v) ?? v));
  set("cpus", Number);
  set("secrets", (v) => (v as unknown[]).map((x) => (typeof x === "string" ? { source: x } : x)));
  set("configs", (v) => (v as unknown[]).map((x) => (typeof x === "string" ? { source: x } : x)));
  set("networks", (v) => (Array.isArray(v) ? Object.fromEntries(v.map((n) => [String(n), null])) : v));
  set("develop", (v) => normalizeDevelop(v, ctx));
  const limits = (((out["deploy"] as Json | undefined)?.["resources"] as Json | undefined)?.["limits"] ??
    undefined) as Json | undefined;
  if (limits) {
    if (limits["memory"] !== undefined)
      limits["memory"] = String(parseBytes(limits["memory"]) ?? limits["memory"]);
    if (limits["cpus"] !== undefined) limits["cpus"] = Number(limits["cpus"]);
  }
  return out;
}

function commandList(v: unknown): string[] {
  return typeof v === "string" ? shellWords(v) : (v as unknown[]).map(String);
}

/** `["A=1", "B"]` or `{A: 1, B: null}` as a map of strings; a bare key maps to null. */
export function toMap(v: unknown, sep: string, bareIsEmpty = false): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = String(item);
      const i = s.indexOf(sep);
      if (i < 0) out[s] = bareIsEmpty ? "" : null;
      else out[s.slice(0, i)] = s.slice(i + 1);
    }
    return out;
  }
  for (const [k, val] of Object.entries(v as Json))
    out[k] = val === null ? (bareIsEmpty ? "" : null) : String(val);
  return out;
}

function absPath(p: string, ctx: PathContext): string {
  if (p === "~" || p.startsWith("~/")) return resolve(ctx.home ?? "/", `.${p.slice(1)}`);
  return isAbsolute(p) ? p : resolve(ctx.baseDir, p);
}

function isRemote(context: string): boolean {
  return /^(https?:\/\/|git@|github\.com\/|git:\/\/)/.test(context) || context.includes("://");
}

function normalizeBuild(v: unknown, ctx: PathContext): Json {
  const b: Json = typeof v === "string" ? { context: v } : { ...(v as Json) };
  const context = typeof b["context"] === "string" ? b["context"] : ".";
  b["context"] = isRemote(context) ? context : absPath(context, ctx);
  b["dockerfile"] ??= b["dockerfile_inline"] === undefined ? "Dockerfile" : undefined;
  if (b["dockerfile"] === undefined) delete b["dockerfile"];
  if (b["args"] !== undefined) b["args"] = toMap(b["args"], "=");
  return b;
}

function envFiles(v: unknown, ctx: PathContext): Json[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((e) => {
    const entry: Json = typeof e === "string" ? { path: e } : { ...(e as Json) };
    entry["path"] = absPath(String(entry["path"]), ctx);
    entry["required"] = entry["required"] ?? true;
    return entry;
  });
}

const PORT =
  /^(?:(?:\[([^\]]+)\]|([^:[\]]*)):)?(?:([0-9]*(?:-[0-9]+)?):)?([0-9]+(?:-[0-9]+)?)(?:\/(tcp|udp|sctp))?$/i;

function range(s: string): [number, number] {
  const [a, b] = s.split("-");
  const lo = Number(a);
  return [lo, b === undefined ? lo : Number(b)];
}

/** One short- or long-syntax port as the long-syntax ports it means (a range means several). */
export function normalizePort(v: unknown): Json[] {
  if (typeof v === "object" && v !== null) {
    const p = { ...(v as Json) };
    p["mode"] ??= "ingress";
    p["protocol"] ??= "tcp";
    p["target"] = Number(p["target"]);
    if (p["published"] !== undefined && p["published"] !== null) p["published"] = String(p["published"]);
    return [p];
  }
  const text = String(v);
  const m = PORT.exec(text);
  // a short port with two colons but no host IP reads host:published:target
  if (!m)
    throw new Error(`invalid port ${JSON.stringify(text)}: use [HOST_IP:][PUBLISHED:]TARGET[/PROTOCOL]`);
  let hostIp = m[1] ?? m[2];
  let published = m[3];
  if (published === undefined && hostIp !== undefined && /^[0-9-]+$/.test(hostIp)) {
    published = hostIp;
    hostIp = undefined;
  }
  const protocol = (m[5] ?? "tcp").toLowerCase();
  const [tLo, tHi] = range(m[4] ?? "");
  const pub = published === undefined || published === "" ? undefined : range(published);
  const out: Json[] = [];
  for (let t = tLo; t <= tHi; t++) {
    const p: Json = { mode: "ingress" };
    if (hostIp) p["host_ip"] = hostIp;
    p["target"] = t;
    if (pub) {
      const single = pub[0] === pub[1];
      const wide = tLo === tHi && !single;
      p["published"] = wide ? `${pub[0]}-${pub[1]}` : String(pub[0] + (single ? 0 : t - tLo));
    }
    p["protocol"] = protocol;
    out.push(p);
  }
  return out;
}

const ACCESS = new Set(["ro", "rw"]);

/** One short- or long-syntax volume in the long syntax. */
export function normalizeVolume(v: unknown, ctx: PathContext): Json {
  if (typeof v === "object" && v !== null) {
    const vol = { ...(v as Json) };
    if (vol["type"] === "bind" && typeof vol["source"] === "string")
      vol["source"] = absPath(vol["source"], ctx);
    return vol;
  }
  const parts = String(v).split(":");
  if (parts.length === 1) return { type: "volume", target: parts[0] };
  const [source = "", target = "", mode = ""] = parts;
  const bind = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
  const vol: Json = { type: bind ? "bind" : "volume", source: bind ? absPath(source, ctx) : source, target };
  const options = mode === "" ? [] : mode.split(",");
  if (options.includes("ro")) vol["read_only"] = true;
  const extra = options.filter((o) => !ACCESS.has(o));
  if (extra.length > 0) vol["mode"] = extra.join(",");
  return vol;
}

function normalizeDependsOn(v: unknown): Json {
  if (Array.isArray(v))
    return Object.fromEntries(v.map((s) => [String(s), { condition: "service_started", required: true }]));
  const out: Json = {};
  for (const [k, d] of Object.entries(v as Json)) {
    const dep = { ...((d ?? {}) as Json) };
    dep["condition"] ??= "service_started";
    dep["required"] ??= true;
    out[k] = dep;
  }
  return out;
}

/** `develop.watch` as compose prints it: absolute paths, lists for ignore and include, exec.command split. */
function normalizeDevelop(v: unknown, ctx: PathContext): Json {
  const d = { ...(v as Json) };
  if (!Array.isArray(d["watch"])) return d;
  d["watch"] = (d["watch"] as unknown[]).map((r) => {
    const rule = { ...(r as Json) };
    if (typeof rule["path"] === "string") rule["path"] = absPath(rule["path"], ctx);
    for (const key of ["ignore", "include"]) if (typeof rule[key] === "string") rule[key] = [rule[key]];
    const exec = rule["exec"] as Json | undefined;
    if (exec && typeof exec === "object") {
      const e = { ...exec };
      if (e["command"] !== undefined && e["command"] !== null) e["command"] = commandList(e["command"]);
      if (e["environment"] !== undefined && e["environment"] !== null)
        e["environment"] = toMap(e["environment"], "=");
      rule["exec"] = e;
    }
    return rule;
  });
  return d;
}

function normalizeHealthcheck(v: unknown): Json {
  const h = { ...(v as Json) };
  if (typeof h["test"] === "string") h["test"] = ["CMD-SHELL", h["test"]];
  if (h["disable"] === true) h["test"] = ["NONE"];
  return h;
}
