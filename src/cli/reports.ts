/**
 * What the CLI's commands report: the shapes `print.ts` renders and `--json` prints. Types
 * only, so the printer and the commands both depend on this and not on each other.
 */
import type { ReloadReport } from '../control/types.js';
import type { ScannedFile } from '../discovery/scan.js';
import type { DiscoveredServer, DiscoveryFormat, SourceKind } from '../discovery/types.js';
import type { ConfigIssue } from '../errors.js';
import type { ImportPlan } from './import-servers.js';
import type { Client } from '../discovery/clients.js';
import type { ConnectTransport, DisconnectOutcome } from './connect-client.js';

/** Where a declaration is; `line`/`column` are null when the format cannot tell. */
export interface DiscoverySourceJson {
  file: string;
  line: number | null;
  column: number | null;
  format: DiscoveryFormat;
  kind: SourceKind;
}

/** One discovered server in `discover --json`. Never carries env or header values (secrets). */
export interface DiscoveredServerJson {
  name: string;
  description: string | null;
  serverType: DiscoveredServer['serverType'];
  connectionType: DiscoveredServer['config']['connectionType'];
  command: string | null;
  args: string[];
  url: string | null;
  /** Names of the variables the server sets (values left out). */
  envKeys: string[];
  enabled: boolean;
  source: DiscoverySourceJson;
  /** Whether the running manager has a server of this name; null when no manager answers. */
  managed: boolean | null;
}

export interface ShadowedServerJson {
  name: string;
  /** The declaration that lost. */
  source: DiscoverySourceJson;
  /** The declaration of the same name that was kept. */
  by: DiscoverySourceJson;
}

/** The `discover --json` document. */
export interface DiscoveryListing {
  servers: DiscoveredServerJson[];
  shadowed: ShadowedServerJson[];
  issues: ConfigIssue[];
  warnings: ConfigIssue[];
  files: ScannedFile[];
}

/** Whether a running manager answered, and for which state dir (for the human summary). */
export interface ManagerLookup {
  stateDir: string;
  /** Names of the servers it manages; null when no manager runs (or it did not answer). */
  names: ReadonlySet<string> | null;
}

export interface ReloadOutcome {
  /** `applied`: the manager reloaded; `not-running`: no manager on this state dir; `other-config`: it runs another file. */
  status: 'applied' | 'rejected' | 'not-running' | 'other-config' | 'failed';
  report: ReloadReport | null;
  message?: string;
}

export interface EditResult {
  file: string;
  envFile: string | null;
  reload: ReloadOutcome;
}

export interface EditReport extends EditResult {
  server: string;
  action: 'added' | 'removed';
  /** Variables whose values went to the env file instead of the config. */
  secrets: string[];
}

export interface ImportReport extends Partial<EditResult> {
  imported: ImportPlan['imported'];
  skipped: ImportPlan['skipped'];
  dropped: ImportPlan['dropped'];
  /** Variables whose values went to the env file, per server and env key. */
  secrets: ImportPlan['secrets'];
  dryRun: boolean;
}

export interface ConnectReport {
  client: Client;
  file: string;
  transport: ConnectTransport;
  /** Our entry as written into the client's file. */
  entry: Record<string, unknown>;
  /** The file as it was before the first connect (none when there was no file). */
  backup: string | null;
  /** The client's other servers, now replaced by mcp-manager (kept in the backup). */
  replaced: string[];
  /** `--move`: what was taken into our config, as `import --json` reports it. */
  moved: ImportReport | null;
  config: string;
}

export type DisconnectReport = DisconnectOutcome & { client: Client };
