/**
 * Are a server's tool schemas usable? Each `inputSchema` (and `outputSchema`, when given)
 * must be a JSON Schema object with `type: "object"` that compiles (the SDK's Ajv validator:
 * unknown types, bad `required`, unresolvable `$ref` fail).
 */
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/client/validators/ajv';
import { isRecord } from '../config/path.js';

export interface SchemaProblem {
  tool: string;
  message: string;
}

export function checkToolSchemas(tools: readonly unknown[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  tools.forEach((tool, index) => {
    const name = isRecord(tool) && typeof tool.name === 'string' ? tool.name : `#${index}`;
    if (!isRecord(tool)) {
      problems.push({ tool: name, message: 'not an object' });
      return;
    }
    for (const key of ['inputSchema', 'outputSchema'] as const) {
      if (key === 'outputSchema' && tool[key] === undefined) continue;
      const message = schemaProblem(tool[key]);
      if (message) problems.push({ tool: name, message: `${key}: ${message}` });
    }
  });
  return problems;
}

function schemaProblem(schema: unknown): string | undefined {
  if (schema === undefined) return 'missing';
  if (!isRecord(schema)) return 'expected a JSON Schema object';
  if (schema.type !== 'object') return `expected type "object", got ${schema.type === undefined ? 'no type' : JSON.stringify(schema.type)}`;
  try {
    // a fresh validator per schema: Ajv remembers `$id`s, and two tools may reuse one
    new AjvJsonSchemaValidator().getValidator(schema);
    return undefined;
  } catch (error) {
    return `does not compile: ${error instanceof Error ? error.message : String(error)}`;
  }
}
