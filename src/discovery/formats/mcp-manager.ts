/** Our own YAML (`mcp-manager.yaml`, `manager:` + `servers:`), read by the config loader. */
import { readWithLoader } from '../from-loader.js';
import type { FormatModule } from '../types.js';
import { finish } from './common.js';

export const mcpManagerFormat: FormatModule = {
  format: 'mcp-manager',
  detect: (file) => /\.ya?ml$/i.test(file),
  async read(file, text, context) {
    const read = readWithLoader(file, text, { env: context.env });
    const servers = await Promise.all(read.entries.map((entry) => finish(entry, file, 'mcp-manager', 'mcp-manager', context)));
    return { servers, issues: read.issues, warnings: read.warnings };
  },
};
