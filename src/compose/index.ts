/**
 * The compose loader's public surface: load a compose project as Docker Compose v2 does, convert
 * it to a Berth Project with a loss report, and serve compose files as desired state.
 */
export { ComposeLoadError } from "./errors.js";
export type { ComposeLocation } from "./errors.js";
export { SERVICE_KEY_RULES, formatFinding } from "./findings.js";
export type { Finding, Severity } from "./findings.js";
export { interpolate, InterpolationError } from "./interpolate.js";
export { parseDotenv } from "./dotenv.js";
export { loadComposeProject, normalizeProjectName } from "./loader.js";
export type { LoadComposeOptions } from "./loader.js";
export { COMPOSE_FILE_ANNOTATION, convertProject } from "./map-project.js";
export { MAPPED_SERVICE_KEYS, berthName } from "./map-service.js";
export type { BerthExtension, Conversion, ConvertOptions } from "./map-project.js";
export type { ComposeProject, LoadedService } from "./model.js";
export { COMPOSE_SCHEMA_VERSION } from "./schema.js";
export { COMPOSE_FILE_NAMES, isComposeFile, parseComposeSpec } from "./spec-source.js";
export type { ComposeParse, ComposeSourceOptions } from "./spec-source.js";
