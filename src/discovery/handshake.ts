/**
 * One doctor handshake: spawn the server with our stdio transport, `initialize` with a
 * timeout, read `tools/list` (loosely, so one bad tool does not hide the others), then close
 * with the stop ladder. Failures come back as data with the diagnosis; never throws.
 */
import { Client } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/client';
import { negotiationOf } from '../server-actor/era.js';
import { z } from 'zod';
import type { ServerConfig } from '../config/types.js';
import { ManagerError, describeExit, errorMessage, type ExitInfo } from '../errors.js';
import { buildChildEnv } from '../transports/env.js';
import { StdioProcessTransport } from '../transports/stdio.js';
import { diagnoseFailure, type Diagnosis } from './diagnose.js';

export interface HandshakeOptions {
  /** The manager's environment: the child's is built from it as the manager would. */
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  clientInfo: { name: string; version: string };
}

export type HandshakeResult =
  | {
      ok: true;
      protocolVersion: string | undefined;
      serverInfo: { name: string; version: string } | undefined;
      tools: unknown[];
      /** Lines the server wrote to stdout that were not MCP messages, and similar transport complaints. */
      transportErrors: string[];
      elapsedMs: number;
    }
  | { ok: false; detail: string; diagnosis: Diagnosis; transportErrors: string[] };

const LooseToolsResult = z.looseObject({ tools: z.array(z.unknown()), nextCursor: z.string().optional() });
/** After the handshake broke, how long to wait for the process to report its exit. */
const EXIT_WAIT_MS = 2_000;
const MAX_TOOL_PAGES = 100;

export async function handshake(server: ServerConfig, options: HandshakeOptions): Promise<HandshakeResult> {
  const command = server.command ?? '';
  const transport = new StdioProcessTransport({
    serverName: server.name,
    command,
    args: server.args,
    env: buildChildEnv({ env: server.env, inheritEnv: server.inheritEnv, parentEnv: options.env }),
    inheritEnv: false,
    ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
    stopGraceMs: server.stopGraceMs,
    stopTimeoutMs: server.stopTimeoutMs,
  });
  const transportErrors: string[] = [];
  let protocolVersion: string | undefined;
  // the client tells a transport the negotiated version through this optional hook
  (transport as Transport).setProtocolVersion = (version: string) => {
    protocolVersion = version;
  };
  // a server pinned to 2026-07-28 is checked in that era; others with the initialize handshake
  const client = new Client(options.clientInfo, {
    capabilities: {},
    ...(server.protocol === 'modern' ? { versionNegotiation: negotiationOf(server) } : {}),
  });
  client.onerror = (error) => transportErrors.push(errorMessage(error));
  const started = Date.now();
  try {
    await client.connect(transport, { timeout: options.timeoutMs });
    const tools = client.getServerCapabilities()?.tools ? await listTools(client, options.timeoutMs) : [];
    const info = client.getServerVersion();
    return {
      ok: true,
      protocolVersion: protocolVersion ?? client.getNegotiatedProtocolVersion(),
      serverInfo: info ? { name: info.name, version: info.version } : undefined,
      tools,
      transportErrors,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    const exit = await Promise.race([
      transport.exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), EXIT_WAIT_MS).unref()),
    ]);
    return failure(server, error, exit, transport.stderrTail(), transportErrors, options.timeoutMs);
  } finally {
    await client.close().catch(() => undefined);
    await transport.close();
  }
}

async function listTools(client: Client, timeoutMs: number): Promise<unknown[]> {
  const tools: unknown[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_TOOL_PAGES; page++) {
    const result = await client.request({ method: 'tools/list', params: cursor === undefined ? {} : { cursor } }, LooseToolsResult, {
      timeout: timeoutMs,
    });
    tools.push(...result.tools);
    if (!result.nextCursor) break;
    cursor = result.nextCursor;
  }
  return tools;
}

function failure(
  server: ServerConfig,
  error: unknown,
  exit: ExitInfo | undefined,
  stderrTail: string[],
  transportErrors: string[],
  timeoutMs: number,
): HandshakeResult {
  const spawn = ManagerError.is(error) && error.code === 'SPAWN_FAILED' ? error : undefined;
  const exited = exit !== undefined && (exit.exitCode !== null || exit.signal !== null);
  const timedOut = !exited && /timed out/i.test(errorMessage(error));
  const message = errorMessage(error);
  const diagnosis = diagnoseFailure({
    command: server.command ?? '',
    args: server.args,
    exitCode: exit?.exitCode ?? null,
    signal: exit?.signal ?? null,
    stderrTail: exit?.stderrTail.length ? exit.stderrTail : stderrTail,
    message,
    transportErrors,
    ...(spawn ? { code: 'SPAWN_FAILED', errno: typeof spawn.data.errno === 'string' ? spawn.data.errno : null } : {}),
    ...(timedOut ? { code: 'INITIALIZE_TIMEOUT' } : {}),
  });
  const what = spawn
    ? spawn.message
    : exited
      ? `the server ${describeExit(exit)} before the handshake finished`
      : timedOut
        ? `no answer to initialize within ${timeoutMs} ms`
        : `the handshake failed: ${message}`;
  return { ok: false, detail: `${what}; ${diagnosis.summary}`, diagnosis, transportErrors };
}
