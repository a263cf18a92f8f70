import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../src/servers/task-runner/defaults.js';
import { type ParseLimits, parseTaskList, taskFileName } from '../../../src/servers/task-runner/parse.js';

function problemsOf(markdown: string, limits: ParseLimits = DEFAULTS): string[] {
  try {
    parseTaskList(markdown, limits);
  } catch (error) {
    return (error as { data: { problems: string[] } }).data.problems;
  }
  throw new Error('expected the list to be rejected');
}

describe('parseTaskList', () => {
  it('splits on task headings, keeps bodies, ignores the preamble and fenced headings', () => {
    const tasks = parseTaskList(
      [
        '# Plan',
        'intro',
        '## Task 1: First',
        'body 1',
        '```md',
        '## Task 9: not a heading',
        '```',
        '',
        '## Task 2 - Second ##',
        '### Details',
        'body 2',
        '',
        '',
      ].join('\r\n'),
      DEFAULTS,
    );
    expect(tasks.map((t) => [t.number, t.title, t.fileName, t.line])).toEqual([
      [1, 'First', '001_first.md', 3],
      [2, 'Second', '002_second.md', 9],
    ]);
    expect(tasks[0]?.content).toBe('## Task 1: First\nbody 1\n```md\n## Task 9: not a heading\n```\n');
    expect(tasks[1]?.content).toBe('## Task 2 - Second ##\n### Details\nbody 2\n');
  });

  it('does not treat other level-2 headings as tasks', () => {
    const tasks = parseTaskList('## Tasks overview\n## Task 1: Only\n## Taskforce notes\n', DEFAULTS);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]?.content).toBe('## Task 1: Only\n## Taskforce notes\n');
  });

  it('reports malformed headings, bad numbers, long titles and duplicates together', () => {
    const long = 'x'.repeat(DEFAULTS.maxTitleLength + 1);
    expect(
      problemsOf(['## Task: no number', '## Task 0: Zero', '## Task 1000: Big', `## Task 4: ${long}`, '## Task 4: Dup'].join('\n')),
    ).toEqual([
      'line 1: malformed task heading "## Task: no number"; expected "## Task N: Title"',
      'line 2: task number 0 is outside 1..999',
      'line 3: task number 1000 is outside 1..999',
      `line 4: task 4 title is ${DEFAULTS.maxTitleLength + 1} characters; the limit is ${DEFAULTS.maxTitleLength}`,
      'line 5: duplicate task number 4 (first at line 4)',
    ]);
  });

  it('rejects lists without tasks and lists with too many', () => {
    expect(problemsOf('# Just a title\n')).toEqual(['no task headings found; expected lines like "## Task 1: Title"']);
    expect(problemsOf('## Task 1: a\n## Task 2: b\n## Task 3: c\n', { ...DEFAULTS, maxTasks: 2 })).toEqual(['3 tasks; the limit is 2']);
  });
});

describe('taskFileName', () => {
  it('pads the number and slugs the title', () => {
    expect(taskFileName(7, 'Set up CI / CD!', 60)).toBe('007_set_up_ci_cd.md');
    expect(taskFileName(12, 'Übersetzung prüfen', 60)).toBe('012_übersetzung_prüfen.md');
    expect(taskFileName(3, '!!!', 60)).toBe('003_task.md');
    expect(taskFileName(1, 'a'.repeat(100), 60)).toBe(`001_${'a'.repeat(60)}.md`);
    expect(taskFileName(1, '../../etc/passwd', 60)).toBe('001_etc_passwd.md');
  });
});
