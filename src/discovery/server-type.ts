/**
 * What kind of program a discovered server is, from its command AND the files around it:
 * 1. `server_type` written in the file wins; a url means `remote`.
 * 2. The command's name (`python3`, `uvx`, `npx`, `bash`, `go`, `cargo`, … see config/server-type.ts);
 *    `env` (`/usr/bin/env node x.js`) is looked through.
 * 3. A script argument: `.py` → python, `.js/.mjs/.cjs/.ts` → node, `.sh` → shell.
 * 4. The executable itself (a path, or found on PATH): a shebang names its interpreter; a
 *    native binary (ELF, Mach-O, PE) is `go`/`rust` when a `go.mod`/`Cargo.toml` is in its
 *    directory or up to three above it (or it lives in `go/bin`, `.cargo/bin`), else `binary`.
 */
import path from 'node:path';
import { detectServerType } from '../config/server-type.js';
import type { ServerConfig, ServerType } from '../config/types.js';
import type { ReadContext } from './types.js';
import { lookupCommand } from './which.js';

const SCRIPT_TYPES: Record<string, ServerType> = {
  '.py': 'python',
  '.pyz': 'python',
  '.js': 'node',
  '.mjs': 'node',
  '.cjs': 'node',
  '.ts': 'node',
  '.mts': 'node',
  '.sh': 'shell',
  '.bash': 'shell',
};

const PROJECT_MARKERS: [file: string, type: ServerType][] = [
  ['go.mod', 'go'],
  ['Cargo.toml', 'rust'],
];
const MARKER_LEVELS = 4;

type Probe = Pick<ReadContext, 'exists' | 'head' | 'env'>;

/** `explicit`: the file set `server_type` itself. */
export async function detectDiscoveredType(config: ServerConfig, explicit: boolean, probe: Probe): Promise<ServerType> {
  if (explicit) return config.serverType;
  if (config.connectionType !== 'stdio') return 'remote';
  if (config.command === undefined) return 'unknown';
  const [command, args] = throughEnv(config.command, config.args);
  const byName = detectServerType('stdio', command);
  if (byName !== 'unknown' && byName !== 'binary') return byName;
  const byArg = scriptType(args);
  if (byArg) return byArg;
  return (await byExecutable(command, config.cwd, probe)) ?? byName;
}

/** `env [-S] [VAR=x] node script.js` → `node`, [`script.js`]. */
function throughEnv(command: string, args: string[]): [string, string[]] {
  if (path.basename(command) !== 'env') return [command, args];
  const rest = args.filter((a) => !a.startsWith('-') && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(a));
  const [inner, ...innerArgs] = rest;
  return inner === undefined ? [command, args] : [inner, innerArgs];
}

function scriptType(args: string[]): ServerType | undefined {
  for (const arg of args) {
    if (arg.startsWith('-')) continue;
    const type = SCRIPT_TYPES[path.extname(arg).toLowerCase()];
    if (type) return type;
  }
  return undefined;
}

async function byExecutable(command: string, cwd: string | undefined, probe: Probe): Promise<ServerType | undefined> {
  const found = await lookupCommand(command, probe.env, cwd);
  const file = found.found ? found.path : command.includes('/') ? path.resolve(cwd ?? '.', command) : undefined;
  if (file === undefined) return undefined;
  const head = await probe.head(file, 256);
  if (head === undefined) return undefined;
  if (head.subarray(0, 2).toString('latin1') === '#!') return shebangType(head);
  if (!isNativeBinary(head)) return undefined;
  return (await projectType(file, probe)) ?? 'binary';
}

function shebangType(head: Buffer): ServerType | undefined {
  const line = head.toString('utf8').split('\n')[0]?.slice(2).trim() ?? '';
  const [interpreter = '', ...rest] = line.split(/\s+/);
  const name = path.basename(interpreter) === 'env' ? rest.find((w) => !w.startsWith('-') && !w.includes('=')) : interpreter;
  if (name === undefined) return undefined;
  const type = detectServerType('stdio', name);
  return type === 'unknown' || type === 'binary' ? undefined : type;
}

function isNativeBinary(head: Buffer): boolean {
  if (head.length < 4) return false;
  const magic = head.readUInt32BE(0);
  return (
    magic === 0x7f454c46 || // ELF
    magic === 0xfeedface ||
    magic === 0xfeedfacf ||
    magic === 0xcefaedfe ||
    magic === 0xcffaedfe ||
    magic === 0xcafebabe || // Mach-O (and fat)
    head.subarray(0, 2).toString('latin1') === 'MZ' // PE
  );
}

async function projectType(file: string, probe: Probe): Promise<ServerType | undefined> {
  const parts = path.dirname(file).split(path.sep);
  const bin = parts.slice(-2).join('/');
  if (bin === 'go/bin') return 'go';
  if (bin === '.cargo/bin') return 'rust';
  let dir = path.dirname(file);
  for (let level = 0; level < MARKER_LEVELS; level++) {
    for (const [marker, type] of PROJECT_MARKERS) if (await probe.exists(path.join(dir, marker))) return type;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}
