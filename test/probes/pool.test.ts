/**
 * Probe kinds and the pool, in the real piscina pool (worker threads through tsx here,
 * compiled JS in dist/ checked at the end). Loopback targets only.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProbePool, probeWorkerEntry, type ProbePool } from '../../src/probes/pool.js';
import type { ProbeResult, ProbeTask } from '../../src/probes/types.js';
import { isAlive, ProcessTracker, waitFor } from '../helpers/processes.js';
import { closedPort, startHttpTarget, type HttpTarget } from './targets.js';

const NODE = process.execPath;
/** Longer than any test may run: a probe given this timeout ends only on its own or when its pool closes. */
const NEVER_MS = 10 * 60_000;

/** Counts turns of the main thread's event loop until stopped. */
function countTurns(): { stop(): number } {
  let turns = 0;
  let running = true;
  const turn = () => {
    if (!running) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop() {
      running = false;
      return turns;
    },
  };
}
let pool: ProbePool;
let target: HttpTarget;
let refused: number;
let dir: string;
const tracker = new ProcessTracker();

beforeAll(async () => {
  // both threads up front: the timing tests below measure probes, not thread start-up
  pool = createProbePool({ minThreads: 2, maxThreads: 2 });
  [target, refused, dir] = await Promise.all([startHttpTarget(), closedPort(), mkdtemp(join(tmpdir(), 'mcpm-probes-'))]);
  const warm = { kind: 'tcp', host: '127.0.0.1', port: target.port, timeoutMs: 30_000 } as const;
  await Promise.all([pool.run(warm), pool.run(warm)]);
});

afterAll(async () => {
  await Promise.all([pool.close(), target.close(), rm(dir, { recursive: true, force: true })]);
});

afterEach(() => tracker.killAll());

const node = (script: string, extra: Partial<ProbeTask> = {}): ProbeTask =>
  ({
    kind: 'command',
    command: NODE,
    args: ['-e', script],
    timeoutMs: 15_000,
    ...extra,
  }) as ProbeTask;

/** One contract for every probe kind: a pass, a failure with a reason, a hang that ends at its timeout. */
interface KindCase {
  kind: ProbeTask['kind'];
  pass: () => ProbeTask;
  fail: () => ProbeTask;
  failDetail: RegExp;
  hang?: () => ProbeTask;
  hangDetail?: RegExp;
}

const cases: KindCase[] = [
  {
    kind: 'http',
    pass: () => ({ kind: 'http', url: target.url('/json'), timeoutMs: 5_000 }),
    fail: () => ({ kind: 'http', url: `http://127.0.0.1:${refused}/mcp`, timeoutMs: 5_000 }),
    failDetail: /^connection refused \(ECONNREFUSED\)$/,
    hang: () => ({ kind: 'http', url: target.url('/hang'), timeoutMs: 300 }),
    hangDetail: /^connected, but no HTTP answer within 300 ms$/,
  },
  {
    kind: 'tcp',
    pass: () => ({ kind: 'tcp', host: '127.0.0.1', port: target.port, timeoutMs: 5_000 }),
    fail: () => ({ kind: 'tcp', host: '127.0.0.1', port: refused, timeoutMs: 5_000 }),
    failDetail: /connection refused \(ECONNREFUSED\)/,
  },
  {
    kind: 'command',
    pass: () => node('process.exit(0)'),
    fail: () => node('console.error("database unreachable"); process.exit(3)'),
    failDetail: /exited with code 3: database unreachable$/,
    hang: () => node('setInterval(() => {}, 1000)', { timeoutMs: 500 }),
    hangDetail: /no exit within 500 ms; killed its process group$/,
  },
];

for (const c of cases) {
  describe(`probe kind ${c.kind} (contract)`, () => {
    it('passes: ok, with kind, latency and time', async () => {
      const before = Date.now();
      const result = await pool.run(c.pass());
      expect(result).toMatchObject({ ok: true, kind: c.kind });
      expect(result.latencyMs).toBeGreaterThanOrEqual(0);
      expect(result.at).toBeGreaterThanOrEqual(before);
      expect(result.detail).not.toBe('');
    });

    it('fails with a clear reason, as data', async () => {
      const result = await pool.run(c.fail());
      expect(result.ok).toBe(false);
      expect(result.kind).toBe(c.kind);
      expect(result.detail).toMatch(c.failDetail);
    });

    if (c.hang && c.hangDetail) {
      const { hang, hangDetail } = c;
      it('a hang ends at its own timeout, as a failure', async () => {
        const task = hang();
        const result = await pool.run(task);
        expect(result.ok).toBe(false);
        expect(result.detail).toMatch(hangDetail);
        expect(result.latencyMs).toBeGreaterThanOrEqual(task.timeoutMs - 20);
      });
    }
  });
}

describe('http probe', () => {
  const http = (path: string, extra: Partial<ProbeTask> = {}) =>
    pool.run({ kind: 'http', url: target.url(path), timeoutMs: 5_000, ...extra } as ProbeTask);

  it('an HTML page is a failure that says so', async () => {
    const result = await http('/html');
    expect(result).toMatchObject({ ok: false, status: 200, contentType: 'text/html' });
    expect(result.detail).toBe('answered with an HTML page (HTTP 200 text/html), not an MCP endpoint: check the url');
  });

  it("an MCP endpoint's refusal of a bare GET means reachable", async () => {
    const result = await http('/mcp');
    expect(result).toMatchObject({ ok: true, status: 405, contentType: 'application/json' });
    expect(result.detail).toMatch(/reachable/);
  });

  it.each([
    ['/auth', 401, /authentication required or rejected/],
    ['/moved', 302, /redirects to https:\/\/login\.example\/sso/],
    ['/broken', 503, /server error/],
    ['/nowhere', 404, /nothing at this path/],
  ])('%s → HTTP %i is a failure with a reason', async (path, status, detail) => {
    const result = await http(path);
    expect(result).toMatchObject({ ok: false, status });
    expect(result.detail).toMatch(detail);
  });

  it('reads only the headers of an endless SSE stream', async () => {
    // reading the body would last until the probe's timeout, which is longer than the test's
    const result = await http('/sse', { timeoutMs: NEVER_MS });
    expect(result).toMatchObject({ ok: true, status: 200, contentType: 'text/event-stream' });
  });

  it("sends the server's headers", async () => {
    expect((await http('/needs-token')).ok).toBe(false);
    expect((await http('/needs-token', { headers: { authorization: 'Bearer s3cret' } })).ok).toBe(true);
  });

  it('a bad url is a failure, not a crash', async () => {
    expect((await pool.run({ kind: 'http', url: 'not a url', timeoutMs: 1_000 })).detail).toBe('invalid url: "not a url"');
    expect((await pool.run({ kind: 'http', url: 'ftp://127.0.0.1/', timeoutMs: 1_000 })).detail).toMatch(/unsupported url scheme ftp:/);
  });
});

describe('tcp probe', () => {
  it('rejects a port out of range', async () => {
    const result = await pool.run({ kind: 'tcp', host: '127.0.0.1', port: 70_000, timeoutMs: 1_000 });
    expect(result).toMatchObject({ ok: false, detail: 'invalid port 70000' });
  });
});

describe('command probe', () => {
  it('a command that does not exist is a clear failure', async () => {
    const result = await pool.run({ kind: 'command', command: '/nonexistent/health-check', args: [], timeoutMs: 5_000 });
    expect(result).toMatchObject({ ok: false, exitCode: null });
    expect(result.detail).toBe('command not found: /nonexistent/health-check (ENOENT)');
  });

  it('runs without a shell, with the given cwd and env', async () => {
    const result = await pool.run(
      node('console.log([process.argv[1], process.env.PROBE_X, process.cwd()].join(" "))', {
        args: ['-e', 'console.log([process.argv[1], process.env.PROBE_X, process.cwd()].join(" "))', '$(echo hi) ;|'],
        cwd: dir,
        env: { PROBE_X: 'x1' },
      }),
    );
    expect(result).toMatchObject({ ok: true, exitCode: 0 });
    expect(result.detail).toBe(`exit 0: $(echo hi) ;| x1 ${dir}`);
  });

  it('at its timeout the command and its whole group are killed', async () => {
    const pidFile = join(dir, 'pids');
    const script = `
      const { spawn } = require('node:child_process');
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, process.pid + ' ' + child.pid);
      setInterval(() => {}, 1000);`;
    // long enough for two Node start-ups on a busy machine
    const resultP = pool.run(node(script, { timeoutMs: 5_000 }));
    const pids = await waitFor(
      async () => {
        const text = await readFile(pidFile, 'utf8').catch(() => '');
        return text.includes(' ') ? text.split(' ').map(Number) : undefined;
      },
      { timeoutMs: 20_000, what: 'the command to write its pids' },
    );
    pids.forEach((pid) => tracker.track(pid));
    const result = await resultP;
    expect(result.detail).toMatch(/no exit within 5000 ms; killed its process group/);
    for (const pid of pids) await waitFor(() => !isAlive(pid), { what: `pid ${pid} to be gone` });
  });
});

describe('the pool', () => {
  it('a hanging probe holds back no other probe', async () => {
    const own = createProbePool({ minThreads: 2, maxThreads: 2 });
    try {
      let hangSettled = false;
      const hang = own.run({ kind: 'http', url: target.url('/hang'), timeoutMs: NEVER_MS }).finally(() => (hangSettled = true));
      const quick = await Promise.all(
        Array.from({ length: 20 }, () => own.run({ kind: 'http', url: target.url('/json'), timeoutMs: NEVER_MS })),
      );
      expect(quick.every((r) => r.ok)).toBe(true);
      expect(hangSettled).toBe(false);
      await own.close();
      expect(await hang).toMatchObject({ ok: false });
    } finally {
      await own.close();
    }
  });

  it("hanging probes never block the main thread's event loop", async () => {
    const own = createProbePool({ minThreads: 2, maxThreads: 2 });
    try {
      let settled = 0;
      const hanging = [
        own.run({ kind: 'http', url: target.url('/hang'), timeoutMs: NEVER_MS }),
        own.run(node('setInterval(() => {}, 1000)', { timeoutMs: NEVER_MS })),
      ].map((p) => p.finally(() => settled++));
      // while both hang, the main thread serves: a timer fires and a request to it is answered
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await fetch(target.url('/json'))).ok).toBe(true);
      expect(settled).toBe(0);
      await own.close();
      expect((await Promise.all(hanging)).map((r) => r.ok)).toEqual([false, false]);
    } finally {
      await own.close();
    }
  });

  it('resolves the worker as compiled JS next to the pool, else the TS source through tsx', () => {
    const entry = probeWorkerEntry();
    expect(entry).toEqual({
      filename: fileURLToPath(new URL('../../src/probes/worker.ts', import.meta.url)),
      execArgv: ['--import', 'tsx'],
    });
  });

  it('after close, probes are failures that say so', async () => {
    const own = createProbePool();
    await own.close();
    expect(await own.run({ kind: 'tcp', host: '127.0.0.1', port: target.port, timeoutMs: 1_000 })).toMatchObject({
      ok: false,
      detail: 'probe pool is closed',
    });
  });
});

describe('the worker entry', () => {
  it('imports only from src/probes/ (and Node built-ins)', async () => {
    const root = fileURLToPath(new URL('../../src/probes/', import.meta.url));
    const seen = new Set<string>();
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = await readFile(file, 'utf8');
      for (const [, spec] of source.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
        if (spec!.startsWith('node:')) continue;
        expect(spec, `${file} imports ${spec}`).toMatch(/^\.\.?\//);
        const target = join(file, '..', spec!.replace(/\.js$/, '.ts'));
        expect(target.startsWith(root), `${file} imports ${spec}, outside src/probes/`).toBe(true);
        await visit(target);
      }
    };
    await visit(join(root, 'worker.ts'));
    expect([...seen].map((f) => f.slice(root.length)).sort()).toEqual([
      'command.ts',
      'http.ts',
      'outcome.ts',
      'reasons.ts',
      'run.ts',
      'tcp.ts',
      'types.ts',
      'worker.ts',
    ]);
  });
});

describe('a stuck worker thread', () => {
  it('is stopped at the deadline and replaced; the pool keeps working', async () => {
    const stalling = createProbePool({
      maxThreads: 1,
      graceMs: 300,
      worker: { filename: fileURLToPath(new URL('./fixtures/stall-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] },
    });
    try {
      // warm: the thread is up before the clock matters
      expect((await stalling.run({ kind: 'tcp', host: '127.0.0.1', port: target.port, timeoutMs: 5_000 })).ok).toBe(true);
      const turns = countTurns();
      const stuck: ProbeResult = await stalling.run({ kind: 'stall', timeoutMs: 200 } as unknown as ProbeTask);
      // a main thread waiting on the stuck worker would not have turned while it stalled
      expect(turns.stop()).toBeGreaterThan(10);
      expect(stuck).toMatchObject({ ok: false, kind: 'stall' });
      expect(stuck.detail).toBe('probe did not finish within 500 ms; its worker thread was stopped and replaced');
      expect(stuck.latencyMs).toBeGreaterThanOrEqual(480);
      expect(stalling.stats().deadlineStops).toBe(1);

      // one thread only: this succeeds on the replacement
      const after = await stalling.run({ kind: 'http', url: target.url('/json'), timeoutMs: 5_000 });
      expect(after.ok).toBe(true);
      expect(stalling.stats().threads).toBe(1);
    } finally {
      await stalling.close();
    }
  });

  it('takes down the process groups its probes had started', async () => {
    const stalling = createProbePool({
      maxThreads: 1,
      graceMs: 300,
      worker: { filename: fileURLToPath(new URL('./fixtures/stall-worker.ts', import.meta.url)), execArgv: ['--import', 'tsx'] },
    });
    const pidFile = join(dir, 'stalled-pid');
    const script = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
    try {
      const stuck = stalling.run({ kind: 'stall', timeoutMs: 5_000, command: NODE, args: ['-e', script] } as unknown as ProbeTask);
      const pid = await waitFor(async () => Number(await readFile(pidFile, 'utf8').catch(() => '')) || undefined, {
        timeoutMs: 20_000,
        what: 'the command to write its pid',
      });
      tracker.track(pid);
      expect(isAlive(pid)).toBe(true);
      expect((await stuck).detail).toMatch(/its worker thread was stopped and replaced/);
      await waitFor(() => !isAlive(pid), { what: `the left-behind command (pid ${pid}) to be killed` });
    } finally {
      await stalling.close();
    }
  });
});

describe('closing the pool', () => {
  it('takes down the process groups of probes still running', async () => {
    const own = createProbePool({ maxThreads: 1 });
    const pidFile = join(dir, 'closed-pid');
    const script = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000);`;
    try {
      const running = own.run(node(script, { timeoutMs: NEVER_MS }));
      const pid = await waitFor(async () => Number(await readFile(pidFile, 'utf8').catch(() => '')) || undefined, {
        timeoutMs: 20_000,
        what: 'the command to write its pid',
      });
      tracker.track(pid);
      await own.close();
      expect((await running).detail).toBe('probe pool is closed');
      await waitFor(() => !isAlive(pid), { what: `the command of a probe running at close (pid ${pid}) to be killed` });
    } finally {
      await own.close();
    }
  });
});

describe('the compiled worker (dist/)', () => {
  it('loads on plain Node, without tsx', async () => {
    const compiledPool = fileURLToPath(new URL('../../dist/src/probes/pool.js', import.meta.url));
    expect(existsSync(compiledPool), 'dist/ is missing: run `npm run build` (npm test does)').toBe(true);
    expect(existsSync(compiledPool.replace(/pool\.js$/, 'worker.js'))).toBe(true);
    const script = `
      const { createProbePool } = await import(${JSON.stringify(compiledPool)});
      const pool = createProbePool();
      const result = await pool.run({ kind: 'tcp', host: '127.0.0.1', port: ${target.port}, timeoutMs: 5000 });
      await pool.close();
      process.stdout.write(JSON.stringify(result));`;
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(NODE, ['--input-type=module', '-e', script], { timeout: 20_000 }, (error, out) =>
        error ? reject(new Error(error.message)) : resolve(out),
      ),
    );
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, kind: 'tcp', detail: `connected to 127.0.0.1:${target.port}` });
  });
});
