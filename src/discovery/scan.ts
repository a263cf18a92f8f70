/**
 * Find MCP servers in config files: scan directories (the project files in `PROJECT_FILES`)
 * and files, read each through its format module, and resolve duplicate names by the
 * precedence in `sources.ts`. Every problem is an issue naming its file; one bad file never
 * stops the others, and nothing here throws for bad input.
 */
import path from 'node:path';
import type { ConfigIssue } from '../errors.js';
import { formatFor } from './formats/index.js';
import { MAX_CONFIG_BYTES, NODE_FS, pathExists, readHead, readTextFile, type ReadFs } from '../config/read-file.js';
import { PROJECT_FILES, defaultDiscoveryPaths, homeOf, precedenceOf, type ScanTarget } from './sources.js';
import type { DiscoveredServer, DiscoveryFormat, ReadContext } from './types.js';

export interface ScanOptions {
  /** `${VAR}` values, PATH (for `uv`, server types) and HOME; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Relative paths resolve against it; Claude Code's per-project servers are read for it. Default `process.cwd()`. */
  cwd?: string;
  /** Bigger files are not read (an issue). Default `MAX_CONFIG_BYTES` (4 MiB). */
  maxBytes?: number;
  /** File-system calls (tests substitute failures). */
  fs?: ReadFs;
}

export type FileStatus = 'read' | 'missing' | 'failed' | 'duplicate';

export interface ScannedFile {
  file: string;
  status: FileStatus;
  format?: DiscoveryFormat;
  /** Servers declared in the file (before precedence). */
  servers: number;
  /** For `duplicate`: the path under which the same file was read already. */
  sameAs?: string;
}

export interface ShadowedServer {
  server: DiscoveredServer;
  /** The source of the server that won. */
  by: DiscoveredServer['source'];
}

export interface ScanResult {
  /** One per name: the declaration with the highest precedence. */
  servers: DiscoveredServer[];
  /** Declarations that lost to one of the same name. */
  shadowed: ShadowedServer[];
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
  /** Every file considered, in scan order. */
  files: ScannedFile[];
}

interface Candidate {
  file: string;
  optional: boolean;
}

export async function scan(paths: readonly ScanTarget[], options: ScanOptions = {}): Promise<ScanResult> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const fs = options.fs ?? NODE_FS;
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  const base = createReadContext(options);
  const result: ScanResult = { servers: [], shadowed: [], issues: [], warnings: [], files: [] };
  const found: DiscoveredServer[] = [];
  const seen = new Map<string, string>();

  for (const candidate of await expand(paths, cwd, fs)) {
    const { file } = candidate;
    const read = await readTextFile(file, { maxBytes, fs });
    if (!read.ok) {
      if (read.missing && candidate.optional) {
        result.files.push({ file, status: 'missing', servers: 0 });
        continue;
      }
      result.issues.push(read.issue);
      result.files.push({ file, status: 'failed', servers: 0 });
      continue;
    }
    const first = seen.get(read.realPath);
    if (first !== undefined) {
      result.files.push({ file, status: 'duplicate', servers: 0, sameAs: first });
      continue;
    }
    seen.set(read.realPath, file);
    const module = formatFor(file, read.text);
    if (!module) {
      result.issues.push({
        file,
        path: '',
        message: 'not a config file discovery reads (expected YAML, an mcpServers or VS Code JSON file, package.json or pyproject.toml)',
      });
      result.files.push({ file, status: 'failed', servers: 0 });
      continue;
    }
    try {
      const fileResult = await module.read(file, read.text, { ...base, realPath: read.realPath });
      found.push(...fileResult.servers);
      result.issues.push(...fileResult.issues);
      result.warnings.push(...fileResult.warnings);
      result.files.push({
        file,
        status: fileResult.issues.length && !fileResult.servers.length ? 'failed' : 'read',
        format: module.format,
        servers: fileResult.servers.length,
      });
    } catch (error) {
      // a bug in a format module must not cost the other files
      result.issues.push({
        file,
        path: '',
        message: `internal error while reading (${module.format}): ${error instanceof Error ? error.message : String(error)}`,
      });
      result.files.push({ file, status: 'failed', format: module.format, servers: 0 });
    }
  }

  resolvePrecedence(found, result);
  return result;
}

/** What format modules get to read with, from scan options. */
export function createReadContext(options: ScanOptions = {}): ReadContext {
  const env = options.env ?? process.env;
  const fs = options.fs ?? NODE_FS;
  const maxBytes = options.maxBytes ?? MAX_CONFIG_BYTES;
  return {
    env,
    cwd: path.resolve(options.cwd ?? process.cwd()),
    home: homeOf(env),
    readText: (file) => readTextFile(file, { maxBytes, fs }),
    exists: (file) => pathExists(file, fs),
    head: (file, bytes) => readHead(file, bytes, fs),
  };
}

/** Scan the default places (`defaultDiscoveryPaths`) plus `paths`. */
export function discover(options: ScanOptions & { paths?: readonly ScanTarget[]; platform?: NodeJS.Platform } = {}): Promise<ScanResult> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  return scan([...defaultDiscoveryPaths(env, cwd, options.platform), ...(options.paths ?? [])], options);
}

async function expand(paths: readonly ScanTarget[], cwd: string, fs: ReadFs): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const target of paths) {
    const given = typeof target === 'string' ? { path: target, optional: false } : { optional: false, ...target };
    const absolute = path.resolve(cwd, given.path);
    const stats = await fs.stat(absolute).catch(() => undefined);
    if (stats?.isDirectory()) out.push(...PROJECT_FILES.map((name) => ({ file: path.join(absolute, name), optional: true })));
    else out.push({ file: absolute, optional: given.optional });
  }
  return out;
}

function resolvePrecedence(found: DiscoveredServer[], result: ScanResult): void {
  const ranked = found
    .map((server, order) => ({ server, order }))
    .sort((a, b) => precedenceOf(a.server.source.kind) - precedenceOf(b.server.source.kind) || a.order - b.order);
  const winners = new Map<string, DiscoveredServer>();
  for (const { server } of ranked) {
    const winner = winners.get(server.name);
    if (!winner) {
      winners.set(server.name, server);
      result.servers.push(server);
      continue;
    }
    result.shadowed.push({ server, by: winner.source });
    result.warnings.push({
      file: server.source.file,
      path: server.name,
      ...(server.source.line === undefined ? {} : { line: server.source.line, column: server.source.column ?? 1 }),
      message: `server "${server.name}" (${server.source.kind}) is shadowed by the one in ${where(winner)} (${winner.source.kind}, higher precedence)`,
    });
  }
}

function where(server: DiscoveredServer): string {
  const { file, line } = server.source;
  return line === undefined ? file : `${file}:${line}`;
}
