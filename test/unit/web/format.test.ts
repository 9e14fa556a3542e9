import { describe, expect, it } from "vitest";
import {
  containerReason,
  formatAge,
  formatBytes,
  formatCpu,
  formatLogTime,
  formatRate,
  phaseTone,
  portLinks,
  readyText,
} from "../../../web/src/format.js";
import { view } from "./views.js";

describe("dashboard formatting", () => {
  const now = Date.parse("2026-01-02T03:04:05Z");
  const ago = (s: number) => new Date(now - s * 1000).toISOString();

  it("says why a container waits, completed or failed", () => {
    expect(containerReason({ name: "c", state: "running" })).toBeUndefined();
    expect(containerReason({ name: "c", reason: "Waiting", message: "db is not Healthy yet" })).toEqual({
      text: "Waiting: db is not Healthy yet",
      detail: [],
    });
    expect(containerReason({ name: "c", reason: "Completed", exitCode: 0 })).toEqual({
      text: "Completed (exit 0)",
      detail: [],
    });
    expect(containerReason({ name: "c", reason: "Failed", exitCode: 3, message: "a\nb\n" })).toEqual({
      text: "Failed (exit 3)",
      detail: ["a", "b"],
    });
  });

  it("formats ages kubectl style", () => {
    expect(formatAge(ago(0), now)).toBe("0s");
    expect(formatAge(ago(119), now)).toBe("119s");
    expect(formatAge(ago(120), now)).toBe("2m");
    expect(formatAge(ago(7199), now)).toBe("119m");
    expect(formatAge(ago(7200), now)).toBe("2h");
    expect(formatAge(ago(47 * 3600), now)).toBe("47h");
    expect(formatAge(ago(3 * 86400), now)).toBe("3d");
    expect(formatAge(ago(-30), now)).toBe("0s"); // clock skew never shows a negative age
    expect(formatAge(undefined, now)).toBe("-");
    expect(formatAge("yesterday", now)).toBe("-");
  });

  it("formats bytes, rates and CPU", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(12.34 * 1024 * 1024)).toBe("12.3 MiB");
    expect(formatBytes(300 * 1024 ** 3)).toBe("300 GiB");
    expect(formatBytes(-1)).toBe("-");
    expect(formatBytes(Number.NaN)).toBe("-");
    expect(formatRate(2048)).toBe("2.00 KiB/s");
    expect(formatCpu(0)).toBe("0.0%");
    expect(formatCpu(0.125)).toBe("12.5%");
    expect(formatCpu(1.5)).toBe("150%");
    expect(formatCpu(-0.1)).toBe("-");
  });

  it("shows log times to the millisecond", () => {
    expect(formatLogTime("2026-01-02T03:04:05.123456789Z")).toBe("03:04:05.123");
    expect(formatLogTime("2026-01-02T03:04:05Z")).toBe("03:04:05.000");
    expect(formatLogTime("garbage")).toBe("garbage");
  });

  it("gives each phase a tone", () => {
    expect(phaseTone("Running")).toBe("ok");
    expect(phaseTone("Failed")).toBe("bad");
    expect(phaseTone("Stopped")).toBe("idle");
    for (const p of ["Pending", "Progressing", "Degraded", undefined]) expect(phaseTone(p)).toBe("warn");
  });

  it("counts ready containers from the status, or from the spec before any status", () => {
    expect(readyText(view("a", { status: { phase: "Running", ready: "2/2" } }))).toBe("2/2");
    expect(readyText(view("a", { containers: 3 }))).toBe("0/3");
  });

  it("links published ports that have an http URL and lists the others", () => {
    expect(
      portLinks([
        {
          container: "api",
          name: "http",
          containerPort: 8080,
          hostPort: 20001,
          protocol: "TCP",
          url: "http://127.0.0.1:20001",
        },
        { container: "dns", containerPort: 53, hostPort: 20002, protocol: "UDP" },
        { container: "x", containerPort: 9, hostPort: 0 },
        { container: "y", containerPort: 10, url: "javascript:alert(1)", hostPort: 20003 },
      ]),
    ).toEqual([
      { label: "20001→8080", href: "http://127.0.0.1:20001" },
      { label: "20002→53/udp" },
      { label: "20003→10" },
    ]);
    expect(portLinks(undefined)).toEqual([]);
  });
});
