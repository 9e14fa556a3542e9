/**
 * The contracts every layer shares, and the only way other folders reach them: the Project
 * resource's types, validation and hashing; the mode-neutral desired project; observed status;
 * the write contract and its errors; merge patches; keys and phases.
 */
export { originLabel, SPEC_WATCH_PROBLEM_REASONS } from "./desired.js";
export type {
  DesiredProject,
  DesiredReader,
  ProjectOrigin,
  SpecWatchCondition,
  SpecWatchProblemReason,
} from "./desired.js";
export { SpecInvalidError, formatSpecError } from "./errors.js";
export type { SpecError, SpecErrorCode } from "./errors.js";
export { canonicalJson, hashOf, specHash } from "./hash.js";
export { keyOf, projectKey, splitKey } from "./keys.js";
export { collectSpecFiles, isSpecFile, loadSpecFiles, splitDuplicates } from "./load.js";
export { MAX_ALIASES, MAX_SPEC_BYTES, parseProjects } from "./parse.js";
export type { ParseResult, ParsedProject } from "./parse.js";
export { applyProjectPatch, checkProjectPatch } from "./patch.js";
export type { ProjectPatch } from "./patch.js";
export { parseCpu, parseMemory } from "./quantity.js";
export { SPEC_READ_TIMEOUT_MS, readSpecFile, readSpecText } from "./spec-file.js";
export type { SpecReadFailure } from "./spec-file.js";
export type { StatusEntry, StatusReader, Transition } from "./status.js";
export { API_VERSION, KIND, PHASES, RESTARTED_AT_ANNOTATION, WATCH_ACTIONS } from "./types.js";
export type {
  Condition,
  ConditionType,
  ContainerSpec,
  ContainerStatus,
  Dependency,
  DependencyCondition,
  DesiredState,
  DevelopSpec,
  EnvFromSource,
  EnvVar,
  Phase,
  PortStatus,
  Project,
  ProjectSpec,
  ProjectStatus,
  Protocol,
  RestartPolicy,
  SecretKeyRef,
  SyncRecord,
  VolumeMount,
  VolumeRetain,
  VolumeSpec,
  WatchAction,
  WatchRule,
} from "./types.js";
export { schemaValidator } from "./validator.js";
export {
  BadRequestError,
  ConflictError,
  FileInvalidError,
  PathEscapeError,
  PayloadTooLargeError,
  ProjectNotFoundError,
  ServiceError,
} from "./write-errors.js";
export type { ServiceErrorCode } from "./write-errors.js";
export type { ApplyItem, SpecWriter, WriteAction, WriteOptions, WriteResult } from "./writes.js";
