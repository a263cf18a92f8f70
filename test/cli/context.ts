import { EventEmitter } from 'node:events';
import type { CliContext } from '../../src/cli/context.js';
import { createPrinter } from '../../src/cli/print.js';

export interface TestContext extends CliContext {
  stdout(): string;
  stderr(): string;
  /** Deliver a signal to whatever subscribed through `onSignal`. */
  signal(signal: NodeJS.Signals): void;
}

/** A CliContext over captured output and fake signals; the state dir is `stateDir`. */
export function testContext(stateDir: string, overrides: Partial<CliContext> = {}): TestContext {
  const out: string[] = [];
  const err: string[] = [];
  const signals = new EventEmitter();
  return {
    env: { MCP_MANAGER_HOME: stateDir },
    cwd: stateDir,
    print: createPrinter({ stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t) } }),
    onSignal(handler) {
      signals.on('signal', handler);
      return () => signals.off('signal', handler);
    },
    self: { command: process.execPath, args: [] },
    ...overrides,
    stdout: () => out.join(''),
    stderr: () => err.join(''),
    signal: (signal) => signals.emit('signal', signal),
  };
}
