/**
 * `package.json` of a Node package that is an MCP server.
 *
 * An explicit `mcp` field wins; its shape (unknown keys are issues):
 *   "mcp": { "bin": "weather-mcp" }                          run one of the package's own bins
 *   "mcp": { "command": "node", "args": ["dist/server.js"] } run a command (in the package directory)
 *   optional with either: "name" (server name; default: the bin name, else the package name
 *   without its scope), "description", "env" ({"KEY": "value"}, `${VAR}` expands)
 *
 * Without it, a package that depends on an MCP server library (`@modelcontextprotocol/sdk`,
 * `@modelcontextprotocol/server` or `fastmcp`, in dependencies, peer or optional
 * dependencies) and has a `bin` is taken as a server: each bin whose name mentions `mcp` or
 * `server` (all bins when none does) becomes a server named after the bin. A JavaScript bin
 * runs as `node <absolute path>`, anything else directly; a bin file that does not exist yet
 * (not built) is a warning.
 */
import path from 'node:path';
import { z } from 'zod';
import { formatPath, isRecord, type ConfigPath } from '../../config/path.js';
import { locate, parseSource, type Source } from '../../config/source.js';
import type { ConfigIssue } from '../../errors.js';
import type { FormatModule, FormatResult, ReadContext } from '../types.js';
import { emptyResult, finish, serverNameFrom, synthesize } from './common.js';

export const MCP_SERVER_PACKAGES = ['@modelcontextprotocol/sdk', '@modelcontextprotocol/server', 'fastmcp'] as const;
const JS_EXTENSIONS = new Set(['.js', '.mjs', '.cjs']);

const McpFieldSchema = z
  .strictObject(
    {
      name: z
        .string()
        .regex(/^[a-zA-Z0-9_.-]{1,64}$/, { error: 'expected a server name of 1-64 letters, digits, "_", "." or "-"' })
        .optional(),
      description: z.string({ error: 'expected a string' }).optional(),
      bin: z.string({ error: "expected the name of one of the package's bins" }).min(1).optional(),
      command: z.string({ error: 'expected a string' }).min(1).optional(),
      args: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of strings' }).optional(),
      env: z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected a mapping of strings' }).optional(),
    },
    { error: 'expected {"bin": "<name>"} or {"command": "...", "args": [...]}' },
  )
  .superRefine(
    (v, ctx) => {
      if (!isRecord(v)) return;
      if ('bin' in v === 'command' in v) ctx.addIssue({ code: 'custom', message: 'expected exactly one of "bin" or "command"' });
      if ('bin' in v && 'args' in v)
        ctx.addIssue({ code: 'custom', path: ['args'], message: 'not used with "bin" (the bin is run as is)' });
    },
    { when: () => true },
  );
type McpField = z.infer<typeof McpFieldSchema>;

export const packageJsonFormat: FormatModule = {
  format: 'package-json',
  detect: (file) => path.basename(file) === 'package.json',
  async read(file, text, context) {
    const parsed = parseSource(text, file);
    if (!parsed.ok) return { ...emptyResult(), issues: parsed.issues };
    const pkg = parsed.value;
    const dir = path.dirname(file);
    const bins = binsOf(pkg);
    if ('mcp' in pkg) return fromMcpField(file, parsed.source, pkg, bins, dir, context);
    const deps = { ...record(pkg.dependencies), ...record(pkg.peerDependencies), ...record(pkg.optionalDependencies) };
    if (!MCP_SERVER_PACKAGES.some((name) => name in deps) || !bins.length) return emptyResult();
    const mentions = bins.filter((b) => /mcp|server/i.test(b.name));
    const chosen = mentions.length ? mentions : bins;
    const result = emptyResult();
    for (const bin of chosen) {
      const where = { ...locate(parsed.source, bin.at, { key: typeof pkg.bin !== 'string' }), path: formatPath(bin.at) };
      await addServer(result, file, bin.name, runBin(dir, bin.target), where, context, `bin "${bin.name}"`);
    }
    return result;
  },
};

interface Bin {
  name: string;
  target: string;
  at: ConfigPath;
}

function binsOf(pkg: Record<string, unknown>): Bin[] {
  const name = typeof pkg.name === 'string' ? pkg.name : 'server';
  if (typeof pkg.bin === 'string') return [{ name: serverNameFrom(name), target: pkg.bin, at: ['bin'] }];
  if (!isRecord(pkg.bin)) return [];
  return Object.entries(pkg.bin)
    .filter((e): e is [string, string] => typeof e[1] === 'string')
    .map(([bin, target]) => ({ name: bin, target, at: ['bin', bin] }));
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function runBin(dir: string, target: string): { command: string; args: string[]; file: string } {
  const file = path.resolve(dir, target);
  return JS_EXTENSIONS.has(path.extname(file)) ? { command: 'node', args: [file], file } : { command: file, args: [], file };
}

async function fromMcpField(
  file: string,
  source: Source,
  pkg: Record<string, unknown>,
  bins: Bin[],
  dir: string,
  context: ReadContext,
): Promise<FormatResult> {
  const result = emptyResult();
  const checked = McpFieldSchema.safeParse(pkg.mcp);
  if (!checked.success) {
    result.issues.push(
      ...checked.error.issues.map((iss): ConfigIssue => {
        const at: ConfigPath = ['mcp', ...iss.path.filter((s): s is string | number => typeof s !== 'symbol')];
        const keys = iss.code === 'unrecognized_keys' ? iss.keys : [];
        const message = keys.length
          ? `unknown key ${keys.map((k) => JSON.stringify(k)).join(', ')} (expected name, description, bin, command, args, env)`
          : iss.message;
        return {
          file,
          path: formatPath(at),
          ...locate(source, keys[0] === undefined ? at : [...at, keys[0]], { key: keys.length > 0 }),
          message,
        };
      }),
    );
    result.issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    return result;
  }
  const field: McpField = checked.data;
  const where = { ...locate(source, ['mcp'], { key: true }), path: 'mcp' };
  let run: { command: string; args: string[]; file?: string };
  let defaultName = serverNameFrom(typeof pkg.name === 'string' ? pkg.name : path.basename(dir));
  if (field.bin !== undefined) {
    const bin = bins.find((b) => b.name === field.bin);
    if (!bin) {
      const known = bins.map((b) => JSON.stringify(b.name)).join(', ') || 'none';
      result.issues.push({
        file,
        path: 'mcp.bin',
        ...locate(source, ['mcp', 'bin']),
        message: `no bin named ${JSON.stringify(field.bin)} in this package (bins: ${known})`,
      });
      return result;
    }
    run = runBin(dir, bin.target);
    defaultName = bin.name;
  } else {
    run = { command: field.command ?? '', args: field.args ?? [] };
  }
  const entry = {
    command: run.command,
    args: run.args,
    ...(field.env ? { env: field.env } : {}),
    ...(field.description ? { description: field.description } : {}),
  };
  const what = field.bin !== undefined ? `bin "${field.bin}"` : 'mcp.command';
  await addServer(result, file, field.name ?? defaultName, { ...entry, file: run.file }, where, context, what);
  return result;
}

async function addServer(
  result: FormatResult,
  file: string,
  name: string,
  run: { command: string; args: string[]; file?: string | undefined; env?: Record<string, string>; description?: string },
  where: { line?: number; column?: number; path: string },
  context: ReadContext,
  what: string,
): Promise<void> {
  const { file: target, ...entry } = run;
  if (target !== undefined && !(await context.exists(target))) {
    result.warnings.push({ file, ...where, message: `${what}: ${target} does not exist yet (build the package first?)` });
  }
  const made = synthesize(file, name, { ...entry, cwd: path.dirname(file) }, context.env, where);
  if (!made.ok) {
    result.issues.push(...made.issues);
    return;
  }
  const server = await finish({ name, config: made.config, ...where }, file, 'package-json', 'package-json', context);
  // an npm package whose bin type could not be told (no shebang, not built yet) is a Node program
  result.servers.push(
    server.serverType === 'unknown' ? { ...server, serverType: 'node', config: { ...server.config, serverType: 'node' } } : server,
  );
}
