import type { Command } from '../args.js';
import { completionCommand } from './completion.js';
import { validateCommand } from './config.js';
import { startCommand, stopCommand } from './lifecycle.js';
import { logsCommand } from './logs.js';
import {
  listServersCommand,
  restartServerCommand,
  startServerCommand,
  statusCommand,
  stopServerCommand,
} from './servers.js';

/** Every command, in the order `help` lists them. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  stopCommand,
  statusCommand,
  listServersCommand,
  startServerCommand,
  stopServerCommand,
  restartServerCommand,
  validateCommand,
  logsCommand,
  completionCommand(() => COMMANDS),
];
