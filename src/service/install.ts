/**
 * `service install` / `service uninstall`: where the unit goes, what commands enable it,
 * and a receipt in the state dir (`service.json`) so uninstall undoes exactly that.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { ManagerError } from '../errors.js';
import { readJsonFile, writeJsonFile } from '../state/json-file.js';
import { managerLogOf } from '../state/paths.js';
import { LAUNCHD_LABEL, UNIT_FILE, launchdPlist, systemdUnit, type ServiceSpec } from './units.js';

export type ServicePlatform = 'systemd' | 'launchd';

export interface ServicePlan {
  platform: ServicePlatform;
  file: string;
  content: string;
  /** Run after writing (install) or before removing (uninstall), in order; no shell. */
  commands: string[][];
  /** Then, for uninstall: after removing the file. */
  after: string[][];
  /** Whether this machine can run them now (systemd running, or macOS); else they are printed. */
  canRun: boolean;
}

export const ReceiptSchema = z.object({
  version: z.literal(1),
  platform: z.enum(['systemd', 'launchd']),
  file: z.string(),
  user: z.boolean(),
  /** Whether install ran the enable commands (so uninstall runs the disable ones). */
  enabled: z.boolean(),
  installedAt: z.string(),
});
export type Receipt = z.infer<typeof ReceiptSchema>;

export function receiptFileOf(stateDir: string): string {
  return join(stateDir, 'service.json');
}

export interface PlanOptions {
  platform: NodeJS.Platform;
  user: boolean;
  env: NodeJS.ProcessEnv;
  home?: string;
  uid?: number;
  /** Whether systemd is the running init (default: /run/systemd/system exists). */
  systemdRunning?: boolean;
}

function systemctl(user: boolean, ...args: string[]): string[] {
  return user ? ['systemctl', '--user', ...args] : ['systemctl', ...args];
}

function unitFileOf(options: PlanOptions): string {
  if (!options.user) return join('/etc/systemd/system', UNIT_FILE);
  const xdg = options.env.XDG_CONFIG_HOME;
  const config = xdg && isAbsolute(xdg) ? xdg : join(options.home ?? homedir(), '.config');
  return join(config, 'systemd', 'user', UNIT_FILE);
}

function plistFileOf(options: PlanOptions): string {
  return join(options.home ?? homedir(), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
}

export function platformOf(platform: NodeJS.Platform): ServicePlatform {
  if (platform === 'darwin') return 'launchd';
  if (platform === 'linux') return 'systemd';
  throw new ManagerError('USAGE', `service install supports Linux (systemd) and macOS (launchd), not ${platform}`);
}

export function planInstall(spec: ServiceSpec, options: PlanOptions): ServicePlan {
  const platform = platformOf(options.platform);
  if (platform === 'launchd') {
    const file = plistFileOf(options);
    const domain = `gui/${options.uid ?? process.getuid?.() ?? 0}`;
    return {
      platform,
      file,
      content: launchdPlist({ ...spec, logFile: managerLogOf(spec.stateDir) }),
      commands: [['launchctl', 'bootstrap', domain, file]],
      after: [],
      canRun: true,
    };
  }
  return {
    platform,
    file: unitFileOf(options),
    content: systemdUnit(spec),
    commands: [systemctl(spec.user, 'daemon-reload'), systemctl(spec.user, 'enable', '--now', UNIT_FILE)],
    after: [],
    canRun: options.systemdRunning ?? existsSync('/run/systemd/system'),
  };
}

export function planUninstall(receipt: Receipt, options: Pick<PlanOptions, 'uid' | 'systemdRunning'>): ServicePlan {
  if (receipt.platform === 'launchd') {
    const domain = `gui/${options.uid ?? process.getuid?.() ?? 0}`;
    return {
      platform: 'launchd',
      file: receipt.file,
      content: '',
      commands: [['launchctl', 'bootout', domain, receipt.file]],
      after: [],
      canRun: true,
    };
  }
  return {
    platform: 'systemd',
    file: receipt.file,
    content: '',
    commands: [systemctl(receipt.user, 'disable', '--now', UNIT_FILE)],
    after: [systemctl(receipt.user, 'daemon-reload')],
    canRun: options.systemdRunning ?? existsSync('/run/systemd/system'),
  };
}

/** Run one command without a shell; throws with its output when it fails. */
export function runCommand(command: readonly string[]): void {
  const [file, ...args] = command;
  const result = spawnSync(file!, args, { encoding: 'utf8', timeout: 60_000 });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : (result.stderr || result.stdout).trim() || `exit code ${result.status}`;
    throw new ManagerError('CONTROL_FAILED', `"${command.join(' ')}" failed: ${why}`, { data: { command } });
  }
}

export function writeServiceFile(plan: ServicePlan): void {
  mkdirSync(dirname(plan.file), { recursive: true });
  writeFileSync(plan.file, plan.content, { mode: 0o644 });
}

export async function writeReceipt(stateDir: string, receipt: Receipt): Promise<void> {
  await writeJsonFile(receiptFileOf(stateDir), receipt);
}

export async function readReceipt(stateDir: string): Promise<Receipt | null> {
  const read = await readJsonFile(receiptFileOf(stateDir), ReceiptSchema);
  return read.status === 'ok' ? read.value : null;
}

export function removeQuietly(file: string): boolean {
  try {
    unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Whether `file` still has the content install wrote (uninstall leaves an edited file alone? no: it says so). */
export function isOurs(file: string): boolean {
  try {
    const text = readFileSync(file, 'utf8');
    return text.includes('mcp-manager service install') || text.includes(`<string>${LAUNCHD_LABEL}</string>`);
  } catch {
    return false;
  }
}
