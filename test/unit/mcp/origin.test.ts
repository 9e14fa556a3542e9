import { describe, expect, it } from "vitest";
import { hostName, RequestGuard } from "../../../src/http/guard.js";
import { checkOrigin } from "../../../src/mcp/origin.js";

const loopback = new RequestGuard({ bindHost: "127.0.0.1", allowedHosts: [] });
const allows = (name: string) => loopback.allowsHostName(name);

describe("Host and Origin checks of /mcp", () => {
  it("parses host names", () => {
    expect(hostName("127.0.0.1:7420")).toBe("127.0.0.1");
    expect(hostName("[::1]:7420")).toBe("::1");
    expect(hostName("LocalHost")).toBe("localhost");
  });

  it("accepts loopback hosts and origins, and same-origin pages", () => {
    expect(checkOrigin("127.0.0.1:7420", undefined, allows)).toBeUndefined();
    expect(checkOrigin("localhost:7420", "http://localhost:5173", allows)).toBeUndefined();
    expect(checkOrigin("[::1]:7420", "http://[::1]:7420", allows)).toBeUndefined();
    const lan = new RequestGuard({ bindHost: "10.0.0.5", allowedHosts: [] });
    expect(
      checkOrigin("10.0.0.5:7420", "http://10.0.0.5:7420", (n) => lan.allowsHostName(n)),
    ).toBeUndefined();
  });

  it("refuses a rebound host name and a foreign origin", () => {
    expect(checkOrigin("evil.example:7420", undefined, allows)).toEqual({
      header: "host",
      value: "evil.example:7420",
    });
    expect(checkOrigin("127.0.0.1:7420", "http://evil.example", allows)).toEqual({
      header: "origin",
      value: "http://evil.example",
    });
    expect(checkOrigin("127.0.0.1:7420", "null", allows)?.header).toBe("origin");
    expect(checkOrigin(undefined, undefined, allows)?.header).toBe("host");
  });

  it("accepts the names given with --allowed-host, and still checks the origin", () => {
    const named = new RequestGuard({ bindHost: "0.0.0.0", allowedHosts: ["berth.lan"] });
    const policy = (n: string) => named.allowsHostName(n);
    expect(checkOrigin("berth.lan:7420", undefined, policy)).toBeUndefined();
    expect(checkOrigin("berth.lan:7420", "http://berth.lan:7420", policy)).toBeUndefined();
    expect(checkOrigin("berth.lan:7420", "http://evil.example", policy)?.header).toBe("origin");
    expect(checkOrigin("other.lan:7420", undefined, policy)?.header).toBe("host");
  });
});
