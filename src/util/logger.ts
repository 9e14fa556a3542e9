/** Structured fields attached to a log line. Error values are written with name, message and stack. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Severity of a log line, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/**
 * A structured logger. Methods never throw and never block on I/O (the stream buffers).
 * Anything in `src/` that wants to report something takes a Logger instead of using `console`.
 */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** The part of a writable stream the logger needs. */
export interface LogStream {
  write(chunk: string): unknown;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lines below this level are dropped; default `info`. */
  level?: LogLevel;
  /** Default `process.stderr`. */
  stream?: LogStream;
  /** `json` (one JSON object per line, the default) or `logfmt`. */
  format?: "json" | "logfmt";
  /** Source of the `time` field; default the wall clock. */
  now?: () => Date;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger that drops everything. */
export const nopLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * A logger that writes one line per call to `stream`: `time`, `level`, `msg`, then the fields.
 * Fields that cannot be serialised (cycles, BigInt) are written as strings instead of throwing.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const min = LEVELS[options.level ?? "info"];
  const stream = options.stream ?? process.stderr;
  const format = options.format === "logfmt" ? formatLogfmt : formatJson;
  const now = options.now ?? (() => new Date());
  const log =
    (level: LogLevel) =>
    (msg: string, fields?: LogFields): void => {
      if (LEVELS[level] < min) return;
      const time = now().toISOString();
      // Fields cannot overwrite the three standard keys, which stay first.
      const head = { time, level, msg };
      const record = Object.assign({}, head, fields, head);
      try {
        stream.write(format(record) + "\n");
      } catch {
        // A logger must not take its caller down; a broken stream loses the line.
      }
    };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A logger that adds `fields` to every line written through `logger` (call-site fields win). */
export function withFields(logger: Logger, fields: LogFields): Logger {
  const wrap =
    (fn: (msg: string, f?: LogFields) => void) =>
    (msg: string, f?: LogFields): void =>
      fn(msg, { ...fields, ...f });
  return {
    debug: wrap((m, f) => logger.debug(m, f)),
    info: wrap((m, f) => logger.info(m, f)),
    warn: wrap((m, f) => logger.warn(m, f)),
    error: wrap((m, f) => logger.error(m, f)),
  };
}

function serialisable(value: unknown): unknown {
  if (value instanceof Error) {
    const out: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
    if (value.cause !== undefined) out["cause"] = value.cause; // the replacer visits it next
    return out;
  }
  if (typeof value === "bigint") return value.toString();
  return value;
}

function formatJson(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record, (_k, v: unknown) => serialisable(v));
  } catch {
    const safe = Object.fromEntries(Object.entries(record).map(([k, v]) => [k, String(v)]));
    return JSON.stringify(safe);
  }
}

function formatLogfmt(record: Record<string, unknown>): string {
  return Object.entries(record)
    .map(([key, value]) => `${key}=${logfmtValue(value)}`)
    .join(" ");
}

function logfmtValue(value: unknown): string {
  let text: string;
  if (value instanceof Error)
    text = value.cause === undefined ? value.message : `${value.message}: ${String(value.cause)}`;
  else if (typeof value === "string") text = value;
  else if (value === undefined || value === null || typeof value !== "object") text = String(value);
  else text = formatJson(value as Record<string, unknown>);
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}
