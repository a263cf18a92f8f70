/**
 * Run one probe under its own deadline and turn anything it does into a result.
 * Used by the worker; importable anywhere (tests, a pool-less fallback).
 */
import { probeCommand } from './command.js';
import { probeHttp } from './http.js';
import { failed, type ProbeOutcome } from './outcome.js';
import { messageOf } from './reasons.js';
import { probeTcp } from './tcp.js';
import type { ProbeHooks, ProbeResult, ProbeTask } from './types.js';

/** Deadline bounds: a task with a missing or absurd timeout still ends. */
const MIN_TIMEOUT_MS = 1;
const MAX_TIMEOUT_MS = 120_000;

export function clampTimeout(timeoutMs: unknown): number {
  const n = typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) ? timeoutMs : MAX_TIMEOUT_MS;
  return Math.min(MAX_TIMEOUT_MS, Math.max(MIN_TIMEOUT_MS, Math.round(n)));
}

function dispatch(task: ProbeTask, signal: AbortSignal, hooks: ProbeHooks): Promise<ProbeOutcome> {
  switch (task.kind) {
    case 'http':
      return probeHttp(task, signal);
    case 'tcp':
      return probeTcp(task, signal);
    case 'command':
      return probeCommand(task, signal, hooks);
    default:
      return Promise.resolve(failed(`unknown probe kind ${JSON.stringify((task as { kind?: unknown }).kind)}`));
  }
}

export async function runProbe(task: ProbeTask, hooks: ProbeHooks = {}): Promise<ProbeResult> {
  const started = performance.now();
  const timeoutMs = clampTimeout(task.timeoutMs);
  const signal = AbortSignal.timeout(timeoutMs);
  let outcome: ProbeOutcome;
  try {
    outcome = await dispatch({ ...task, timeoutMs }, signal, hooks);
  } catch (error) {
    outcome = failed(`probe failed: ${messageOf(error)}`);
  }
  return {
    ...outcome,
    kind: task.kind,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
    at: Date.now(),
  };
}
