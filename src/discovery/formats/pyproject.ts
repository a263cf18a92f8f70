/**
 * `pyproject.toml` of a Python project that is an MCP server: a project whose dependencies
 * (`[project].dependencies`, or Poetry's `[tool.poetry.dependencies]`) include `mcp` or
 * `fastmcp` and that declares console scripts (`[project.scripts]`, or Poetry's
 * `[tool.poetry.scripts]`). Each script whose name mentions `mcp` or `server` (all scripts
 * when none does) becomes a server named after the script, run in the project directory:
 *   1. `<project>/.venv/bin/<script>` when that exists (an environment is set up already);
 *   2. else `uv run --project <project> <script>` when `uv` is on PATH (uv creates and syncs
 *      the project's environment on first start, so the first start can be slow);
 *   3. else `<script>` from PATH (it must be installed), with a warning.
 * A project that depends on mcp but declares no script gets a warning saying how to add one.
 */
import path from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { isRecord } from '../../config/path.js';
import type { FormatModule, FormatResult } from '../types.js';
import { lookupCommand } from '../which.js';
import { emptyResult, finish, synthesize } from './common.js';

export const MCP_PYTHON_PACKAGES = ['mcp', 'fastmcp'] as const;

export const pyprojectFormat: FormatModule = {
  format: 'pyproject',
  detect: (file) => path.basename(file) === 'pyproject.toml',
  async read(file, text, context) {
    const result = emptyResult();
    let doc: Record<string, unknown>;
    try {
      doc = parse(text);
    } catch (error) {
      const at = error instanceof TomlError ? { line: error.line, column: error.column } : {};
      const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
      result.issues.push({ file, path: '', ...at, message: `invalid TOML: ${message.replace(/^Invalid TOML document: /, '')}` });
      return result;
    }
    const project = record(doc.project);
    const poetry = record(record(doc.tool).poetry);
    const listed: unknown[] = Array.isArray(project.dependencies) ? (project.dependencies as unknown[]) : [];
    const requirements = [...listed, ...Object.keys(record(poetry.dependencies))];
    const dependsOnMcp = requirements.some(
      (r) => typeof r === 'string' && (MCP_PYTHON_PACKAGES as readonly string[]).includes(requirementName(r)),
    );
    if (!dependsOnMcp) return result;

    const scripts = Object.entries({ ...record(poetry.scripts), ...record(project.scripts) }).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    );
    const projectLine = headerLine(text, 'project') ?? headerLine(text, 'tool.poetry');
    if (!scripts.length) {
      result.warnings.push({
        file,
        path: 'project.scripts',
        ...(projectLine === undefined ? {} : { line: projectLine, column: 1 }),
        message:
          'depends on mcp but declares no console script; add one under [project.scripts] (e.g. my-server = "my_package.server:main") to make the server discoverable',
      });
      return result;
    }
    const mentions = scripts.filter(([name]) => /mcp|server/i.test(name));
    const dir = path.dirname(file);
    const uv = await lookupCommand('uv', context.env, dir);
    for (const [name] of mentions.length ? mentions : scripts) {
      const line = scriptLine(text, name) ?? projectLine;
      const where = { ...(line === undefined ? {} : { line, column: 1 }), path: `project.scripts.${name}` };
      const venvScript = path.join(dir, '.venv', process.platform === 'win32' ? 'Scripts' : 'bin', name);
      let run: { command: string; args: string[] };
      if (await context.exists(venvScript)) run = { command: venvScript, args: [] };
      else if (uv.found) run = { command: 'uv', args: ['run', '--project', dir, name] };
      else {
        run = { command: name, args: [] };
        result.warnings.push({
          file,
          ...where,
          message: `uv is not on PATH and ${venvScript} does not exist: "${name}" must be installed on PATH`,
        });
      }
      const made = synthesize(file, name, { ...run, cwd: dir, server_type: 'python' }, context.env, where);
      if (!made.ok) {
        result.issues.push(...made.issues);
        continue;
      }
      result.servers.push(
        await finish({ name, config: made.config, raw: { server_type: 'python' }, ...where }, file, 'pyproject', 'pyproject', context),
      );
    }
    return result satisfies FormatResult;
  },
};

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

/** The normalized distribution name of a PEP 508 requirement (`MCP[cli]>=1.2` → `mcp`). */
export function requirementName(requirement: string): string {
  const name = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(requirement)?.[1] ?? '';
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** 1-based line of a `[table]` header. */
function headerLine(text: string, table: string): number | undefined {
  const escaped = table.replace(/\./g, '\\s*\\.\\s*');
  const index = text.split(/\r?\n/).findIndex((l) => new RegExp(`^\\s*\\[\\s*${escaped}\\s*\\]`).test(l));
  return index === -1 ? undefined : index + 1;
}

/** 1-based line of `name = ...` under `[project.scripts]` or `[tool.poetry.scripts]`. */
function scriptLine(text: string, name: string): number | undefined {
  const lines = text.split(/\r?\n/);
  const key = new RegExp(`^\\s*(["']?)${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\1\\s*=`);
  for (const table of ['project.scripts', 'tool.poetry.scripts']) {
    const header = headerLine(text, table);
    if (header === undefined) continue;
    for (let i = header; i < lines.length && !/^\s*\[/.test(lines[i] ?? ''); i++) if (key.test(lines[i] ?? '')) return i + 1;
  }
  return undefined;
}
