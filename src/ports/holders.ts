/**
 * Who holds a host port, as the operating system sees it: a bind test (is the port free?) and a
 * /proc walk (which process holds it?). Linux only for the /proc part; elsewhere the holder is
 * simply not found.
 */
import dgram from "node:dgram";
import { readFile, readdir, readlink } from "node:fs/promises";
import net from "node:net";
import type { Protocol } from "../api/index.js";

/** The addresses the bind test tries, in order: Docker publishes on all interfaces by default. */
export const DEFAULT_BIND_HOSTS: readonly string[] = ["127.0.0.1", "0.0.0.0"];

/** `/proc/net/tcp` state of a listening socket (TCP_LISTEN). */
const TCP_LISTEN = "0A";

/**
 * Checks whether a port can be used on this host: `true` when it can, `false` when a TCP listen /
 * UDP bind on any of `hosts` fails with EADDRINUSE. Inconclusive failures (EACCES for privileged
 * ports when not root, EADDRNOTAVAIL without IPv4) count as free, since dockerd binds as root.
 * Opens and closes the sockets before returning; takes well under a millisecond per host. Any caller.
 */
export type BindTester = (port: number, protocol: Protocol) => Promise<boolean>;

/** The real bind test on `hosts` (default 127.0.0.1 and 0.0.0.0), one host after the other. */
export function createBindTester(hosts: readonly string[] = DEFAULT_BIND_HOSTS): BindTester {
  return async (port, protocol) => {
    for (const host of hosts) {
      const inUse = protocol === "UDP" ? await udpBindInUse(port, host) : await tcpListenInUse(port, host);
      if (inUse) return false;
    }
    return true;
  };
}

function tcpListenInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "EADDRINUSE"));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

function udpBindInUse(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket({ type: net.isIPv6(host) ? "udp6" : "udp4" });
    socket.unref();
    socket.once("error", (err: NodeJS.ErrnoException) => {
      try {
        socket.close();
      } catch {
        // already closed
      }
      resolve(err.code === "EADDRINUSE");
    });
    socket.bind({ port, address: host, exclusive: true }, () => socket.close(() => resolve(false)));
  });
}

/** One row of /proc/net/{tcp,tcp6,udp,udp6}. */
export interface ProcNetSocket {
  /** Local address as the kernel prints it (hex, host byte order per 32-bit word). */
  localAddressHex: string;
  localPort: number;
  /** Socket state, two hex digits (`0A` = TCP LISTEN, `07` = unconnected UDP). */
  state: string;
  inode: number;
}

/** Parses the text of a /proc/net/{tcp,tcp6,udp,udp6} file; skips the header and malformed rows. Pure. */
export function parseProcNetSockets(text: string): ProcNetSocket[] {
  const out: ProcNetSocket[] = [];
  for (const line of text.split("\n")) {
    const cols = line.trim().split(/\s+/);
    const local = cols[1];
    const state = cols[3];
    const inode = Number(cols[9]);
    if (!cols[0]?.endsWith(":") || local === undefined || state === undefined) continue;
    const colon = local.lastIndexOf(":");
    const localPort = Number.parseInt(local.slice(colon + 1), 16);
    if (colon < 0 || !Number.isInteger(localPort) || !Number.isInteger(inode)) continue;
    out.push({ localAddressHex: local.slice(0, colon), localPort, state: state.toUpperCase(), inode });
  }
  return out;
}

/** A process found holding a port. `command` is /proc/<pid>/comm (at most 15 characters). */
export interface PortHolderProcess {
  pid: number;
  command: string;
}

/**
 * Finds a process holding `port`: the inodes of the sockets bound to it (TCP: listening sockets
 * only) from /proc/net, then the first process with one of them among its file descriptors.
 * Returns `undefined` when there is none or it cannot be seen (another user's process when not
 * root, another PID namespace, no /proc). Reads /proc without locks, so the answer may be stale by
 * the time it returns. Only for diagnostics: it walks every process, so call it on conflicts, not
 * on the hot path. Never throws for unreadable /proc entries.
 */
export async function findPortHolder(
  port: number,
  protocol: Protocol,
  procRoot = "/proc",
): Promise<PortHolderProcess | undefined> {
  const inodes = await socketInodes(port, protocol, procRoot);
  if (inodes.size === 0) return undefined;
  let pids: number[];
  try {
    pids = (await readdir(procRoot)).filter((n) => /^\d+$/.test(n)).map(Number);
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    if (await holdsAnyInode(pid, inodes, procRoot)) {
      const command = await readFile(`${procRoot}/${pid}/comm`, "utf8").catch(() => "");
      return { pid, command: command.trim() };
    }
  }
  return undefined;
}

async function socketInodes(port: number, protocol: Protocol, procRoot: string): Promise<Set<number>> {
  const files = protocol === "UDP" ? ["udp", "udp6"] : ["tcp", "tcp6"];
  const inodes = new Set<number>();
  for (const file of files) {
    const text = await readFile(`${procRoot}/net/${file}`, "utf8").catch(() => "");
    for (const s of parseProcNetSockets(text)) {
      if (s.localPort !== port || s.inode === 0) continue;
      if (protocol === "TCP" && s.state !== TCP_LISTEN) continue;
      inodes.add(s.inode);
    }
  }
  return inodes;
}

async function holdsAnyInode(pid: number, inodes: ReadonlySet<number>, procRoot: string): Promise<boolean> {
  const fdDir = `${procRoot}/${pid}/fd`;
  let fds: string[];
  try {
    fds = await readdir(fdDir);
  } catch {
    return false; // exited, or not ours to look at
  }
  const links = await Promise.all(fds.map((fd) => readlink(`${fdDir}/${fd}`).catch(() => "")));
  return links.some((link) => {
    const m = /^socket:\[(\d+)\]$/.exec(link);
    return m?.[1] !== undefined && inodes.has(Number(m[1]));
  });
}
