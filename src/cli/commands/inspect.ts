import { supervisorMachine } from '../../../machines/supervisor.machine.js';
import { chartOf } from '../../statechart/chart.js';
import { toMermaid } from '../../statechart/mermaid.js';
import { STATE_DIR_HELP, STATE_DIR_OPTION, defineCommand, parseCommandArgs, usageError } from '../args.js';
import { detailText, overviewRows, supervisorLine } from '../inspect-text.js';
import { clientFor } from './servers.js';

export type InspectFormat = 'text' | 'json' | 'mermaid';

export interface InspectArgs {
  name?: string;
  format: InspectFormat;
  stateDir?: string;
}

const INSPECT_OPTIONS = {
  json: { type: 'boolean' },
  format: { type: 'string' },
  ...STATE_DIR_OPTION,
} as const;

const FORMATS: readonly InspectFormat[] = ['text', 'json', 'mermaid'];

export function parseInspectArgs(argv: readonly string[]): InspectArgs {
  const { values, positionals } = parseCommandArgs(argv, INSPECT_OPTIONS, ['NAME?']);
  const format = values.format ?? (values.json ? 'json' : 'text');
  if (!FORMATS.includes(format as InspectFormat)) throw usageError(`--format: expected text, json or mermaid, got '${format}'`);
  if (values.json && format !== 'json') throw usageError(`--json and --format ${format} cannot be combined`);
  const args: InspectArgs = { format: format as InspectFormat };
  const name = positionals[0];
  if (name !== undefined) {
    if (name === '') throw usageError('NAME must not be empty');
    args.name = name;
  }
  if (values['state-dir'] !== undefined) args.stateDir = values['state-dir'];
  return args;
}

export const inspectCommand = defineCommand({
  name: 'inspect',
  usage: 'inspect [NAME] [--json] [--format text|json|mermaid] [--state-dir DIR]',
  summary: 'show the statecharts: every instance, or one server with its context and last transitions',
  help: [
    ['NAME', 'a server (all its instances) or one instance (memory#2, memory~3)'],
    ['--format text|json|mermaid', 'text (default); json; mermaid: a stateDiagram-v2 with the current state marked'],
    ['--json', 'the same as --format json: one JSON document (shape in the README)'],
    STATE_DIR_HELP,
  ],
  options: INSPECT_OPTIONS,
  parse: parseInspectArgs,
  run: async (args, ctx) => {
    const client = clientFor(args.stateDir, ctx);
    if (args.name === undefined) {
      const overview = await client.inspect();
      if (args.format === 'json') ctx.print.json(overview);
      else if (args.format === 'mermaid') ctx.print.line(toMermaid(chartOf(supervisorMachine), overview.supervisor.active).trimEnd());
      else {
        ctx.print.line(supervisorLine(overview));
        ctx.print.table(overviewRows(overview));
      }
      return 0;
    }
    const detail = await client.inspect(args.name);
    if (args.format === 'json') ctx.print.json(detail);
    else if (args.format === 'mermaid') ctx.print.line(toMermaid(detail.chart, detail.instances[0]?.active ?? []).trimEnd());
    else ctx.print.line(detailText(detail));
    return 0;
  },
});
