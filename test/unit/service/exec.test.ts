import { describe, expect, it } from "vitest";
import type { ObservedContainer } from "../../../src/runtime/observed.js";
import type { DockerExec, ExecChunk, ExecSession } from "../../../src/runtime/exec.js";
import {
  ContainerNotFoundError,
  ContainerNotRunningError,
  execInContainer,
  execLimits,
  execTarget,
  type ExecDeps,
} from "../../../src/service/exec.js";
import { ProjectNotFoundError, ServiceError } from "../../../src/api/index.js";

function observed(name: string, running = true): ObservedContainer {
  return {
    id: `id-${name}`,
    containerName: name,
    running,
    state: running ? "running" : "exited",
  } as ObservedContainer;
}

/** A DockerExec whose command prints `chunks` (after `delayMs` each) then exits with `exitCode`. */
class FakeExec implements DockerExec {
  created: { container: string; command: readonly string[] }[] = [];
  closed = 0;
  constructor(
    private readonly chunks: ExecChunk[],
    private readonly exitCode: number,
    private readonly delayMs = 0,
    private readonly hang = false,
  ) {}
  createExec(container: string, spec: { command: readonly string[] }) {
    this.created.push({ container, command: spec.command });
    return Promise.resolve("exec-1");
  }
  startExec(_id: string, opts: { signal?: AbortSignal | undefined }): Promise<ExecSession> {
    const { chunks, delayMs, hang } = this;
    let closed = false;
    const session: ExecSession = {
      async *output() {
        for (const c of chunks) {
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          if (closed) return;
          yield c;
        }
        while (hang && !closed) await new Promise((r) => setTimeout(r, 5));
      },
      write: () => true,
      drained: () => Promise.resolve(),
      endInput: () => {},
      close: () => {
        closed = true;
        this.closed++;
      },
    };
    opts.signal?.addEventListener("abort", () => session.close(), { once: true });
    return Promise.resolve(session);
  }
  inspectExec() {
    return Promise.resolve({ running: false, exitCode: this.exitCode });
  }
  resizeExec() {
    return Promise.resolve();
  }
}

function deps(docker: DockerExec, containers = [observed("app")]): ExecDeps {
  return {
    docker,
    observed: { byProject: (key) => (key === "default/web" ? containers : []) },
    desired: {
      get: (key) =>
        key === "default/web"
          ? ({ project: { spec: { containers: [{ name: "app" }] } } } as never)
          : undefined,
    },
  };
}

const out = (text: string, stream: "stdout" | "stderr" = "stdout"): ExecChunk => ({
  stream,
  data: Buffer.from(text),
});

describe("execInContainer", () => {
  it("returns the exit code and the interleaved output", async () => {
    const docker = new FakeExec([out("hi\n"), out("oops\n", "stderr")], 4);
    const r = await execInContainer(deps(docker), {
      namespace: "default",
      name: "web",
      container: "app",
      command: ["sh"],
    });
    expect(r).toMatchObject({
      exitCode: 4,
      output: "hi\noops\n",
      truncated: false,
      timedOut: false,
      outputBytes: 8,
    });
    expect(docker.created).toEqual([{ container: "id-app", command: ["sh"] }]);
    expect(docker.closed).toBe(1);
  });

  it("keeps the first maxOutputBytes, reads the rest and still reports the exit code", async () => {
    const docker = new FakeExec([out("x".repeat(700)), out("y".repeat(700)), out("z".repeat(700))], 3);
    const r = await execInContainer(deps(docker), {
      namespace: "default",
      name: "web",
      container: "app",
      command: ["yes"],
      maxOutputBytes: 1000,
    });
    expect(r.truncated).toBe(true);
    expect(r.output).toBe("x".repeat(700) + "y".repeat(300));
    expect(r.outputBytes).toBe(2100);
    expect(r.exitCode).toBe(3);
  });

  it("never cuts a UTF-8 character in half at the limit", async () => {
    const docker = new FakeExec([out("aé€")], 0); // 1 + 2 + 3 bytes
    const r = await execInContainer(deps(docker), {
      namespace: "default",
      name: "web",
      container: "app",
      command: ["x"],
      maxOutputBytes: 5,
    });
    expect(r.output).toBe("aé");
    expect(r.truncated).toBe(true);
  });

  it("stops waiting at the timeout, says so and reports no exit code", async () => {
    const docker = new FakeExec([out("started\n")], 0, 0, true);
    const r = await execInContainer(deps(docker), {
      namespace: "default",
      name: "web",
      container: "app",
      command: ["sleep"],
      timeoutMs: 50,
    });
    expect(r).toMatchObject({ timedOut: true, exitCode: null, output: "started\n" });
    expect(r.durationMs).toBeGreaterThanOrEqual(45);
  });

  it("rejects with the caller's abort reason", async () => {
    const docker = new FakeExec([out("a")], 0, 0, true);
    const ctl = new AbortController();
    const p = execInContainer(deps(docker), {
      namespace: "default",
      name: "web",
      container: "app",
      command: ["x"],
      signal: ctl.signal,
    });
    setTimeout(() => ctl.abort(new Error("client went away")), 20);
    await expect(p).rejects.toThrow("client went away");
  });
});

describe("execTarget", () => {
  it("names a missing container and lists the project's containers", () => {
    expect(() => execTarget(deps(new FakeExec([], 0)), "default", "web", "db")).toThrow(
      ContainerNotFoundError,
    );
    expect(() => execTarget(deps(new FakeExec([], 0)), "default", "web", "db")).toThrow(
      'has no container "db"; its containers are: app',
    );
  });
  it("refuses a stopped container with Conflict", () => {
    const d = deps(new FakeExec([], 0), [observed("app", false)]);
    expect(() => execTarget(d, "default", "web", "app")).toThrow(ContainerNotRunningError);
    expect(() => execTarget(d, "default", "web", "app")).toThrow("is exited, not running");
  });
  it("says a project that does not exist is not found", () => {
    expect(() => execTarget(deps(new FakeExec([], 0)), "default", "nope", "app")).toThrow(
      ProjectNotFoundError,
    );
  });
});

describe("execLimits", () => {
  it("applies defaults and refuses out-of-range values naming them", () => {
    expect(execLimits({ command: ["a"] })).toEqual({ timeoutMs: 30_000, maxOutputBytes: 1024 * 1024 });
    expect(() => execLimits({ command: [] })).toThrow(ServiceError);
    expect(() => execLimits({ command: ["a"], timeoutMs: 0 })).toThrow("timeout 0 ms is out of range");
    expect(() => execLimits({ command: ["a"], maxOutputBytes: 1e9 })).toThrow(
      "maxOutputBytes 1000000000 is out of range",
    );
  });
});
