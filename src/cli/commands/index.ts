/**
 * The command table. A command's module, and what it imports (the SDK, zod, xstate, the
 * supervisor…), loads only when that command runs or its help is shown, so `--version`,
 * `status` or `stop` do not pay for `start`'s or `import`'s dependencies, and a running
 * manager does not hold the other commands' code.
 */
import type { Command } from '../args.js';

/** A command known by name; `load` brings in its module (once). */
export interface CommandEntry {
  readonly name: string;
  load(): Promise<Command>;
}

function entry(name: string, load: () => Promise<Command>): CommandEntry {
  let loaded: Promise<Command> | undefined;
  return { name, load: () => (loaded ??= load()) };
}

/** Every command, in the order `help` lists them. */
export const COMMANDS: readonly CommandEntry[] = [
  entry('start', async () => (await import('./lifecycle.js')).startCommand),
  entry('stop', async () => (await import('./lifecycle.js')).stopCommand),
  entry('status', async () => (await import('./servers.js')).statusCommand),
  entry('list-servers', async () => (await import('./servers.js')).listServersCommand),
  entry('start-server', async () => (await import('./servers.js')).startServerCommand),
  entry('stop-server', async () => (await import('./servers.js')).stopServerCommand),
  entry('restart-server', async () => (await import('./servers.js')).restartServerCommand),
  entry('capabilities', async () => (await import('./gateway.js')).capabilitiesCommand),
  entry('call', async () => (await import('./gateway.js')).callCommand),
  entry('health', async () => (await import('./health.js')).healthCommand),
  entry('reload', async () => (await import('./config.js')).reloadCommand),
  entry('validate', async () => (await import('./config.js')).validateCommand),
  entry('discover', async () => (await import('./discovery.js')).discoverCommand),
  entry('doctor', async () => (await import('./discovery.js')).doctorCommand),
  entry('logs', async () => (await import('./logs.js')).logsCommand),
  entry('service', async () => (await import('./service.js')).serviceCommand),
  entry('add', async () => (await import('./add-remove.js')).addCommand),
  entry('remove', async () => (await import('./add-remove.js')).removeCommand),
  entry('import', async () => (await import('./import.js')).importCommand),
  entry('connect', async () => (await import('./connect.js')).connectCommand),
  entry('disconnect', async () => (await import('./connect.js')).disconnectCommand),
  entry('catalog', async () => (await import('./catalog.js')).catalogCommand),
  entry('inspect', async () => (await import('./inspect.js')).inspectCommand),
  entry('completion', async () => (await import('./completion.js')).completionCommand(loadCommands)),
];

/** Verbs for scripts, not listed by `help`: `__complete` feeds shell completion. */
export const HIDDEN_COMMANDS: readonly CommandEntry[] = [
  entry('__complete', async () => (await import('./completion.js')).completeCommand),
];

/** Every listed command, loaded (for `help` and the completion scripts). */
export function loadCommands(): Promise<Command[]> {
  return Promise.all(COMMANDS.map((c) => c.load()));
}
