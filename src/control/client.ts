import { request } from 'node:http';
import { dirname } from 'node:path';
import { ManagerError, errorMessage, type ErrorCode } from '../errors.js';
import type { CapabilitiesSnapshot, HealthSnapshot, ReloadReport, ServerStatus, StatusSnapshot, ToolCallResult } from './types.js';
import type { InspectDetail, InspectOverview } from './inspect-types.js';

export interface ControlRequestOptions {
  /** Whole-request deadline. Default: 10 s for GET, 60 s otherwise (stop/restart take a while). */
  timeoutMs?: number;
}

export interface ControlClientOptions extends ControlRequestOptions {
  /** Deadline of `callTool` (`timeoutMs` does not apply to it: tools may be slow). Default 10 minutes. */
  callTimeoutMs?: number;
}

/** How long `callTool` waits for a tool result by default. */
export const CALL_TIMEOUT_MS = 10 * 60_000;

export type ControlMethod = 'GET' | 'POST';

const MAX_REPLY_BYTES = 32 * 1024 * 1024;

/** The manager is this same codebase, so a well-formed code on the wire is one of ours. */
const isErrorCode = (value: unknown): value is ErrorCode => typeof value === 'string' && /^[A-Z][A-Z0-9_]*$/.test(value);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * One request to the control API of the manager listening on `socketPath`. Resolves with
 * the parsed JSON reply; an error reply becomes a ManagerError with the manager's code.
 */
export function controlRequest(
  socketPath: string,
  method: ControlMethod,
  path: string,
  body?: unknown,
  options: ControlRequestOptions = {},
): Promise<unknown> {
  const timeoutMs = options.timeoutMs ?? (method === 'GET' ? 10_000 : 60_000);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const what = `${method} ${path}`;

  return new Promise((resolve, reject) => {
    const req = request({
      socketPath,
      method,
      path,
      agent: false,
      headers: {
        accept: 'application/json',
        connection: 'close',
        ...(payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
    });

    // Why we cut the request ourselves; wins over whatever error the cut surfaces as.
    let abortReason: ManagerError | undefined;
    const abort = (reason: ManagerError): void => {
      abortReason ??= reason;
      req.destroy(reason);
    };
    const timer = setTimeout(() => {
      abort(
        new ManagerError('CONTROL_FAILED', `control request ${what} timed out after ${formatSeconds(timeoutMs)}`, {
          data: { socketPath, timeoutMs },
        }),
      );
    }, timeoutMs);
    const fail = (error: unknown): void => {
      clearTimeout(timer);
      reject(abortReason ?? (ManagerError.is(error) ? error : connectionError(error, socketPath, what)));
    };

    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_REPLY_BYTES) {
          abort(new ManagerError('CONTROL_FAILED', `control reply to ${what} is larger than ${MAX_REPLY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', fail);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          reject(
            new ManagerError('CONTROL_FAILED', `control reply to ${what} is not JSON (HTTP ${status}): ${text.slice(0, 200)}`, {
              data: { status },
            }),
          );
          return;
        }
        if (status >= 200 && status < 300) resolve(value);
        else reject(replyError(value, status, what));
      });
    });
    req.end(payload);
  });
}

function replyError(value: unknown, status: number, what: string): ManagerError {
  const error = isRecord(value) ? value.error : undefined;
  if (isRecord(error) && typeof error.message === 'string') {
    const code = isErrorCode(error.code) ? error.code : 'CONTROL_FAILED';
    const data = isRecord(error.data) ? error.data : {};
    return new ManagerError(code, error.message, { data: { ...data, status } });
  }
  return new ManagerError('CONTROL_FAILED', `control request ${what} failed with HTTP ${status}`, { data: { status } });
}

function connectionError(error: unknown, socketPath: string, what: string): ManagerError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const stateDir = dirname(socketPath);
  if (code === 'ENOENT') {
    return new ManagerError(
      'MANAGER_NOT_RUNNING',
      `no mcp-manager is running for state dir ${stateDir} (no control socket at ${socketPath})`,
      { data: { stateDir, socketPath }, cause: error },
    );
  }
  if (code === 'ECONNREFUSED') {
    return new ManagerError(
      'MANAGER_NOT_RUNNING',
      `no mcp-manager is running for state dir ${stateDir} (nothing listens on the control socket ${socketPath})`,
      { data: { stateDir, socketPath }, cause: error },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ManagerError('CONTROL_FAILED', `permission denied on control socket ${socketPath}`, {
      data: { stateDir, socketPath },
      cause: error,
    });
  }
  return new ManagerError('CONTROL_FAILED', `control request ${what} failed: ${errorMessage(error)}`, {
    data: { stateDir, socketPath },
    cause: error,
  });
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Typed calls over `controlRequest`; replies are shape-checked at this edge. */
export interface ControlClient {
  readonly socketPath: string;
  status(options?: { detailed?: boolean }): Promise<StatusSnapshot>;
  servers(): Promise<ServerStatus[]>;
  startServer(name: string): Promise<void>;
  stopServer(name: string): Promise<void>;
  restartServer(name: string): Promise<void>;
  /** Asks the manager to stop; resolves once it has accepted, before it has stopped. */
  shutdown(): Promise<void>;
  /** What each server offers through the gateway; `server` narrows it to one (unknown → SERVER_NOT_FOUND). */
  capabilities(options?: { server?: string }): Promise<CapabilitiesSnapshot>;
  /** Call `tool` (the server's own name) on `server`; resolves with the tool result, also when it has `isError`. */
  callTool(server: string, tool: string, args?: Record<string, unknown>): Promise<ToolCallResult>;
  /** Health of every server, or of one. */
  health(options?: { server?: string }): Promise<HealthSnapshot>;
  /** Re-read the config and apply the difference; a rejected config gives `ok: false` and its issues. */
  /** With `since`: everything applied after that config generation (see status `configGeneration`). */
  reload(request?: { since?: number }): Promise<ReloadReport>;
  /** The supervisor and every instance's state. */
  inspect(): Promise<InspectOverview>;
  /** One server (or instance): its chart, current state, context and last transitions. */
  inspect(name: string): Promise<InspectDetail>;
}

export function createControlClient(socketPath: string, options: ControlClientOptions = {}): ControlClient {
  const { callTimeoutMs = CALL_TIMEOUT_MS, ...requestOptions } = options;
  const call = (method: ControlMethod, path: string, body?: unknown): Promise<unknown> =>
    controlRequest(socketPath, method, path, body, requestOptions);
  const serverAction = async (name: string, action: 'start' | 'stop' | 'restart'): Promise<void> => {
    await call('POST', `/servers/${encodeURIComponent(name)}/${action}`);
  };

  return {
    socketPath,
    async status({ detailed = false } = {}) {
      const reply = await call('GET', detailed ? '/status?detailed=1' : '/status');
      if (!isRecord(reply) || !isRecord(reply.manager) || !Array.isArray(reply.servers)) throw unexpected('/status');
      return reply as unknown as StatusSnapshot;
    },
    async servers() {
      const reply = await call('GET', '/servers');
      if (!isRecord(reply) || !Array.isArray(reply.servers)) throw unexpected('/servers');
      return reply.servers as ServerStatus[];
    },
    startServer: (name) => serverAction(name, 'start'),
    stopServer: (name) => serverAction(name, 'stop'),
    restartServer: (name) => serverAction(name, 'restart'),
    async shutdown() {
      await call('POST', '/shutdown');
    },
    async capabilities({ server } = {}) {
      const reply = await call('GET', withServer('/capabilities', server));
      const problem = capabilitiesProblem(reply);
      if (problem) throw unexpected('/capabilities', problem);
      return reply as CapabilitiesSnapshot;
    },
    async callTool(server, tool, args = {}) {
      const reply = await controlRequest(socketPath, 'POST', '/call', { server, tool, args }, { timeoutMs: callTimeoutMs });
      if (!isRecord(reply)) throw unexpected('/call', 'the tool result is not an object');
      if (reply.content !== undefined && !Array.isArray(reply.content)) throw unexpected('/call', 'content is not an array');
      return reply;
    },
    async health({ server } = {}) {
      const reply = await call('GET', withServer('/health', server));
      const problem = listProblem(reply, (entry) =>
        typeof entry.name !== 'string' ? 'has no name' : typeof entry.state !== 'string' ? 'has no state' : undefined,
      );
      if (problem) throw unexpected('/health', problem);
      return reply as HealthSnapshot;
    },
    async inspect(name?: string) {
      const reply = await call('GET', name === undefined ? '/inspect' : `/inspect?name=${encodeURIComponent(name)}`);
      if (!isRecord(reply) || !isRecord(reply.supervisor) || !Array.isArray(reply.instances)) throw unexpected('/inspect');
      if (name !== undefined && !isRecord(reply.chart)) throw unexpected('/inspect', 'no chart');
      return reply as unknown as InspectDetail;
    },
    async reload({ since }: { since?: number } = {}) {
      const reply = await call('POST', since === undefined ? '/reload' : `/reload?since=${since}`);
      const problem = reloadProblem(reply);
      if (problem) throw unexpected('/reload', problem);
      return reply as ReloadReport;
    },
  };
}

function withServer(path: string, server: string | undefined): string {
  return server === undefined ? path : `${path}?server=${encodeURIComponent(server)}`;
}

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');

/** `{servers: [...]}` whose every entry passes `check` (which names what is wrong). */
function listProblem(reply: unknown, check: (entry: Record<string, unknown>) => string | undefined): string | undefined {
  if (!isRecord(reply) || !Array.isArray(reply.servers)) return 'no servers array';
  for (const [i, entry] of (reply.servers as unknown[]).entries()) {
    if (!isRecord(entry)) return `servers[${i}] is not an object`;
    const problem = check(entry);
    if (problem) return `servers[${i}] ${problem}`;
  }
  return undefined;
}

function capabilitiesProblem(reply: unknown): string | undefined {
  return listProblem(reply, (entry) => {
    if (typeof entry.name !== 'string') return 'has no name';
    if (typeof entry.state !== 'string') return 'has no state';
    if (entry.serverInfo !== null && !isRecord(entry.serverInfo)) return 'has a malformed serverInfo';
    for (const key of ['tools', 'prompts', 'resources', 'resourceTemplates'] as const) {
      const list = entry[key];
      if (!Array.isArray(list) || !list.every(isRecord)) return `has no ${key} list`;
    }
    return undefined;
  });
}

function reloadProblem(reply: unknown): string | undefined {
  if (!isRecord(reply) || typeof reply.ok !== 'boolean') return 'no ok flag';
  for (const key of ['added', 'removed', 'changed'] as const) {
    if (!isStringArray(reply[key])) return `${key} is not a list of names`;
  }
  const { issues } = reply;
  const isIssue = (i: unknown): boolean =>
    isRecord(i) && typeof i.file === 'string' && typeof i.path === 'string' && typeof i.message === 'string';
  if (issues !== undefined && !(Array.isArray(issues) && issues.every(isIssue))) {
    return 'issues is malformed';
  }
  return undefined;
}

function unexpected(path: string, problem?: string): ManagerError {
  return new ManagerError('CONTROL_FAILED', `unexpected reply from the control API to ${path}${problem ? `: ${problem}` : ''}`);
}
