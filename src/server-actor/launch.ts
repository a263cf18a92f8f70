/**
 * The `launch` actor: spawn the server, run the MCP handshake, read its catalog.
 * Resolves with data for the chart; rejects with a ManagerError whose code and data
 * say what went wrong (spawn failure, exit before initialize with the stderr tail).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { fromPromise } from 'xstate';
import type { LaunchResult } from '../../machines/events.js';
import type { InstanceRef } from '../../machines/server.machine.js';
import { serverOfInstance } from '../../machines/supervisor.machine.js';
import type { ServerConfig } from '../config/types.js';
import { ManagerError, ServerExitError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { StdioProcessTransport } from '../transports/stdio.js';
import type { Session, SessionRegistry } from './session.js';

export interface LaunchDeps {
  sessions: SessionRegistry;
  /** The current config of a server, by name. */
  configOf(server: string): ServerConfig | undefined;
  /** Per-instance stderr log file. */
  logFileOf(instance: string): string;
  logger: Logger;
  clientInfo: { name: string; version: string };
}

/** How long to wait, after the handshake broke, for the process to report its exit. */
const EXIT_REPORT_MS = 2_000;

export function createLaunch(deps: LaunchDeps) {
  return fromPromise<LaunchResult, InstanceRef>(async ({ input, signal }) => {
    const server = serverOfInstance(input.instance);
    const config = deps.configOf(server);
    if (!config) throw new ManagerError('SERVER_NOT_FOUND', `server "${server}" is not configured`);

    const stale = deps.sessions.get(input.instance);
    if (stale) await stale.close();

    const session = openSession(input.instance, config, deps);
    deps.sessions.set(session);
    const abort = () => void session.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await session.client.connect(session.transport);
      session.tools = await listAllTools(session.client);
      signal.throwIfAborted();
      return { pid: session.transport.pid, tools: session.tools.map((t) => t.name), startedAt: Date.now() };
    } catch (error) {
      throw await explainLaunchFailure(server, session, error);
    } finally {
      signal.removeEventListener('abort', abort);
    }
  });
}

function openSession(instance: string, config: ServerConfig, deps: LaunchDeps): Session {
  if (config.connectionType !== 'stdio' || !config.command) {
    throw new ManagerError(
      'TRANSPORT_UNSUPPORTED',
      `server "${config.name}": connection_type "${config.connectionType}" is not supported by this version`,
    );
  }
  const transport = new StdioProcessTransport({
    serverName: instance,
    command: config.command,
    args: config.args,
    env: config.env,
    inheritEnv: config.inheritEnv,
    ...(config.cwd === undefined ? {} : { cwd: config.cwd }),
    stderrLogFile: deps.logFileOf(instance),
    stopGraceMs: config.stopGraceMs,
    stopTimeoutMs: config.stopTimeoutMs,
  });
  const client = new Client(deps.clientInfo, { capabilities: {} });
  const log = deps.logger.child({ server: instance });
  // bad lines on stdout, oversized messages: reported, never fatal
  client.onerror = (error) => log.warn({ err: errorMessage(error) }, 'server sent something we could not read');
  let closing: Promise<void> | undefined;
  const session: Session = {
    instance,
    server: config.name,
    transport,
    client,
    tools: [],
    exited: transport.exited,
    close: () => (closing ??= client.close().then(() => transport.close())),
  };
  client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
    try {
      session.tools = await listAllTools(client);
      session.onCatalog?.(session.tools);
    } catch (error) {
      log.warn({ err: errorMessage(error) }, 'could not re-read the tool list after list_changed');
    }
  });
  return session;
}

async function listAllTools(client: Client): Promise<Tool[]> {
  if (!client.getServerCapabilities()?.tools) return [];
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

/** Turn a broken handshake into the most useful error: spawn failure, exit with stderr, or protocol error. */
async function explainLaunchFailure(server: string, session: Session, error: unknown): Promise<unknown> {
  if (ManagerError.is(error)) return error;
  const exit = await Promise.race([
    session.exited,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), EXIT_REPORT_MS).unref()),
  ]);
  if (exit && (exit.exitCode !== null || exit.signal !== null)) return new ServerExitError(server, exit);
  return new ManagerError('INITIALIZE_FAILED', `server "${server}": MCP handshake failed: ${errorMessage(error)}`, {
    cause: error,
    data: { stderrTail: session.transport.stderrTail() },
  });
}
