// Smoke tests of the real services from scripts/test-env.sh: Docker, the test image, Redis, NATS.
// Redis and NATS are spoken to in their raw wire protocols, so these tests need no client library.
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";
import { beforeAll, describe, expect, it } from "vitest";
import { dockerOptions, readTestEnv } from "../helpers/env.js";
import type { TestEnv } from "../helpers/env.js";

const suffix = (): string => randomBytes(4).toString("hex");

/** A TCP connection that buffers what it receives and reads it by regular expression. */
class Wire {
  private buffer = "";

  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
    });
  }

  /** Connects to the host and port of `url` (e.g. `redis://127.0.0.1:6399`). */
  static async open(url: string, signal: AbortSignal): Promise<Wire> {
    const { hostname, port } = new URL(url);
    const socket = connect({ host: hostname, port: Number(port) });
    await once(socket, "connect", { signal });
    return new Wire(socket);
  }

  write(data: string): void {
    this.socket.write(data);
  }

  /** Waits until the received bytes match `pattern`, consumes them up to the match's end. */
  async read(pattern: RegExp, signal: AbortSignal): Promise<RegExpExecArray> {
    for (;;) {
      const match = pattern.exec(this.buffer);
      if (match) {
        this.buffer = this.buffer.slice(match.index + match[0].length);
        return match;
      }
      try {
        await once(this.socket, "data", { signal });
      } catch (cause) {
        throw new Error(`no ${pattern} received; got ${JSON.stringify(this.buffer)}`, { cause });
      }
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** GETs `url` until it answers 200, for at most `timeoutMs`. */
async function fetchUntilOk(url: string, timeoutMs: number): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok || Date.now() > deadline) return response;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await sleep(100);
  }
}

describe("test environment", () => {
  let env: TestEnv;
  let docker: Docker;

  beforeAll(() => {
    env = readTestEnv();
    docker = new Docker(dockerOptions(env));
  });

  it("docker answers ping", async () => {
    const reply: unknown = await docker.ping();
    expect(String(reply)).toBe("OK");
  });

  it("the test image serves HTTP on a published ephemeral port", async () => {
    const container = await docker.createContainer({
      name: `berth-smoke-${suffix()}`,
      Image: env.image,
      Labels: { "berth.dev/test": "true" },
      Cmd: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 8080 -h /www"],
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    try {
      await container.start();
      const info = await container.inspect();
      expect(info.State.Running).toBe(true);
      const hostPort = Number(info.NetworkSettings.Ports["8080/tcp"]?.[0]?.HostPort);
      expect(hostPort).toBeGreaterThan(0);

      const response = await fetchUntilOk(`http://127.0.0.1:${hostPort}/`, 15_000);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("ok\n");
    } finally {
      await container.remove({ force: true });
    }
  });

  it("redis answers PING and ECHO over RESP", async () => {
    const signal = AbortSignal.timeout(10_000);
    const redis = await Wire.open(env.redisUrl, signal);
    try {
      redis.write("*1\r\n$4\r\nPING\r\n");
      expect((await redis.read(/^[^\r\n]*\r\n/, signal))[0]).toBe("+PONG\r\n");

      const token = `berth-smoke-${suffix()}`;
      redis.write(`*2\r\n$4\r\nECHO\r\n$${token.length}\r\n${token}\r\n`);
      expect((await redis.read(/^\$\d+\r\n[^\r\n]*\r\n/, signal))[0]).toBe(
        `$${token.length}\r\n${token}\r\n`,
      );
    } finally {
      redis.close();
    }
  });

  it("nats delivers a published message to a subscriber", async () => {
    const signal = AbortSignal.timeout(10_000);
    const subject = `berth.test.smoke.${suffix()}`;
    const payload = `hello ${suffix()}`;
    const sub = await Wire.open(env.natsUrl, signal);
    const pub = await Wire.open(env.natsUrl, signal);
    try {
      const [, infoJson = ""] = await sub.read(/^INFO (.*)\r\n/, signal);
      const info = JSON.parse(infoJson) as { server_id?: unknown; jetstream?: unknown };
      expect(info.server_id).toEqual(expect.any(String));
      expect(info.jetstream).toBe(true);
      await pub.read(/^INFO .*\r\n/, signal);

      // The PONG proves the server has registered the subscription before anything is published.
      sub.write(`CONNECT {"verbose":false,"pedantic":false}\r\nSUB ${subject} 1\r\nPING\r\n`);
      await sub.read(/PONG\r\n/, signal);
      pub.write(
        `CONNECT {"verbose":false}\r\nPUB ${subject} ${Buffer.byteLength(payload)}\r\n${payload}\r\n`,
      );

      const [, gotSubject, sid, size, body] = await sub.read(
        /MSG (\S+) (\S+) (\d+)\r\n([^\r\n]*)\r\n/,
        signal,
      );
      expect({ gotSubject, sid, size: Number(size), body }).toEqual({
        gotSubject: subject,
        sid: "1",
        size: Buffer.byteLength(payload),
        body: payload,
      });
    } finally {
      sub.close();
      pub.close();
    }
  });
});
