import { z } from 'zod';
import { DEFAULTS } from './defaults.js';

/** Input schemas of the seven tools. Unknown keys are refused so typos surface. */
const pathString = z
  .string()
  .min(1, 'must not be empty')
  .max(DEFAULTS.maxPathLength, `must be at most ${DEFAULTS.maxPathLength} characters`)
  .refine((s) => !s.includes('\0'), 'must not contain NUL characters');

const projectDir = pathString
  .optional()
  .describe(
    'Project directory holding tasks/, results/ and task_state.json (the project_dir returned by create_project). ' +
      "Relative paths resolve against the server's default base dir; omitted means the default base dir itself.",
  );

const timeoutSeconds = z
  .number()
  .positive()
  .max(DEFAULTS.maxTimeoutSeconds)
  .default(DEFAULTS.timeoutSeconds)
  .describe(
    `Per-task timeout in seconds (default ${DEFAULTS.timeoutSeconds}); on expiry the task's process group is killed and the task is marked timeout.`,
  );

export const CreateProjectInputSchema = z.strictObject({
  project_name: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
      'must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit',
    )
    .describe('Name of the project directory to create under base_dir.'),
  task_list_path: pathString.optional().describe('Markdown task list to parse into the new project (absolute, or relative to base_dir).'),
  base_dir: pathString
    .optional()
    .describe("Parent directory in which <project_name>/ is created (default: the server's default base dir)."),
});

export const ParseTaskListInputSchema = z.strictObject({
  task_list_path: pathString.describe(
    `Markdown file (at most ${DEFAULTS.maxTaskListBytes} bytes) with "## Task N: Title" headings; absolute, or relative to base_dir.`,
  ),
  base_dir: projectDir,
});

export const RunTaskInputSchema = z.strictObject({
  task_path: pathString.describe('Task file inside <base_dir>/tasks/: "001_setup.md", "tasks/001_setup.md" or an absolute path.'),
  base_dir: projectDir,
  timeout_seconds: timeoutSeconds,
});

export const RunAllTasksInputSchema = z.strictObject({
  base_dir: projectDir,
  resume: z.boolean().default(false).describe('Skip tasks whose status is completed (default false: run every task again).'),
  timeout_seconds: timeoutSeconds,
});

export const ProjectOnlyInputSchema = z.strictObject({ base_dir: projectDir });

export type CreateProjectInput = z.infer<typeof CreateProjectInputSchema>;
export type ParseTaskListInput = z.infer<typeof ParseTaskListInputSchema>;
export type RunTaskInput = z.infer<typeof RunTaskInputSchema>;
export type RunAllTasksInput = z.infer<typeof RunAllTasksInputSchema>;
export type ProjectOnlyInput = z.infer<typeof ProjectOnlyInputSchema>;

/** `task_path: expected string, received number; resume: …` */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.map(String).join('.') : '(arguments)'}: ${issue.message}`)
    .join('; ');
}
