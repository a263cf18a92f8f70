/**
 * The aggregated catalog: every listed server's tools, prompts, resources and
 * templates under public names. It is the list cache: rebuilt only when a server's
 * part changes (list_changed, restart, drop-out), and it tells subscribers which
 * lists changed, debounced.
 */
import type { Prompt, Resource, ResourceTemplateType, Tool } from '@modelcontextprotocol/server';
import type { Logger } from '../logger.js';
import type { BackendCatalog } from '../server-actor/session.js';
import { assignPublicNames } from './names.js';

export type ListKind = 'tools' | 'prompts' | 'resources';

export interface RoutedTool {
  server: string;
  name: string;
  tool: Tool;
}

export interface RoutedPrompt {
  server: string;
  name: string;
  prompt: Prompt;
}

interface ServerPart {
  prefix: string | undefined;
  catalog: BackendCatalog;
}

export interface CatalogOptions {
  logger: Logger;
  /** list_changed to clients waits this long for more changes. */
  debounceMs?: number;
}

export class Catalog {
  private readonly parts = new Map<string, ServerPart>();
  private toolList: Tool[] = [];
  private promptList: Prompt[] = [];
  private resourceList: Resource[] = [];
  private templateList: ResourceTemplateType[] = [];
  private readonly toolsByName = new Map<string, RoutedTool>();
  private readonly promptsByName = new Map<string, RoutedPrompt>();
  private readonly serverByUri = new Map<string, string>();
  private templates: { server: string; pattern: RegExp }[] = [];
  private readonly listeners = new Set<(kinds: ReadonlySet<ListKind>) => void>();
  private pending = new Set<ListKind>();
  private timer: NodeJS.Timeout | undefined;
  private readonly logger: Logger;
  private readonly debounceMs: number;
  private lastWarnings = new Set<string>();
  /** Parts changed since the last rebuild; views rebuild on first read (one rebuild per burst). */
  private dirty = false;

  constructor(options: CatalogOptions) {
    this.logger = options.logger;
    this.debounceMs = options.debounceMs ?? 50;
  }

  /** Put or replace a server's part (it is listed from now on). */
  setServer(server: string, catalog: BackendCatalog, prefix: string | undefined): void {
    const before = this.parts.get(server);
    if (before && before.catalog === catalog && before.prefix === prefix) return;
    this.parts.set(server, { prefix, catalog });
    this.changed(kindsDiffering(before?.catalog, catalog, before?.prefix !== prefix));
  }

  /** Drop a server from the catalog (failed, stopped, removed). */
  removeServer(server: string): void {
    const before = this.parts.get(server);
    if (!before) return;
    this.parts.delete(server);
    this.changed(kindsDiffering(before.catalog, undefined, false));
  }

  tools(): Tool[] {
    this.ensureBuilt();
    return this.toolList;
  }

  tool(publicName: string): RoutedTool | undefined {
    this.ensureBuilt();
    return this.toolsByName.get(publicName);
  }

  /** Public name of a server's tool, if listed. */
  publicToolName(server: string, name: string): string | undefined {
    this.ensureBuilt();
    for (const [publicName, routed] of this.toolsByName) if (routed.server === server && routed.name === name) return publicName;
    return undefined;
  }

  /** Public name of a server's prompt, if listed. */
  publicPromptName(server: string, name: string): string | undefined {
    this.ensureBuilt();
    for (const [publicName, routed] of this.promptsByName) if (routed.server === server && routed.name === name) return publicName;
    return undefined;
  }

  prompts(): Prompt[] {
    this.ensureBuilt();
    return this.promptList;
  }

  prompt(publicName: string): RoutedPrompt | undefined {
    this.ensureBuilt();
    return this.promptsByName.get(publicName);
  }

  resources(): Resource[] {
    this.ensureBuilt();
    return this.resourceList;
  }

  resourceTemplates(): ResourceTemplateType[] {
    this.ensureBuilt();
    return this.templateList;
  }

  /** Which server serves a resource URI: an exact listed resource, else a matching template. */
  serverOfUri(uri: string): string | undefined {
    this.ensureBuilt();
    return this.serverByUri.get(uri) ?? this.templates.find((t) => t.pattern.test(uri))?.server;
  }

  /** Which server offers a resource template (completion refs name the template itself). */
  serverOfTemplate(uriTemplate: string): string | undefined {
    for (const [server, part] of this.parts) if (part.catalog.resourceTemplates.some((t) => t.uriTemplate === uriTemplate)) return server;
    return undefined;
  }

  /** Be told (debounced) which lists changed. */
  onChange(listener: (kinds: ReadonlySet<ListKind>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.listeners.clear();
  }

  private changed(kinds: ReadonlySet<ListKind>): void {
    if (kinds.size === 0) return;
    this.dirty = true;
    for (const kind of kinds) this.pending.add(kind);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.ensureBuilt();
      const flushed = this.pending;
      this.pending = new Set();
      for (const listener of this.listeners) listener(flushed);
    }, this.debounceMs);
  }

  private ensureBuilt(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.rebuild();
  }

  private rebuild(): void {
    const servers = [...this.parts.entries()].sort(([a], [b]) => a.localeCompare(b));
    const warnings: string[] = [];

    const tools = assignPublicNames(
      servers.flatMap(([server, part]) => part.catalog.tools.map((t) => ({ server, prefix: part.prefix, name: t.name }))),
    );
    warnings.push(...tools.warnings);
    this.toolsByName.clear();
    const toolDefs = new Map(servers.flatMap(([server, part]) => part.catalog.tools.map((t) => [`${server}\0${t.name}`, t] as const)));
    this.toolList = tools.assignments.map((a) => {
      const tool = toolDefs.get(`${a.server}\0${a.name}`)!;
      this.toolsByName.set(a.publicName, { server: a.server, name: a.name, tool });
      return { ...tool, name: a.publicName };
    });

    const prompts = assignPublicNames(
      servers.flatMap(([server, part]) => part.catalog.prompts.map((p) => ({ server, prefix: part.prefix, name: p.name }))),
    );
    warnings.push(...prompts.warnings);
    this.promptsByName.clear();
    const promptDefs = new Map(servers.flatMap(([server, part]) => part.catalog.prompts.map((p) => [`${server}\0${p.name}`, p] as const)));
    this.promptList = prompts.assignments.map((a) => {
      const prompt = promptDefs.get(`${a.server}\0${a.name}`)!;
      this.promptsByName.set(a.publicName, { server: a.server, name: a.name, prompt });
      return { ...prompt, name: a.publicName };
    });

    // resources keep their URIs; the first server (by name) wins a duplicated URI
    this.serverByUri.clear();
    this.resourceList = [];
    for (const [server, part] of servers) {
      for (const resource of part.catalog.resources) {
        const owner = this.serverByUri.get(resource.uri);
        if (owner !== undefined) {
          warnings.push(`resource ${resource.uri} is offered by "${owner}" and "${server}"; "${owner}" serves it`);
          continue;
        }
        this.serverByUri.set(resource.uri, server);
        this.resourceList.push(resource);
      }
    }
    this.templateList = servers.flatMap(([, part]) => part.catalog.resourceTemplates);
    this.templates = servers.flatMap(([server, part]) =>
      part.catalog.resourceTemplates.map((t) => ({ server, pattern: templatePattern(t.uriTemplate) })),
    );

    // warn once per distinct problem, not on every rebuild
    const fresh = new Set(warnings);
    for (const warning of fresh) if (!this.lastWarnings.has(warning)) this.logger.warn(warning);
    this.lastWarnings = fresh;
  }
}

function kindsDiffering(before: BackendCatalog | undefined, after: BackendCatalog | undefined, renamed: boolean): Set<ListKind> {
  const kinds = new Set<ListKind>();
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
  if (renamed || !same(before?.tools, after?.tools)) kinds.add('tools');
  if (renamed || !same(before?.prompts, after?.prompts)) kinds.add('prompts');
  if (!same(before?.resources, after?.resources) || !same(before?.resourceTemplates, after?.resourceTemplates)) kinds.add('resources');
  return kinds;
}

/** An RFC 6570 URI template as a matcher: each `{…}` expression matches one or more characters. */
export function templatePattern(template: string): RegExp {
  const parts = template.split(/\{[^}]*\}/);
  const escaped = parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.+?')}$`);
}
