import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Condition, Phase, ProjectStatus } from "../../../src/api/types.js";
import type * as StateDir from "../../../src/cache/state-dir.js";
import { MAX_TRANSITIONS, STATUS_FILE, StatusStore } from "../../../src/cache/status-store.js";
import type { LogFields, Logger } from "../../../src/util/logger.js";
import { FakeClock } from "../../helpers/fake-clock.js";

/** Counts writes of the real writeJsonFileAtomic, tracks overlap, and can fail the next ones. */
const io = vi.hoisted(() => ({
  writes: 0,
  inFlight: 0,
  maxInFlight: 0,
  failNext: 0,
  /** When set, writes wait for it before touching the disk. */
  gate: undefined as Promise<void> | undefined,
}));
vi.mock("../../../src/cache/state-dir.js", async (importOriginal) => {
  const real = await importOriginal<typeof StateDir>();
  return {
    ...real,
    writeJsonFileAtomic: async (path: string, data: unknown): Promise<void> => {
      io.writes += 1;
      io.inFlight += 1;
      io.maxInFlight = Math.max(io.maxInFlight, io.inFlight);
      try {
        await new Promise((resolve) => setTimeout(resolve, 2));
        await io.gate;
        if (io.failNext > 0) {
          io.failNext -= 1;
          throw new Error("disk full");
        }
        await real.writeJsonFileAtomic(path, data);
      } finally {
        io.inFlight -= 1;
      }
    },
  };
});

interface Line {
  level: string;
  msg: string;
  fields?: LogFields | undefined;
}
function recordingLogger(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: string) => (msg: string, fields?: LogFields) => void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const cond = (
  type: Condition["type"],
  status: Condition["status"],
  reason: string,
  message = "",
): Condition => ({
  type,
  status,
  reason,
  message,
  lastTransitionTime: "2025-01-01T00:00:00Z",
});
const status = (phase: Phase, extra: Partial<ProjectStatus> = {}): ProjectStatus => ({
  observedGeneration: 1,
  phase,
  conditions: [cond("Ready", phase === "Running" ? "True" : "False", `Is${phase}`, `now ${phase}`)],
  lastReconcileTime: "2025-01-01T00:00:00Z",
  ...extra,
});

let dir: string;
let log: ReturnType<typeof recordingLogger>;
let clock: FakeClock;
const wall = () => new Date("2025-06-01T12:00:00Z");
const open = (flushMs = 1000) => StatusStore.open({ stateDir: dir, logger: log, clock, flushMs, now: wall });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "berth-status-"));
  log = recordingLogger();
  clock = new FakeClock();
  Object.assign(io, { writes: 0, inFlight: 0, maxInFlight: 0, failNext: 0, gate: undefined });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("StatusStore set/get", () => {
  it("stores only real changes, ignoring lastReconcileTime and undefined keys", async () => {
    const s = await open();
    expect(s.get("default/a")).toBeUndefined();
    expect(s.set("default/a", status("Pending"))).toBe(true);
    expect(s.set("default/a", status("Pending", { lastReconcileTime: "2025-01-01T00:00:09Z" }))).toBe(false);
    expect(s.set("default/a", { ...status("Pending"), ports: undefined })).toBe(false);
    expect(s.get("default/a")?.status.lastReconcileTime).toBe("2025-01-01T00:00:00Z");
    expect(s.set("default/a", status("Pending", { ready: "0/1" }))).toBe(true);
    expect(s.get("default/a")?.status.ready).toBe("0/1");
    expect(s.keys()).toEqual(["default/a"]);
  });

  it("keeps a frozen copy the writer cannot change afterwards", async () => {
    const s = await open();
    const st = status("Running", { ports: [{ hostPort: 20000 }] });
    s.set("default/a", st);
    st.ports?.push({ hostPort: 20001 });
    expect(s.get("default/a")?.status.ports).toEqual([{ hostPort: 20000 }]);
    expect(Object.isFrozen(s.get("default/a")?.status.ports)).toBe(true);
  });

  it("records phase transitions with reason and message, keeping the last 20", async () => {
    const s = await open();
    s.set("default/a", status("Pending"));
    s.set("default/a", status("Pending", { observedGeneration: 2 }));
    s.set("default/a", status("Running"));
    expect(s.get("default/a")?.transitions).toEqual([
      { time: "2025-06-01T12:00:00.000Z", to: "Pending", reason: "IsPending", message: "now Pending" },
      {
        time: "2025-06-01T12:00:00.000Z",
        from: "Pending",
        to: "Running",
        reason: "IsRunning",
        message: "now Running",
      },
    ]);
    const noReady = {
      phase: "Failed" as const,
      conditions: [
        cond("SpecValid", "True", "Ok"),
        cond("ImageAvailable", "False", "NotFound", "no image x"),
      ],
    };
    s.set("default/a", noReady);
    expect(s.get("default/a")?.transitions.at(-1)).toMatchObject({
      from: "Running",
      to: "Failed",
      reason: "NotFound",
      message: "no image x",
    });
    for (let i = 0; i < 30; i++) s.set("default/a", status(i % 2 ? "Running" : "Degraded"));
    const t = s.get("default/a")?.transitions ?? [];
    expect(t).toHaveLength(MAX_TRANSITIONS);
    expect(t.at(-1)).toMatchObject({ from: "Degraded", to: "Running" });
  });

  it("counts projects per phase and forgets deleted ones", async () => {
    const s = await open();
    s.set("default/a", status("Running"));
    s.set("default/b", status("Running"));
    s.set("other/c", status("Failed"));
    s.set("other/d", {});
    expect(s.phaseCounts()).toEqual({
      Pending: 0,
      Progressing: 0,
      Running: 2,
      Degraded: 0,
      Stopped: 0,
      Failed: 1,
    });
    expect(s.delete("default/a")).toBe(true);
    expect(s.delete("default/a")).toBe(false);
    expect(s.keys()).toEqual(["default/b", "other/c", "other/d"]);
    expect(s.phaseCounts().Running).toBe(1);
  });
});

describe("StatusStore watch", () => {
  it("notifies synchronously on changes only; a throwing watcher breaks nothing and is logged once", async () => {
    const s = await open();
    const seen: string[] = [];
    const bad = vi.fn(() => {
      throw new Error("boom");
    });
    s.watch(bad);
    const stop = s.watch((k) => seen.push(k));
    expect(s.set("default/a", status("Pending"))).toBe(true);
    expect(seen).toEqual(["default/a"]);
    s.set("default/a", status("Pending", { lastReconcileTime: "later" }));
    expect(seen).toEqual(["default/a"]);
    s.set("default/a", status("Running"));
    s.delete("default/a");
    s.delete("default/a");
    expect(seen).toEqual(["default/a", "default/a", "default/a"]);
    expect(bad).toHaveBeenCalledTimes(3);
    expect(log.lines.filter((l) => l.level === "error")).toHaveLength(1);
    stop();
    s.set("default/b", status("Pending"));
    expect(seen).toHaveLength(3);
  });
});

describe("StatusStore persistence", () => {
  it("round-trips statuses and transitions through a new store on the same directory", async () => {
    const s = await open();
    s.set("default/a", status("Pending"));
    s.set("default/a", status("Running"));
    s.set("default/b", status("Stopped"));
    await s.flush();
    const again = await open();
    expect(again.keys()).toEqual(["default/a", "default/b"]);
    expect(again.get("default/a")).toEqual(s.get("default/a"));
    expect(again.set("default/a", status("Running", { lastReconcileTime: "later" }))).toBe(false);
    again.set("default/a", status("Degraded"));
    expect(again.get("default/a")?.transitions.map((t) => t.to)).toEqual(["Pending", "Running", "Degraded"]);
    expect(log.lines).toEqual([]);
  });

  it("writes at most once per flushMs, coalescing changes, never two writes at once", async () => {
    const s = await open(1000);
    let release = (): void => undefined;
    io.gate = new Promise((resolve) => (release = resolve));
    for (let i = 0; i < 50; i++) s.set(`default/p${i}`, status("Pending"));
    expect(io.writes).toBe(0);
    clock.advance(999);
    expect(io.writes).toBe(0);
    clock.advance(1);
    await vi.waitFor(() => expect(io.writes).toBe(1));
    expect(io.inFlight).toBe(1);
    s.set("default/p0", status("Running")); // during the write: goes out with the next one
    release();
    await vi.waitFor(() => expect(io.inFlight).toBe(0));
    expect(io.writes).toBe(1);
    clock.advance(1000);
    await s.flush();
    expect(io.writes).toBe(2);
    expect(io.maxInFlight).toBe(1);
    await s.flush(); // nothing pending: no write
    expect(io.writes).toBe(2);
    const file = JSON.parse(await readFile(join(dir, STATUS_FILE), "utf8")) as {
      projects: Record<string, unknown>;
    };
    expect(Object.keys(file.projects)).toHaveLength(50);
    expect((await open()).get("default/p0")?.status.phase).toBe("Running");
  });

  it("logs a failed write once and retries it", async () => {
    const s = await open(100);
    io.failNext = 2;
    s.set("default/a", status("Running"));
    await expect(s.flush()).rejects.toThrow("disk full");
    clock.advance(200); // first retry, fails again
    await vi.waitFor(() => expect(io.writes).toBe(2));
    await vi.waitFor(() => expect(io.inFlight).toBe(0));
    expect(log.lines.filter((l) => l.level === "warn")).toHaveLength(1);
    clock.advance(400);
    await vi.waitFor(() => expect(io.writes).toBe(3));
    await s.flush();
    expect((await open()).get("default/a")?.status.phase).toBe("Running");
    expect(log.lines.map((l) => l.level)).toEqual(["warn", "info"]);
  });

  it("moves a corrupt file aside, logs once and starts empty", async () => {
    await writeFile(join(dir, STATUS_FILE), "{ not json");
    const s = await open();
    expect(s.keys()).toEqual([]);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]?.msg).toMatch(/corrupt/);
    const files = await readdir(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^status\.json\.corrupt-/);
    s.set("default/a", status("Running"));
    await s.flush();
    expect((await open()).keys()).toEqual(["default/a"]);
  });

  it("moves aside a file without projects and skips invalid entries", async () => {
    await writeFile(join(dir, STATUS_FILE), "[1, 2]");
    expect((await open()).keys()).toEqual([]);
    expect(await readdir(dir)).toHaveLength(1);
    const good = {
      status: { phase: "Running" },
      transitions: [{ time: "t", to: "Running" }, { to: "Nope" }],
    };
    const projects = {
      "default/a": good,
      "default/b": { status: { phase: "Nope" } },
      nokey: good,
      "default/c": 3,
    };
    await writeFile(join(dir, STATUS_FILE), JSON.stringify({ version: 1, projects }));
    log.lines.length = 0;
    const s = await open();
    expect(s.keys()).toEqual(["default/a"]);
    expect(s.get("default/a")?.transitions).toEqual([{ time: "t", to: "Running", reason: "", message: "" }]);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]?.fields?.["keys"]).toEqual(["default/b", "nokey", "default/c"]);
  });
});
