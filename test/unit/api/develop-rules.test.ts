import { describe, expect, it } from "vitest";
import { formatSpecError, parseProjects } from "../../../src/api/index.js";

const doc = (container: string) =>
  `apiVersion: berth.dev/v1alpha1\nkind: Project\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      image: img\n${container}`;

describe("develop.watch validation", () => {
  it("accepts every action with what it needs", () => {
    const yaml = doc(
      "      build: {context: .}\n      develop:\n        watch:\n" +
        "          - {path: ./src, action: sync, target: /app/src, ignore: [node_modules]}\n" +
        "          - {path: ./conf/app.conf, action: sync+restart, target: /etc/app.conf}\n" +
        "          - {path: ./web, action: sync+exec, target: /web, exec: {command: [kill, -HUP, '1']}}\n" +
        "          - {path: ./conf, action: restart}\n" +
        "          - {path: ./package.json, action: rebuild}\n",
    );
    const { projects, errors } = parseProjects(yaml, "p.yaml");
    expect(errors).toEqual([]);
    expect(projects[0]?.project.spec.containers[0]?.develop?.watch?.map((r) => r.action)).toEqual([
      "sync",
      "sync+restart",
      "sync+exec",
      "restart",
      "rebuild",
    ]);
  });

  it("names the field, the line and the fix for each mistake", () => {
    const yaml = doc(
      "      develop:\n        watch:\n" +
        "          - {path: ./src, action: sync}\n" +
        "          - {path: ./src, action: restart, target: /app}\n" +
        "          - {path: ./src, action: sync, target: /app, exec: {command: [x]}}\n",
    );
    const { errors } = parseProjects(yaml, "p.yaml");
    expect(errors.map(formatSpecError)).toEqual([
      expect.stringMatching(
        /^p\.yaml:10:\d+ spec\.containers\[0\]\.develop\.watch\[0\]\.target: action sync .* add target: \/app/,
      ),
      expect.stringMatching(
        /^p\.yaml:11:\d+ spec\.containers\[0\]\.develop\.watch\[1\]\.target: action restart copies no files/,
      ),
      expect.stringMatching(
        /^p\.yaml:12:\d+ spec\.containers\[0\]\.develop\.watch\[2\]\.exec: only action sync\+exec/,
      ),
    ]);
  });
});
