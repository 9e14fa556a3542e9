import { BerthError } from "../util/errors.js";

/** Where something is in a compose file (1-based line and column). */
export interface ComposeLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * A compose project that cannot be loaded: a file that is missing or not YAML, a schema
 * violation, a failed `${VAR:?err}`, a cycle of `extends`. Carries the location.
 */
export class ComposeLoadError extends BerthError {
  override name = "ComposeLoadError";
  readonly location: ComposeLocation;
  /** The compose key path, e.g. `services.web.ports[0]`; empty for the whole file. */
  readonly path: string;

  constructor(
    location: ComposeLocation,
    path: string,
    message: string,
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super(
      `${location.file}:${location.line}:${location.column}${path ? ` ${path}` : ""}: ${message}`,
      options,
    );
    this.location = location;
    this.path = path;
  }
}
