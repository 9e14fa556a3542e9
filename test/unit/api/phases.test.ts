import { describe, expect, it } from "vitest";
import { PHASES } from "../../../src/api/index.js";
import { loadCrdSchema } from "../../../src/api/schema.js";
import { PHASES as DASHBOARD_PHASES } from "../../../web/src/types.js";

describe("the list of phases", () => {
  it("is the CRD's status.phase enum, in the same order", () => {
    expect(loadCrdSchema().properties?.["status"]?.properties?.["phase"]?.enum).toEqual([...PHASES]);
  });

  it("is the dashboard's copy (web/src cannot import src/)", () => {
    expect([...DASHBOARD_PHASES]).toEqual([...PHASES]);
  });
});
