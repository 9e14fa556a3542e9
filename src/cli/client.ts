import type { ProjectView } from "../service/view.js";
import type { WaitResult } from "../service/wait.js";
import {
  API_PREFIX,
  type ErrorBody,
  type ErrorList,
  type InfoResponse,
  type ProjectList,
  type WaitLine,
  type WriteBody,
} from "../http/wire.js";
import { missingTokenHint, type FoundToken } from "./credentials.js";
import { CliError } from "./io.js";
import { type DesiredState, formatSpecError, type SpecError } from "../api/index.js";

/** Where the CLI finds the daemon unless `--server` or BERTH_SERVER says otherwise. */
export const DEFAULT_SERVER = "http://127.0.0.1:7420";

/** Options of {@link DaemonClient}. */
export interface DaemonClientOptions {
  /** Base URL of the daemon, e.g. http://127.0.0.1:7420. */
  server: string;
  /** The bearer token, or where to find it (looked up once, on the first request). */
  token?: string | (() => Promise<FoundToken>);
  /** Timeout of a request that does not wait for convergence; default 30 s. */
  requestTimeoutMs?: number;
}

/** Options of a write call. */
export interface WriteCallOptions {
  dryRun?: boolean;
  /** Wait for convergence, streaming progress to `onProgress`. */
  wait?: boolean;
  timeoutMs?: number;
  expectedHash?: string;
  onProgress?: (message: string) => void;
}

/**
 * A write's results (and, for a non-atomic apply, the projects that failed), plus how the wait
 * ended when the call waited.
 */
export type WriteCallResult = WriteBody & { wait?: WaitResult };

/** The daemon answered with an error; `code` is the API's stable code. */
export class DaemonError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    hint?: string,
    readonly specErrors: readonly SpecError[] = [],
  ) {
    // the message already carries the hint line
    super(message, 1, hint);
  }
}

/**
 * A client of the daemon's REST API over fetch. Every method makes one request, is not retried,
 * and throws CliError: a DaemonError for an error response, and a message that says how to start
 * the daemon when it cannot be reached.
 */
export class DaemonClient {
  private readonly base: string;
  private found: Promise<FoundToken> | undefined;

  constructor(private readonly options: DaemonClientOptions) {
    let url: URL;
    try {
      url = new URL(options.server);
    } catch {
      throw new CliError(`invalid server URL "${options.server}"; use e.g. ${DEFAULT_SERVER}`, 2);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new CliError(`invalid server URL "${options.server}": use http:// or https://`, 2);
    }
    this.base = options.server.replace(/\/+$/, "");
  }

  /** `GET /api/v1/projects`. */
  async list(
    query: { namespace?: string; labelSelector?: string; phase?: string } = {},
  ): Promise<ProjectView[]> {
    const q = new URLSearchParams(
      Object.entries(query).filter(([, v]) => v !== undefined) as [string, string][],
    );
    const suffix = q.toString() ? `?${q}` : "";
    return (await this.json<ProjectList>("GET", `${API_PREFIX}/projects${suffix}`)).items;
  }

  /** `GET /api/v1/projects/{ns}/{name}`; DaemonError code NotFound when it does not exist. */
  get(namespace: string, name: string): Promise<ProjectView> {
    return this.json<ProjectView>("GET", projectPath(namespace, name));
  }

  /** `GET /api/v1/errors`. */
  async errors(): Promise<SpecError[]> {
    return (await this.json<ErrorList>("GET", `${API_PREFIX}/errors`)).errors;
  }

  /** `POST /api/v1/login-links`: a new one-time dashboard login URL. */
  loginLink(): Promise<{ url: string; expiresInSeconds: number }> {
    return this.json("POST", `${API_PREFIX}/login-links`);
  }

  /** `GET /api/v1/info`. */
  info(): Promise<InfoResponse> {
    return this.json<InfoResponse>("GET", `${API_PREFIX}/info`);
  }

  /** `POST /api/v1/projects` with YAML text. */
  apply(text: string, options: WriteCallOptions = {}): Promise<WriteCallResult> {
    return this.write("POST", `${API_PREFIX}/projects`, options, text, "application/yaml");
  }

  /** `DELETE /api/v1/projects/{ns}/{name}`. */
  delete(namespace: string, name: string, options: WriteCallOptions = {}): Promise<WriteCallResult> {
    return this.write("DELETE", projectPath(namespace, name), options);
  }

  /** `PUT /api/v1/projects/{ns}/{name}/state`. */
  setState(
    namespace: string,
    name: string,
    state: DesiredState,
    options: WriteCallOptions = {},
  ): Promise<WriteCallResult> {
    const body = JSON.stringify({ state });
    return this.write("PUT", `${projectPath(namespace, name)}/state`, options, body, "application/json");
  }

  /** `POST /api/v1/projects/{ns}/{name}/restart`. */
  restart(namespace: string, name: string, options: WriteCallOptions = {}): Promise<WriteCallResult> {
    return this.write("POST", `${projectPath(namespace, name)}/restart`, options);
  }

  /** `POST /api/v1/projects/{ns}/{name}/volumes/{volume}/reset`: empties a named volume. */
  async resetVolume(
    namespace: string,
    name: string,
    volume: string,
  ): Promise<{ project: string; volume: string; dockerName: string; restarted: string[] }> {
    const path = `${projectPath(namespace, name)}/volumes/${encodeURIComponent(volume)}/reset`;
    return (await (await this.fetch("POST", path, { timeoutMs: 150_000 })).json()) as {
      project: string;
      volume: string;
      dockerName: string;
      restarted: string[];
    };
  }

  /**
   * A GET whose body the caller reads (log queries, `follow=true` streams); errors as above. With
   * `stream`, no deadline applies once the daemon has answered; `signal` ends the request (and
   * its body) when it aborts.
   */
  async getBody(path: string, options: { stream?: boolean; signal?: AbortSignal } = {}): Promise<Response> {
    return this.fetch("GET", path, { timeoutMs: options.stream ? 0 : undefined, signal: options.signal });
  }

  /** A POST without a body whose JSON answer the caller reads (e.g. `/api/v1/gc`); errors as above. */
  async postJson<T>(path: string, options: { timeoutMs?: number } = {}): Promise<T> {
    return (await (await this.fetch("POST", path, { timeoutMs: options.timeoutMs })).json()) as T;
  }

  /**
   * The WebSocket URL of an API path (`ws://` or `wss://`) and the headers that authorise it (the
   * bearer token; no Origin, so the server's same-origin check passes), for streaming endpoints.
   * `hint` is set when no token was found, for a refused upgrade's message.
   */
  async socketTarget(path: string): Promise<{ url: string; headers: Record<string, string>; hint?: string }> {
    const credential = await this.credential();
    const headers: Record<string, string> = {};
    if (credential.token) headers["authorization"] = `Bearer ${credential.token}`;
    const url = `${this.base.replace(/^http/, "ws")}${path}`;
    const hint =
      "tried" in credential && credential.tried.length ? missingTokenHint(credential.tried) : undefined;
    return { url, headers, ...(hint ? { hint } : {}) };
  }

  private async write(
    method: string,
    path: string,
    options: WriteCallOptions,
    body?: string,
    contentType?: string,
  ): Promise<WriteCallResult> {
    const q = new URLSearchParams();
    if (options.dryRun) q.set("dryRun", "true");
    if (options.wait) q.set("wait", "true");
    if (options.wait && options.timeoutMs !== undefined)
      q.set("timeout", `${Math.ceil(options.timeoutMs / 1000)}s`);
    const headers: Record<string, string> = {};
    if (contentType) headers["content-type"] = contentType;
    if (options.expectedHash) headers["if-match"] = `"${options.expectedHash}"`;
    const waitMs = options.wait ? (options.timeoutMs ?? 60_000) + 30_000 : undefined;
    const res = await this.fetch(method, `${path}${q.toString() ? `?${q}` : ""}`, {
      body,
      headers,
      timeoutMs: waitMs,
    });
    if (!res.headers.get("content-type")?.includes("ndjson")) return (await res.json()) as WriteCallResult;
    return readWaitStream(res, options.onProgress);
  }

  private async json<T>(method: string, path: string): Promise<T> {
    return (await (await this.fetch(method, path, {})).json()) as T;
  }

  private async fetch(
    method: string,
    path: string,
    init: {
      body?: string | undefined;
      headers?: Record<string, string>;
      timeoutMs?: number | undefined;
      signal?: AbortSignal | undefined;
    },
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json", ...init.headers };
    const credential = await this.credential();
    if (credential.token) headers["authorization"] = `Bearer ${credential.token}`;
    const timeoutMs = init.timeoutMs ?? this.options.requestTimeoutMs ?? 30_000;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(init.body !== undefined ? { body: init.body } : {}),
        ...requestSignal(timeoutMs, init.signal),
      });
    } catch (err) {
      if (init.signal?.aborted) throw err;
      throw this.unreachable(err);
    }
    if (!res.ok) {
      const err = await errorFrom(res);
      if (res.status === 401 && "tried" in credential) {
        const hint = missingTokenHint(credential.tried);
        throw new DaemonError(401, err.code, `${err.message.split("\n")[0] ?? ""}\nhint: ${hint}`, hint);
      }
      throw err;
    }
    return res;
  }

  private credential(): Promise<FoundToken> {
    const { token } = this.options;
    if (token === undefined) return Promise.resolve({ tried: [] });
    if (typeof token === "string") return Promise.resolve({ token, from: "--token" });
    this.found ??= token();
    return this.found;
  }

  private unreachable(err: unknown): CliError {
    const why = describeNetworkError(err);
    return new CliError(
      `cannot reach the Berth daemon at ${this.base} (${why}); start it with: berth run --dir DIR`,
    );
  }
}

function requestSignal(timeoutMs: number, signal: AbortSignal | undefined): { signal?: AbortSignal } {
  const signals = [...(timeoutMs > 0 ? [AbortSignal.timeout(timeoutMs)] : []), ...(signal ? [signal] : [])];
  if (signals.length === 0) return {};
  return { signal: AbortSignal.any(signals) };
}

/** The API path of a project. Pure. */
export function projectPath(namespace: string, name: string): string {
  return `${API_PREFIX}/projects/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;
}

async function errorFrom(res: Response): Promise<DaemonError> {
  const text = await res.text().catch(() => "");
  let body: ErrorBody | undefined;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // not one of ours: a proxy or another program on the port
  }
  if (!body?.error) {
    const snippet = text.trim().slice(0, 200);
    return new DaemonError(
      res.status,
      "Http",
      `the server answered ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ""}`,
    );
  }
  const { code, message, hint, details } = body.error;
  const specErrors = details?.errors ?? [];
  const lines = [message, ...specErrors.map((e) => `  ${formatSpecError(e)}`)];
  if (hint && !message.includes(hint)) lines.push(`hint: ${hint}`);
  return new DaemonError(res.status, code, lines.join("\n"), hint, specErrors);
}

async function readWaitStream(
  res: Response,
  onProgress?: (message: string) => void,
): Promise<WriteCallResult> {
  const decoder = new TextDecoder();
  let buffer = "";
  let result: WriteCallResult | undefined;
  const handle = (line: string) => {
    if (line.trim() === "") return;
    const value = JSON.parse(line) as WaitLine;
    if ("progress" in value) onProgress?.(value.progress);
    else if ("result" in value) result = value.result;
    else if ("error" in value)
      throw new DaemonError(500, value.error.code, value.error.message, value.error.hint);
  };
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        handle(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
      }
    }
    handle(buffer + decoder.decode());
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`lost the connection to the daemon while waiting (${describeNetworkError(err)})`);
  }
  if (!result)
    throw new CliError("the daemon ended the wait without a result; check the project with: berth get");
  return result;
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host not found",
  ECONNRESET: "connection reset",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_CONNECT_TIMEOUT: "connection timed out",
  UND_ERR_SOCKET: "connection closed",
};

/** A short reason for a fetch failure: "connection refused", "timed out after 30s", ... */
export function describeNetworkError(err: unknown): string {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== "object" || seen.has(e)) continue;
    seen.add(e);
    const { code, name, cause, errors } = e as {
      code?: unknown;
      name?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === "string" && REASONS[code]) return REASONS[code];
    if (name === "TimeoutError") return "the request timed out";
    queue.push(cause, ...(Array.isArray(errors) ? (errors as unknown[]) : []));
  }
  return err instanceof Error ? err.message : String(err);
}
