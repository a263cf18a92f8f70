/**
 * `mcp-manager inspect` against a real manager with real child processes: the overview,
 * one server's chart, context and history (text and --json), and the Mermaid diagram
 * parsed back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverMachine } from '../../machines/server.machine.js';
import { runCli } from '../../src/cli/run.js';
import type { InspectDetail, InspectOverview } from '../../src/control/inspect-types.js';
import { allStates, chartOf } from '../../src/statechart/chart.js';
import { mermaidIds } from '../../src/statechart/mermaid.js';
import { echoServer, runManager, tempDir, writeConfig, type Running } from '../supervisor/harness.js';
import { testContext } from './context.js';

async function cli(stateDir: string, ...argv: string[]) {
  const ctx = testContext(stateDir);
  const code = await runCli(['inspect', '--state-dir', stateDir, ...argv], ctx);
  return { code, stdout: ctx.stdout(), stderr: ctx.stderr() };
}

describe('inspect', () => {
  const temp = tempDir();
  let run: Running;
  let killedPid: number;

  beforeAll(async () => {
    const config = writeConfig(temp.dir, `${echoServer('alpha')}${echoServer('beta', {}, 'replicas: 2')}`);
    run = await runManager(config, temp.dir);
    const alpha = await run.waitState('alpha', 'healthy');
    await run.waitState('beta', 'healthy');
    killedPid = alpha.pid!;
    process.kill(killedPid, 'SIGKILL');
    await run.waitState('alpha', (s) => s.state === 'healthy' && s.pid !== killedPid && s.restarts === 1);
  }, 60_000);

  afterAll(async () => {
    await run?.manager.stop();
    temp.cleanup();
  }, 60_000);

  it('without NAME: the supervisor and every instance, as text and as JSON', async () => {
    const text = await cli(temp.dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('supervisor: running');
    expect(text.stdout).toMatch(/^alpha\s+alpha\s+healthy\s+\d+\s+1\s+running\.healthy$/m);
    expect(text.stdout).toMatch(/^beta#1\s+beta\s+healthy/m);
    expect(text.stdout).toMatch(/^beta#2\s+beta\s+healthy/m);

    const json = await cli(temp.dir, '--json');
    expect(json.code).toBe(0);
    const overview = JSON.parse(json.stdout) as InspectOverview;
    expect(overview.supervisor).toEqual({ value: 'running', active: ['supervisor.running'] });
    expect(overview.instances.map((i) => i.instance).sort()).toEqual(['alpha', 'beta#1', 'beta#2']);
    for (const instance of overview.instances) {
      expect(Object.keys(instance).sort()).toEqual(['instance', 'pid', 'restarts', 'server', 'state', 'value']);
      expect(instance).toMatchObject({ state: 'healthy', value: { running: 'healthy' } });
      expect(typeof instance.pid).toBe('number');
    }
  });

  it('NAME --json: chart, current state, context and the transitions with their reasons', async () => {
    const { code, stdout } = await cli(temp.dir, 'alpha', '--json');
    expect(code).toBe(0);
    const detail = JSON.parse(stdout) as InspectDetail;
    expect(detail.name).toBe('alpha');
    expect(detail.chart.id).toBe('server');
    expect(detail.chart).toEqual(JSON.parse(JSON.stringify(chartOf(serverMachine))));
    expect(detail.instances).toHaveLength(1);
    const [alpha] = detail.instances;
    expect(alpha!.active).toEqual(['server.running', 'server.running.healthy']);
    expect(alpha!.context).toMatchObject({
      restarts: 1,
      restartsInWindow: 1,
      lastExit: { exitCode: null, signal: 'SIGKILL' },
      health: { downAfter: 3, upAfter: 2 },
      limits: {
        restart: 'permanent',
        maxRestarts: expect.any(Number),
        restartWindowMs: expect.any(Number),
        maxMemoryBytes: null,
        maxCpuPercent: null,
      },
    });
    expect(alpha!.context.pid).toBe((await run.server('alpha')).pid);
    expect(alpha!.context.nextBackoffMs).toBeGreaterThan(0);
    expect(alpha!.history.length).toBeLessThanOrEqual(50);
    const exit = alpha!.history.find((t) => t.event === 'server.exited');
    expect(exit).toMatchObject({ from: 'healthy', signal: 'SIGKILL', pid: killedPid });
    expect(exit!.reason).toContain('SIGKILL');
    expect(alpha!.history.map((t) => t.to)).toEqual(expect.arrayContaining(['restarting', 'starting', 'healthy']));
    const seqs = alpha!.history.map((t) => t.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const one = JSON.parse((await cli(temp.dir, 'beta#2', '--json')).stdout) as InspectDetail;
    expect(one.instances.map((i) => i.instance)).toEqual(['beta#2']);
    const both = JSON.parse((await cli(temp.dir, 'beta', '--format', 'json')).stdout) as InspectDetail;
    expect(both.instances.map((i) => i.instance).sort()).toEqual(['beta#1', 'beta#2']);
  });

  it('NAME as text: the context, the last transitions and the chart tree with the current state marked', async () => {
    const { code, stdout } = await cli(temp.dir, 'alpha');
    expect(code).toBe(0);
    expect(stdout).toContain('alpha  healthy  (running.healthy)');
    expect(stdout).toMatch(/restarts 1 \(1 of \d+ within/);
    expect(stdout).toContain('last exit: killed by SIGKILL');
    expect(stdout).toMatch(/server\.exited\s+healthy → stopping\s+SERVER_EXITED: killed by SIGKILL/);
    expect(stdout).toMatch(/├─ running .*◀ current/);
    expect(stdout).toMatch(/├─ healthy .*◀ current/);
    expect(stdout).toContain('after restartBackoff → starting');
    expect(stdout.match(/◀ current/g)).toHaveLength(2);
  });

  it('--format mermaid: a stateDiagram-v2 with every state once and the current one marked', async () => {
    const { code, stdout } = await cli(temp.dir, 'alpha', '--format', 'mermaid');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    const declared = lines.map((l) => /^\s*state (\w+)( \{)?$/.exec(l)?.[1]).filter((id): id is string => id !== undefined);
    const ids = mermaidIds(chartOf(serverMachine));
    const expected = allStates(chartOf(serverMachine)).map((s) => ids.get(s.id)!);
    expect(declared.sort()).toEqual([...expected].sort());
    expect(new Set(declared).size).toBe(declared.length);
    const marked = lines.map((l) => /^\s*class (\S+) current$/.exec(l)?.[1]).filter((m) => m !== undefined);
    expect(marked).toEqual(['healthy']);
    // every transition line names declared states (or the pseudo-state)
    for (const line of lines.filter((l) => l.includes('-->'))) {
      const [, from, to] = /^\s*(\S+) --> (\S+)/.exec(line)!;
      for (const end of [from!, to!]) if (end !== '[*]') expect(declared).toContain(end);
    }
  });

  it('refuses an unknown name and a bad format', async () => {
    const missing = await cli(temp.dir, 'nosuch');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no server or instance named "nosuch"');
    const bad = await cli(temp.dir, '--format', 'xml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format: expected text, json or mermaid');
    const both = await cli(temp.dir, '--json', '--format', 'mermaid');
    expect(both.code).toBe(2);
  });
});
