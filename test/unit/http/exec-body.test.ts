import { describe, expect, it } from "vitest";
import { parseExecBody } from "../../../src/http/exec-routes.js";

describe("parseExecBody", () => {
  it("accepts a command with limits", () => {
    expect(
      parseExecBody('{"command": ["sh", "-c", "ls"], "timeoutSeconds": 5, "maxOutputBytes": 10}'),
    ).toEqual({
      command: ["sh", "-c", "ls"],
      timeoutSeconds: 5,
      maxOutputBytes: 10,
    });
  });
  it("names what is wrong", () => {
    expect(() => parseExecBody("ls")).toThrow("the body is not JSON");
    expect(() => parseExecBody('{"command": "ls"}')).toThrow('command must be a list of strings, not "ls"');
    expect(() => parseExecBody('{"command": []}')).toThrow("command is required");
    expect(() => parseExecBody('{"command": ["ls"], "cmd": 1}')).toThrow('unknown field "cmd"');
    expect(() => parseExecBody('{"command": ["ls"], "env": ["NOEQUALS"]}')).toThrow('env entry "NOEQUALS"');
    expect(() => parseExecBody('{"command": ["ls"], "timeoutSeconds": -1}')).toThrow(
      "timeoutSeconds must be a positive number",
    );
  });
});
