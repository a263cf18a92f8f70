/**
 * Why a server failed to start, from what its failure left behind (exit code, signal, the
 * last stderr lines, transport errors, spawn error): the known compatibility breaks of the
 * MCP ecosystem and the usual setup mistakes, each with a one-line summary and a fix.
 * Pure: no I/O. The first matching rule wins, most specific first.
 */
import { SUPPORTED_PROTOCOL_VERSIONS } from '@modelcontextprotocol/client';

export type FailureCause =
  | 'command_not_found'
  | 'missing_module'
  | 'mcp_v2_import'
  | 'fastmcp_constructor'
  | 'protocol_version'
  | 'non_json_stdout'
  | 'permission_denied'
  | 'unknown';

export interface FailureReport {
  exitCode?: number | null;
  signal?: string | null;
  /** The last stderr lines (or one string with line breaks). */
  stderrTail?: readonly string[] | string;
  command?: string;
  args?: readonly string[];
  /** ManagerError code, e.g. `SPAWN_FAILED`, `INITIALIZE_TIMEOUT`. */
  code?: string;
  /** errno of a failed spawn (`ENOENT`, `EACCES`). */
  errno?: string | null;
  /** The error message the failure was reported with (e.g. the initialize error). */
  message?: string;
  /** Errors the transport reported while reading the server (`stdout line is not JSON: …`). */
  transportErrors?: readonly string[];
}

export interface Diagnosis {
  cause: FailureCause;
  summary: string;
  fix: string;
}

type Rule = (f: Facts) => Diagnosis | undefined;

interface Facts {
  report: FailureReport;
  stderr: string;
  /** stderr, message and transport errors together. */
  all: string;
  command: string;
}

export function diagnoseFailure(report: FailureReport): Diagnosis {
  const stderr = Array.isArray(report.stderrTail) ? report.stderrTail.join('\n') : String(report.stderrTail ?? '');
  const facts: Facts = {
    report,
    stderr,
    all: [stderr, report.message ?? '', ...(report.transportErrors ?? [])].join('\n'),
    command: report.command ?? 'the command',
  };
  for (const rule of RULES) {
    const diagnosis = rule(facts);
    if (diagnosis) return diagnosis;
  }
  return unknown(facts);
}

const spawnFailure: Rule = ({ report, command, all }) => {
  const notFound = report.errno === 'ENOENT' || (report.code === 'SPAWN_FAILED' && /command not found/.test(all));
  if (notFound) return commandNotFound(command);
  const denied = report.errno === 'EACCES' || (report.code === 'SPAWN_FAILED' && /not executable/.test(all));
  if (denied) return permissionDenied(command);
  return undefined;
};

const mcpV2Import: Rule = ({ stderr }) => {
  const removed =
    /No module named '?mcp\.server\.fastmcp/.test(stderr) ||
    /cannot import name '\w+' from 'mcp\.server\.fastmcp/.test(stderr) ||
    /This is mcp 2\.x, where FastMCP was renamed/.test(stderr);
  if (!removed) return undefined;
  return {
    cause: 'mcp_v2_import',
    summary: 'the server imports mcp.server.fastmcp, which the installed mcp 2.x no longer has (FastMCP was renamed to MCPServer)',
    fix:
      'pin the MCP SDK to v1: "mcp<2" in the server\'s dependencies (e.g. "mcp[cli]>=1.2,<2" in pyproject.toml; with uvx add --with "mcp<2"); ' +
      'or port the server: `from mcp.server.mcpserver import MCPServer` (mcp 2.x) or `from fastmcp import FastMCP` (the standalone fastmcp package)',
  };
};

/** Where FastMCP's constructor arguments went in newer versions. */
const MOVED_ARGUMENTS: Record<string, string> = {
  description: 'pass it as instructions="..."',
  host: 'pass it to mcp.run(...) instead',
  port: 'pass it to mcp.run(...) instead',
  log_level: 'pass it to mcp.run(...) instead',
};

const fastmcpConstructor: Rule = ({ stderr }) => {
  const match =
    /(?:FastMCP\.)?__init__\(\) got an unexpected keyword argument '([^']+)'/.exec(stderr) ??
    /FastMCP\(\) got unexpected keyword argument\(s\): ((?:'[^']+'(?:, )?)+)/.exec(stderr);
  if (!match || !/FastMCP/.test(stderr)) return undefined;
  const names = [...(match[1] ?? '').matchAll(/'?([A-Za-z_]\w*)'?/g)].map((m) => m[1] ?? '');
  const pkg = /[\\/]site-packages[\\/]fastmcp[\\/]/.test(stderr) || /\bfrom fastmcp import/.test(stderr) ? 'fastmcp' : 'mcp';
  const at = userFrame(stderr);
  const list = names.map((n) => `"${n}"`).join(', ');
  const hints = names.filter((n) => MOVED_ARGUMENTS[n]).map((n) => `${n}: ${MOVED_ARGUMENTS[n]}`);
  return {
    cause: 'fastmcp_constructor',
    summary: `FastMCP(...) does not accept the argument${names.length > 1 ? 's' : ''} ${list}${at ? ` (${at})` : ''} in the installed ${pkg} version`,
    fix:
      `remove ${names.map((n) => `${n}=`).join(', ')} from the FastMCP(...) call${hints.length ? ` (${hints.join('; ')})` : ''}, ` +
      `or pin ${pkg} to the version the server was written for`,
  };
};

/** pip distribution names that differ from the module name. */
const PIP_NAMES: Record<string, string> = {
  yaml: 'pyyaml',
  PIL: 'pillow',
  cv2: 'opencv-python',
  sklearn: 'scikit-learn',
  dotenv: 'python-dotenv',
  bs4: 'beautifulsoup4',
  mcp: 'mcp[cli]',
};

const missingModule: Rule = ({ stderr }) => {
  const py = /ModuleNotFoundError: No module named '([^']+)'/.exec(stderr) ?? /ImportError: No module named '?([\w.]+)'?/.exec(stderr);
  if (py) {
    const module = py[1] ?? '';
    const top = module.split('.')[0] ?? module;
    const pkg = PIP_NAMES[top] ?? top;
    return {
      cause: 'missing_module',
      summary: `Python module "${module}" is not installed in the environment the server runs in`,
      fix: `install it there (pip install "${pkg}", or uv add "${pkg}" in the server's project), or start the server through its project environment (uv run --project DIR ...)`,
    };
  }
  const name = /ImportError: cannot import name '(\w+)' from '([\w.]+)'/.exec(stderr);
  if (name) {
    const pkg = (name[2] ?? '').split('.')[0] ?? '';
    return {
      cause: 'missing_module',
      summary: `"${name[1] ?? ''}" cannot be imported from ${name[2] ?? ''}: the installed ${pkg} version does not have it`,
      fix: `install the ${pkg} version the server was written for (pin it in the server's dependencies)`,
    };
  }
  const node = /Cannot find (package|module) '([^']+)'/.exec(stderr);
  if (node || /ERR_MODULE_NOT_FOUND/.test(stderr)) {
    const target = node?.[2] ?? 'a module';
    const isFile = target.startsWith('/') || target.startsWith('.') || /^[A-Za-z]:\\/.test(target);
    return {
      cause: 'missing_module',
      summary: isFile ? `the server's file ${target} does not exist` : `Node package "${target}" is not installed for the server`,
      fix: isFile
        ? 'build the server (e.g. npm run build in its directory) or fix the path in "args"'
        : `run npm install in the server's directory, or add "${target}" to its dependencies`,
    };
  }
  return undefined;
};

const protocolVersion: Rule = ({ all }) => {
  const match = /protocol version is not supported:?\s*"?([\w.-]+)?|unsupported protocol version:?\s*"?([\w.-]+)?/i.exec(all);
  if (!match) return undefined;
  const version = match[1] ?? match[2];
  return {
    cause: 'protocol_version',
    summary: `the server and mcp-manager share no MCP protocol version${version ? ` (the other side offered ${version})` : ''}`,
    fix: `update the server's MCP SDK (or mcp-manager); mcp-manager speaks ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')}`,
  };
};

const commandNotFoundInStderr: Rule = ({ report, stderr, command }) => {
  const shell = /(?:^|\n)[^\n]*?:?\s*([^\s:'"]+): (?:command )?not found\s*(?:\n|$)/.exec(stderr);
  const env = /env: '?([^':\n]+)'?: No such file or directory/.exec(stderr);
  if (shell || env) return commandNotFound(shell?.[1] ?? env?.[1] ?? command);
  if (/npm (?:ERR!|error) (?:code E404|404)/.test(stderr)) {
    const pkg = /'([^']+)' is not in (?:this|the npm) registry/.exec(stderr)?.[1];
    return {
      cause: 'command_not_found',
      summary: `npm cannot find the package${pkg ? ` "${pkg}"` : ''} (404)`,
      fix: 'check the package name in "args" (scope, spelling) and that the registry can be reached',
    };
  }
  if (/No solution found when resolving tool dependencies|was not found in the package registry/.test(stderr)) {
    return {
      cause: 'command_not_found',
      summary: 'uvx cannot find the Python package to run',
      fix: 'check the package name in "args" (uvx runs packages from PyPI: uvx --from PACKAGE COMMAND)',
    };
  }
  if (report.exitCode === 127) return commandNotFound(command);
  return undefined;
};

const permissionDeniedInStderr: Rule = ({ report, stderr, command }) =>
  /Permission denied|EACCES/.test(stderr) || report.exitCode === 126 ? permissionDenied(command) : undefined;

const nonJsonStdout: Rule = ({ report, all }) => {
  const line = [...(report.transportErrors ?? []), ...all.split('\n')].find((l) => /is not JSON|is not a JSON-RPC message/.test(l));
  if (!line) return undefined;
  const preview = /: ("(?:[^"\\]|\\.)*"…?)$/.exec(line)?.[1];
  return {
    cause: 'non_json_stdout',
    summary: `the server writes text that is not MCP to stdout${preview ? `: ${preview}` : ''} (stdout carries only JSON-RPC messages)`,
    fix: 'send logs, banners and prints to stderr (Python: print(..., file=sys.stderr) or logging to stderr; Node: write to process.stderr, never to stdout)',
  };
};

const RULES: readonly Rule[] = [
  spawnFailure,
  mcpV2Import,
  fastmcpConstructor,
  missingModule,
  protocolVersion,
  commandNotFoundInStderr,
  permissionDeniedInStderr,
  nonJsonStdout,
];

const INSTALL_HINTS: Record<string, string> = {
  uv: 'install uv (it provides uv and uvx)',
  uvx: 'install uv (it provides uv and uvx)',
  npx: 'install Node.js (it provides node, npm and npx)',
  node: 'install Node.js',
  npm: 'install Node.js',
  python: 'install Python 3',
  python3: 'install Python 3',
  docker: 'install Docker',
};

function commandNotFound(command: string): Diagnosis {
  const base = command.split(/[\\/]/).pop() ?? command;
  const hint = INSTALL_HINTS[base];
  return {
    cause: 'command_not_found',
    summary: `command not found: "${command}"`,
    fix:
      `${hint ? `${hint}, or ` : 'install it, or '}give its absolute path in "command"; ` +
      'servers are started without a shell, so shell aliases, functions and PATH changes made in shell startup files do not apply',
  };
}

function permissionDenied(command: string): Diagnosis {
  return {
    cause: 'permission_denied',
    summary: `permission denied running "${command}"`,
    fix: command.includes('/')
      ? `make it executable (chmod +x ${command}) and check that the user running mcp-manager may read it`
      : 'check the permissions of the program and the files it opens',
  };
}

function unknown({ report, stderr, command }: Facts): Diagnosis {
  const last = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop();
  const how = report.signal
    ? `was killed by ${report.signal}`
    : report.exitCode !== undefined && report.exitCode !== null
      ? `exited with code ${report.exitCode}`
      : 'failed';
  const what = report.message && !last ? `: ${report.message}` : last ? `: ${last}` : '';
  const line = [command, ...(report.args ?? [])].join(' ');
  return {
    cause: 'unknown',
    summary: `the server ${how}${what}`,
    fix: `run it by hand to see the whole output: ${line}`,
  };
}

/** `server.py:34`: the last traceback frame outside the interpreter and the fastmcp/mcp packages (the call). */
function userFrame(stderr: string): string | undefined {
  const frames = [...stderr.matchAll(/File "([^"]+)", line (\d+)/g)].filter(
    (m) => !/<frozen|[\\/](?:site|dist)-packages[\\/](?:fastmcp|mcp)[\\/]/.test(m[1] ?? ''),
  );
  const last = frames[frames.length - 1];
  return last ? `${last[1] ?? ''}:${last[2] ?? ''}` : undefined;
}
