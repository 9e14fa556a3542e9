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
