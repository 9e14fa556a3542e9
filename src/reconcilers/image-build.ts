/**
 * Builds of `build:` images that follow their source: the image is tagged with the digest of its
 * build inputs (context less `.dockerignore`, Dockerfile path, build args; see
 * runtime/build-digest.ts) as well as with the spec's `image`, so an unchanged source never
 * rebuilds and a changed one always does. Build output goes to the project's log stream.
 */
import { buildTag, repositoryOf, type BuildDigester } from "../runtime/build-digest.js";
import type { CallOptions, DockerClient, ProgressMessage } from "../runtime/docker.js";
import type { DockerImages } from "../runtime/images.js";
import { LABEL_CONTAINER, LABEL_PROJECT, projectLabelValue } from "../runtime/labels.js";
import type { ContainerSpec } from "../api/index.js";

/** `berth.dev/build-digest=<sha256:...>` on every image Berth builds. */
export const LABEL_BUILD_DIGEST = "berth.dev/build-digest";

/** Where build output lines go: the project's log stream, under the container's name. */
export type BuildOutput = (project: string, container: string, line: string) => void;

/** The Docker calls a build needs. */
export type BuildDocker = Pick<DockerClient, "inspectImage" | "buildImage"> & Pick<DockerImages, "tagImage">;

/** Why a build failed: the builder's message and the step it was at. */
export class BuildFailure extends Error {
  override readonly name = "BuildFailure";
  constructor(
    message: string,
    /** The last `Step n/m : ...` (or BuildKit `#n [...]`) line before the failure, if any. */
    readonly step: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A built (or found) image for a container. */
export interface BuiltImage {
  id: string;
  /** `repo:src-<16 hex>`. */
  digestRef: string;
  digest: string;
}

/**
 * The digest reference of `c` for the context at `contextDir` (reads the context; no Docker call),
 * leaving `exclude` (context paths the dev loop syncs) out of the digest.
 */
export async function digestRefOf(
  digester: BuildDigester,
  c: ContainerSpec,
  contextDir: string,
  exclude?: readonly string[],
): Promise<{ digest: string; digestRef: string }> {
  const input = { dockerfile: c.build?.dockerfile, args: c.build?.args, exclude };
  const digest = await digester.digest(contextDir, input);
  return { digest, digestRef: `${repositoryOf(c.image)}:${buildTag(digest)}` };
}

/**
 * Finds or builds the image of `c` for `digestRef`: an image already tagged with it is reused
 * (and `c.image` pointed at it again); otherwise the context is built with both tags and labels
 * naming the project, the container and the digest. Throws BuildFailure.
 */
export async function ensureBuilt(
  docker: BuildDocker,
  c: ContainerSpec,
  target: { contextDir: string; project: string | undefined; digest: string; digestRef: string },
  output: BuildOutput | undefined,
  opts: CallOptions,
): Promise<BuiltImage> {
  const { digest, digestRef, project } = target;
  const existing = await docker.inspectImage(digestRef, opts);
  if (existing) {
    const named = await docker.inspectImage(c.image, opts);
    if (named !== existing) await docker.tagImage(existing, repositoryOf(c.image), tagOf(c.image), opts);
    return { id: existing, digestRef, digest };
  }
  let step: string | undefined;
  let partial = "";
  const emit = (line: string): void => {
    if (/^Step \d+\/\d+ : /.test(line) || /^#\d+ \[/.test(line)) step = line;
    if (project !== undefined) output?.(project, c.name, line);
  };
  const onProgress = (msg: ProgressMessage): void => {
    const text = typeof msg["stream"] === "string" ? msg["stream"] : undefined;
    if (text === undefined) return;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) if (l.trim() !== "") emit(l.replace(/\r$/, ""));
  };
  const labels: Record<string, string> = { [LABEL_BUILD_DIGEST]: digest, [LABEL_CONTAINER]: c.name };
  if (project !== undefined) labels[LABEL_PROJECT] = projectLabelValue(project);
  try {
    const id = await docker.buildImage({
      contextDir: target.contextDir,
      dockerfile: c.build?.dockerfile,
      ...(c.build?.args ? { buildArgs: c.build.args } : {}),
      tag: c.image,
      extraTags: [digestRef],
      labels,
      onProgress,
      signal: opts.signal,
    });
    if (partial.trim() !== "") emit(partial);
    return { id, digestRef, digest };
  } catch (err) {
    if (partial.trim() !== "") emit(partial);
    const detail = (err as Error).message;
    const at = step ? ` at "${step}"` : "";
    if (project !== undefined) output?.(project, c.name, `build failed${at}: ${detail.split("\n")[0] ?? ""}`);
    throw new BuildFailure(`building ${c.image} from ${target.contextDir} failed${at}: ${detail}`, step, {
      cause: err,
    });
  }
}

/** The tag part of a reference (`latest` when it has none). Pure. */
export function tagOf(ref: string): string {
  const repo = repositoryOf(ref);
  const rest = ref.slice(repo.length);
  return rest.startsWith(":") ? rest.slice(1).split("@")[0] || "latest" : "latest";
}
