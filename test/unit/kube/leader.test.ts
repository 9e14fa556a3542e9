import { afterEach, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../src/kube/errors.js";
import { LeaderElector } from "../../../src/kube/leader.js";
import { nopLogger } from "../../../src/util/logger.js";
import { FakeClock } from "../../helpers/fake-clock.js";
import { FakeLeases, settle } from "../../helpers/fake-kube-api.js";

const stops: AbortController[] = [];
afterEach(() => stops.splice(0).forEach((s) => s.abort()));

function candidate(api: FakeLeases, clock: FakeClock, identity: string) {
  const state = { leading: false, terms: 0, termSignals: [] as AbortSignal[] };
  const elector = new LeaderElector({
    api,
    namespace: "ops",
    name: "berth-default",
    identity,
    logger: nopLogger,
    clock,
    now: () => new Date(1_700_000_000_000 + clock.now()),
    onStartedLeading: (signal) => {
      state.terms++;
      state.termSignals.push(signal);
    },
    onLeadership: (on) => (state.leading = on),
  });
  const stop = new AbortController();
  stops.push(stop);
  return { elector, state, stop, start: () => elector.start(stop.signal) };
}

/** Advances the fake clock in small steps so that lease requests interleave like real ones. */
async function run(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 100) await clock.advanceAsync(100);
  await settle();
}

describe("LeaderElector", () => {
  it("lets exactly one of two candidates lead, and records the lease", async () => {
    const api = new FakeLeases();
    const clock = new FakeClock();
    const a = candidate(api, clock, "a");
    const b = candidate(api, clock, "b");
    a.start();
    b.start();
    await run(clock, 10_000);
    expect([a.state.leading, b.state.leading].filter(Boolean)).toHaveLength(1);
    const lease = api.leases.get("ops/berth-default");
    expect(lease?.spec).toMatchObject({ holderIdentity: "a", leaseDurationSeconds: 15 });
    expect(a.state.terms).toBe(1);
  });

  it("a standby takes over once the leader stopped renewing for the lease duration", async () => {
    const api = new FakeLeases();
    const clock = new FakeClock();
    const a = candidate(api, clock, "a");
    a.start();
    await run(clock, 1000);
    const b = candidate(api, clock, "b");
    b.start();
    await run(clock, 5000);
    expect(b.state.leading).toBe(false);
    // The leader dies without releasing: its renewals stop.
    const dead = api.replace.bind(api);
    api.replace = (l) => (l.spec.holderIdentity === "a" ? new Promise(() => {}) : dead(l));
    const killedAt = clock.now();
    await run(clock, 14_000);
    expect(b.state.leading).toBe(false);
    await run(clock, 6000);
    expect(b.state.leading).toBe(true);
    expect(clock.now() - killedAt).toBeLessThanOrEqual(20_000);
    expect(api.leases.get("ops/berth-default")?.spec).toMatchObject({
      holderIdentity: "b",
      leaseTransitions: 1,
    });
  });

  it("stops leading when renewals fail for the renew deadline, then leads again when the apiserver is back", async () => {
    const api = new FakeLeases();
    const clock = new FakeClock();
    const a = candidate(api, clock, "a");
    a.start();
    await run(clock, 1000);
    expect(a.state.leading).toBe(true);
    api.down = new KubeApiError("connect ECONNREFUSED", 0, undefined);
    await run(clock, 8000);
    expect(a.state.leading).toBe(true);
    await run(clock, 4000);
    expect(a.state.leading).toBe(false);
    expect(a.state.termSignals[0]?.aborted).toBe(true);
    api.down = undefined;
    await run(clock, 3000);
    expect(a.state.leading).toBe(true);
    expect(a.state.terms).toBe(2);
  });

  it("releases the lease on stop, so that a standby takes over at once", async () => {
    const api = new FakeLeases();
    const clock = new FakeClock();
    const a = candidate(api, clock, "a");
    const b = candidate(api, clock, "b");
    a.start();
    await run(clock, 500);
    b.start();
    await run(clock, 500);
    a.stop.abort();
    await a.elector.stopped();
    expect(api.leases.get("ops/berth-default")?.spec.holderIdentity).toBeNull();
    await run(clock, 3000);
    expect(b.state.leading).toBe(true);
  });

  it("refuses durations out of order", () => {
    expect(
      () =>
        new LeaderElector({
          api: new FakeLeases(),
          namespace: "x",
          name: "y",
          identity: "z",
          logger: nopLogger,
          leaseDurationMs: 5000,
          renewDeadlineMs: 10_000,
          onStartedLeading: () => {},
        }),
    ).toThrow(/lease duration > renew deadline/);
  });
});
