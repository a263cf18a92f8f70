import { readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureExecutor, makeTempDir, type RunningServer, startServer, writeTaskList } from './harness.js';

describe('task-runner server: tools without running tasks', () => {
  let server: RunningServer;
  let root: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir: root, cleanup } = await makeTempDir());
    server = await startServer({ TASK_RUNNER_BASE_DIR: root, TASK_RUNNER_EXECUTOR: fixtureExecutor('succeed.mjs') });
  });
  afterAll(async () => {
    await server?.close();
    await cleanup?.();
  });

  it('lists the seven tools with readOnlyHint only on the two read tools', async () => {
    const { tools } = await server.client.listTools();
    const hints = Object.fromEntries(tools.map((t) => [t.name, t.annotations?.readOnlyHint]));
    expect(hints).toEqual({
      create_project: false,
      parse_task_list: false,
      run_task: false,
      run_all_tasks: false,
      get_task_status: true,
      get_task_summary: true,
      clean: false,
    });
    const runTask = tools.find((t) => t.name === 'run_task');
    expect(runTask?.inputSchema.required).toEqual(['task_path']);
    expect(Object.keys(runTask?.inputSchema.properties ?? {}).sort()).toEqual(['base_dir', 'task_path', 'timeout_seconds']);
  });

  it('create_project makes <base_dir>/<name>/{tasks,results} under the default base dir and parses a list', async () => {
    await writeTaskList(path.join(root, 'plan.md'), ['Set up', 'Build it', 'Ship!']);
    const { isError, body } = await server.call('create_project', { project_name: 'alpha', task_list_path: 'plan.md' });
    expect(isError).toBe(false);
    // the original task runner's fields: project, project_dir, task_files (paths), count
    expect(body).toMatchObject({ success: true, project: 'alpha', project_dir: path.join(root, 'alpha'), created: true, count: 3 });
    expect(body.task_files).toEqual(['001_set_up.md', '002_build_it.md', '003_ship.md'].map((f) => path.join(root, 'alpha', 'tasks', f)));
    expect((await readdir(path.join(root, 'alpha'))).sort()).toEqual(['results', 'task_state.json', 'tasks']);
    expect(await readdir(path.join(root, 'alpha', 'tasks'))).toEqual(['001_set_up.md', '002_build_it.md', '003_ship.md']);
    expect(await readFile(path.join(root, 'alpha', 'tasks', '002_build_it.md'), 'utf8')).toBe('## Task 2: Build it\n\nDo build it.\n');
  });

  it('create_project on an existing project reports created: false', async () => {
    const { body } = await server.call('create_project', { project_name: 'alpha' });
    expect(body).toMatchObject({ success: true, project: 'alpha', project_dir: path.join(root, 'alpha'), created: false });
    expect(body.message).toEqual(expect.any(String));
    expect(body).not.toHaveProperty('task_files');
  });

  it('parse_task_list writes pending tasks into an explicit base_dir', async () => {
    const { dir, cleanup: done } = await makeTempDir();
    try {
      await writeTaskList(path.join(dir, 'list.md'), ['One', 'Two']);
      const { isError, body } = await server.call('parse_task_list', { task_list_path: 'list.md', base_dir: dir });
      expect(isError).toBe(false);
      expect(body.tasks!.map((t) => t.file)).toEqual(['tasks/001_one.md', 'tasks/002_two.md']);
      expect(body).toMatchObject({ count: 2, task_files: [path.join(dir, 'tasks', '001_one.md'), path.join(dir, 'tasks', '002_two.md')] });
      const status = await server.call('get_task_status', { base_dir: dir });
      expect(status.body.tasks!.map((t) => [t.task, t.status])).toEqual([
        ['001_one.md', 'pending'],
        ['002_two.md', 'pending'],
      ]);
    } finally {
      await done();
    }
  });

  it('get_task_summary counts tasks and computes completion_pct', async () => {
    const base = path.join(root, 'alpha');
    const state = JSON.parse(await readFile(path.join(base, 'task_state.json'), 'utf8'));
    state.tasks['001_set_up.md'].status = 'completed';
    await writeFile(path.join(base, 'task_state.json'), JSON.stringify(state));
    const { body } = await server.call('get_task_summary', { base_dir: base });
    expect(body).toMatchObject({
      success: true,
      total: 3,
      completed: 1,
      pending: 2,
      running: 0,
      failed: 0,
      timeout: 0,
      completion_pct: 33.3,
    });
  });

  it('refuses task paths that escape base_dir, naming the field', async () => {
    const base = path.join(root, 'alpha');
    for (const task_path of ['../../../etc/passwd.md', '/etc/hosts', '../task_state.json']) {
      const { isError, body } = await server.call('run_task', { task_path, base_dir: base });
      expect(isError, task_path).toBe(true);
      expect(body.code).toBe('INVALID_ARGUMENT');
      expect(body.error).toMatch(/^task_path: /);
    }
  });

  it('refuses a task symlink that points outside tasks/', async () => {
    const base = path.join(root, 'alpha');
    await writeFile(path.join(root, 'outside.md'), '## Task 9: Outside\n');
    await symlink(path.join(root, 'outside.md'), path.join(base, 'tasks', '009_link.md'));
    const { isError, body } = await server.call('run_task', { task_path: '009_link.md', base_dir: base });
    expect(isError).toBe(true);
    expect(body.error).toMatch(/link that resolves outside/);
  });

  it('refuses a relative base_dir or task_list_path that climbs out', async () => {
    const a = await server.call('get_task_status', { base_dir: '../elsewhere' });
    expect(a).toMatchObject({ isError: true, body: { code: 'INVALID_ARGUMENT' } });
    expect(a.body.error).toMatch(/^base_dir: /);
    const b = await server.call('parse_task_list', { task_list_path: '../../plan.md', base_dir: path.join(root, 'alpha') });
    expect(b).toMatchObject({ isError: true, body: { code: 'INVALID_ARGUMENT' } });
    expect(b.body.error).toMatch(/^task_list_path: /);
  });

  it('reports every problem of a malformed list at once and creates nothing', async () => {
    const list = path.join(root, 'bad.md');
    await writeFile(
      list,
      ['## Task 1: Fine', '## Task two: words', '## Task 1: Again', '## Task 3:', '```', '## Task x: in a fence', '```'].join('\n'),
    );
    const { isError, body } = await server.call('create_project', { project_name: 'broken', task_list_path: list });
    expect(isError).toBe(true);
    expect(body.code).toBe('TASK_LIST_INVALID');
    expect(body.problems).toEqual([
      'line 2: malformed task heading "## Task two: words"; expected "## Task N: Title"',
      'line 3: duplicate task number 1 (first at line 1)',
      'line 4: task 3 has an empty title',
    ]);
    await expect(readdir(path.join(root, 'broken'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects a list without task headings and a list over 1 MB', async () => {
    await writeFile(path.join(root, 'empty.md'), '# Nothing here\n\nJust prose.\n');
    const empty = await server.call('parse_task_list', { task_list_path: 'empty.md', base_dir: root });
    expect(empty.body.error).toMatch(/no task headings found/);
    await writeFile(path.join(root, 'huge.md'), `## Task 1: Big\n${'x'.repeat(1024 * 1024)}`);
    const huge = await server.call('parse_task_list', { task_list_path: 'huge.md', base_dir: root });
    expect(huge).toMatchObject({ isError: true, body: { code: 'INVALID_ARGUMENT' } });
    expect(huge.body.error).toMatch(/^task_list_path: .*limit is 1048576/);
  });

  it('names the field of invalid arguments', async () => {
    const wrongType = await server.call('run_task', { task_path: 42 });
    expect(wrongType).toMatchObject({ isError: true, body: { code: 'INVALID_ARGUMENT', fields: ['task_path'] } });
    expect(wrongType.body.error).toMatch(/^invalid arguments for run_task: task_path: /);
    const missing = await server.call('parse_task_list', {});
    expect(missing.body.fields).toEqual(['task_list_path']);
    const badName = await server.call('create_project', { project_name: '../evil' });
    expect(badName.body.fields).toEqual(['project_name']);
    const timeout = await server.call('run_task', { task_path: 'x.md', timeout_seconds: -1 });
    expect(timeout.body.fields).toEqual(['timeout_seconds']);
    const unknownKey = await server.call('get_task_status', { base_dri: root });
    expect(unknownKey.body.error).toMatch(/Unrecognized key: "base_dri"/);
  });

  it('says clearly when base_dir is not a project or a task does not exist', async () => {
    const notProject = await server.call('get_task_status', { base_dir: path.join(root, 'nope') });
    expect(notProject).toMatchObject({ isError: true, body: { code: 'NOT_A_PROJECT' } });
    const missing = await server.call('run_task', { task_path: '404_missing.md', base_dir: path.join(root, 'alpha') });
    expect(missing).toMatchObject({ isError: true, body: { code: 'NOT_FOUND' } });
  });

  it('answers an unknown tool with a protocol error', async () => {
    await expect(server.client.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toThrow(/unknown tool: no_such_tool/);
  });
});

describe('task-runner server: executor configuration', () => {
  it('without an executor and without claude on PATH, run_task explains how to configure one', async () => {
    const { dir, cleanup } = await makeTempDir();
    const server = await startServer({ TASK_RUNNER_BASE_DIR: dir, PATH: dir });
    try {
      await writeTaskList(path.join(dir, 'plan.md'), ['Only']);
      const { body: project } = await server.call('create_project', { project_name: 'p', task_list_path: 'plan.md' });
      const { isError, body } = await server.call('run_task', { task_path: '001_only.md', base_dir: project.project_dir });
      expect(isError).toBe(true);
      expect(body.code).toBe('EXECUTOR_UNAVAILABLE');
      expect(body.error).toMatch(/`claude` is not on PATH.*--executor.*TASK_RUNNER_EXECUTOR/);
    } finally {
      await server.close();
      await cleanup();
    }
  });

  it('--base-dir wins over TASK_RUNNER_BASE_DIR', async () => {
    const { dir, cleanup } = await makeTempDir();
    const server = await startServer({ TASK_RUNNER_BASE_DIR: path.join(dir, 'from-env') }, ['--base-dir', path.join(dir, 'from-flag')]);
    try {
      const { body } = await server.call('create_project', { project_name: 'p' });
      expect(body.project_dir).toBe(path.join(dir, 'from-flag', 'p'));
    } finally {
      await server.close();
      await cleanup();
    }
  });
});
