/**
 * Known secrets go through every command and every log of the real manager, and none of
 * them comes out: configured env and header values, credential-shaped arguments, URL
 * user info and token query parameters, and a backend printing its own key to stderr.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAlive, waitFor } from '../helpers/processes.js';
import { CLI, echoServer, tempDir } from '../supervisor/harness.js';
import { endedAfterEach, startCliManager } from './harness.js';

const started = endedAfterEach();

/** Every secret carries this marker; nothing else in the test does. */
const MARK = 'SECRET';
const SECRETS = {
  envToken: 'env-token-SECRET-value-1',
  envPlain: 'Zq8xY2wV7uT6-SECRET',
  argToken: 'arg-SECRET-token-2',
  argKey: 'sk-SECRETSECRETSECRET1234',
  urlPassword: 'pw-SECRET-url',
  urlToken: 'at-SECRET-query',
  header: 'hdr-SECRET-bearer-value',
};

const LEAKY_SCRIPT =
  "process.stderr.write('starting with key ' + process.env.API_TOKEN + ' and ' + process.env.CUSTOM_VALUE + '\\n'); process.exit(3)";

function config(dir: string): string {
  const file = join(dir, 'config.yaml');
  writeFileSync(
    file,
    [
      'manager:',
      '  shutdown_timeout: 20s',
      'servers:',
      '  leaky:',
      `    command: ${process.execPath}`,
      `    args: ["-e", ${JSON.stringify(LEAKY_SCRIPT)}, "--", "--token=${SECRETS.argToken}", "--api-key", "${SECRETS.argKey}"]`,
      '    restart: temporary',
      '    env:',
      `      API_TOKEN: "${SECRETS.envToken}"`,
      `      CUSTOM_VALUE: "${SECRETS.envPlain}"`,
      '  remote:',
      '    connection_type: http',
      `    url: "http://alice:${SECRETS.urlPassword}@127.0.0.1:1/mcp?access_token=${SECRETS.urlToken}"`,
      '    restart: temporary',
      '    headers:',
      `      Authorization: "Bearer ${SECRETS.header}"`,
      echoServer('fine', { SERVICE_TOKEN: SECRETS.envToken }),
    ].join('\n'),
  );
  return file;
}

function cli(args: string[]): string {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return `$ ${args.join(' ')}\n${result.stdout}${result.stderr}`;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stats = statSync(path);
    return stats.isDirectory() ? filesUnder(path) : stats.isFile() ? [path] : [];
  });
}

describe('secrets', () => {
  it('appear in no command output and no log', { timeout: 300_000 }, async () => {
    const tmp = tempDir();
    started.cleanup = tmp.cleanup;
    const file = config(tmp.dir);
    const stateDir = join(tmp.dir, 'state');
    const m = (started.manager = await startCliManager({ config: file, stateDir, http: true }));
    await waitFor(async () => (await m.status()).servers.find((s) => s.name === 'leaky')?.state === 'failed', {
      timeoutMs: 30_000,
      what: 'leaky to fail',
    });
    await waitFor(async () => (await m.status()).servers.find((s) => s.name === 'fine')?.state === 'healthy', {
      timeoutMs: 30_000,
      what: 'fine to be healthy',
    });
    await waitFor(async () => ['failed', 'stopped'].includes((await m.status()).servers.find((s) => s.name === 'remote')?.state ?? ''), {
      timeoutMs: 30_000,
      what: 'remote to fail',
    });

    const s = ['--state-dir', stateDir];
    const outputs = [
      cli(['status', ...s]),
      cli(['status', '--detailed', ...s]),
      cli(['status', '--detailed', '--json', ...s]),
      cli(['list-servers', '--json', ...s]),
      cli(['health', '--json', ...s]),
      cli(['capabilities', '--json', ...s]),
      cli(['logs', 'leaky', ...s]),
      cli(['logs', 'remote', ...s]),
      cli(['logs', 'fine', ...s]),
      cli(['validate', '--config', file]),
      cli(['doctor', '--config', file]),
      cli(['doctor', '--config', file, '--json']),
      cli(['discover', '--path', file, ...s]),
      cli(['discover', '--path', file, '--json', ...s]),
    ];
    const detailed = outputs[1]!;
    // the backend's own words made it through, without its key
    expect(detailed).toContain('starting with key [redacted] and [redacted]');
    expect(outputs[6]).toMatch(/started pid \d+: .*--token=\[redacted\] --api-key \[redacted\]/);
    expect(outputs[10]).toContain('starting with key [redacted]');

    const children = m.descendants();
    expect(await m.stop()).toBe(0);
    expect(children.filter(isAlive)).toEqual([]);
    const logs = filesUnder(stateDir).map((path) => `== ${path}\n${readFileSync(path, 'utf8')}`);
    const everything = [...outputs, ...logs, `== manager log\n${m.log().join('\n')}`].join('\n');
    const leaks = everything.split('\n').filter((line) => line.includes(MARK));
    expect(leaks).toEqual([]);
    // and the checks looked at real output
    expect(m.log().length).toBeGreaterThan(5);
    for (const value of Object.values(SECRETS)) expect(everything).not.toContain(value);
  });
});
