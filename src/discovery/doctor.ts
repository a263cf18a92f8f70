/**
 * `mcp-manager doctor`: check a config and its servers the way the manager would run them.
 *
 * Checks, in report order (`server` is absent for whole-config checks):
 *   config        the file loads (all issues, with line:column); warnings are listed
 *   enabled       a disabled server: not checked further (ok)
 *   transport     a remote server: not probed by doctor (ok)
 *   command       the stdio command resolves on the PATH the server gets, without a shell
 *   handshake     spawn, initialize within the timeout, tools/list, stop ladder (with `handshake: true`)
 *   protocol      the negotiated MCP protocol version
 *   stdout        the server wrote nothing but MCP to stdout
 *   tool_schemas  every tool's inputSchema/outputSchema is an object schema that compiles
 *   names         public tool names (gateway naming): shortened or renamed ones are listed
 * A failing check carries a `fix` (and the diagnosed `cause` for start failures). Advisory
 * findings (shortened names, an older protocol version) stay `ok: true` with a `fix`.
 * `ok` is true when every check is.
 */
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/client';
import { parseConfigText } from '../config/load.js';
import type { ServerConfig } from '../config/types.js';
import { formatConfigIssue } from '../errors.js';
import { assignPublicNames, DEFAULT_SEPARATOR, MAX_PUBLIC_NAME_LENGTH, type NameRequest } from '../gateway/names.js';
import { buildChildEnv } from '../transports/env.js';
import { diagnoseFailure, type FailureCause } from './diagnose.js';
import { handshake } from './handshake.js';
import { readTextFile } from '../config/read-file.js';
import { checkToolSchemas } from './tool-schemas.js';
import { lookupCommand } from './which.js';

export type DoctorCheckName =
  'config' | 'enabled' | 'transport' | 'command' | 'handshake' | 'protocol' | 'stdout' | 'tool_schemas' | 'names';

export interface DoctorCheck {
  server?: string;
  check: DoctorCheckName;
  ok: boolean;
  detail: string;
  fix?: string;
  /** For a failed start: what `diagnoseFailure` found. */
  cause?: FailureCause;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  configFile: string;
  /** `${VAR}` values and the environment servers start with; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Spawn each enabled stdio server and run the MCP handshake. */
  handshake: boolean;
  /** Handshake budget per server; default each server's `startup_timeout`. */
  timeoutMs?: number;
  clientInfo?: { name: string; version: string };
}

const DEFAULT_CLIENT = { name: 'mcp-manager-doctor', version: '0.1.0' };
/** Servers checked at once (each handshake is a process). */
const HANDSHAKE_CONCURRENCY = 4;

/** `items.map(fn)` with at most `limit` calls running; results in order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const env = options.env ?? process.env;
  const checks: DoctorCheck[] = [];
  const done = (): DoctorReport => ({ ok: checks.every((c) => c.ok), checks });

  const read = await readTextFile(options.configFile);
  const loaded = read.ok ? parseConfigText(read.text, options.configFile, { env }) : { ok: false as const, issues: [read.issue] };
  if (!loaded.ok) {
    const n = loaded.issues.length;
    checks.push({
      check: 'config',
      ok: false,
      detail: `${n === 1 ? '1 problem' : `${n} problems`}:\n${loaded.issues.map((i) => `  ${formatConfigIssue(i)}`).join('\n')}`,
      fix: 'correct the config file at the places listed (mcp-manager validate shows the same)',
    });
    return done();
  }
  const { config, warnings } = loaded;
  const enabled = config.servers.filter((s) => s.enabled);
  const summary = `${config.file}: ${config.servers.length} server(s), ${enabled.length} enabled`;
  const warned = warnings.length ? `; ${warnings.length} warning(s):\n${warnings.map((w) => `  ${formatConfigIssue(w)}`).join('\n')}` : '';
  checks.push({ check: 'config', ok: true, detail: summary + warned });

  const perServer = await mapLimit(config.servers, HANDSHAKE_CONCURRENCY, (server) => checkServer(server, env, options));
  const toolsByServer = new Map<string, unknown[]>();
  perServer.forEach(({ checks: serverChecks, tools }, i) => {
    checks.push(...serverChecks);
    const server = config.servers[i];
    if (server && tools) toolsByServer.set(server.name, tools);
  });
  checks.push(...nameChecks(config.servers, toolsByServer));
  return done();
}

async function checkServer(
  server: ServerConfig,
  env: NodeJS.ProcessEnv,
  options: DoctorOptions,
): Promise<{ checks: DoctorCheck[]; tools?: unknown[] }> {
  const name = server.name;
  if (!server.enabled) {
    const unset = server.unsetVariables?.length ? `; needs ${server.unsetVariables.join(', ')} set before it can be enabled` : '';
    return { checks: [{ server: name, check: 'enabled', ok: true, detail: `disabled: not checked${unset}` }] };
  }
  if (server.connectionType !== 'stdio' || server.command === undefined) {
    return {
      checks: [
        {
          server: name,
          check: 'transport',
          ok: true,
          detail: `remote server (${server.connectionType} ${server.url ?? ''}): not probed by doctor`,
        },
      ],
    };
  }
  const childPath = buildChildEnv({ env: server.env, inheritEnv: server.inheritEnv, parentEnv: env }).PATH;
  const lookup = await lookupCommand(server.command, { PATH: childPath }, server.cwd);
  if (!lookup.found) {
    const errno = lookup.reason === 'not_found' ? 'ENOENT' : 'EACCES';
    const diagnosis = diagnoseFailure({ command: server.command, code: 'SPAWN_FAILED', errno });
    const detail = lookup.reason === 'is_directory' ? `"${lookup.path ?? server.command}" is a directory` : diagnosis.summary;
    return { checks: [{ server: name, check: 'command', ok: false, detail, fix: diagnosis.fix, cause: diagnosis.cause }] };
  }
  const checks: DoctorCheck[] = [{ server: name, check: 'command', ok: true, detail: `${server.command} → ${lookup.path}` }];
  if (!options.handshake) return { checks };

  const result = await handshake(server, {
    env,
    timeoutMs: options.timeoutMs ?? server.startupTimeoutMs,
    clientInfo: options.clientInfo ?? DEFAULT_CLIENT,
  });
  if (!result.ok) {
    checks.push({
      server: name,
      check: 'handshake',
      ok: false,
      detail: result.detail,
      fix: result.diagnosis.fix,
      cause: result.diagnosis.cause,
    });
    return { checks };
  }
  const info = result.serverInfo ? `${result.serverInfo.name} ${result.serverInfo.version}` : 'server';
  checks.push({
    server: name,
    check: 'handshake',
    ok: true,
    detail: `${info} initialized in ${result.elapsedMs} ms; ${result.tools.length} tool(s)`,
  });
  const version = result.protocolVersion;
  checks.push({
    server: name,
    check: 'protocol',
    ok: version !== undefined,
    detail:
      version === undefined
        ? 'no protocol version was negotiated'
        : `protocol version ${version}${version === LATEST_PROTOCOL_VERSION ? ' (latest)' : ` (latest is ${LATEST_PROTOCOL_VERSION})`}`,
    ...(version !== undefined && version !== LATEST_PROTOCOL_VERSION
      ? { fix: "update the server's MCP SDK to get the latest protocol features" }
      : {}),
  });
  if (result.transportErrors.length) {
    const diagnosis = diagnoseFailure({ command: server.command, transportErrors: result.transportErrors });
    checks.push({
      server: name,
      check: 'stdout',
      ok: false,
      detail: `${result.transportErrors.length} problem(s): ${diagnosis.summary}`,
      fix: diagnosis.fix,
      cause: diagnosis.cause,
    });
  } else {
    checks.push({ server: name, check: 'stdout', ok: true, detail: 'only MCP messages on stdout' });
  }
  const problems = checkToolSchemas(result.tools);
  checks.push({
    server: name,
    check: 'tool_schemas',
    ok: problems.length === 0,
    detail: problems.length ? problems.map((p) => `${p.tool}: ${p.message}`).join('; ') : `${result.tools.length} tool schema(s) valid`,
    ...(problems.length ? { fix: 'fix the tool definitions in the server (inputSchema must be a JSON Schema with type "object")' } : {}),
  });
  return { checks, tools: result.tools };
}

const NAME_FIXES: Record<string, string> = {
  shortened: 'names longer than 64 characters end in a hash: set a shorter "prefix" for server "SERVER" (or prefix: "")',
  renamed: 'two tools would get the same public name: give one of the servers a different "prefix"',
  'characters replaced': 'public names allow only letters, digits, "_" and "-"; other characters become "_"',
};

function intendedName(request: NameRequest): string {
  const prefix = request.prefix ?? request.server;
  return prefix === '' ? request.name : `${prefix}${DEFAULT_SEPARATOR}${request.name}`;
}

/** Public names as the gateway will assign them; shortened and renamed ones are pointed out. */
function nameChecks(servers: readonly ServerConfig[], toolsByServer: ReadonlyMap<string, unknown[]>): DoctorCheck[] {
  const requests: NameRequest[] = [];
  for (const server of servers) {
    for (const tool of toolsByServer.get(server.name) ?? []) {
      const toolName = typeof tool === 'object' && tool !== null && 'name' in tool && typeof tool.name === 'string' ? tool.name : undefined;
      if (toolName !== undefined)
        requests.push({ server: server.name, name: toolName, ...(server.prefix === undefined ? {} : { prefix: server.prefix }) });
    }
  }
  if (!requests.length) return [];
  const naming = assignPublicNames(requests, { kind: 'tool' });
  const renamed = new Set(naming.warnings.flatMap((w) => [...(/published as "([^"]+)"/.exec(w)?.slice(1) ?? [])]));
  const checks: DoctorCheck[] = [];
  for (const server of servers) {
    const mine = naming.assignments.filter((a) => a.server === server.name);
    if (!mine.length) continue;
    const altered = mine
      .map((a) => ({ a, intended: intendedName(a) }))
      .filter(({ a, intended }) => a.publicName !== intended)
      .map(({ a, intended }) => ({
        a,
        why: renamed.has(a.publicName) ? 'renamed' : intended.length > MAX_PUBLIC_NAME_LENGTH ? 'shortened' : 'characters replaced',
      }));
    const fixes = new Set(altered.map(({ why }) => NAME_FIXES[why] ?? ''));
    checks.push({
      server: server.name,
      check: 'names',
      ok: true,
      detail: altered.length
        ? `${altered.length} of ${mine.length} public tool name(s) differ from the tool name: ${altered.map(({ a, why }) => `${a.name} → ${a.publicName} (${why})`).join(', ')}`
        : `${mine.length} public tool name(s), e.g. ${mine[0]?.publicName ?? ''}`,
      ...(altered.length ? { fix: [...fixes].join('; ').replace('SERVER', server.name) } : {}),
    });
  }
  return checks;
}
