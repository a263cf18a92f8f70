import type { Command } from '../args.js';
import { addCommand, removeCommand } from './add-remove.js';
import { catalogCommand } from './catalog.js';
import { importCommand } from './import.js';
import { completeCommand, completionCommand } from './completion.js';
import { connectCommand, disconnectCommand } from './connect.js';
import { reloadCommand, validateCommand } from './config.js';
import { discoverCommand, doctorCommand } from './discovery.js';
import { callCommand, capabilitiesCommand } from './gateway.js';
import { healthCommand } from './health.js';
import { inspectCommand } from './inspect.js';
import { startCommand, stopCommand } from './lifecycle.js';
import { logsCommand } from './logs.js';
import { serviceCommand } from './service.js';
import { listServersCommand, restartServerCommand, startServerCommand, statusCommand, stopServerCommand } from './servers.js';

/** Every command, in the order `help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  stopCommand,
  statusCommand,
  listServersCommand,
  startServerCommand,
  stopServerCommand,
  restartServerCommand,
  capabilitiesCommand,
  callCommand,
  healthCommand,
  reloadCommand,
  validateCommand,
  discoverCommand,
  doctorCommand,
  logsCommand,
  serviceCommand,
  addCommand,
  removeCommand,
  importCommand,
  connectCommand,
  disconnectCommand,
  catalogCommand,
  inspectCommand,
  completionCommand(() => COMMANDS),
];

/** Verbs for scripts, not listed by `help`: `__complete` feeds shell completion. */
export const HIDDEN_COMMANDS: readonly Command[] = [completeCommand];
