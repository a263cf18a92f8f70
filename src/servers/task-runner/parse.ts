import { TaskRunnerError } from './errors.js';

/**
 * Split a markdown task list into tasks.
 *
 * Every level-2 heading whose text starts with the word "Task" starts a task and must read
 * `## Task N: Title` (`-`, `.` or a dash also work as the separator). A task is its heading plus
 * everything up to the next task heading. Text before the first task is ignored; headings
 * inside fenced code blocks are not headings. All problems are reported at once.
 */
export interface ParsedTask {
  number: number;
  title: string;
  /** `NNN_title.md` */
  fileName: string;
  content: string;
  /** 1-based line of the heading. */
  line: number;
}

export interface ParseLimits {
  maxTasks: number;
  maxTaskNumber: number;
  maxTitleLength: number;
  maxSlugLength: number;
}

const CANDIDATE = /^ {0,3}##[ \t]+task(?:[\s:]|$)/i;
const HEADING = /^ {0,3}##[ \t]+task[ \t]+(\d+)[ \t]*[:.\u2013\u2014-][ \t]*(.*?)[ \t]*#*[ \t]*$/i;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

export function parseTaskList(markdown: string, limits: ParseLimits): ParsedTask[] {
  const lines = markdown.replace(/^\uFEFF/, '').split(/\r?\n/);
  const problems: string[] = [];
  const starts: { index: number; number: number; title: string }[] = [];
  const firstLineOf = new Map<number, number>();
  let fence: string | null = null;

  lines.forEach((text, index) => {
    const fenceMatch = FENCE.exec(text);
    if (fenceMatch?.[1]) {
      const marker = fenceMatch[1];
      if (fence === null) fence = marker;
      else if (marker[0] === fence[0] && marker.length >= fence.length) fence = null;
      return;
    }
    if (fence !== null || !CANDIDATE.test(text)) return;
    const line = index + 1;
    const match = HEADING.exec(text);
    if (!match?.[1]) {
      problems.push(`line ${line}: malformed task heading "${text.trim()}"; expected "## Task N: Title"`);
      return;
    }
    const number = Number(match[1]);
    const title = match[2] ?? '';
    if (number < 1 || number > limits.maxTaskNumber)
      problems.push(`line ${line}: task number ${number} is outside 1..${limits.maxTaskNumber}`);
    if (title === '') problems.push(`line ${line}: task ${number} has an empty title`);
    if (title.length > limits.maxTitleLength)
      problems.push(`line ${line}: task ${number} title is ${title.length} characters; the limit is ${limits.maxTitleLength}`);
    const first = firstLineOf.get(number);
    if (first !== undefined) problems.push(`line ${line}: duplicate task number ${number} (first at line ${first})`);
    else firstLineOf.set(number, line);
    starts.push({ index, number, title });
  });

  if (starts.length === 0 && problems.length === 0) problems.push('no task headings found; expected lines like "## Task 1: Title"');
  if (starts.length > limits.maxTasks) problems.push(`${starts.length} tasks; the limit is ${limits.maxTasks}`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 20);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw new TaskRunnerError(
      'TASK_LIST_INVALID',
      `task list is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  ${shown.join('\n  ')}${more}`,
      {
        data: { field: 'task_list_path', problems },
      },
    );
  }

  return starts.map((start, i) => {
    const end = starts[i + 1]?.index ?? lines.length;
    const body = lines.slice(start.index, end);
    while (body.length > 1 && body[body.length - 1]?.trim() === '') body.pop();
    return {
      number: start.number,
      title: start.title,
      fileName: taskFileName(start.number, start.title, limits.maxSlugLength),
      content: `${body.join('\n')}\n`,
      line: start.index + 1,
    };
  });
}

/** `3, "Set up CI!"` → `003_set_up_ci.md` */
export function taskFileName(number: number, title: string, maxSlugLength: number): string {
  const slug = Array.from(
    title
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '_')
      .replace(/^_+|_+$/g, ''),
  )
    .slice(0, maxSlugLength)
    .join('')
    .replace(/_+$/, '');
  return `${String(number).padStart(3, '0')}_${slug || 'task'}.md`;
}
