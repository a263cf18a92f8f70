import type { CallToolResult } from '@modelcontextprotocol/server';
import { TaskRunnerError } from './errors.js';

/** Every tool answer is JSON text: `{success: true, …}`, or `{success: false, error, code, …}` with isError. */
export function ok(data: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify({ success: true, ...data }, null, 2) }] };
}

export function failure(error: unknown): CallToolResult {
  const known = error instanceof TaskRunnerError;
  const body = {
    success: false,
    error: error instanceof Error ? error.message : String(error),
    code: known ? error.code : 'INTERNAL',
    ...(known ? error.data : {}),
  };
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(body, null, 2) }] };
}
