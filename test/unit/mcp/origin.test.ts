import { describe, expect, it } from "vitest";
import { checkOrigin, hostName } from "../../../src/mcp/origin.js";

describe("Host and Origin checks of /mcp", () => {
  it("parses host names", () => {
    expect(hostName("127.0.0.1:7420")).toBe("127.0.0.1");
    expect(hostName("[::1]:7420")).toBe("::1");
    expect(hostName("LocalHost")).toBe("localhost");
  });

  it("accepts loopback hosts and origins, and same-origin pages", () => {
    expect(checkOrigin("127.0.0.1:7420", undefined, "127.0.0.1")).toBeUndefined();
    expect(checkOrigin("localhost:7420", "http://localhost:5173", "127.0.0.1")).toBeUndefined();
    expect(checkOrigin("[::1]:7420", "http://[::1]:7420", "127.0.0.1")).toBeUndefined();
    expect(checkOrigin("10.0.0.5:7420", "http://10.0.0.5:7420", "10.0.0.5")).toBeUndefined();
  });

  it("refuses a rebound host name and a foreign origin", () => {
    expect(checkOrigin("evil.example:7420", undefined, "127.0.0.1")).toEqual({
      header: "host",
      value: "evil.example:7420",
    });
    expect(checkOrigin("127.0.0.1:7420", "http://evil.example", "127.0.0.1")).toEqual({
      header: "origin",
      value: "http://evil.example",
    });
    expect(checkOrigin("127.0.0.1:7420", "null", "127.0.0.1")?.header).toBe("origin");
    expect(checkOrigin(undefined, undefined, "127.0.0.1")?.header).toBe("host");
  });

  it("accepts any host name when bound to all addresses, but still checks the origin", () => {
    expect(checkOrigin("berth.lan:7420", undefined, "0.0.0.0")).toBeUndefined();
    expect(checkOrigin("berth.lan:7420", "http://berth.lan:7420", "0.0.0.0")).toBeUndefined();
    expect(checkOrigin("berth.lan:7420", "http://evil.example", "0.0.0.0")?.header).toBe("origin");
  });
});
