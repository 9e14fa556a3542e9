import { describe, expect, it } from "vitest";
import { HttpError } from "../../../src/http/errors.js";
import { hostName, RequestGuard } from "../../../src/http/guard.js";

const guard = new RequestGuard({ bindHost: "127.0.0.1", allowedHosts: ["berth.internal", ".dev.example"] });

function refusal(method: string, headers: Record<string, string>, upgrade = false): HttpError | undefined {
  try {
    guard.check(method, headers, upgrade);
    return undefined;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
}

describe("RequestGuard", () => {
  it("parses Host values", () => {
    expect(hostName("127.0.0.1:7420")).toBe("127.0.0.1");
    expect(hostName("[::1]:7420")).toBe("::1");
    expect(hostName("LOCALHOST.")).toBe("localhost");
  });

  it("accepts loopback names, the bind address and --allowed-host names", () => {
    for (const host of ["127.0.0.1:7420", "localhost:7420", "[::1]:7420", "127.1.2.3", "app.localhost:1"])
      expect(refusal("GET", { host })).toBeUndefined();
    expect(refusal("GET", { host: "berth.internal:7420" })).toBeUndefined();
    expect(refusal("GET", { host: "dev.example" })).toBeUndefined();
    expect(refusal("GET", { host: "a.b.dev.example:80" })).toBeUndefined();
  });

  it("refuses any other Host with 403, naming the host and the flag", () => {
    const err = refusal("GET", { host: "rebind.attacker.example:7420" });
    expect(err?.status).toBe(403);
    expect(err?.message).toContain('"rebind.attacker.example:7420"');
    expect(err?.hint).toContain("--allowed-host rebind.attacker.example");
    expect(refusal("GET", {})?.status).toBe(403);
    expect(refusal("GET", { host: "notdev.example" })?.status).toBe(403);
    expect(refusal("GET", { host: "berth.internal.evil" })?.status).toBe(403);
  });

  it("answers to the host's own addresses when bound to all of them", () => {
    const wide = new RequestGuard({ bindHost: "0.0.0.0", allowedHosts: [] });
    expect(wide.allowsHostName("127.0.0.1")).toBe(true);
    expect(wide.allowsHostName("attacker.example")).toBe(false);
  });

  it("refuses writes and upgrades from another origin or site", () => {
    const host = "127.0.0.1:7420";
    const json = { "content-type": "application/json", "content-length": "2" };
    expect(refusal("POST", { host, ...json, origin: "http://evil.example" })?.code).toBe("CrossSite");
    // another port on the same host is another origin (and the same site)
    expect(refusal("POST", { host, ...json, origin: "http://127.0.0.1:8081" })?.code).toBe("CrossSite");
    expect(refusal("POST", { host, ...json, origin: "null" })?.code).toBe("CrossSite");
    expect(refusal("DELETE", { host, "sec-fetch-site": "cross-site" })?.code).toBe("CrossSite");
    expect(refusal("PUT", { host, ...json, "sec-fetch-site": "same-site" })?.code).toBe("CrossSite");
    expect(refusal("GET", { host, origin: "http://evil.example" }, true)?.code).toBe("CrossSite");
    expect(refusal("GET", { host, "sec-fetch-site": "cross-site" }, true)?.code).toBe("CrossSite");
    // same origin, no browser at all, and reads from anywhere pass
    expect(refusal("POST", { host, ...json, origin: "http://127.0.0.1:7420" })).toBeUndefined();
    expect(refusal("POST", { host, ...json, "sec-fetch-site": "same-origin" })).toBeUndefined();
    expect(refusal("POST", { host, ...json })).toBeUndefined();
    expect(refusal("GET", { host, origin: "http://127.0.0.1:7420" }, true)).toBeUndefined();
    expect(refusal("GET", { host, "sec-fetch-site": "cross-site" })).toBeUndefined();
  });

  it("takes write bodies only as JSON or YAML", () => {
    const host = "127.0.0.1:7420";
    for (const type of [
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
    ]) {
      const err = refusal("POST", { host, "content-type": type, "content-length": "10" });
      expect(err?.status).toBe(415);
    }
    expect(refusal("POST", { host, "content-length": "10" })?.status).toBe(415);
    expect(refusal("POST", { host, "transfer-encoding": "chunked" })?.status).toBe(415);
    for (const type of [
      "application/json; charset=utf-8",
      "application/yaml",
      "text/yaml",
      "application/x-yaml",
    ])
      expect(refusal("POST", { host, "content-type": type, "content-length": "10" })).toBeUndefined();
    expect(refusal("DELETE", { host })).toBeUndefined();
    expect(refusal("POST", { host, "content-length": "0" })).toBeUndefined();
  });
});
