/** Every Berth MCP tool, in the order tools/list shows them. */
import type { AnyTool } from "../tool.js";
import { diagnoseProject } from "./diagnose.js";
import { execInContainerTool } from "./exec.js";
import { getLogs, getMetrics, waitForProject } from "./observe.js";
import { getProject, listProjects, validateProject } from "./read.js";
import { getSyncs } from "./syncs.js";
import { deleteProject, restartProject, setProjectState } from "./lifecycle.js";
import { applyProject, patchProject } from "./write.js";
import { importCompose } from "./import.js";

export const TOOLS: readonly AnyTool[] = [
  listProjects,
  getProject,
  diagnoseProject,
  validateProject,
  applyProject,
  patchProject,
  deleteProject,
  restartProject,
  setProjectState,
  getLogs,
  getMetrics,
  waitForProject,
  getSyncs,
  execInContainerTool,
  importCompose,
];
