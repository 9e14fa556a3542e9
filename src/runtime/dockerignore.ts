/**
 * `.dockerignore` as `docker build` applies it to a build context: the file is read the way
 * moby's ignorefile reads it, paths are matched with @balena/dockerignore (a port of moby's
 * matcher: `*` within one path segment, `**` across them, a pattern that matches a directory
 * also covers what is below it, a later `!` exception brings paths back), and `.dockerignore`
 * and the Dockerfile are always sent. Pure.
 */
import { posix } from "node:path";
import dockerignore from "@balena/dockerignore";

// A CommonJS module whose typings declare an ES default export; its `default` is the factory.
const ignore = dockerignore.default;

/** The ignore file's name at the root of a build context. */
export const DOCKERIGNORE = ".dockerignore";

/** Go's filepath.Clean for `/`-separated paths: no `.`, `..` folded, no trailing `/`. */
function cleanPath(path: string): string {
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith("/") ? clean.slice(0, -1) : clean;
}

/**
 * The patterns of a `.dockerignore` text, as Docker reads them: a UTF-8 BOM dropped, lines
 * starting with `#` and blank lines skipped, each pattern trimmed and cleaned, a leading `/`
 * dropped (patterns are relative to the context), `!` kept in front of exceptions.
 */
export function readIgnorePatterns(text: string): string[] {
  const patterns: string[] = [];
  for (const line of text.replace(/^\uFEFF/, "").split(/\r?\n/)) {
    if (line.startsWith("#")) continue;
    let pattern = line.trim();
    if (pattern === "") continue;
    const exception = pattern.startsWith("!");
    if (exception) pattern = pattern.slice(1).trim();
    if (pattern !== "") {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith("/")) pattern = pattern.slice(1);
    }
    patterns.push(exception ? `!${pattern}` : pattern);
  }
  return patterns;
}

/** Decides, path by path, what of a build context is sent; see {@link contextFilter}. */
export interface ContextFilter {
  /** Whether `path` (relative, `/`-separated) is left out of the context. */
  excludes(path: string): boolean;
  /**
   * Whether an excluded directory must still be walked because an exception pattern names a
   * path below it (Docker's rule: the exception, read literally, starts with `dir/`).
   */
  mayIncludeBelow(dir: string): boolean;
}

/**
 * The filter for a context with these `.dockerignore` patterns and this Dockerfile (relative to
 * the context). As `docker build` does, `.dockerignore` and the Dockerfile get an exception
 * when a pattern excludes them, so the daemon always receives both.
 */
export function contextFilter(patterns: readonly string[], dockerfile = "Dockerfile"): ContextFilter {
  const all = [...patterns];
  const first = ignore({ ignorecase: false }).add(all);
  const dockerfilePath = cleanPath(dockerfile.replaceAll("\\", "/"));
  const inside =
    dockerfilePath !== ".." && !dockerfilePath.startsWith("../") && !dockerfilePath.startsWith("/");
  for (const file of inside ? [DOCKERIGNORE, dockerfilePath] : [DOCKERIGNORE]) {
    if (first.ignores(file)) all.push(`!${file}`);
  }
  const matcher = ignore({ ignorecase: false }).add(all);
  const exceptions = all.filter((p) => p.startsWith("!")).map((p) => `${p.slice(1)}/`);
  return {
    excludes: (path) => matcher.ignores(path),
    mayIncludeBelow: (dir) => exceptions.some((p) => p.startsWith(`${dir}/`)),
  };
}

/**
 * The filter for plain `.dockerignore` patterns, with none of a build's exceptions (the dev
 * loop's `ignore` rules and the `.dockerignore` of a watched path). Pure.
 */
export function patternFilter(patterns: readonly string[]): ContextFilter {
  const matcher = ignore({ ignorecase: false }).add([...patterns]);
  const exceptions = patterns.filter((p) => p.startsWith("!")).map((p) => `${p.slice(1)}/`);
  return {
    excludes: (path) => path !== "" && matcher.ignores(path),
    mayIncludeBelow: (dir) => exceptions.some((p) => p.startsWith(`${dir}/`)),
  };
}
