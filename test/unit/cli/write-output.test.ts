import { describe, expect, it } from "vitest";
import { ProgressLine } from "../../../src/cli/progress.js";
import { reportWrite } from "../../../src/cli/write-output.js";
import { captureIo } from "../../helpers/cli-io.js";
import type { WriteResult } from "../../../src/api/index.js";

const result = (name: string): WriteResult => ({
  key: `default/${name}`,
  namespace: "default",
  name,
  file: `/specs/${name}.yaml`,
  action: "created",
  dryRun: false,
});

describe("reportWrite", () => {
  it("prints the written projects, then each failed one on stderr, and exits 1 when one failed", () => {
    const io = captureIo();
    const code = reportWrite(
      {
        dryRun: false,
        results: [result("a")],
        failures: [
          { project: "default/b", error: { code: "Conflict", message: "project default/b was changed" } },
          { error: { code: "SpecInvalid", message: "the request has 1 spec error" } },
        ],
      },
      (r) => r.action,
      io,
      new ProgressLine(io, false),
    );
    expect(code).toBe(1);
    expect(io.stdout).toBe("project default/a created\n");
    expect(io.stderr).toBe(
      "project default/b failed: project default/b was changed\n" +
        "project (unnamed document) failed: the request has 1 spec error\n",
    );
  });

  it("exits 0 when every project was written", () => {
    const io = captureIo();
    const response = { dryRun: false, results: [result("a")], failures: [] };
    expect(reportWrite(response, (r) => r.action, io, new ProgressLine(io, false))).toBe(0);
    expect(io.stderr).toBe("");
  });
});
