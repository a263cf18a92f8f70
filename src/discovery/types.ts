/**
 * What discovery finds: MCP servers declared in config files of mcp-manager and of other
 * MCP clients, each with the normalized `ServerConfig` the manager runs and where it came from.
 */
import type { ServerConfig, ServerType } from '../config/types.js';
import type { TextRead } from '../config/read-file.js';
import type { ConfigIssue } from '../errors.js';

/** The file formats discovery reads; one module each in `formats/`. */
export type DiscoveryFormat = 'mcp-manager' | 'mcp-servers' | 'vscode' | 'package-json' | 'pyproject';

/**
 * Which kind of source a server came from; decides precedence when two sources declare the
 * same name (see `SOURCE_PRECEDENCE` in `sources.ts`).
 */
export type SourceKind =
  | 'mcp-manager'
  | 'claude-code-project'
  | 'vscode-workspace'
  | 'cursor-project'
  | 'package-json'
  | 'pyproject'
  | 'claude-code-local'
  | 'claude-code-user'
  | 'claude-desktop'
  | 'vscode-user'
  | 'cursor-user';

export interface DiscoverySource {
  /** Absolute path of the file, as given (not resolved through symlinks). */
  file: string;
  /** Where the server's entry starts (its name, or the key that declares it). */
  line?: number;
  column?: number;
  format: DiscoveryFormat;
  kind: SourceKind;
}

export interface DiscoveredServer {
  name: string;
  /** The same normalized config the loader produces for a manager config file. */
  config: ServerConfig;
  source: DiscoverySource;
  /** From the command, its arguments and the files next to it; equals `config.serverType`. */
  serverType: ServerType;
}

/** What reading one file produced. Problems are data: a format module never throws for bad input. */
export interface FormatResult {
  servers: DiscoveredServer[];
  /** Problems that keep a server (or the whole file) from being used. */
  issues: ConfigIssue[];
  /** Worth telling, nothing lost. */
  warnings: ConfigIssue[];
}

/** What a format module may use besides the file's text. */
export interface ReadContext {
  /** Variables for `${VAR}` and the PATH used to find `uv`. */
  env: NodeJS.ProcessEnv;
  /** The project directory discovery runs for (Claude Code keys its per-project servers by it). */
  cwd: string;
  /** The user's home directory (user-level vs project-level sources). */
  home: string;
  /** Guarded reader for files a config refers to (a VS Code `envFile`). */
  readText(file: string): Promise<TextRead>;
  /** Whether a path exists (any type); used to guess server types from nearby files. */
  exists(file: string): Promise<boolean>;
  /** The first bytes of a file, or undefined when it cannot be read (shebang sniffing). */
  head(file: string, bytes: number): Promise<Buffer | undefined>;
  /** The file being read, resolved through symbolic links (to catch files that refer to themselves). */
  realPath?: string;
}

export interface FormatModule {
  readonly format: DiscoveryFormat;
  /** Whether this module reads `file`, judged by its name and place alone. */
  detect(file: string): boolean;
  /** Servers declared in `text` (the content of `file`); never throws for bad input. */
  read(file: string, text: string, context: ReadContext): Promise<FormatResult>;
}
