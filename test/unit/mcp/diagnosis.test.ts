import { describe, expect, it } from "vitest";
import { diagnose, diagnosisText, MAX_DIGEST_CHARS } from "../../../src/mcp/diagnosis.js";
import type { ObservedContainer } from "../../../src/runtime/observed.js";
import type { ProjectView } from "../../../src/service/view.js";
import type { LogLine } from "../../../src/streams/log-line.js";

function view(
  over: Partial<ProjectView> & { status: ProjectView["status"]; spec: ProjectView["spec"] },
): ProjectView {
  return {
    namespace: "default",
    name: "job",
    generation: 1,
    labels: {},
    annotations: {},
    transitions: [],
    file: "/specs/job.yaml",
    line: 1,
    specErrors: [],
    creationTimestamp: "2026-01-01T00:00:00Z",
    hash: "h1",
    ...over,
  };
}

const spec = (containers: Array<Record<string, unknown>>) =>
  ({ state: "Running", containers }) as unknown as ProjectView["spec"];

function observed(name: string, o: Partial<ObservedContainer>): ObservedContainer {
  return {
    containerName: name,
    running: false,
    oomKilled: false,
    error: "",
    restartCount: 0,
    ...o,
  } as ObservedContainer;
}

function line(i: number, text: string, container = "main"): LogLine {
  const s = String(i).padStart(2, "0");
  return { ts: `2026-01-01T00:00:${s}.000000000Z`, stream: "stdout", container, line: text };
}

describe("diagnose", () => {
  it("names the exit code, the first lines of the last start, the last lines and error lines", () => {
    const logs = [
      line(1, "old run"),
      line(10, "starting worker"),
      line(11, "ERROR: cannot open /data/db"),
      ...Array.from({ length: 30 }, (_, i) => line(12 + i, `step ${i}`)),
      line(50, "giving up"),
    ];
    const d = diagnose({
      view: view({
        spec: spec([{ name: "main", image: "x", restartPolicy: "Never" }]),
        status: {
          phase: "Failed",
          conditions: [
            {
              type: "Ready",
              status: "False",
              reason: "JobFailed",
              message: "main: exited (exit 3)",
              lastTransitionTime: "",
            },
          ],
          containers: [
            {
              name: "main",
              state: "exited",
              exitCode: 3,
              restartCount: 0,
              reason: "Failed",
              message: "exited with code 3; last lines:\ngiving up",
            },
          ],
        },
      }),
      observed: [observed("main", { state: "exited", exitCode: 3, startedAt: "2026-01-01T00:00:10Z" })],
      logs: (_c, since) => (since ? logs.filter((l) => l.ts >= since) : logs),
      probe: () => undefined,
    });
    const c = d.containers[0];
    expect(c?.exitCode).toBe(3);
    expect(c?.firstLines[0]).toBe("starting worker");
    expect(c?.lastLines.at(-1)).toBe("giving up");
    expect(c?.errorLines).toEqual([]); // already among the first lines
    expect(d.healthy).toBe(false);
    expect(d.nextAction).toMatch(/main exited with code 3/);
    const text = diagnosisText(d);
    expect(text).toMatch(/exit code 3/);
    expect(text).toMatch(/Next: /);
  });

  it("names a failing probe and its last result", () => {
    const d = diagnose({
      view: view({
        spec: spec([
          {
            name: "web",
            image: "x",
            healthCheck: {
              httpGet: { path: "/healthz", port: "http" },
              failureThreshold: 2,
              periodSeconds: 1,
              timeoutSeconds: 1,
              initialDelaySeconds: 0,
            },
          },
        ]),
        status: {
          phase: "Degraded",
          conditions: [
            {
              type: "Ready",
              status: "False",
              reason: "ContainersUnhealthy",
              message: "web: running (unhealthy)",
              lastTransitionTime: "",
            },
          ],
          containers: [{ name: "web", state: "running", health: "unhealthy", restartCount: 0 }],
        },
      }),
      observed: [observed("web", { state: "running", running: true, startedAt: "2026-01-01T00:00:01Z" })],
      logs: () => [],
      probe: () => ({ ok: false, message: "HTTP GET http://127.0.0.1:20001/healthz returned 500" }),
    });
    expect(d.containers[0]?.probe).toEqual({
      check: "httpGet /healthz on port http",
      failureThreshold: 2,
      lastResult: "HTTP GET http://127.0.0.1:20001/healthz returned 500",
    });
    expect(d.nextAction).toMatch(/health check of web .* returned 500/);
  });

  it("points at a port conflict and its holder, and at a dependency it waits for", () => {
    const d = diagnose({
      view: view({
        spec: spec([
          { name: "db", image: "x" },
          { name: "api", image: "x", dependsOn: [{ name: "db", condition: "Healthy" }] },
        ]),
        status: {
          phase: "Degraded",
          conditions: [
            {
              type: "PortsAllocated",
              status: "False",
              reason: "PortConflict",
              message: "host port 5432 of db/pg is taken by project default/other",
              lastTransitionTime: "",
            },
          ],
          containers: [
            { name: "db", state: "missing", restartCount: 0 },
            {
              name: "api",
              state: "missing",
              restartCount: 0,
              reason: "Waiting",
              message: "waits for db to be Healthy",
            },
          ],
        },
      }),
      observed: [],
      logs: () => [],
      probe: () => undefined,
    });
    expect(d.problems[0]).toMatch(/PortsAllocated: PortConflict - host port 5432 .* default\/other/);
    expect(d.containers[1]?.waitingFor).toEqual(["db (Healthy)"]);
    expect(d.nextAction).toMatch(/host port is taken/);
  });

  it("stays under the bound with many containers and long lines", () => {
    const containers = Array.from({ length: 20 }, (_, i) => ({ name: `c${i}`, image: "x" }));
    const logs = Array.from({ length: 200 }, (_, i) => line(i % 60, `error ${"x".repeat(400)} ${i}`));
    const d = diagnose({
      view: view({
        spec: spec(containers),
        status: {
          phase: "Degraded",
          containers: containers.map((c) => ({
            name: c.name,
            state: "exited",
            exitCode: 1,
            restartCount: 4,
          })),
        },
      }),
      observed: containers.map((c) =>
        observed(c.name, { state: "exited", exitCode: 1, startedAt: "2026-01-01T00:00:00Z" }),
      ),
      logs: () => logs,
      probe: () => undefined,
    });
    const text = diagnosisText(d);
    console.log(
      `digest of 20 failing containers: ${text.length} characters, about ${Math.ceil(text.length / 4)} tokens`,
    );
    expect(text.length).toBeLessThanOrEqual(MAX_DIGEST_CHARS);
    expect(d.truncated).toBe(true);
    expect(JSON.stringify(d).length).toBeLessThan(MAX_DIGEST_CHARS * 1.6);
  });
});
