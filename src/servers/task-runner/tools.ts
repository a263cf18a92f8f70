import type { CallToolResult, Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { clean } from './clean.js';
import type { CallContext, RunnerContext } from './context.js';
import { DEFAULTS } from './defaults.js';
import { TaskRunnerError } from './errors.js';
import { createProject, parseTaskListTool } from './project.js';
import { runAllTasks, runTask } from './run.js';
import {
  CreateProjectInputSchema,
  describeIssues,
  ParseTaskListInputSchema,
  ProjectOnlyInputSchema,
  RunAllTasksInputSchema,
  RunTaskInputSchema,
} from './schemas.js';
import { getTaskStatus, getTaskSummary } from './status.js';

/** The seven tools: names and parameters as in the original task runner, so existing clients work. */
export interface ToolEntry {
  definition: Tool;
  /** Validate raw arguments, then run. Throws TaskRunnerError on invalid input. */
  call(args: unknown, ctx: RunnerContext, call: CallContext): Promise<CallToolResult>;
}

function defineTool<S extends z.ZodType>(
  name: string,
  description: string,
  input: S,
  readOnly: boolean,
  handle: (ctx: RunnerContext, args: z.output<S>, call: CallContext) => Promise<CallToolResult>,
): ToolEntry {
  const { $schema: _ignored, ...inputSchema } = z.toJSONSchema(input, { io: 'input' });
  return {
    definition: {
      name,
      description,
      inputSchema: inputSchema as Tool['inputSchema'],
      annotations: { readOnlyHint: readOnly },
    },
    call: (args, ctx, call) => {
      const parsed = input.safeParse(args ?? {});
      if (!parsed.success) {
        const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.map(String).join('.') || '(arguments)'))];
        return Promise.reject(
          new TaskRunnerError('INVALID_ARGUMENT', `invalid arguments for ${name}: ${describeIssues(parsed.error)}`, { data: { fields } }),
        );
      }
      return handle(ctx, parsed.data, call);
    },
  };
}

const PROJECT_DIR_NOTE =
  'base_dir is the project directory (holding tasks/, results/, task_state.json) as returned by create_project in project_dir.';

export const TOOLS: readonly ToolEntry[] = [
  defineTool(
    'create_project',
    'Create a project directory <base_dir>/<project_name>/ with tasks/ and results/, and parse task_list_path into it if given. ' +
      'Returns project_dir: pass it as base_dir to the other tools.',
    CreateProjectInputSchema,
    false,
    (ctx, args) => createProject(ctx, args),
  ),
  defineTool(
    'parse_task_list',
    `Split a markdown task list on "## Task N: Title" headings into tasks/NNN_title.md, each set to pending (re-parsing resets those tasks). ` +
      `Limits: ${DEFAULTS.maxTaskListBytes} bytes, ${DEFAULTS.maxTasks} tasks, titles of ${DEFAULTS.maxTitleLength} characters. ${PROJECT_DIR_NOTE}`,
    ParseTaskListInputSchema,
    false,
    (ctx, args) => parseTaskListTool(ctx, args),
  ),
  defineTool(
    'run_task',
    'Run one task: its file content goes to the executor on stdin; stdout is written to results/<task>.result, or on failure or timeout ' +
      `a report to results/<task>.error; the state is updated. ${PROJECT_DIR_NOTE}`,
    RunTaskInputSchema,
    false,
    (ctx, args, call) => runTask(ctx, args, call),
  ),
  defineTool(
    'run_all_tasks',
    'Run every task in tasks/ in name order (a failure does not stop the loop). With resume, skip tasks already completed. ' +
      `Sends progress notifications when the request carries a progressToken; cancelling the request kills the running task. ${PROJECT_DIR_NOTE}`,
    RunAllTasksInputSchema,
    false,
    (ctx, args, call) => runAllTasks(ctx, args, call),
  ),
  defineTool(
    'get_task_status',
    'Per-task state (pending, running, completed, failed, timeout) with pid, times, exit code and result/error files; ' +
      `running entries whose process is gone are flagged stale: true. ${PROJECT_DIR_NOTE}`,
    ProjectOnlyInputSchema,
    true,
    (ctx, args) => getTaskStatus(ctx, args),
  ),
  defineTool(
    'get_task_summary',
    `Totals per state and completion_pct (completed / total × 100). ${PROJECT_DIR_NOTE}`,
    ProjectOnlyInputSchema,
    true,
    (ctx, args) => getTaskSummary(ctx, args),
  ),
  defineTool(
    'clean',
    'Stop running task processes of the project (whole process groups) and reset stale running entries to pending. ' +
      `Results and finished states are kept. ${PROJECT_DIR_NOTE}`,
    ProjectOnlyInputSchema,
    false,
    (ctx, args) => clean(ctx, args),
  ),
];
