import { SpecInvalidError } from "../../src/api/errors.js";
import type { DesiredState } from "../../src/api/types.js";
import { ConflictError, ProjectNotFoundError, BadRequestError } from "../../src/api/write-errors.js";
import type { ApplyOptions, ApplyResponse, ProjectFilter, WriteResponse } from "../../src/service/service.js";
import type { ProjectView } from "../../src/service/view.js";
import type { WaitOptions, WaitResult } from "../../src/service/wait.js";
import type { ProjectApi } from "../../src/http/routes.js";
import type { SpecWatchCondition, WriteOptions, WriteResult } from "../../src/api/index.js";

/** A ProjectView with sensible defaults; `over` replaces fields. */
export function view(name: string, over: Partial<ProjectView> = {}): ProjectView {
  return {
    namespace: "default",
    name,
    generation: 1,
    labels: {},
    annotations: {},
    spec: {
      state: "Running",
      containers: [
        {
          name: "app",
          image: "berth-test/busybox:1",
          imagePullPolicy: "IfNotPresent",
          restartPolicy: "Always",
        },
      ],
      logs: { retainLines: 10000 },
      metrics: { enabled: true, intervalSeconds: 2 },
    },
    status: { phase: "Running", observedGeneration: 1 },
    transitions: [],
    file: `/specs/${name}.yaml`,
    line: 1,
    specErrors: [],
    creationTimestamp: "2025-01-01T00:00:00Z",
    hash: "ab".repeat(32),
    ...over,
  };
}

/** A call the fake recorded. */
export interface Call {
  method: string;
  args: unknown[];
}

/**
 * A ProjectApi over a list of views that records every call. Names starting with "missing" are
 * not found; expectedHash "stale" conflicts; apply text containing "invalid" has spec errors, and
 * with `atomic: false` text containing "partly" fails for default/bad;
 * `wait` decides how waits end (default: converged at once); "boom" makes list() throw.
 */
export class FakeApi implements ProjectApi {
  readonly calls: Call[] = [];
  wait: (results: readonly WriteResult[], options: WaitOptions) => Promise<WaitResult> = () =>
    Promise.resolve({ outcome: "converged", message: "Running (1/1 ready)" });

  /** Conditions info() reports (what is not watched). */
  conditions: SpecWatchCondition[] = [];

  constructor(public views: ProjectView[] = [view("web")]) {}

  info() {
    const base = {
      dir: "/specs",
      version: "0.0.0-test",
      pid: 42,
      http: "http://127.0.0.1:7420",
      ready: true,
    };
    return this.conditions.length ? { ...base, conditions: this.conditions } : base;
  }

  list(filter: ProjectFilter = {}): ProjectView[] {
    this.calls.push({ method: "list", args: [filter] });
    if (filter.labelSelector === "boom") throw new Error("database exploded: secret detail");
    if (filter.labelSelector === "bad") throw new BadRequestError("invalid label selector", "use key=value");
    return this.views.filter((v) => !filter.namespace || v.namespace === filter.namespace);
  }

  get(namespace: string, name: string): ProjectView {
    const found = this.views.find((v) => v.namespace === namespace && v.name === name);
    if (!found) throw new ProjectNotFoundError(`${namespace}/${name}`);
    return found;
  }

  errors() {
    return [
      {
        code: "Syntax" as const,
        file: "/specs/bad.yaml",
        line: 3,
        column: 5,
        path: "",
        message: "YAML syntax error: x",
      },
    ];
  }

  async apply(text: string, options: ApplyOptions = {}): Promise<ApplyResponse> {
    this.calls.push({ method: "apply", args: [text, options] });
    if (text.includes("invalid")) {
      throw new SpecInvalidError([
        {
          code: "Schema",
          file: "request",
          line: 4,
          column: 3,
          path: "spec",
          message: "must have required property 'containers'",
        },
      ]);
    }
    if (options.atomic === false && text.includes("partly")) {
      const failure = { key: "default/bad", error: new ConflictError("default/bad", "was changed") };
      return { ...this.respond("default/web", "updated", options), failures: [failure], projects: [] };
    }
    return { ...this.respond("default/web", "updated", options), failures: [], projects: [] };
  }

  async delete(namespace: string, name: string, options: WriteOptions = {}): Promise<WriteResponse> {
    return this.write("delete", namespace, name, options, "deleted", []);
  }

  async setState(
    namespace: string,
    name: string,
    state: DesiredState,
    options: WriteOptions = {},
  ): Promise<WriteResponse> {
    return this.write("setState", namespace, name, options, "updated", [state]);
  }

  async restart(namespace: string, name: string, options: WriteOptions = {}): Promise<WriteResponse> {
    return this.write("restart", namespace, name, options, "updated", []);
  }

  waitForWrites(results: readonly WriteResult[], options: WaitOptions): Promise<WaitResult> {
    this.calls.push({ method: "waitForWrites", args: [results, options.timeoutMs] });
    return this.wait(results, options);
  }

  private async write(
    method: string,
    namespace: string,
    name: string,
    options: WriteOptions,
    action: WriteResult["action"],
    extra: unknown[],
  ): Promise<WriteResponse> {
    this.calls.push({ method, args: [namespace, name, ...extra, options] });
    const key = `${namespace}/${name}`;
    if (name.startsWith("missing")) throw new ProjectNotFoundError(key);
    if (options.expectedHash === "stale") throw ConflictError.hashMismatch(key, "stale", "cd".repeat(32));
    return this.respond(key, action, options);
  }

  private respond(key: string, action: WriteResult["action"], options: { dryRun?: boolean }): WriteResponse {
    const [namespace = "", name = ""] = key.split("/");
    const dryRun = options.dryRun === true;
    return { dryRun, results: [{ key, namespace, name, file: `/specs/${name}.yaml`, action, dryRun }] };
  }
}
