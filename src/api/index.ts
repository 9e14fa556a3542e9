export { API_GROUP, API_VERSION, KIND, SCHEMA_KEY_MAPS } from "./types.js";
export type {
  BuildSpec,
  Condition,
  ConditionStatus,
  ConditionType,
  ContainerSpec,
  ContainerStatus,
  DesiredState,
  EnvVar,
  HealthCheck,
  ObjectMeta,
  Phase,
  PortSpec,
  PortStatus,
  Project,
  ProjectSpec,
  ProjectStatus,
  Protocol,
  PullPolicy,
  RestartPolicy,
  VolumeMount,
} from "./types.js";
export { formatSpecError, SpecInvalidError } from "./errors.js";
export type { SpecError, SpecErrorCode } from "./errors.js";
export { MAX_ALIASES, MAX_SPEC_BYTES, parseProjects } from "./parse.js";
export type { ParsedProject, ParseResult } from "./parse.js";
export { collectSpecFiles, isSpecFile, loadSpecFiles, projectKey, splitDuplicates } from "./load.js";
export type { LoadResult } from "./load.js";
export { readSpecFile, readSpecText, SPEC_READ_TIMEOUT_MS } from "./spec-file.js";
export type { SpecReadFailure, SpecReadOptions } from "./spec-file.js";
export { canonicalJson, hashOf, specHash } from "./hash.js";
export { parseCpu, parseMemory } from "./quantity.js";
