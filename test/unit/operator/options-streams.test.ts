import { describe, expect, it } from "vitest";
import {
  OptionError,
  parseRunOptions,
  RUN_FLAG_DEFAULTS,
  type RunFlags,
} from "../../../src/operator/options.js";

const flags: RunFlags = { ...RUN_FLAG_DEFAULTS, dir: "/tmp/specs" };

describe("stream options", () => {
  it("has no NATS and no JetStream by default", () => {
    const o = parseRunOptions(flags, {});
    expect(o.natsUrl).toBeUndefined();
    expect(o.natsMaxPending).toBe(100_000);
    expect(o.jetstreamLines).toBeUndefined();
  });

  it("parses --nats, --nats-max-pending and --nats-jetstream[-lines]", () => {
    const o = parseRunOptions(
      { ...flags, nats: "nats://a:4222,nats://b:4222", natsMaxPending: "500", natsJetstream: true },
      {},
    );
    expect(o.natsUrl).toBe("nats://a:4222,nats://b:4222");
    expect(o.natsMaxPending).toBe(500);
    expect(o.jetstreamLines).toBe(10_000);
    expect(
      parseRunOptions({ ...flags, natsJetstream: true, natsJetstreamLines: "50" }, {}).jetstreamLines,
    ).toBe(50);
  });

  it("rejects bad values naming the flag", () => {
    expect(() => parseRunOptions({ ...flags, nats: "http://x y" }, {})).toThrow(OptionError);
    expect(() => parseRunOptions({ ...flags, nats: "nope" }, {})).toThrow(/--nats/);
    expect(() => parseRunOptions({ ...flags, natsMaxPending: "0" }, {})).toThrow(/--nats-max-pending/);
  });
});
