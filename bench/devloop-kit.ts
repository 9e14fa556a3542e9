/**
 * What bench/devloop needs around its measurements: an HTTP poller that waits for a token in a
 * response, the bare-Docker baselines (docker cp, the archive API, a full rebuild and replace),
 * and the cleanup of everything the benchmark creates (labelled bench.berth/devloop=true, compose
 * project berthdl-compose, Berth namespace benchdevloop).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { pack } from "tar-stream";

export const IMAGE = "berth-test/busybox:1";
export const LABEL = "bench.berth/devloop";
export const COMPOSE_PROJECT = "berthdl-compose";
export const BERTH_NAMESPACE = "benchdevloop";
/** The served page starts as this, before the first edit. */
export const SERVE = [
  "sh",
  "-c",
  "mkdir -p /www && echo start > /www/index.html && exec httpd -f -p 8080 -h /www",
];

const run = promisify(execFile);

/** Runs a command; rejects with its last stderr line. */
export async function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    return (await run(cmd, args, { env, maxBuffer: 16 << 20, timeout: 300_000 })).stdout;
  } catch (err) {
    const stderr = String((err as { stderr?: unknown }).stderr ?? "").trim();
    throw new Error(`${cmd} ${args.join(" ")}: ${stderr.split("\n").pop() || (err as Error).message}`);
  }
}

/**
 * Polls `http://127.0.0.1:port/index.html` until its body contains `token`; resolves with the time
 * it first did (performance.now()). Each attempt has a short timeout so that one stuck connection
 * measures the system, not the poller.
 */
export async function served(port: number, token: string, deadlineMs = 60_000): Promise<number> {
  const end = performance.now() + deadlineMs;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/index.html`, { signal: AbortSignal.timeout(250) });
      const body = await r.text();
      if (body.includes(token)) return performance.now();
    } catch {
      // not yet
    }
    if (performance.now() > end)
      throw new Error(`port ${port} never served ${token} within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** A bare container serving /www on `port`, as Berth's would; its id. */
export async function bareServer(docker: Docker, name: string, port: number, image = IMAGE): Promise<string> {
  const c = await docker.createContainer({
    name,
    Image: image,
    ...(image === IMAGE ? { Entrypoint: SERVE } : {}),
    Labels: { [LABEL]: "true" },
    ExposedPorts: { "8080/tcp": {} },
    HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] } },
  });
  await c.start();
  return c.id;
}

/** `file`'s text as a one-entry tar (`index.html`), for the archive API. */
export function tarOf(text: string): Promise<Buffer> {
  const p = pack();
  p.entry({ name: "index.html", mode: 0o644, uid: 0, gid: 0 }, text);
  p.finalize();
  const parts: Buffer[] = [];
  return new Promise((resolve, reject) => {
    p.on("data", (b: Buffer) => parts.push(b));
    p.on("end", () => resolve(Buffer.concat(parts)));
    p.on("error", reject);
  });
}

/**
 * Builds `context` (its Dockerfile copies html/ to /www) as `tag` with the classic builder, then
 * replaces container `name` by one of the new image on `port`: a full rebuild and replace.
 */
export async function rebuildAndReplace(
  docker: Docker,
  context: string,
  tag: string,
  name: string,
  port: number,
) {
  await sh("docker", ["build", "-q", "-t", tag, context], { ...process.env, DOCKER_BUILDKIT: "0" });
  await docker
    .getContainer(name)
    .remove({ force: true })
    .catch(() => {});
  await bareServer(docker, name, port, tag);
}

/** Removes what the benchmark created: labelled containers and images, Berth's and compose's containers and networks. */
export async function cleanup(docker: Docker): Promise<void> {
  const mine = (labels: Record<string, string> | undefined) =>
    labels?.[LABEL] === "true" ||
    labels?.["com.docker.compose.project"] === COMPOSE_PROJECT ||
    (labels?.["berth.dev/project"] ?? "").startsWith(`${BERTH_NAMESPACE}.`);
  for (const c of (await docker.listContainers({ all: true })).filter((c) => mine(c.Labels)))
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => {});
  for (const n of (await docker.listNetworks()).filter(
    (n) => mine(n.Labels) || n.Name.startsWith(COMPOSE_PROJECT),
  ))
    await docker
      .getNetwork(n.Id)
      .remove()
      .catch(() => {});
  for (const i of await docker.listImages({ filters: JSON.stringify({ label: [`${LABEL}=true`] }) }))
    await docker
      .getImage(i.Id)
      .remove({ force: true })
      .catch(() => {});
}
