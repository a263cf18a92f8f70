/**
 * The files `service install` writes: a systemd unit (Linux) or a launchd LaunchAgent
 * plist (macOS) that runs `mcp-manager start --config FILE` in the foreground, with the
 * state dir and PATH it was installed with.
 */
import { build as buildPlist } from 'plist';

export const SERVICE_NAME = 'mcp-manager';
export const UNIT_FILE = `${SERVICE_NAME}.service`;
export const LAUNCHD_LABEL = 'mcp-manager';

export interface ServiceSpec {
  /** Executable and arguments, absolute: `node /…/main.js start --config /abs/config.yaml`. */
  command: readonly string[];
  stateDir: string;
  /** PATH at install time: servers are spawned from the manager's PATH. */
  path: string;
  workingDirectory: string;
  /** The manager's own shutdown timeout; the service manager waits longer before it kills. */
  shutdownTimeoutMs: number;
  /** `--user`: a user unit (default.target) rather than a system one (multi-user.target). */
  user: boolean;
  /** `kill` for ExecReload (absolute). */
  killCommand: string;
}

/** Seconds systemd/launchd wait for a stop: above the manager's shutdown timeout. */
export function stopTimeoutSeconds(shutdownTimeoutMs: number): number {
  return Math.ceil(shutdownTimeoutMs / 1000) + 15;
}

/**
 * One word of a systemd command line or assignment: quoted when it holds space or quotes;
 * `%` (specifiers) and `$` (variables) escaped by doubling; `\\` and `"` backslash-escaped.
 */
export function systemdQuote(word: string): string {
  const escaped = word.replace(/%/g, '%%').replace(/\$/g, '$$$$');
  if (!/[\s"'\\;]/.test(escaped) && escaped !== '') return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export function systemdUnit(spec: ServiceSpec): string {
  const lines = [
    '# Written by "mcp-manager service install"; remove with "mcp-manager service uninstall".',
    '[Unit]',
    'Description=mcp-manager: supervisor and gateway for MCP servers',
    'After=network.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${spec.command.map(systemdQuote).join(' ')}`,
    `ExecReload=${systemdQuote(spec.killCommand)} -HUP $MAINPID`,
    'Restart=on-failure',
    'RestartSec=2',
    // SIGTERM to the manager alone (it stops its servers in order), SIGKILL to what is left after the timeout
    'KillMode=mixed',
    `TimeoutStopSec=${stopTimeoutSeconds(spec.shutdownTimeoutMs)}`,
    `Environment=${systemdQuote(`MCP_MANAGER_HOME=${spec.stateDir}`)}`,
    `Environment=${systemdQuote(`PATH=${spec.path}`)}`,
    `WorkingDirectory=${systemdQuote(spec.workingDirectory)}`,
    '',
    '[Install]',
    `WantedBy=${spec.user ? 'default.target' : 'multi-user.target'}`,
    '',
  ];
  return lines.join('\n');
}

export function launchdPlist(spec: ServiceSpec & { logFile: string }): string {
  return buildPlist({
    Label: LAUNCHD_LABEL,
    ProgramArguments: [...spec.command],
    EnvironmentVariables: { MCP_MANAGER_HOME: spec.stateDir, PATH: spec.path },
    WorkingDirectory: spec.workingDirectory,
    RunAtLoad: true,
    // like Restart=on-failure: start again only after an unsuccessful exit
    KeepAlive: { SuccessfulExit: false },
    ExitTimeOut: stopTimeoutSeconds(spec.shutdownTimeoutMs),
    StandardErrorPath: spec.logFile,
    StandardOutPath: spec.logFile,
  });
}
