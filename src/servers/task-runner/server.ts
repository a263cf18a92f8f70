import { Server, ProtocolError, ProtocolErrorCode } from '@modelcontextprotocol/server';
import type { CallContext, RunnerContext } from './context.js';
import { failure } from './results.js';
import { TOOLS } from './tools.js';

export const SERVER_NAME = 'mcp-task-runner';
export const SERVER_VERSION = '0.1.0';

/**
 * The MCP server on the SDK's low-level `Server`: tools/list answers from the tool table,
 * tools/call validates and dispatches. Every failure of a known tool becomes an `isError`
 * result; an unknown tool name is a protocol error (InvalidParams).
 */
export function createTaskRunnerServer(ctx: RunnerContext): Server {
  const server = new Server(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Runs markdown task lists through an executor command. Call create_project (or parse_task_list), then pass the returned ' +
        'project_dir as base_dir to run_task / run_all_tasks / get_task_status / get_task_summary / clean.',
    },
  );
  const byName = new Map(TOOLS.map((tool) => [tool.definition.name, tool]));

  server.setRequestHandler('tools/list', () => ({ tools: TOOLS.map((tool) => tool.definition) }));

  server.setRequestHandler('tools/call', async (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `unknown tool: ${request.params.name}`);
    const progressToken = request.params._meta?.progressToken;
    const call: CallContext = {
      signal: extra.mcpReq.signal,
      ...(progressToken === undefined
        ? {}
        : {
            reportProgress: (progress, total, message) =>
              extra.mcpReq.notify({ method: 'notifications/progress', params: { progressToken, progress, total, message } }),
          }),
    };
    try {
      return await tool.call(request.params.arguments, ctx, call);
    } catch (error) {
      ctx.logger.debug({ err: error, tool: request.params.name }, 'tool call failed');
      return failure(error);
    }
  });

  return server;
}
