import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { checkBearer } from "../../../src/http/auth.js";
import { bearerFromWebSocketProtocol, WS_PROTOCOL } from "../../../src/http/dashboard-auth.js";
import { startHttpServer, type HttpServerHandle } from "../../../src/http/server.js";
import { nopLogger } from "../../../src/util/logger.js";
import { socketProtocols } from "../../../web/src/ws-protocol.js";
import { FakeApi } from "../http/fake-service.js";

describe("WebSocket bearer token as a subprotocol", () => {
  it("round-trips any token from the page's encoding to the server's check", () => {
    for (const token of ["s3cret", "plus+slash/eq=", "ünï©ødé", "x".repeat(300)]) {
      const protocols = socketProtocols(token);
      expect(protocols[0]).toBe(WS_PROTOCOL);
      expect(protocols[1]).toMatch(/^[\w.-]+$/); // a valid header token: no padding, no + or /
      const header = bearerFromWebSocketProtocol(protocols.join(", "));
      expect(header).toBe(`Bearer ${token}`);
      expect(() => checkBearer(header, token)).not.toThrow();
    }
    expect(socketProtocols(undefined)).toEqual([]);
    expect(bearerFromWebSocketProtocol(undefined)).toBeUndefined();
    expect(bearerFromWebSocketProtocol("berth, chat")).toBeUndefined();
    expect(bearerFromWebSocketProtocol("base64url.bearer.berth.dev.a=b")).toBeUndefined();
  });

  describe("on the server", () => {
    const servers: HttpServerHandle[] = [];
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
    });

    async function start(): Promise<string> {
      const server = await startHttpServer({
        host: "127.0.0.1",
        port: 0,
        registry: new Registry(),
        service: new FakeApi(),
        logger: nopLogger,
        ready: () => true,
        token: "tok",
        upgrades: [
          (req, socket, head, url) => {
            if (url.pathname !== "/echo") return false;
            new WebSocketServer({ noServer: true }).handleUpgrade(req, socket, head, (ws) =>
              ws.send("hello"),
            );
            return true;
          },
        ],
      });
      servers.push(server);
      return server.address.url.replace("http", "ws");
    }

    const connect = (url: string, protocols: string[]) =>
      new Promise<{ message?: string; protocol?: string; status?: number }>((resolve) => {
        const ws = new WebSocket(url, protocols);
        ws.once("message", (data: Buffer) => {
          resolve({ message: data.toString(), protocol: ws.protocol });
          ws.close();
        });
        ws.once("unexpected-response", (_req, res) => resolve({ status: res.statusCode ?? 0 }));
        ws.once("error", () => {});
      });

    it("accepts the token in the subprotocol and selects the plain protocol, never echoing the token", async () => {
      const url = await start();
      expect(await connect(`${url}/echo`, socketProtocols("tok"))).toEqual({
        message: "hello",
        protocol: "berth",
      });
    });

    it("refuses a wrong or missing token", async () => {
      const url = await start();
      expect(await connect(`${url}/echo`, socketProtocols("nope"))).toEqual({ status: 401 });
      expect(await connect(`${url}/echo`, [])).toEqual({ status: 401 });
    });
  });
});
