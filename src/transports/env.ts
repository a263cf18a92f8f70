/**
 * The environment a stdio server is started with. Pure: the parent env is a parameter.
 */

/** What a child gets from the parent when `inheritEnv` is false. */
export const MINIMAL_ENV_KEYS = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

export interface ChildEnvOptions {
  /** Configured variables; they override anything taken from the parent. */
  env: Record<string, string>;
  /** true: the whole parent env; false: only `MINIMAL_ENV_KEYS`. */
  inheritEnv: boolean;
  /** Defaults to `process.env`. */
  parentEnv?: NodeJS.ProcessEnv;
}

export function buildChildEnv(options: ChildEnvOptions): Record<string, string> {
  const parent = options.parentEnv ?? process.env;
  const base: Record<string, string> = {};
  if (options.inheritEnv) {
    for (const [key, value] of Object.entries(parent)) {
      if (value !== undefined) base[key] = value;
    }
  } else {
    for (const key of MINIMAL_ENV_KEYS) {
      const value = parent[key];
      // A value starting with "()" is an exported shell function: never pass it on implicitly.
      if (value !== undefined && !value.startsWith('()')) base[key] = value;
    }
  }
  return { ...base, ...options.env };
}
