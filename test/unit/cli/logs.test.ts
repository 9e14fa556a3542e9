import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/io.js";
import { main } from "../../../src/cli/main.js";
import { registerLogRoutes } from "../../../src/http/log-routes.js";
import { startHttpServer, type HttpServerHandle } from "../../../src/http/server.js";
import { InProcessBus } from "../../../src/streams/bus.js";
import type { LogLine } from "../../../src/streams/log-line.js";
import { queryRings } from "../../../src/streams/query.js";
import { RingBuffer } from "../../../src/streams/ring.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeApi } from "../../helpers/fake-service.js";
import { captureIo } from "../../helpers/cli-io.js";

const at = (s: number) => `2026-01-01T00:00:0${s}.000000000Z`;

describe("berth logs against the log routes", () => {
  const api = new RingBuffer<LogLine>(100);
  const db = new RingBuffer<LogLine>(100);
  api.push({ ts: at(1), stream: "stdout", container: "api", line: "GET / 200" });
  db.push({ ts: at(2), stream: "stderr", container: "db", line: "WARN slow query" });
  api.push({ ts: at(3), stream: "stdout", container: "api", line: "GET /x 500" });
  const bus = new InProcessBus(nopLogger);
  let server: HttpServerHandle;
  beforeAll(async () => {
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      registry: new Registry(),
      service: new FakeApi(),
      logger: nopLogger,
      ready: () => true,
      auth: "none",
      routes: [
        (r) =>
          registerLogRoutes(r, {
            known: (key) => key === "default/web",
            query: (_key, q) => queryRings(q.container === "db" ? [db] : q.container ? [api] : [api, db], q),
            bus,
          }),
      ],
    });
  });
  afterAll(() => server.close());
  const run = (io: CliIo, ...args: string[]) =>
    main(["node", "berth", ...args], io, { BERTH_SERVER: server.address.url });

  it("prints lines merged by time, prefixed by container, stderr on stderr", async () => {
    const io = captureIo();
    expect(await run(io, "logs", "web")).toBe(0);
    expect(io.stdout).toBe("api | GET / 200\napi | GET /x 500\n");
    expect(io.stderr).toBe("db | WARN slow query\n");
  });

  it("passes -c, --tail, --grep and -t, and reports an invalid regex and an unknown project", async () => {
    const io = captureIo();
    expect(await run(io, "logs", "web", "-c", "api", "--tail", "1", "--grep", "5\\d\\d", "-t")).toBe(0);
    expect(io.stdout).toBe(`${at(3)} GET /x 500\n`);
    const bad = captureIo();
    expect(await run(bad, "logs", "web", "--grep", "a)")).toBe(1);
    expect(bad.stderr).toMatch(/position 1/);
    const missing = captureIo();
    expect(await run(missing, "logs", "nope")).toBe(1);
    expect(missing.stderr).toMatch(/not found/);
  });

  it("-f prints the kept lines, then live ones", async () => {
    const io = captureIo();
    const done = run(io, "logs", "web", "-c", "api", "-f");
    await new Promise((r) => setTimeout(r, 100));
    bus.publish({
      kind: "logs",
      projectKey: "default/web",
      container: "api",
      lines: [{ ts: at(4), stream: "stdout", container: "api", line: "live" }],
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(io.stdout).toBe("GET / 200\nGET /x 500\nlive\n");
    await server.close();
    await done.catch(() => 0);
  });
});
