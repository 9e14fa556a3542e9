/**
 * The Docker runtime's entry: the narrow {@link DockerClient} interface (client.ts) and its
 * dockerode implementation ({@link createDockerClient}, dockerode-client.ts).
 */
export type {
  BuildImageSpec,
  CallOptions,
  ContainerCreateSpec,
  ContainerInspectInfo,
  ContainerSummary,
  DockerClient,
  EventsOptions,
  FollowLogsOptions,
  NetworkCreateSpec,
  NetworkSummary,
} from "./client.js";
export type { DockerEvent, DockerEventStream, ProgressListener, ProgressMessage } from "./docker-streams.js";
export { createDockerClient } from "./dockerode-client.js";
export type { DockerClientOptions, DockerodeClient } from "./dockerode-client.js";
export type {
  DockerExec,
  ExecChunk,
  ExecCreateSpec,
  ExecSession,
  ExecState,
  ExecStreamName,
} from "./exec.js";
export type { DockerVolumes, VolumeCreateSpec, VolumeSummary } from "./volumes.js";
export { LABEL_RETAIN, LABEL_VOLUME } from "./volumes.js";
export type { DockerImages, ImageSummary } from "./images.js";
export type { DockerSync } from "./sync.js";
