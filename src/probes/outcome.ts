import type { ProbeResult } from './types.js';

/** What a probe kind decides; `run.ts` adds kind, latency and time. */
export type ProbeOutcome = Pick<ProbeResult, 'ok' | 'detail' | 'status' | 'contentType' | 'exitCode'>;

export const failed = (detail: string, extra: Partial<ProbeOutcome> = {}): ProbeOutcome => ({ ok: false, detail, ...extra });
export const passed = (detail: string, extra: Partial<ProbeOutcome> = {}): ProbeOutcome => ({ ok: true, detail, ...extra });
