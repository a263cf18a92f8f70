/**
 * Bounds on what a config may hold. Every field the manager echoes back (status,
 * list-servers, capabilities, the control API) is bounded here, so no reply can outgrow
 * its channel (the control client refuses replies over 32 MiB), and a hostile or broken
 * file costs bounded memory and time. The file itself is bounded before it is read
 * (`MAX_CONFIG_BYTES` in read-file.ts); `${VAR}` expansion is bounded too, since a short
 * file can name a long variable many times.
 */
export const CONFIG_LIMITS = {
  /** Servers in one file (a thousand light servers on one machine is a supported size). */
  servers: 4096,
  /** Instances of one server. */
  replicas: 32,
  /** `description`. */
  descriptionChars: 1024,
  /** Any other single string: command, cwd, url, an arg, an env or header value. */
  stringChars: 32 * 1024,
  /** Items of a list (`args`, `tags`, `retry_tools`, …). */
  listItems: 256,
  /** Entries of a mapping (`env`, `headers`). */
  mapEntries: 256,
  /** All text after `${VAR}` expansion, summed over the file. */
  expandedChars: 8 * 1024 * 1024,
  /** Problems reported for one file; the rest are counted in one last issue. */
  issues: 100,
} as const;
