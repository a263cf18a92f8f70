import { catalogFileOf, readCatalog, searchCatalog } from '../../config/server-catalog.js';
import { defineCommand, parseCommandArgs } from '../args.js';
import { packageRoot } from '../../package-info.js';

export interface CatalogArgs {
  query?: string;
  json: boolean;
}

const CATALOG_OPTIONS = { json: { type: 'boolean' } } as const;

export function parseCatalogArgs(argv: readonly string[]): CatalogArgs {
  const { values, positionals } = parseCommandArgs(argv, CATALOG_OPTIONS, ['QUERY?']);
  const args: CatalogArgs = { json: values.json ?? false };
  if (positionals[0] !== undefined) args.query = positionals[0];
  return args;
}

export const catalogCommand = defineCommand({
  name: 'catalog',
  usage: 'catalog [QUERY] [--json]',
  summary: 'list or search the bundled catalog of known servers and what each needs',
  help: [
    ['QUERY', 'words that must all appear in the name, description or tags'],
    ['--json', 'print one JSON document: {file, entries: [{name, description, tags, needs, entry}]}'],
  ],
  options: CATALOG_OPTIONS,
  parse: parseCatalogArgs,
  run: async (args, ctx) => {
    const file = catalogFileOf(packageRoot());
    const entries = searchCatalog(readCatalog(file), args.query);
    if (args.json) ctx.print.json({ file, entries });
    else ctx.print.catalog(entries, args.query);
    return Promise.resolve(entries.length === 0 && args.query !== undefined ? 1 : 0);
  },
});
