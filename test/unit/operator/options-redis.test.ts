import { describe, expect, it } from "vitest";
import {
  OptionError,
  parseRunOptions,
  RUN_FLAG_DEFAULTS,
  type RunFlags,
} from "../../../src/operator/options.js";

const flags: RunFlags = { ...RUN_FLAG_DEFAULTS, dir: "/tmp/specs" };

describe("--redis / BERTH_REDIS_URL", () => {
  it("is optional, read from the flag first, then the environment", () => {
    expect(parseRunOptions(flags, {}).redisUrl).toBeUndefined();
    expect(parseRunOptions(flags, { BERTH_REDIS_URL: "" }).redisUrl).toBeUndefined();
    expect(parseRunOptions(flags, { BERTH_REDIS_URL: "redis://r:6379" }).redisUrl).toBe("redis://r:6379");
    const both = parseRunOptions(
      { ...flags, redis: "redis://flag:1/2" },
      { BERTH_REDIS_URL: "redis://env:1" },
    );
    expect(both.redisUrl).toBe("redis://flag:1/2");
  });

  it("rejects a value that is not a redis:// URL, naming the flag", () => {
    expect(() => parseRunOptions({ ...flags, redis: "127.0.0.1:6379" }, {})).toThrow(OptionError);
    expect(() => parseRunOptions({ ...flags, redis: "http://x" }, {})).toThrow(/--redis "http:\/\/x"/);
  });
});
