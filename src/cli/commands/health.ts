import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs } from '../args.js';
import { clientFor, parseServerName } from './servers.js';

export interface HealthArgs {
  server?: string;
  json: boolean;
  stateDir?: string;
}

const HEALTH_OPTIONS = {
  server: { type: 'string', short: 's' },
  json: { type: 'boolean' },
  ...STATE_DIR_OPTION,
} as const;

export function parseHealthArgs(argv: readonly string[]): HealthArgs {
  const { values } = parseCommandArgs(argv, HEALTH_OPTIONS);
  const args: HealthArgs = { json: values.json ?? false };
  if (values.server !== undefined) args.server = parseServerName(values.server);
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const healthCommand = defineCommand({
  name: 'health',
  usage: 'health [--server NAME] [--json] [--state-dir DIR]',
  summary: 'show health per server: latency, cpu, memory, trends, failing probes',
  help: [
    ['-s, --server NAME', 'only this server'],
    ['--json', 'print one JSON document: {servers: [{name, state, restarts, ...}]}'],
    STATE_DIR_HELP,
  ],
  options: HEALTH_OPTIONS,
  parse: parseHealthArgs,
  run: async (args, ctx) => {
    const snapshot = await clientFor(args.stateDir, ctx).health(args.server === undefined ? {} : { server: args.server });
    if (args.json) ctx.print.json(snapshot);
    else ctx.print.health(snapshot);
    return 0;
  },
});
