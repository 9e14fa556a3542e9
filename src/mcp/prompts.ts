/** The `debug-project` prompt: walks an agent through finding why a project is not healthy. */
import type { McpServer } from "@modelcontextprotocol/server";
import { z } from "zod";

/** Registers the prompts on a server. */
export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    "debug-project",
    {
      title: "Debug a project",
      description: "Steps to find out why a Berth project is not Ready, and to fix it",
      argsSchema: z.object({
        name: z.string().describe('Project name, or "namespace/name"'),
      }),
    },
    ({ name }) => ({
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text: [
              `The Berth project ${name} is not healthy. Find out why and fix it:`,
              `1. Call diagnose_project with name "${name}". It returns the failing conditions, each container's state, exit code, restarts and probe failures, and the log lines that matter, with a suggested next action.`,
              "2. If the cause is in the output of the program, read more with get_logs (grep for the error, or tail a single container).",
              "3. Fix the spec with patch_project (pass the resourceVersion you read) or the program; for a port conflict, pick another hostPort or omit it.",
              "4. Call wait_for_project (or write with wait: true) and diagnose_project again until the project is Ready.",
              "Report what was wrong and what you changed.",
            ].join("\n"),
          },
        },
      ],
    }),
  );
}
