import { describe, expect, it } from "vitest";
import type { ProjectView as ServerView } from "../../../src/service/view.js";
import type { LogLine as ServerLogLine } from "../../../src/streams/log-line.js";
import type { LogLine, ProjectView } from "../../../web/src/types.js";

/** Compile-time: what the server sends still fits what the page reads (tsc fails otherwise). */
type Fits<Server, Page> = Server extends Page ? true : never;
const checks: [Fits<ServerView, ProjectView>, Fits<ServerLogLine, LogLine>] = [true, true];

describe("dashboard wire types", () => {
  it("fit the server's types", () => {
    expect(checks).toEqual([true, true]);
  });
});
