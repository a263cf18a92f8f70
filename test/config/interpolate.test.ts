import { describe, expect, it } from 'vitest';
import { interpolate, parseTemplate } from '../../src/config/interpolate.js';

const expand = (value: unknown, env: NodeJS.ProcessEnv) => interpolate(value, env);

describe('interpolate', () => {
  it('expands ${VAR} in every string, at any depth, and leaves keys and non-strings alone', () => {
    const result = expand({ a: 'x-${A}-y', list: ['${B}', 3, true, null], nested: { '${A}': '${A}' } }, { A: 'one', B: 'two' });
    expect(result.problems).toEqual([]);
    expect(result.value).toEqual({ a: 'x-one-y', list: ['two', 3, true, null], nested: { '${A}': 'one' } });
  });

  it('uses the default when the variable is unset or empty', () => {
    const result = expand(['${PORT:-8080}', '${EMPTY:-fallback}', '${SET:-unused}', '${NONE:-}'], { EMPTY: '', SET: 'value' });
    expect(result.value).toEqual(['8080', 'fallback', 'value', '']);
  });

  it('keeps an empty value when there is no default', () => {
    expect(expand('[${EMPTY}]', { EMPTY: '' }).value).toBe('[]');
  });

  it('nests defaults and only evaluates the branch it needs', () => {
    const template = '${HOME_DIR:-${XDG:-${HOME}/.local/state}/app}/file';
    expect(expand(template, { HOME: '/home/u' }).value).toBe('/home/u/.local/state/app/file');
    expect(expand(template, { XDG: '/xdg' }).value).toBe('/xdg/app/file');
    const direct = expand(template, { HOME_DIR: '/h' });
    expect(direct.value).toBe('/h/file');
    expect(direct.problems).toEqual([]);
  });

  it('reports an unset variable without a default, by name and path, never as ""', () => {
    const result = expand({ env: { TOKEN: 'Bearer ${GITHUB_TOKEN}' } }, {});
    expect(result.problems).toEqual([
      {
        kind: 'unset',
        path: ['env', 'TOKEN'],
        placeholder: '${GITHUB_TOKEN}',
        variable: 'GITHUB_TOKEN',
        message: 'variable GITHUB_TOKEN is not set (write ${GITHUB_TOKEN:-default} to give a default)',
      },
    ]);
    expect(result.value).toEqual({ env: { TOKEN: 'Bearer ${GITHUB_TOKEN}' } });
  });

  it('reports every unset variable in one string', () => {
    expect(expand('${A}:${B}', {}).problems.map((p) => p.variable)).toEqual(['A', 'B']);
  });

  it('never puts a value into a message', () => {
    const result = expand(['${SECRET}', '${MISSING}'], { SECRET: 'hunter2' });
    expect(JSON.stringify(result.problems)).not.toContain('hunter2');
  });

  it('treats $${ as a literal ${ and a lone $ as literal', () => {
    expect(expand('$${HOME} costs $5 $HOME', { HOME: '/h' }).value).toBe('${HOME} costs $5 $HOME');
  });

  it('accepts ${env:VAR} (VS Code) and reports ${input:id} as unresolvable', () => {
    expect(expand('${env:A}', { A: 'a' }).value).toBe('a');
    const result = expand('Bearer ${input:token}', {});
    expect(result.problems[0]).toMatchObject({ kind: 'input', variable: 'input:token' });
    expect(result.problems[0]?.message).toContain('unresolvable input placeholder ${input:token}');
  });

  it('reports malformed placeholders', () => {
    expect(expand('${}', {}).problems[0]).toMatchObject({ kind: 'malformed' });
    expect(expand('${A B}', {}).problems[0]?.message).toMatch(/^malformed placeholder/);
    expect(expand('${A', {}).problems[0]?.message).toMatch(/^unterminated placeholder/);
    expect(expand('${A:-x', {}).problems[0]?.message).toMatch(/^unterminated placeholder/);
  });

  it('records the template of each interpolated string by path', () => {
    const result = expand({ port: '${PORT:-80}', plain: 'x' }, {});
    expect([...result.templates]).toEqual([['port', '${PORT:-80}']]);
  });

  it('parses templates into literal and variable parts', () => {
    expect(parseTemplate('a${B:-c${D}}e')).toEqual([
      'a',
      { name: 'B', source: '${B:-c${D}}', fallback: ['c', { name: 'D', source: '${D}' }] },
      'e',
    ]);
  });
});
