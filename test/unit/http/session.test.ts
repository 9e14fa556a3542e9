import { describe, expect, it } from "vitest";
import { cookieValue, LOGIN_CODE_TTL_MS, SESSION_TTL_MS, Sessions } from "../../../src/http/session.js";

function cookieOf(setCookie: string): string {
  return setCookie.split(";")[0] ?? "";
}

describe("dashboard sessions", () => {
  it("issues HttpOnly, SameSite=Strict cookies named after the port, without the token", () => {
    const sessions = new Sessions({ token: "tok-123456789012345", port: 7420 });
    const set = sessions.issue();
    expect(set).toMatch(/^berth_session_7420=v1\.\d+\.[\w-]{43}; /);
    expect(set).toContain("HttpOnly");
    expect(set).toContain("SameSite=Strict");
    expect(set).toContain("Path=/");
    expect(set).not.toContain("tok-123456789012345");
    expect(sessions.valid(cookieOf(set))).toBe(true);
    expect(sessions.valid(`other=1; ${cookieOf(set)}`)).toBe(true);
  });

  it("refuses forged, expired and other-token cookies", () => {
    let now = 1_000_000;
    const sessions = new Sessions({ token: "a-token-of-some-length", port: 7420, now: () => now });
    const cookie = cookieOf(sessions.issue());
    const other = new Sessions({ token: "another-token-entirely", port: 7420, now: () => now });
    expect(other.valid(cookie)).toBe(false);
    const [name, value] = cookie.split("=");
    const [, exp, mac] = (value ?? "").split(".");
    expect(sessions.valid(`${name}=v1.${Number(exp) + 1000}.${mac}`)).toBe(false);
    expect(sessions.valid(`${name}=garbage`)).toBe(false);
    expect(sessions.valid(undefined)).toBe(false);
    now += SESSION_TTL_MS + 1000;
    expect(sessions.valid(cookie)).toBe(false);
    expect(sessions.clear()).toContain("Max-Age=0");
  });

  it("redeems each login code once, and only before it expires", () => {
    let now = 0;
    const sessions = new Sessions({ token: "t".repeat(20), port: 1, now: () => now });
    const code = sessions.mintCode();
    expect(code).toMatch(/^[\w-]{32}$/);
    expect(sessions.redeem(code)).toBe(true);
    expect(sessions.redeem(code)).toBe(false);
    expect(sessions.redeem("made-up")).toBe(false);
    const late = sessions.mintCode();
    now += LOGIN_CODE_TTL_MS + 1;
    expect(sessions.redeem(late)).toBe(false);
  });

  it("reads one cookie out of a Cookie header", () => {
    expect(cookieValue("a=1; b = 2 ;c=3", "b")).toBe("2");
    expect(cookieValue("a=1", "b")).toBeUndefined();
    expect(cookieValue(undefined, "b")).toBeUndefined();
  });
});
