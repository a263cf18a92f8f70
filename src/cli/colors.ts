/**
 * Whether and how human output is coloured: only on a terminal, never in `--json`;
 * `NO_COLOR` (any non-empty value) turns colour off and `FORCE_COLOR` (not `0`) turns it
 * on, as https://no-color.org and https://force-color.org say. Codes come from picocolors.
 */
import { stripVTControlCharacters } from 'node:util';
import pc from 'picocolors';

export type Colors = ReturnType<typeof pc.createColors>;

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export function colors(enabled: boolean): Colors {
  return pc.createColors(enabled);
}

/** Server states coloured by tier: healthy green, degraded yellow, unhealthy/critical red, failed red bold, in motion cyan, stopped dim. */
export function stateColor(c: Colors): (state: string) => string {
  return (state) => {
    switch (state) {
      case 'healthy':
        return c.green(state);
      case 'degraded':
        return c.yellow(state);
      case 'unhealthy':
      case 'critical':
        return c.red(state);
      case 'failed':
        return c.bold(c.red(state));
      case 'starting':
      case 'restarting':
      case 'stopping':
        return c.cyan(state);
      case 'stopped':
      case 'removed':
        return c.dim(state);
      default:
        return state;
    }
  };
}

/** Length on screen (colour codes take no columns). */
export function visibleLength(text: string): number {
  return stripVTControlCharacters(text).length;
}
