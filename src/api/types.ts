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
export type ConditionType = "Ready" | "SpecValid" | "PortsAllocated" | "ImageAvailable" | "Progressing";

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

export interface EnvVar {
  name: string;
  value: string;
}

export interface PortSpec {
  name?: string;
  containerPort: number;
  hostPort: number;
  protocol: Protocol;
}

export interface VolumeMount {
  hostPath: string;
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

export interface ContainerSpec {
  name: string;
  image: string;
  imagePullPolicy: PullPolicy;
  build?: BuildSpec;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  ports?: PortSpec[];
  volumes?: VolumeMount[];
  resources?: Resources;
  restartPolicy: RestartPolicy;
  healthCheck?: HealthCheck;
  dependsOn?: Dependency[];
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

export interface ProjectStatus {
  observedGeneration?: number;
  phase?: Phase;
  ready?: string;
  portSummary?: string;
  conditions?: Condition[];
  containers?: ContainerStatus[];
  ports?: PortStatus[];
  lastReconcileTime?: string;
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
    ports: "optional",
    volumes: "optional",
    resources: "optional",
    restartPolicy: "required",
    healthCheck: "optional",
    dependsOn: "optional",
  } satisfies KeyMap<ContainerSpec>,
  "spec.containers[].dependsOn[]": { name: "required", condition: "required" } satisfies KeyMap<Dependency>,
  "spec.containers[].build": { context: "required", dockerfile: "required" } satisfies KeyMap<BuildSpec>,
  "spec.containers[].env[]": { name: "required", value: "required" } satisfies KeyMap<EnvVar>,
  "spec.containers[].ports[]": {
    name: "optional",
    containerPort: "required",
    hostPort: "required",
    protocol: "required",
  } satisfies KeyMap<PortSpec>,
  "spec.containers[].volumes[]": {
    hostPath: "required",
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
  } satisfies KeyMap<ProjectStatus>,
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
