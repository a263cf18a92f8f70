/**
 * `service install|uninstall`: the systemd unit passes `systemd-analyze verify`, the
 * launchd plist parses as XML with the keys launchd needs, install writes the unit and a
 * receipt, and uninstall undoes exactly that.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parsePlist } from 'plist';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import { planInstall, receiptFileOf } from '../../src/service/install.js';
import { shortTempDir } from '../control/helpers.js';
import { CLI } from '../supervisor/harness.js';
import { testContext } from './context.js';

const self = { command: process.execPath, args: [CLI] };

describe('service', () => {
  let dir: string;
  let cleanup: () => void;
  let config: string;
  let stateDir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    ({ dir, cleanup } = shortTempDir());
    config = join(dir, 'my config.yaml'); // a space: quoting matters
    writeFileSync(config, 'manager:\n  shutdown_timeout: 40s\nservers: {}\n');
    stateDir = join(dir, 'state');
    env = { HOME: join(dir, 'home'), PATH: '/usr/local/bin:/usr/bin:/bin', MCP_MANAGER_HOME: stateDir };
  });
  afterEach(() => cleanup());

  it('install --dry-run prints a unit that systemd-analyze verify accepts, and writes nothing', async () => {
    const ctx = testContext(stateDir, { self, env, systemdRunning: false });
    expect(await runCli(['service', 'install', '--user', '--dry-run', '--config', config], ctx)).toBe(0);
    const out = ctx.stdout();
    const unitFile = join(dir, 'home', '.config', 'systemd', 'user', 'mcp-manager.service');
    expect(out.startsWith(`# ${unitFile}\n`)).toBe(true);
    const unit = out
      .split('\n')
      .filter((l) => !l.startsWith('# ') && !l.startsWith('  systemctl'))
      .join('\n');
    expect(unit).toContain(`ExecStart=${process.execPath} ${CLI} start --config "${config}"`);
    expect(unit).toMatch(/^ExecReload=\/(usr\/)?bin\/kill -HUP \$MAINPID$/m);
    expect(unit).toContain('Restart=on-failure');
    expect(unit).toContain('KillMode=mixed');
    expect(unit).toContain('TimeoutStopSec=55'); // above the 40 s shutdown timeout
    expect(unit).toContain(`Environment=MCP_MANAGER_HOME=${stateDir}`);
    expect(unit).toContain('Environment=PATH=/usr/local/bin:/usr/bin:/bin');
    expect(unit).toContain('WantedBy=default.target');
    expect(out).toContain('  systemctl --user daemon-reload\n  systemctl --user enable --now mcp-manager.service\n');
    expect(existsSync(unitFile)).toBe(false);
    expect(existsSync(receiptFileOf(stateDir))).toBe(false);

    const checked = join(dir, 'verify');
    mkdirSync(checked);
    writeFileSync(join(checked, 'mcp-manager.service'), unit);
    const verify = spawnSync('systemd-analyze', ['verify', join(checked, 'mcp-manager.service')], { encoding: 'utf8', timeout: 60_000 });
    expect(verify.error).toBeUndefined();
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stderr).not.toMatch(/mcp-manager\.service/);
  });

  it('a system unit goes to /etc/systemd/system and is wanted by multi-user.target', async () => {
    const ctx = testContext(stateDir, { self, env, systemdRunning: false });
    expect(await runCli(['service', 'install', '--dry-run', '--config', config], ctx)).toBe(0);
    expect(ctx.stdout()).toMatch(/^# \/etc\/systemd\/system\/mcp-manager\.service\n/);
    expect(ctx.stdout()).toContain('WantedBy=multi-user.target');
    expect(ctx.stdout()).toContain('  systemctl daemon-reload\n');
  });

  it('install writes the unit and a receipt, prints the commands when systemd is not running; uninstall undoes it', async () => {
    const ctx = testContext(stateDir, { self, env, systemdRunning: false });
    expect(await runCli(['service', 'install', '--user', '--config', config], ctx)).toBe(0);
    const unitFile = join(dir, 'home', '.config', 'systemd', 'user', 'mcp-manager.service');
    expect(readFileSync(unitFile, 'utf8')).toContain('KillMode=mixed');
    expect(ctx.stdout()).toContain(
      'systemd is not running here; to enable and start the service, run:\n  systemctl --user daemon-reload\n',
    );
    expect(JSON.parse(readFileSync(receiptFileOf(stateDir), 'utf8'))).toMatchObject({
      platform: 'systemd',
      file: unitFile,
      user: true,
      enabled: false,
    });

    const undo = testContext(stateDir, { self, env, systemdRunning: false });
    expect(await runCli(['service', 'uninstall'], undo)).toBe(0);
    expect(existsSync(unitFile)).toBe(false);
    expect(existsSync(receiptFileOf(stateDir))).toBe(false);
    expect(undo.stdout()).toContain(`removed ${unitFile}`);

    const again = testContext(stateDir, { self, env, systemdRunning: false });
    expect(await runCli(['service', 'uninstall'], again)).toBe(1);
    expect(again.stderr()).toContain('nothing to undo');
  });

  it('refuses a config that does not load, naming the problem', async () => {
    writeFileSync(config, 'servers:\n  x:\n    comand: nope\n');
    const ctx = testContext(stateDir, { self, env, systemdRunning: false });
    expect(await runCli(['service', 'install', '--dry-run', '--config', config], ctx)).toBe(1);
    expect(ctx.stderr()).toContain('comand');
  });

  it('on macOS: a LaunchAgent plist that parses as XML with the expected keys', () => {
    const plan = planInstall(
      {
        command: [process.execPath, CLI, 'start', '--config', config],
        stateDir,
        path: '/usr/bin:/bin',
        workingDirectory: dir,
        shutdownTimeoutMs: 15_000,
        user: true,
        killCommand: '/bin/kill',
      },
      { platform: 'darwin', user: true, env: {}, home: join(dir, 'home'), uid: 501 },
    );
    expect(plan.file).toBe(join(dir, 'home', 'Library', 'LaunchAgents', 'mcp-manager.plist'));
    expect(plan.commands).toEqual([['launchctl', 'bootstrap', 'gui/501', plan.file]]);
    expect(plan.content.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(plan.content).toContain('<!DOCTYPE plist');
    const parsed = parsePlist(plan.content) as Record<string, unknown>;
    expect(parsed).toEqual({
      Label: 'mcp-manager',
      ProgramArguments: [process.execPath, CLI, 'start', '--config', config],
      EnvironmentVariables: { MCP_MANAGER_HOME: stateDir, PATH: '/usr/bin:/bin' },
      WorkingDirectory: dir,
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ExitTimeOut: 30,
      StandardErrorPath: join(stateDir, 'logs', 'manager.log'),
      StandardOutPath: join(stateDir, 'logs', 'manager.log'),
    });
  });
});
