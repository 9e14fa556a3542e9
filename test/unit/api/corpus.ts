/** Invalid documents, each with the field path, line and message fragment its first error must have. */
export interface InvalidCase {
  name: string;
  yaml: string;
  path: string;
  line: number;
  column?: number;
  message: string;
  code?: string;
}

const HEAD = "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: p\nspec:\n  containers:\n";

/** A project whose single container gets `lines` (container-level, from line 9 on). */
function container(...lines: string[]): string {
  return `${HEAD}    - name: c\n      image: berth-test/busybox:1\n${lines.map((l) => `      ${l}\n`).join("")}`;
}

/** A project with `lines` at spec level after one valid container (from line 9 on). */
function spec(...lines: string[]): string {
  return `${HEAD}    - name: c\n      image: berth-test/busybox:1\n${lines.map((l) => `  ${l}\n`).join("")}`;
}

export const INVALID: InvalidCase[] = [
  {
    name: "containerPort above 65535",
    yaml: container("ports:", "  - containerPort: 70000"),
    path: "spec.containers[0].ports[0].containerPort",
    line: 10,
    column: 26,
    message: "70000 is above the maximum 65535",
  },
  {
    name: "containerPort zero",
    yaml: container("ports:", "  - containerPort: 0"),
    path: "spec.containers[0].ports[0].containerPort",
    line: 10,
    message: "0 is below the minimum 1",
  },
  {
    name: "hostPort negative",
    yaml: container("ports:", "  - {containerPort: 80, hostPort: -1}"),
    path: "spec.containers[0].ports[0].hostPort",
    line: 10,
    message: "-1 is below the minimum 0",
  },
  {
    name: "quoted port number",
    yaml: container("ports:", '  - containerPort: "8080"'),
    path: "spec.containers[0].ports[0].containerPort",
    line: 10,
    message: 'must be an integer, got "8080" (remove the quotes)',
  },
  {
    name: "unknown container field with a near name",
    yaml: container("imagee: x"),
    path: "spec.containers[0].imagee",
    line: 9,
    column: 7,
    message: 'unknown field "imagee"; did you mean "image"?',
    code: "UnknownField",
  },
  {
    name: "unknown spec field without a near name",
    yaml: spec("frobnicate: true"),
    path: "spec.frobnicate",
    line: 9,
    message: 'unknown field "frobnicate"; allowed fields: state, host, containers, logs, metrics',
    code: "UnknownField",
  },
  {
    name: "unknown top-level field",
    yaml: `${container()}extra: 1\n`,
    path: "extra",
    line: 9,
    message: 'unknown field "extra"',
  },
  {
    name: "unknown port field",
    yaml: container("ports:", "  - {containerPort: 80, protocl: TCP}"),
    path: "spec.containers[0].ports[0].protocl",
    line: 10,
    message: 'did you mean "protocol"?',
  },
  {
    name: "unknown metadata field",
    yaml: HEAD.replace("  name: p\n", "  name: p\n  lables: {a: b}\n") + "    - {name: c, image: x}\n",
    path: "metadata.lables",
    line: 5,
    message: 'did you mean "labels"?',
  },
  {
    name: "state in the wrong case",
    yaml: spec("state: running"),
    path: "spec.state",
    line: 9,
    message: '"running" is not one of Running, Stopped; did you mean "Running"?',
  },
  {
    name: "unknown restart policy",
    yaml: container("restartPolicy: Sometimes"),
    path: "spec.containers[0].restartPolicy",
    line: 9,
    message: "is not one of Always, OnFailure, Never",
  },
  {
    name: "unknown pull policy",
    yaml: container("imagePullPolicy: always"),
    path: "spec.containers[0].imagePullPolicy",
    line: 9,
    message: 'did you mean "Always"?',
  },
  {
    name: "unknown protocol",
    yaml: container("ports:", "  - {containerPort: 80, protocol: SCTP}"),
    path: "spec.containers[0].ports[0].protocol",
    line: 10,
    message: '"SCTP" is not one of TCP, UDP',
  },
  {
    name: "missing image",
    yaml: `${HEAD}    - name: c\n      command: [sh]\n`,
    path: "spec.containers[0].image",
    line: 7,
    message: "is required",
  },
  {
    name: "missing containers",
    yaml: "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: p\nspec:\n  state: Running\n",
    path: "spec.containers",
    line: 6,
    message: "is required",
  },
  {
    name: "empty containers",
    yaml: "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: p\nspec:\n  containers: []\n",
    path: "spec.containers",
    line: 6,
    message: "needs at least 1 item(s)",
  },
  {
    name: "missing spec",
    yaml: "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: p\n",
    path: "spec",
    line: 1,
    message: "is required",
  },
  {
    name: "missing metadata name",
    yaml: "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  namespace: x\nspec:\n  containers: [{name: c, image: x}]\n",
    path: "metadata.name",
    line: 4,
    message: "is required",
  },
  {
    name: "project name with capitals",
    yaml: HEAD.replace("name: p", "name: Shop_API") + "    - {name: c, image: x}\n",
    path: "metadata.name",
    line: 4,
    message: "\"Shop_API\" is not valid: use lowercase letters, digits and '-'",
  },
  {
    name: "project name too long",
    yaml: HEAD.replace("name: p", `name: ${"a".repeat(64)}`) + "    - {name: c, image: x}\n",
    path: "metadata.name",
    line: 4,
    message: "is longer than 63 characters",
  },
  {
    name: "container name with a dot",
    yaml: `${HEAD}    - name: my.api\n      image: x\n`,
    path: "spec.containers[0].name",
    line: 7,
    message: "is not valid",
  },
  {
    name: "labels that are not strings",
    yaml: HEAD.replace("  name: p\n", "  name: p\n  labels: {tier: 3}\n") + "    - {name: c, image: x}\n",
    path: "metadata.labels.tier",
    line: 5,
    message: "must be a string, got 3",
  },
  {
    name: "containers given as a mapping",
    yaml: "apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata:\n  name: p\nspec:\n  containers:\n    c: {image: x}\n",
    path: "spec.containers",
    line: 7,
    message: "must be a list, got a mapping",
  },
  {
    name: "command as a string",
    yaml: container("command: /bin/httpd -f"),
    path: "spec.containers[0].command",
    line: 9,
    message: "must be a list",
  },
  {
    name: "relative mount path",
    yaml: container("volumes:", "  - {hostPath: ./data, mountPath: data}"),
    path: "spec.containers[0].volumes[0].mountPath",
    line: 10,
    message: "use an absolute path starting with '/'",
  },
  {
    name: "bad memory quantity",
    yaml: container("resources: {memory: 12Q}"),
    path: "spec.containers[0].resources.memory",
    line: 9,
    message: "use a memory quantity such as 256Mi",
  },
  {
    name: "bad cpu quantity",
    yaml: container("resources: {cpu: half}"),
    path: "spec.containers[0].resources.cpu",
    line: 9,
    message: "use a CPU quantity such as 500m",
  },
  {
    name: "memory below the Docker minimum",
    yaml: container("resources: {memory: 1Mi}"),
    path: "spec.containers[0].resources.memory",
    line: 9,
    message: "below Docker's minimum memory limit of 6Mi",
    code: "Rule",
  },
  {
    name: "duplicate container names",
    yaml: `${HEAD}    - {name: c, image: x}\n    - {name: c, image: y}\n`,
    path: "spec.containers[1].name",
    line: 8,
    message: '"c" is already the name of spec.containers[0]',
    code: "Rule",
  },
  {
    name: "duplicate port names across containers",
    yaml: `${HEAD}    - {name: a, image: x, ports: [{name: http, containerPort: 80}]}\n    - {name: b, image: x, ports: [{name: http, containerPort: 81}]}\n`,
    path: "spec.containers[1].ports[0].name",
    line: 8,
    message: 'port name "http" is already used at spec.containers[0].ports[0]',
  },
  {
    name: "duplicate container port",
    yaml: container("ports:", "  - {containerPort: 80}", "  - {containerPort: 80}"),
    path: "spec.containers[0].ports[1].containerPort",
    line: 11,
    message: "80/TCP is already listed at ports[0]",
  },
  {
    name: "host port requested twice in one project",
    yaml: container(
      "ports:",
      "  - {containerPort: 80, hostPort: 8080}",
      "  - {containerPort: 81, hostPort: 8080}",
    ),
    path: "spec.containers[0].ports[1].hostPort",
    line: 11,
    message: "host port 8080/TCP is already requested at spec.containers[0].ports[0].hostPort",
  },
  {
    name: "health check on an unknown port name",
    yaml: container("ports: [{name: http, containerPort: 80}]", "healthCheck:", "  httpGet: {port: web}"),
    path: "spec.containers[0].healthCheck.httpGet.port",
    line: 11,
    message: '"web" is not a port of container "c" (this container\'s ports are http)',
  },
  {
    name: "health check with two probes",
    yaml: container(
      "ports: [{name: http, containerPort: 80}]",
      "healthCheck:",
      "  httpGet: {port: http}",
      "  tcpSocket: {port: http}",
    ),
    path: "spec.containers[0].healthCheck",
    line: 11,
    message: "needs exactly one of exec, httpGet or tcpSocket, found httpGet and tcpSocket",
  },
  {
    name: "health check without a probe",
    yaml: container("healthCheck:", "  periodSeconds: 5"),
    path: "spec.containers[0].healthCheck",
    line: 10,
    message: "found none",
  },
  {
    name: "duplicate env names",
    yaml: container("env:", "  - {name: A, value: '1'}", "  - {name: A, value: '2'}"),
    path: "spec.containers[0].env[1].name",
    line: 11,
    message: 'environment variable "A" is already set',
  },
  {
    name: "dependency on an unknown container",
    yaml: `${HEAD}    - {name: db, image: x}\n    - name: api\n      image: x\n      dependsOn: [{name: dbb}]\n`,
    path: "spec.containers[1].dependsOn[0].name",
    line: 10,
    message: '"dbb" is not a container of this project; did you mean "db"?',
    code: "Rule",
  },
  {
    name: "dependency on itself",
    yaml: container("dependsOn: [{name: c}]"),
    path: "spec.containers[0].dependsOn[0].name",
    line: 9,
    message: "c depends on itself; remove this entry",
    code: "Rule",
  },
  {
    name: "dependency listed twice",
    yaml: `${HEAD}    - {name: db, image: x}\n    - name: api\n      image: x\n      dependsOn:\n        - {name: db}\n        - {name: db, condition: Started}\n`,
    path: "spec.containers[1].dependsOn[1].name",
    line: 12,
    message: 'dependency "db" is already listed at spec.containers[1].dependsOn[0]; remove one',
    code: "Rule",
  },
  {
    name: "dependency cycle",
    yaml:
      `${HEAD}    - {name: api, image: x, dependsOn: [{name: worker}]}\n` +
      "    - {name: worker, image: x, dependsOn: [{name: db}]}\n" +
      "    - {name: db, image: x, dependsOn: [{name: api}]}\n",
    path: "spec.containers[0].dependsOn[0].name",
    line: 7,
    message: "dependency cycle: api → worker → db → api; remove one of these dependsOn entries",
    code: "Rule",
  },
  {
    name: "Healthy dependency without a health check",
    yaml: `${HEAD}    - {name: db, image: x}\n    - name: api\n      image: x\n      dependsOn: [{name: db, condition: Healthy}]\n`,
    path: "spec.containers[1].dependsOn[0].condition",
    line: 10,
    message: "db has no healthCheck, so it can never be Healthy; add one to db or use condition: Started",
    code: "Rule",
  },
  {
    name: "Completed dependency on a container that always restarts",
    yaml: `${HEAD}    - {name: migrate, image: x}\n    - name: api\n      image: x\n      dependsOn: [{name: migrate, condition: Completed}]\n`,
    path: "spec.containers[1].dependsOn[0].condition",
    line: 10,
    message: "migrate has restartPolicy Always (the default) and so never completes",
    code: "Rule",
  },
  {
    name: "unknown dependency condition",
    yaml: `${HEAD}    - {name: db, image: x}\n    - name: api\n      image: x\n      dependsOn: [{name: db, condition: Ready}]\n`,
    path: "spec.containers[1].dependsOn[0].condition",
    line: 10,
    message: '"Ready" is not one of Started, Healthy, Completed',
  },
  {
    name: "dependency without a name",
    yaml: container("dependsOn: [{condition: Started}]"),
    path: "spec.containers[0].dependsOn[0].name",
    line: 9,
    message: "is required",
  },
  {
    name: "more than 128 containers",
    yaml: HEAD + Array.from({ length: 129 }, (_, i) => `    - {name: c${i}, image: x}\n`).join(""),
    path: "spec.containers",
    line: 7,
    message: "has more than the maximum 128 items",
  },
  {
    name: "retainLines too large",
    yaml: spec("logs: {retainLines: 5000000}"),
    path: "spec.logs.retainLines",
    line: 9,
    message: "5000000 is above the maximum 1000000",
  },
  {
    name: "metrics interval zero",
    yaml: spec("metrics: {intervalSeconds: 0}"),
    path: "spec.metrics.intervalSeconds",
    line: 9,
    message: "0 is below the minimum 1",
  },
  {
    name: "YAML syntax error",
    yaml: container("ports: [{containerPort: 80}"),
    path: "",
    line: 10,
    message: "YAML syntax error",
    code: "Syntax",
  },
  {
    name: "duplicate keys",
    yaml: container("image: other"),
    path: "",
    line: 9,
    message: "Map keys must be unique",
    code: "Syntax",
  },
  {
    name: "a ConfigMap",
    yaml: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    path: "kind",
    line: 2,
    message: "document 1 is a ConfigMap (v1), not a Project",
    code: "NotAProject",
  },
  {
    name: "an unsupported version",
    yaml: HEAD.replace("v1alpha1", "v2") + "    - {name: c, image: x}\n",
    path: "apiVersion",
    line: 1,
    message: '"berth.dev/v2" is not supported; use berth.dev/v1alpha1',
    code: "UnsupportedVersion",
  },
  {
    name: "a plain list",
    yaml: "- a\n- b\n",
    path: "",
    line: 1,
    message: "document 1 is not a mapping",
    code: "NotAMapping",
  },
  {
    name: "an alias bomb",
    yaml:
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n" +
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n",
    path: "",
    line: 1,
    message: "expands too many aliases",
    code: "AliasLimit",
  },
];
