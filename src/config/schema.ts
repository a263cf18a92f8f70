/**
 * Strict zod schemas for the file forms (snake_case keys, unknown keys rejected):
 * - ours (YAML, or JSON with a top-level `manager`): `{manager?, servers?}`
 * - `mcpServers` (Claude Desktop, `.mcp.json`): `{mcpServers, manager?}`; entries accept `type`, `disabled`
 * - VS Code (JSON with top-level `servers`): `{servers, inputs?}`; same entries as `mcpServers`
 * Durations come out in ms and sizes in bytes; defaults are applied later, in normalize.ts.
 */
import { z } from 'zod';
import {
  argList,
  boolean,
  duration,
  envMap,
  field,
  headerMap,
  integer,
  nonEmptyString,
  number,
  oneOf,
  size,
  string,
  stringList,
  typeError,
  url,
} from './fields.js';
import { checkServerEntry } from './check-server.js';
import { CONFIG_LIMITS } from './limits.js';

export const CONNECTION_TYPES = ['stdio', 'http', 'sse', 'websocket', 'tcp'] as const;
export const SERVER_TYPES = ['python', 'node', 'go', 'rust', 'shell', 'binary', 'remote', 'unknown'] as const;
export const RESTART_TYPES = ['permanent', 'transient', 'temporary'] as const;
export const LOAD_BALANCING = ['round_robin', 'least_loaded'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** Which protocol era the manager speaks to a server: probe once (`auto`), 2025-11-25 (`legacy`) or 2026-07-28 (`modern`). */
export const PROTOCOLS = ['auto', 'legacy', 'modern'] as const;

export const SERVER_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;
/** Names a server may not have: `manager` would share `logs/manager.log` with the manager itself. */
export const RESERVED_SERVER_NAMES: readonly string[] = ['manager'];
export const isReservedServerName = (name: string): boolean => RESERVED_SERVER_NAMES.includes(name.toLowerCase());
const serverName = z
  .string()
  .regex(SERVER_NAME, { error: 'expected a server name of 1-64 letters, digits, "_", "." or "-"' })
  .refine((name) => !isReservedServerName(name), {
    error: 'is reserved for the manager itself (its log is logs/manager.log): choose another server name',
  });
const PREFIX = /^[a-zA-Z0-9_-]*$/;

const BackoffSchema = z.strictObject({
  initial: duration({ positive: false }).optional(),
  multiplier: number({ min: 1 }).optional(),
  max: duration({ positive: true }).optional(),
  jitter: number({ min: 0, max: 1 }).optional(),
  reset_after: duration({ positive: true }).optional(),
});

const CacheSchema = z.strictObject({
  ttl: duration({ positive: true }),
  tools: stringList.min(1, { error: 'expected at least one tool name' }),
});

/** What the gateway tells a server it can serve on its clients' behalf. */
const ClientCapabilitiesSchema = z.strictObject({
  sampling: boolean.optional(),
  elicitation: boolean.optional(),
  roots: boolean.optional(),
});

const HealthCommandSchema = z.strictObject({
  command: string,
  args: stringList.optional(),
  timeout: duration({ positive: true }).optional(),
});

export const serverShape = {
  description: string
    .max(CONFIG_LIMITS.descriptionChars, { error: `expected at most ${CONFIG_LIMITS.descriptionChars} characters` })
    .optional(),
  command: nonEmptyString.optional(),
  args: argList.optional(),
  env: envMap.optional(),
  inherit_env: boolean.optional(),
  cwd: nonEmptyString.optional(),
  connection_type: oneOf(CONNECTION_TYPES).optional(),
  url: url.optional(),
  headers: headerMap.optional(),
  server_type: oneOf(SERVER_TYPES).optional(),
  enabled: boolean.optional(),
  auto_restart: boolean.optional(),
  restart: oneOf(RESTART_TYPES).optional(),
  tags: stringList.optional(),
  prefix: string
    .regex(PREFIX, { error: 'expected letters, digits, "_" or "-" (or "")' })
    .max(64, { error: 'expected at most 64 characters' })
    .optional(),
  replicas: integer({ min: 1, max: CONFIG_LIMITS.replicas }).optional(),
  max_concurrent_requests: integer({ min: 1 }).optional(),
  queue_timeout: duration({ positive: true }).optional(),
  max_queued_requests: integer({ min: 0 }).optional(),
  load_balancing: oneOf(LOAD_BALANCING).optional(),
  session_affinity: boolean.optional(),
  retry_tools: stringList.optional(),
  startup_timeout: duration({ positive: true }).optional(),
  health_check_interval: duration({ positive: true }).optional(),
  health_check_timeout: duration({ positive: true }).optional(),
  health_check_slow: duration({ positive: true }).optional(),
  health_command: HealthCommandSchema.optional(),
  reachability_probe: boolean.optional(),
  stop_grace: duration({ positive: false }).optional(),
  stop_timeout: duration({ positive: false }).optional(),
  max_restarts: integer({ min: 0 }).optional(),
  health_down_after: integer({ min: 1 }).optional(),
  health_up_after: integer({ min: 1 }).optional(),
  critical_grace: duration({ positive: false }).optional(),
  drain_timeout: duration({ positive: false }).optional(),
  restart_window: duration({ positive: true }).optional(),
  backoff: BackoffSchema.optional(),
  max_memory: size.optional(),
  max_cpu_percent: number({ above: 0 }).optional(),
  cache: CacheSchema.optional(),
  protocol: oneOf(PROTOCOLS).optional(),
  client_capabilities: ClientCapabilitiesSchema.optional(),
};

/** `type` spellings seen in the wild for the JSON forms. */
const TYPE_ALIASES: Record<string, (typeof CONNECTION_TYPES)[number]> = {
  'streamable-http': 'http',
  streamable_http: 'http',
  streamableHttp: 'http',
  ws: 'websocket',
};
const jsonType = field(`expected one of ${[...CONNECTION_TYPES, 'streamable-http'].map((t) => JSON.stringify(t)).join(', ')}`, (v) => {
  if (typeof v !== 'string') return undefined;
  return (CONNECTION_TYPES as readonly string[]).includes(v) ? (v as (typeof CONNECTION_TYPES)[number]) : TYPE_ALIASES[v];
});

const always = { when: () => true };
export const ServerEntrySchema = z
  .strictObject(serverShape, typeError('expected a mapping of server settings'))
  .superRefine(checkServerEntry, always);
export const JsonServerEntrySchema = z
  .strictObject(
    { ...serverShape, type: jsonType.optional(), disabled: boolean.optional() },
    typeError('expected a mapping of server settings'),
  )
  .superRefine(checkServerEntry, always);
export type ServerEntry = z.output<typeof JsonServerEntrySchema>;

/** `http: "127.0.0.1:8080"`, `http: ":8080"` and `http: 8080` are shorthands for `{host, port}`. */
function httpShorthand(v: unknown): unknown {
  if (typeof v === 'number') return { port: v };
  if (typeof v !== 'string') return v;
  const match = /^(\[[^\]]+\]|[^:]*):(\d+)$/.exec(v.trim());
  if (!match) return v;
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return host ? { host, port: match[2] } : { port: match[2] };
}
const HttpSchema = z.preprocess(
  httpShorthand,
  z.strictObject(
    { host: nonEmptyString.optional(), port: integer({ min: 0, max: 65535 }) },
    typeError('expected {host, port} or "host:port"'),
  ),
);

export const ManagerSchema = z.strictObject(
  {
    state_dir: nonEmptyString.optional(),
    log_level: oneOf(LOG_LEVELS).optional(),
    http: HttpSchema.optional(),
    shutdown_timeout: duration({ positive: true }).optional(),
    http_sessions: integer({ min: 1 }).optional(),
    session_idle_timeout: duration({ positive: true }).optional(),
    discovery: z.strictObject({ paths: stringList }).optional(),
    log_max_size: size.optional(),
    log_keep: integer({ min: 2 }).optional(),
    metrics: boolean.optional(),
    env_file: nonEmptyString.optional(),
  },
  typeError('expected a mapping of manager settings'),
);
export type ManagerEntry = z.output<typeof ManagerSchema>;

/** `servers:` left empty (all entries commented out) is an empty map. */
const emptyIfNull = (v: unknown) => (v === null ? {} : v);
/** Name → entry, at most `CONFIG_LIMITS.servers` of them (counted before any entry is checked). */
function serverMap<T extends z.ZodType>(entry: T) {
  const max = CONFIG_LIMITS.servers;
  const few = (v: unknown) => typeof v !== 'object' || v === null || Object.keys(v).length <= max;
  return z.preprocess(
    emptyIfNull,
    z
      .unknown()
      .refine(few, { error: (iss) => `at most ${max} servers are allowed, got ${Object.keys(iss.input as object).length}` })
      .pipe(z.record(serverName, entry, typeError('expected a mapping of server name to settings'))),
  );
}

export const ManagerFileSchema = z.strictObject({
  manager: ManagerSchema.optional(),
  servers: serverMap(ServerEntrySchema).optional(),
});

export const McpServersFileSchema = z.strictObject({
  $schema: string.optional(),
  manager: ManagerSchema.optional(),
  mcpServers: serverMap(JsonServerEntrySchema),
});

const VsCodeInputSchema = z.looseObject({ id: nonEmptyString }, typeError('expected an input definition {type, id, ...}'));
export const VsCodeFileSchema = z.strictObject({
  servers: serverMap(JsonServerEntrySchema),
  inputs: z.array(VsCodeInputSchema, typeError('expected a list of inputs')).optional(),
});
