/** Hostile and oversized config input: every bound gives a clear issue naming file, path and line:column. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText, readConfig } from '../../src/config/load.js';
import { CONFIG_LIMITS } from '../../src/config/limits.js';
import { MAX_PLACEHOLDER_DEPTH } from '../../src/config/interpolate.js';

const FILE = '/etc/mcp/config.yaml';
const dir = mkdtempSync(path.join(os.tmpdir(), 'mm-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  const result = parseConfigText(text, FILE, { env });
  if (result.ok) throw new Error('expected issues, the config loaded');
  for (const issue of result.issues) expect(issue.file).toBe(FILE);
  return result.issues.map((i) => `${i.line ?? '-'}:${i.column ?? '-'} ${i.path}: ${i.message}`);
}

const server = (body: string) => `servers:\n  a:\n    command: node\n${body}`;

describe('nesting of ${VAR:-…} defaults', () => {
  it('accepts nesting up to the bound and refuses deeper, naming file and line:column', () => {
    const nested = (depth: number) => '${X:-'.repeat(depth) + 'end' + '}'.repeat(depth);
    expect(parseConfigText(server(`    args: ["${nested(MAX_PLACEHOLDER_DEPTH)}"]\n`), FILE, { env: {} })).toMatchObject({
      ok: true,
      config: { servers: [{ args: ['end'] }] },
    });
    expect(problems(server(`    args: ["${nested(5_000)}"]\n`))).toEqual([
      `4:13 servers.a.args[0]: placeholders nested more than ${MAX_PLACEHOLDER_DEPTH} deep`,
    ]);
  });

  it('bounds the text ${VAR} expansion makes (a short file naming a long variable many times)', () => {
    // each arg within its own bound (32 KiB), 12.8 MiB in all
    const big = 'x'.repeat(16 * 1024);
    const args = Array.from({ length: 200 }, () => '"${BIG}${BIG}"').join(', ');
    const text = `servers:\n  a:\n    command: node\n    args: [${args}]\n  b:\n    command: node\n    args: [${args}]\n`;
    expect(problems(text, { BIG: big })).toEqual([
      expect.stringMatching(/^7:\d+ servers\.b\.args\[\d+\]: the config holds more than 8 MiB of text after \$\{VAR\} expansion$/),
    ]);
  });
});

describe('bounds on fields that are echoed back', () => {
  it('refuses a long description, long strings, long lists and big mappings', () => {
    const env = Object.fromEntries(Array.from({ length: CONFIG_LIMITS.mapEntries + 1 }, (_, i) => [`K${i}`, 'v']));
    const envYaml = Object.keys(env)
      .map((k) => `      ${k}: v`)
      .join('\n');
    expect(problems(server(`    description: "${'d'.repeat(CONFIG_LIMITS.descriptionChars + 1)}"\n`))).toEqual([
      `4:18 servers.a.description: expected at most ${CONFIG_LIMITS.descriptionChars} characters, got "${'d'.repeat(57)}..."`,
    ]);
    expect(problems(server(`    args: ["${'a'.repeat(CONFIG_LIMITS.stringChars + 1)}"]\n`))).toEqual([
      `4:12 servers.a.args[0]: expected at most ${CONFIG_LIMITS.stringChars} characters, got "${'a'.repeat(57)}..."`,
    ]);
    expect(problems(server(`    args: [${Array.from({ length: CONFIG_LIMITS.listItems + 1 }, () => 'x').join(', ')}]\n`))).toEqual([
      `4:5 servers.a.args: at most ${CONFIG_LIMITS.listItems} items are allowed, got ${CONFIG_LIMITS.listItems + 1}`,
    ]);
    expect(problems(server(`    env:\n${envYaml}\n`))).toEqual([
      `4:5 servers.a.env: at most ${CONFIG_LIMITS.mapEntries} entries are allowed, got ${CONFIG_LIMITS.mapEntries + 1}`,
    ]);
    expect(problems(server(`    replicas: ${CONFIG_LIMITS.replicas + 1}\n`))).toEqual([
      `4:15 servers.a.replicas: expected an integer from 1 to ${CONFIG_LIMITS.replicas}, got ${CONFIG_LIMITS.replicas + 1}`,
    ]);
  });

  it('refuses more servers than the bound', () => {
    const servers = Array.from({ length: CONFIG_LIMITS.servers + 1 }, (_, i) => `  s${i}: {command: node}`).join('\n');
    expect(problems(`servers:\n${servers}\n`)).toEqual([
      `1:1 servers: at most ${CONFIG_LIMITS.servers} servers are allowed, got ${CONFIG_LIMITS.servers + 1}`,
    ]);
  });

  it('lists at most the bound of problems and counts the rest', () => {
    const keys = Array.from({ length: 1_000 }, (_, i) => `    typo${i}: 1`).join('\n');
    const listed = problems(server(`${keys}\n`));
    expect(listed).toHaveLength(CONFIG_LIMITS.issues + 1);
    expect(listed[0]).toBe('4:5 servers.a: unknown key "typo0"');
    expect(listed.at(-1)).toBe(`-:- : and ${1_000 - CONFIG_LIMITS.issues} more problems (the first ${CONFIG_LIMITS.issues} are listed)`);
  });
});

describe('the duplicate-key check', () => {
  it('finds repeated keys in nested mappings and lists, and allows YAML merge keys', () => {
    expect(problems('servers:\n  a:\n    command: node\n    env: {A: "1", A: "2"}\n')).toEqual([
      '4:19 : invalid YAML: Map keys must be unique',
    ]);
    expect(problems('servers:\n  a:\n    command: node\n    health_command: {command: x, command: y}\n')).toEqual([
      '4:34 : invalid YAML: Map keys must be unique',
    ]);
    const merged = 'servers:\n  base: &base {command: node}\n  a:\n    <<: *base\n    <<: {args: [a]}\n';
    expect(parseConfigText(merged, FILE, { env: {} })).toMatchObject({
      ok: true,
      config: { servers: [{ name: 'base' }, { name: 'a', command: 'node', args: ['a'] }] },
    });
    // a number and a string are different keys, as for the YAML library
    expect(parseConfigText(server('    env: {1: "a", "01": "b"}\n'), FILE, { env: {} })).toMatchObject({ ok: true });
  });
});

describe('files the reader refuses before reading', () => {
  it('a FIFO and a device are refused at once (neither blocks nor is read)', async () => {
    const fifo = path.join(dir, 'pipe.yaml');
    execFileSync('mkfifo', [fifo]);
    for (const file of [fifo, '/dev/zero']) {
      expect(await readConfig(file, { env: {} })).toEqual({
        ok: false,
        issues: [{ file, path: '', message: 'not a regular file (a FIFO, socket or device): not read' }],
      });
    }
  });

  it('a document nested too deep for the parser is an issue, not a crash', () => {
    const deep = `servers:\n  a:\n    command: node\n    args: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const result = parseConfigText(deep, FILE, { env: {} });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.every((i) => i.file === FILE)).toBe(true);
  });
});
