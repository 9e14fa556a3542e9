import { beforeAll, describe, expect, it } from "vitest";
import { loadComposeProject } from "../../../src/compose/index.js";
import {
  caseEnv,
  composeBinary,
  composeConfig,
  corpusCases,
  projectBerth,
  projectCompose,
} from "../../helpers/compose-reference.js";

/**
 * Berth's compose loader against Docker Compose v2.40.3 itself: for every project of the corpus,
 * the keys Berth maps (services, images, commands, entrypoints, environment after interpolation,
 * ports, volumes, depends_on, health checks, restart, limits, develop.watch) equal `docker compose config
 * --format json`, and the cases Docker Compose refuses Berth refuses too.
 */
describe("compose loader agrees with docker compose config", () => {
  let bin = "";
  beforeAll(() => {
    bin = composeBinary();
  }, 20 * 60_000);

  const cases = corpusCases();
  it("has a corpus of at least 30 projects", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of cases) {
    it(c.name, () => {
      const reference = composeConfig(bin, c);
      let berth: ReturnType<typeof loadComposeProject> | undefined;
      let berthError: unknown;
      try {
        berth = loadComposeProject({ files: c.files, env: caseEnv(c), profiles: c.profiles });
      } catch (e) {
        berthError = e;
      }
      if (c.error) {
        expect(reference.error, "Docker Compose refuses it").toContain(c.error);
        expect(String(berthError), "Berth refuses it too").toContain(c.error);
        return;
      }
      expect(reference.error, `docker compose config failed for ${c.name}`).toBeUndefined();
      if (berthError) throw berthError;
      const ours = projectBerth(berth!);
      const theirs = projectCompose(reference.config!);
      expect(Object.keys(ours).sort(), `${c.name}: services`).toEqual(Object.keys(theirs).sort());
      expect(berth!.name, `${c.name}: project name`).toBe(reference.config!["name"]);
      for (const [name, svc] of Object.entries(theirs)) {
        const mine = ours[name] ?? {};
        for (const key of new Set([...Object.keys(svc), ...Object.keys(mine)])) {
          expect(mine[key], `${c.name}: services.${name}.${key}`).toEqual(svc[key]);
        }
      }
    });
  }
});
