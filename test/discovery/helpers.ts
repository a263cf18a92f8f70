/** Shared helpers for discovery tests: fixture paths, reading one file with a format module, issue formatting. */
import { chmodSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatFor } from '../../src/discovery/formats/index.js';
import { createReadContext, type ScanOptions } from '../../src/discovery/scan.js';
import type { FormatResult } from '../../src/discovery/types.js';
import type { ConfigIssue } from '../../src/errors.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/discovery');
export const SERVERS = path.resolve(import.meta.dirname, '../fixtures/servers');

/** Read one fixture file (relative to FIXTURES, or absolute) with the module `formatFor` picks. */
export async function readFixture(file: string, options: ScanOptions = {}): Promise<FormatResult & { format: string }> {
  const absolute = path.resolve(FIXTURES, file);
  const text = readFileSync(absolute, 'utf8');
  const module = formatFor(absolute, text);
  if (!module) throw new Error(`no format module for ${absolute}`);
  const context = createReadContext({ env: { PATH: '/nonexistent-bin' }, cwd: FIXTURES, ...options });
  return { ...(await module.read(absolute, text, context)), format: module.format };
}

/** `line:column path: message` (the file is checked separately). */
export function describe(issue: ConfigIssue): string {
  return `${issue.line ?? '-'}:${issue.column ?? '-'} ${issue.path}: ${issue.message}`;
}

export function tempDir(prefix = 'mcp-discovery-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(file: string, text: string, mode?: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  if (mode !== undefined) chmodSync(file, mode);
  return file;
}

/** Poll `condition` until it holds or `timeoutMs` passes (then throw with `what`). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}
