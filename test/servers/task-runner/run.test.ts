import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fixtureExecutor,
  killIfRunning,
  makeTempDir,
  processRunning,
  readPids,
  type RunningServer,
  type TaskRow,
  startServer,
  writeTaskList,
} from './harness.js';

/** One server per test, with the executor the test needs; everything is torn down after it. */
interface Setup {
  server: RunningServer;
  root: string;
  project: string;
  log: string;
  pidFile: string;
}

const teardown: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of teardown.splice(0).reverse()) await step();
});

async function setup(executor: 'succeed' | 'fail' | 'hang', titles: string[]): Promise<Setup> {
  const { dir: root, cleanup } = await makeTempDir();
  teardown.push(cleanup);
  const log = path.join(root, 'executor.log');
  const pidFile = path.join(root, 'pids.json');
  const arg = executor === 'succeed' ? log : executor === 'hang' ? pidFile : undefined;
  const server = await startServer({
    TASK_RUNNER_BASE_DIR: root,
    TASK_RUNNER_EXECUTOR: fixtureExecutor(`${executor}.mjs`, ...(arg ? [arg] : [])),
  });
  teardown.push(async () => {
    await server.close();
    const pids = readPids(pidFile);
    killIfRunning(pids?.leader);
    killIfRunning(pids?.child);
  });
  await writeTaskList(path.join(root, 'plan.md'), titles);
  const { body } = await server.call('create_project', { project_name: 'proj', task_list_path: 'plan.md' });
  return { server, root, project: body.project_dir!, log, pidFile };
}

async function statusOf(server: RunningServer, project: string, task: string): Promise<TaskRow | undefined> {
  const { body } = await server.call('get_task_status', { base_dir: project });
  return body.tasks!.find((t) => t.task === task);
}

async function logLines(log: string): Promise<string[]> {
  return existsSync(log) ? (await readFile(log, 'utf8')).split('\n').filter(Boolean) : [];
}

describe('task-runner server: running tasks', () => {
  it('a succeeding executor gets the task on stdin; stdout lands in results/<task>.result; state completed', async () => {
    const { server, project, log } = await setup('succeed', ['Write docs']);
    const { isError, body } = await server.call('run_task', { task_path: 'tasks/001_write_docs.md', base_dir: project });
    expect(isError).toBe(false);
    expect(body).toMatchObject({
      success: true,
      task: '001_write_docs.md',
      status: 'completed',
      exit_code: 0,
      result_file: 'results/001_write_docs.result',
    });
    const result = await readFile(path.join(project, 'results', '001_write_docs.result'), 'utf8');
    expect(result).toContain('done: ## Task 1: Write docs');
    expect(result).toContain(`cwd: ${project}`);
    expect(await logLines(log)).toEqual(['001_write_docs.md']);
    expect(await statusOf(server, project, '001_write_docs.md')).toMatchObject({ status: 'completed', exit_code: 0 });
    const summary = await server.call('get_task_summary', { base_dir: project });
    expect(summary.body).toMatchObject({ total: 1, completed: 1, completion_pct: 100 });
  });

  it('a failing executor (exit 3) gives a .error file, state failed, and an isError result', async () => {
    const { server, project } = await setup('fail', ['Break']);
    const { isError, body } = await server.call('run_task', { task_path: '001_break.md', base_dir: project });
    expect(isError).toBe(true);
    expect(body).toMatchObject({
      success: false,
      code: 'TASK_FAILED',
      status: 'failed',
      exit_code: 3,
      error_file: 'results/001_break.error',
    });
    const report = await readFile(path.join(project, 'results', '001_break.error'), 'utf8');
    expect(report).toContain('exit_code: 3');
    expect(report).toContain('something went wrong');
    expect(report).toContain('partial output for ## Task 1: Break');
    expect(existsSync(path.join(project, 'results', '001_break.result'))).toBe(false);
    expect(await statusOf(server, project, '001_break.md')).toMatchObject({ status: 'failed', exit_code: 3 });
  });

  it('a hanging executor past its timeout is killed with its whole process group; state timeout', async () => {
    const { server, project, pidFile } = await setup('hang', ['Hang']);
    const { isError, body } = await server.call('run_task', { task_path: '001_hang.md', base_dir: project, timeout_seconds: 1 });
    expect(isError).toBe(true);
    expect(body).toMatchObject({ code: 'TASK_TIMEOUT', status: 'timeout', signal: 'SIGKILL', error_file: 'results/001_hang.error' });
    const pids = readPids(pidFile);
    expect(pids).not.toBeNull();
    // The leader and the grandchild both ignore SIGTERM: only SIGKILL to the group ends them.
    expect(processRunning(pids!.leader)).toBe(false);
    expect(processRunning(pids!.child)).toBe(false);
    expect(await statusOf(server, project, '001_hang.md')).toMatchObject({ status: 'timeout' });
    expect(await readFile(path.join(project, 'results', '001_hang.error'), 'utf8')).toContain('timed out after 1 s');
  });

  it('run_all_tasks runs every task in order and sends progress notifications in order', async () => {
    const { server, project, log } = await setup('succeed', ['A', 'B', 'C']);
    // Record notifications as they arrive instead of through the SDK's per-request progress
    // handler: the client drops the handler when the response arrives, and the last notification
    // can lose that race on the client side (modelcontextprotocol/typescript-sdk#2580).
    const seen: unknown[] = [];
    server.client.setNotificationHandler(ProgressNotificationSchema, (n) => void seen.push(n.params));
    const viaCallback: number[] = [];
    const { isError, body } = await server.call(
      'run_all_tasks',
      { base_dir: project },
      { onprogress: (p) => viaCallback.push(p.progress) },
    );
    expect(isError).toBe(false);
    expect(body).toMatchObject({ success: true, total: 3, ran: 3, completed: 3, failed: 0, skipped: [] });
    expect(await logLines(log)).toEqual(['001_a.md', '002_b.md', '003_c.md']);
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual([
      { progressToken: expect.anything(), progress: 1, total: 3, message: '001_a.md: completed' },
      { progressToken: expect.anything(), progress: 2, total: 3, message: '002_b.md: completed' },
      { progressToken: expect.anything(), progress: 3, total: 3, message: '003_c.md: completed' },
    ]);
    expect(viaCallback).toEqual([1, 2, 3].slice(0, viaCallback.length));
  });

  it('run_all_tasks sends no progress notifications when the client did not ask for them', async () => {
    const { server, project } = await setup('succeed', ['A', 'B']);
    const seen: unknown[] = [];
    server.client.setNotificationHandler(ProgressNotificationSchema, (n) => void seen.push(n.params));
    const { body } = await server.call('run_all_tasks', { base_dir: project });
    expect(body.completed).toBe(2);
    await server.call('get_task_summary', { base_dir: project }); // a later round trip: anything sent earlier has arrived
    expect(seen).toEqual([]);
  });

  it('run_all_tasks with resume skips completed tasks; without resume it runs them again', async () => {
    const { server, project, log } = await setup('succeed', ['A', 'B', 'C']);
    await server.call('run_task', { task_path: '001_a.md', base_dir: project });
    await server.call('run_task', { task_path: '002_b.md', base_dir: project });
    expect(await logLines(log)).toEqual(['001_a.md', '002_b.md']);

    const resumed = await server.call('run_all_tasks', { base_dir: project, resume: true });
    expect(resumed.body).toMatchObject({ success: true, ran: 1, skipped: ['001_a.md', '002_b.md'], completed: 1 });
    expect(await logLines(log)).toEqual(['001_a.md', '002_b.md', '003_c.md']);

    const again = await server.call('run_all_tasks', { base_dir: project });
    expect(again.body).toMatchObject({ success: true, ran: 3, skipped: [] });
    expect(await logLines(log)).toEqual(['001_a.md', '002_b.md', '003_c.md', '001_a.md', '002_b.md', '003_c.md']);
  });

  it('run_all_tasks keeps going after a failure and reports it', async () => {
    const { server, project } = await setup('fail', ['A', 'B']);
    const { isError, body } = await server.call('run_all_tasks', { base_dir: project });
    expect(isError).toBe(true);
    expect(body).toMatchObject({ code: 'TASK_FAILED', ran: 2, failed: 2, completed: 0 });
    const summary = await server.call('get_task_summary', { base_dir: project });
    expect(summary.body).toMatchObject({ failed: 2, completion_pct: 0 });
  });

  it('clean kills a running task, its process group and resets it to pending', async () => {
    const { server, project, pidFile } = await setup('hang', ['Hang']);
    const running = server.call('run_task', { task_path: '001_hang.md', base_dir: project, timeout_seconds: 120 });
    await expect.poll(async () => (await statusOf(server, project, '001_hang.md'))?.status).toBe('running');
    await expect.poll(() => readPids(pidFile)).not.toBeNull();
    const pids = readPids(pidFile)!;
    expect((await statusOf(server, project, '001_hang.md'))?.pid).toBe(pids.leader);

    const busy = await server.call('run_task', { task_path: '001_hang.md', base_dir: project });
    expect(busy.body.code).toBe('PROJECT_BUSY');

    const { body } = await server.call('clean', { base_dir: project });
    expect(body).toMatchObject({ success: true, stopped: [{ task: '001_hang.md', pid: pids.leader }] });
    expect(() => process.kill(pids.leader, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    expect(processRunning(pids.child)).toBe(false);

    const interrupted = await running;
    expect(interrupted.body).toMatchObject({ code: 'INTERRUPTED', status: 'pending' });
    expect(await statusOf(server, project, '001_hang.md')).toMatchObject({ status: 'pending' });
  });

  it('cancelling run_all_tasks kills the running task and stops the loop', async () => {
    const { server, project, pidFile } = await setup('hang', ['Hang', 'Never']);
    const controller = new AbortController();
    const call = server.call('run_all_tasks', { base_dir: project }, { signal: controller.signal });
    await expect.poll(() => readPids(pidFile)).not.toBeNull();
    const pids = readPids(pidFile)!;
    controller.abort('test cancels');
    await expect(call).rejects.toThrow();
    await expect.poll(async () => (await statusOf(server, project, '001_hang.md'))?.status).toBe('pending');
    expect(processRunning(pids.leader)).toBe(false);
    expect(processRunning(pids.child)).toBe(false);
    expect(await statusOf(server, project, '002_never.md')).toMatchObject({ status: 'pending', pid: null });
  });

  it('reports a running entry whose process is dead as stale; clean resets it', async () => {
    const { server, project } = await setup('succeed', ['A']);
    const deadPid = await spawnAndReap();
    const stateFile = path.join(project, 'task_state.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    state.tasks['001_a.md'] = { status: 'running', pid: deadPid, server_pid: deadPid, started_at: new Date().toISOString() };
    await import('node:fs/promises').then((fs) => fs.writeFile(stateFile, JSON.stringify(state)));

    const { body } = await server.call('get_task_status', { base_dir: project });
    expect(body.tasks![0]).toMatchObject({ task: '001_a.md', status: 'running', stale: true });
    expect(body.warnings).toEqual([expect.stringMatching(/001_a\.md is marked running but its process .* is gone/)]);

    const cleaned = await server.call('clean', { base_dir: project });
    expect(cleaned.body).toMatchObject({ stopped: [], reset: ['001_a.md'] });
    expect(await statusOf(server, project, '001_a.md')).toMatchObject({ status: 'pending' });
    expect((await statusOf(server, project, '001_a.md'))?.stale).toBeUndefined();
  });

  it('after the server dies mid-run, a new server reports the orphaned task and clean kills its group', async () => {
    const { server, root, project, pidFile } = await setup('hang', ['Hang']);
    void server.call('run_task', { task_path: '001_hang.md', base_dir: project, timeout_seconds: 120 }).catch(() => undefined);
    await expect.poll(() => readPids(pidFile)).not.toBeNull();
    await expect.poll(async () => (await statusOf(server, project, '001_hang.md'))?.status).toBe('running');
    const pids = readPids(pidFile)!;
    process.kill(server.pid, 'SIGKILL'); // a crash: no shutdown handler runs, the detached group survives
    await expect.poll(() => processRunning(server.pid)).toBe(false);
    expect(processRunning(pids.leader)).toBe(true);

    const next = await startServer({ TASK_RUNNER_BASE_DIR: root, TASK_RUNNER_EXECUTOR: fixtureExecutor('hang.mjs', pidFile) });
    teardown.push(() => next.close());
    const status = await statusOf(next, project, '001_hang.md');
    expect(status).toMatchObject({ status: 'running', pid: pids.leader });
    expect(status?.stale).toBeUndefined(); // its process is alive: not stale, but not ours either
    const busy = await next.call('run_all_tasks', { base_dir: project });
    expect(busy.body).toMatchObject({ code: 'PROJECT_BUSY', pid: pids.leader });

    const { body } = await next.call('clean', { base_dir: project });
    expect(body).toMatchObject({ stopped: [{ task: '001_hang.md', pid: pids.leader, how: 'killed' }], reset: ['001_hang.md'] });
    expect(processRunning(pids.leader)).toBe(false);
    expect(processRunning(pids.child)).toBe(false);
    expect(await statusOf(next, project, '001_hang.md')).toMatchObject({ status: 'pending' });
  });

  it('keeps task_state.json valid JSON while tasks run (atomic writes)', async () => {
    const { server, project } = await setup('succeed', ['A', 'B', 'C', 'D']);
    const stateFile = path.join(project, 'task_state.json');
    const run = server.call('run_all_tasks', { base_dir: project });
    let reads = 0;
    let done = false;
    void run.finally(() => (done = true));
    while (!done) {
      JSON.parse(await readFile(stateFile, 'utf8'));
      reads++;
    }
    expect(reads).toBeGreaterThan(0);
    expect((await run).body.completed).toBe(4);
  });
});

/** The pid of a process that has exited and been reaped. */
async function spawnAndReap(): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}
