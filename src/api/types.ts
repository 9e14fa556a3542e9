/**
 * TypeScript view of the Project resource (berth.dev/v1alpha1) after validation and defaulting.
 * The CRD in crds/projects.berth.dev.yaml is the source of truth; the key maps at the end of this
 * file are checked against it by test/unit/api/types-drift.test.ts, so the two cannot drift apart.
 */

/** The annotation whose change makes the reconciler restart a project's containers (RFC 3339 time). */
export const RESTARTED_AT_ANNOTATION = "berth.dev/restartedAt";

export const API_GROUP = "berth.dev";
export const API_VERSION = "berth.dev/v1alpha1";
export const KIND = "Project";

export type DesiredState = "Running" | "Stopped";
export type PullPolicy = "Always" | "IfNotPresent" | "Never";
export type RestartPolicy = "Always" | "OnFailure" | "Never";
export type Protocol = "TCP" | "UDP";
/**
 * Every phase of a project, in lifecycle order: the CRD's `status.phase` enum, the label values of
 * the `berth_projects{phase}` gauge, and the choices of phase filters. The dashboard keeps a copy
 * (web/src/types.ts) that a unit test compares with this one.
 */
export const PHASES = ["Pending", "Progressing", "Running", "Degraded", "Stopped", "Failed"] as const;
export type Phase = (typeof PHASES)[number];
export type ConditionStatus = "True" | "False" | "Unknown";
export type ConditionType =
  "Ready" | "SpecValid" | "PortsAllocated" | "ImageAvailable" | "Progressing" | "Synced";

export interface ObjectMeta {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  generation?: number;
  creationTimestamp?: string;
  resourceVersion?: string;
  uid?: string;
}

/**
 * Where a secret's value comes from. Exactly one: a file (resolved like a volume's `hostPath`), a
 * variable of the operator's own environment, or (`secretKeyRef`, kube mode) a key of a Kubernetes
 * Secret in the project's namespace. The value itself never appears in a spec, status or message.
 */
export interface SecretSource {
  file?: string;
  env?: string;
}

/** A key of a Kubernetes Secret in the project's namespace, as in a Pod's `valueFrom`. */
export interface SecretKeyRef {
  name: string;
  key: string;
}

/** Where an environment variable's value comes from instead of `value`. */
export interface EnvVarSource {
  secret?: SecretSource;
  secretKeyRef?: SecretKeyRef;
}

/** One environment variable: a plain `value`, or a value from a secret (`valueFrom`). */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: EnvVarSource;
}

/** An env file (dotenv) whose variables a container gets; `env` entries override them. */
export interface EnvFromSource {
  file: string;
}

/** What happens to a named volume when its project is deleted. */
export type VolumeRetain = "Keep" | "Delete";

/** A named volume of the project (Docker volume `berth-<ns>-<name>-<volume>`). */
export interface VolumeSpec {
  name: string;
  retain: VolumeRetain;
}

export interface PortSpec {
  name?: string;
  containerPort: number;
  hostPort: number;
  protocol: Protocol;
}

/** A mount: exactly one of a host directory (`hostPath`) or a named volume of the project (`volume`). */
export interface VolumeMount {
  hostPath?: string;
  volume?: string;
  mountPath: string;
  readOnly: boolean;
}

export interface Resources {
  memory?: string | number;
  cpu?: string | number;
}

export interface BuildSpec {
  context: string;
  dockerfile: string;
  /** `--build-arg` values; covered by the build digest. */
  args?: Record<string, string>;
}

export interface ExecAction {
  command: string[];
}

export interface HttpGetAction {
  path: string;
  port: string | number;
}

export interface TcpSocketAction {
  port: string | number;
}

export interface HealthCheck {
  exec?: ExecAction;
  httpGet?: HttpGetAction;
  tcpSocket?: TcpSocketAction;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  initialDelaySeconds: number;
}

/** What a dependency must reach before its dependent is created. */
export type DependencyCondition = "Started" | "Healthy" | "Completed";

/** One entry of `dependsOn`: another container of the project and the condition it must reach. */
export interface Dependency {
  name: string;
  condition: DependencyCondition;
}

/** What a watch rule does when files under its path change. */
export type WatchAction = "sync" | "sync+restart" | "sync+exec" | "restart" | "rebuild";

/** The watch actions, in the CRD's enum order. */
export const WATCH_ACTIONS: readonly WatchAction[] = [
  "sync",
  "sync+restart",
  "sync+exec",
  "restart",
  "rebuild",
];

/**
 * One dev-loop rule: files under `path` (resolved like a volume's `hostPath`) that change, and are
 * not excluded by `ignore` (`.dockerignore` syntax, relative to `path`) or a `.dockerignore` in
 * `path`, are copied into the running container at `target`, then `action` says what follows.
 */
export interface WatchRule {
  path: string;
  action: WatchAction;
  /** An absolute container path; required by sync, sync+restart and sync+exec. */
  target?: string;
  ignore?: string[];
  /** The command sync+exec runs in the container after each sync. */
  exec?: ExecAction;
}

/** The dev loop of a container. Not covered by its spec hash: editing it never replaces a container. */
export interface DevelopSpec {
  watch?: WatchRule[];
}

export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy: PullPolicy;
  build?: BuildSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  ports?: PortSpec[];
  volumes?: VolumeMount[];
  resources?: Resources;
  restartPolicy: RestartPolicy;
  healthCheck?: HealthCheck;
  dependsOn?: Dependency[];
  develop?: DevelopSpec;
}

export interface LogsSpec {
  retainLines: number;
}

export interface MetricsSpec {
  enabled: boolean;
  intervalSeconds: number;
}

export interface ProjectSpec {
  state: DesiredState;
  host?: string;
  containers: ContainerSpec[];
  volumes?: VolumeSpec[];
  logs: LogsSpec;
  metrics: MetricsSpec;
}

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface ContainerStatus {
  name: string;
  containerID?: string;
  image?: string;
  imageID?: string;
  state?: string;
  health?: string;
  restartCount?: number;
  startedAt?: string;
  /** The last exit code, once the container has exited. */
  exitCode?: number;
  /** `Completed` (a job that exited 0), `Failed` (exited non-zero), `Waiting` (for a dependency). */
  reason?: string;
  /** What the reason means here: which dependency it waits for, or the last lines before a failure. */
  message?: string;
}

export interface PortStatus {
  container?: string;
  name?: string;
  containerPort?: number;
  hostPort?: number;
  protocol?: string;
  url?: string;
}

/** The outcome of one watch-rule action (a sync, restart, exec or rebuild), as status and events report it. */
export interface SyncRecord {
  container: string;
  /** The rule's path as the spec writes it. */
  path: string;
  action: string;
  /** When it finished, RFC 3339. */
  time: string;
  files: number;
  bytes: number;
  durationMs: number;
  /** Why it failed; absent on success. */
  error?: string;
}

export interface ProjectStatus {
  observedGeneration?: number;
  phase?: Phase;
  ready?: string;
  portSummary?: string;
  conditions?: Condition[];
  containers?: ContainerStatus[];
  ports?: PortStatus[];
  lastReconcileTime?: string;
  /** The last watch-rule outcomes, newest first, at most 10. */
  syncs?: SyncRecord[];
}

export interface Project {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: ObjectMeta;
  spec: ProjectSpec;
  status?: ProjectStatus;
}

/** "required" = always present after validation and defaulting; "optional" = may be absent. */
type Presence = "required" | "optional";
type KeyMap<T> = { [K in keyof Required<T>]: Presence };

/**
 * Every schema object and the TypeScript interface it corresponds to, keyed by the schema path.
 * `satisfies KeyMap<T>` makes the compiler reject a key the interface lacks or a missing one;
 * the drift test compares each map with the CRD schema.
 */
export const SCHEMA_KEY_MAPS = {
  spec: {
    state: "required",
    host: "optional",
    containers: "required",
    volumes: "optional",
    logs: "required",
    metrics: "required",
  } satisfies KeyMap<ProjectSpec>,
  "spec.containers[]": {
    name: "required",
    image: "required",
    imagePullPolicy: "required",
    build: "optional",
    command: "optional",
    args: "optional",
    workingDir: "optional",
    env: "optional",
    envFrom: "optional",
    ports: "optional",
    volumes: "optional",
    resources: "optional",
    restartPolicy: "required",
    healthCheck: "optional",
    dependsOn: "optional",
    develop: "optional",
  } satisfies KeyMap<ContainerSpec>,
  "spec.containers[].develop": { watch: "optional" } satisfies KeyMap<DevelopSpec>,
  "spec.containers[].develop.watch[]": {
    path: "required",
    action: "required",
    target: "optional",
    ignore: "optional",
    exec: "optional",
  } satisfies KeyMap<WatchRule>,
  "spec.containers[].develop.watch[].exec": { command: "required" } satisfies KeyMap<ExecAction>,
  "spec.containers[].dependsOn[]": { name: "required", condition: "required" } satisfies KeyMap<Dependency>,
  "spec.containers[].build": {
    context: "required",
    dockerfile: "required",
    args: "optional",
  } satisfies KeyMap<BuildSpec>,
  "spec.volumes[]": { name: "required", retain: "required" } satisfies KeyMap<VolumeSpec>,
  "spec.containers[].env[]": {
    name: "required",
    value: "optional",
    valueFrom: "optional",
  } satisfies KeyMap<EnvVar>,
  "spec.containers[].env[].valueFrom": {
    secret: "optional",
    secretKeyRef: "optional",
  } satisfies KeyMap<EnvVarSource>,
  "spec.containers[].env[].valueFrom.secret": {
    file: "optional",
    env: "optional",
  } satisfies KeyMap<SecretSource>,
  "spec.containers[].env[].valueFrom.secretKeyRef": {
    name: "required",
    key: "required",
  } satisfies KeyMap<SecretKeyRef>,
  "spec.containers[].envFrom[]": { file: "required" } satisfies KeyMap<EnvFromSource>,
  "spec.containers[].ports[]": {
    name: "optional",
    containerPort: "required",
    hostPort: "required",
    protocol: "required",
  } satisfies KeyMap<PortSpec>,
  "spec.containers[].volumes[]": {
    hostPath: "optional",
    volume: "optional",
    mountPath: "required",
    readOnly: "required",
  } satisfies KeyMap<VolumeMount>,
  "spec.containers[].resources": { memory: "optional", cpu: "optional" } satisfies KeyMap<Resources>,
  "spec.containers[].healthCheck": {
    exec: "optional",
    httpGet: "optional",
    tcpSocket: "optional",
    periodSeconds: "required",
    timeoutSeconds: "required",
    failureThreshold: "required",
    initialDelaySeconds: "required",
  } satisfies KeyMap<HealthCheck>,
  "spec.containers[].healthCheck.exec": { command: "required" } satisfies KeyMap<ExecAction>,
  "spec.containers[].healthCheck.httpGet": {
    path: "required",
    port: "required",
  } satisfies KeyMap<HttpGetAction>,
  "spec.containers[].healthCheck.tcpSocket": { port: "required" } satisfies KeyMap<TcpSocketAction>,
  "spec.logs": { retainLines: "required" } satisfies KeyMap<LogsSpec>,
  "spec.metrics": { enabled: "required", intervalSeconds: "required" } satisfies KeyMap<MetricsSpec>,
  status: {
    observedGeneration: "optional",
    phase: "optional",
    ready: "optional",
    portSummary: "optional",
    conditions: "optional",
    containers: "optional",
    ports: "optional",
    lastReconcileTime: "optional",
    syncs: "optional",
  } satisfies KeyMap<ProjectStatus>,
  "status.syncs[]": {
    container: "required",
    path: "required",
    action: "required",
    time: "required",
    files: "required",
    bytes: "required",
    durationMs: "required",
    error: "optional",
  } satisfies KeyMap<SyncRecord>,
  "status.conditions[]": {
    type: "required",
    status: "required",
    reason: "required",
    message: "required",
    lastTransitionTime: "required",
    observedGeneration: "optional",
  } satisfies KeyMap<Condition>,
  "status.containers[]": {
    name: "required",
    containerID: "optional",
    image: "optional",
    imageID: "optional",
    state: "optional",
    health: "optional",
    restartCount: "optional",
    startedAt: "optional",
    exitCode: "optional",
    reason: "optional",
    message: "optional",
  } satisfies KeyMap<ContainerStatus>,
  "status.ports[]": {
    container: "optional",
    name: "optional",
    containerPort: "optional",
    hostPort: "optional",
    protocol: "optional",
    url: "optional",
  } satisfies KeyMap<PortStatus>,
} as const;
