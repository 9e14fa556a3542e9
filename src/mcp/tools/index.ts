/** Every Berth MCP tool, in the order tools/list shows them. */
import type { AnyTool } from "../tool.js";
import { getLogs, getMetrics, waitForProject } from "./observe.js";
import { getProject, listProjects, validateProject } from "./read.js";
import { applyProject, deleteProject, patchProject, restartProject, setProjectState } from "./write.js";

export const TOOLS: readonly AnyTool[] = [
  listProjects,
  getProject,
  validateProject,
  applyProject,
  patchProject,
  deleteProject,
  restartProject,
  setProjectState,
  getLogs,
  getMetrics,
  waitForProject,
];
