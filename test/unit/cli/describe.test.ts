import { describe, expect, it } from "vitest";
import { formatDescribe } from "../../../src/cli/describe.js";
import { view } from "../../helpers/fake-service.js";

describe("formatDescribe", () => {
  const now = new Date("2025-01-01T01:00:00Z");

  it("prints identity, conditions, containers, ports, spec errors and transitions", () => {
    const text = formatDescribe(
      view("web", {
        labels: { team: "docs", tier: "front" },
        generation: 4,
        line: 3,
        status: {
          phase: "Degraded",
          observedGeneration: 4,
          ready: "1/2",
          conditions: [
            {
              type: "Ready",
              status: "False",
              reason: "Unhealthy",
              message: "db: health check failed",
              lastTransitionTime: "2025-01-01T00:58:00Z",
            },
            {
              type: "SpecValid",
              status: "True",
              reason: "Valid",
              message: "",
              lastTransitionTime: "2025-01-01T00:00:00Z",
            },
          ],
          containers: [
            {
              name: "app",
              state: "running",
              health: "healthy",
              restartCount: 0,
              containerID: "0123456789abcdef0123",
            },
          ],
          ports: [
            {
              container: "app",
              name: "http",
              containerPort: 8080,
              hostPort: 20001,
              protocol: "TCP",
              url: "http://127.0.0.1:20001",
            },
          ],
        },
        specErrors: [
          {
            code: "Schema",
            file: "/specs/web.yaml",
            line: 9,
            column: 7,
            path: "spec.containers[1].image",
            message: "must be a string",
          },
        ],
        transitions: [
          {
            time: "2025-01-01T00:58:00Z",
            from: "Running",
            to: "Degraded",
            reason: "Unhealthy",
            message: "db: health check failed",
          },
        ],
      }),
      now,
    );
    expect(text).toContain("Name:           web\n");
    expect(text).toContain("Labels:         team=docs\n                tier=front\n");
    expect(text).toContain("Phase:          Degraded\n");
    expect(text).toContain("Generation:     4 (observed 4)\n");
    expect(text).toContain("Created:        2025-01-01T00:00:00Z (60m ago)\n");
    expect(text).toContain("Spec file:      /specs/web.yaml:3\n");
    expect(text).toContain(
      [
        "Conditions:",
        "  TYPE        STATUS   REASON      MESSAGE                   AGE",
        "  Ready       False    Unhealthy   db: health check failed   2m",
        "  SpecValid   True     Valid                                 60m",
      ].join("\n"),
    );
    expect(text).toContain(
      "Containers:\n  NAME   STATE     HEALTH    RESTARTS   ID\n  app    running   healthy   0          0123456789ab\n",
    );
    expect(text).toContain(
      "Ports:\n  CONTAINER   NAME   PORT              URL\n  app         http   20001->8080/tcp   http://127.0.0.1:20001\n",
    );
    expect(text).toContain(
      "Spec errors:\n  /specs/web.yaml:9:7 spec.containers[1].image: must be a string\n",
    );
    expect(text).toContain(
      "Recent transitions:\n  AGE   FROM      TO         REASON      MESSAGE\n  2m    Running   Degraded   Unhealthy   db: health check failed\n",
    );
  });

  it("shows each container's dependencies and why it waits, completed or failed", () => {
    const base = view("shop");
    const app = base.spec.containers[0];
    if (!app) throw new Error("the fake view has a container");
    const text = formatDescribe(
      view("shop", {
        spec: {
          ...base.spec,
          containers: [
            { ...app, name: "db" },
            {
              ...app,
              name: "migrate",
              restartPolicy: "Never",
              dependsOn: [{ name: "db", condition: "Healthy" }],
            },
            { ...app, name: "seed", restartPolicy: "OnFailure" },
            {
              ...app,
              name: "api",
              dependsOn: [
                { name: "db", condition: "Healthy" },
                { name: "migrate", condition: "Completed" },
              ],
            },
          ],
        },
        status: {
          phase: "Progressing",
          containers: [
            { name: "db", state: "running", health: "starting" },
            { name: "migrate", state: "exited", exitCode: 0, reason: "Completed" },
            {
              name: "seed",
              state: "exited",
              exitCode: 3,
              reason: "Failed",
              message: 'loading fixtures\n\u001b[31merror\u001b[0m: relation "users" does not exist\n',
            },
            { name: "api", state: "", reason: "Waiting", message: "db is not Healthy yet" },
          ],
        },
      }),
      now,
    );
    expect(text).toContain(
      [
        "Containers:",
        "  NAME      STATE     HEALTH     RESTARTS   ID",
        "  db        running   starting   0",
        "  migrate   exited    -          0",
        "  seed      exited    -          0",
        "  api                 -          0",
        "  migrate:",
        "    depends on: db (Healthy)",
        "    Completed (exit 0)",
        "  seed:",
        "    Failed (exit 3):",
        "      loading fixtures",
        '      \\x1b[31merror\\x1b[0m: relation "users" does not exist',
        "  api:",
        "    depends on: db (Healthy), migrate (Completed)",
        "    Waiting: db is not Healthy yet",
        "Ports:",
      ].join("\n"),
    );
  });

  it("puts a one-line failure message after the exit code", () => {
    const text = formatDescribe(
      view("job", {
        status: {
          phase: "Failed",
          containers: [{ name: "app", state: "exited", exitCode: 1, reason: "Failed", message: "boom" }],
        },
      }),
      now,
    );
    expect(text).toContain("  app:\n    Failed (exit 1): boom\nPorts:");
  });

  it("says <none> for empty sections and lists desired containers not created yet", () => {
    const text = formatDescribe(view("idle", { status: { phase: "Pending" } }), now);
    expect(text).toContain("Labels:         <none>\n");
    expect(text).toContain("Generation:     1 (not yet observed)\n");
    expect(text).toContain("Conditions:\n  <none>\n");
    expect(text).toContain("  app    <not created>   -        0");
    expect(text).toContain("Ports:\n  <none>\n");
    expect(text).toContain("Spec errors:\n  <none>\n");
    expect(text).toContain("Recent transitions:\n  <none>\n");
  });
});
