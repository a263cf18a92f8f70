/**
 * Sizes are bytes (`1048576`) or strings with units: decimal `KB`/`MB`/`GB`/`TB`
 * (powers of 1000) and binary `KiB`/`MiB`/`GiB`/`TiB` (powers of 1024). Parsed to bytes.
 */
const UNIT_BYTES: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};
const SIZE = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$/;

export const SIZE_EXPECTED = 'expected a size (bytes or "512KB"/"300MB"/"1GiB")';

/** Whole bytes, or undefined when `value` is not a size. */
export function parseSize(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== 'string') return undefined;
  const match = SIZE.exec(value.trim().toLowerCase());
  if (!match) return undefined;
  const [, amount = '', unit = ''] = match;
  const factor = unit === '' ? 1 : UNIT_BYTES[unit];
  return factor === undefined ? undefined : Math.round(Number(amount) * factor);
}
