/**
 * `completion bash|zsh|fish`: scripts that complete verbs, flags, and the values the user
 * would otherwise look up: server names of the running manager and catalog entries (both
 * asked of the CLI itself through the hidden `__complete` verb), client names and shells.
 */
import { createControlClient } from '../../control/client.js';
import { catalogFileOf, readCatalog } from '../../config/server-catalog.js';
import { CLIENTS } from '../../discovery/clients.js';
import { resolveStateDir, socketPathOf } from '../../state/paths.js';
import { STATE_DIR_OPTION, defineCommand, parseCommandArgs, usageError, type Command } from '../args.js';
import { packageRoot } from '../../package-info.js';

export type Shell = 'bash' | 'zsh' | 'fish';
const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

export function parseCompletionArgs(argv: readonly string[]): { shell: Shell } {
  const { positionals } = parseCommandArgs(argv, {}, ['SHELL']);
  const shell = SHELLS.find((s) => s === positionals[0]);
  if (!shell) throw usageError(`unsupported shell '${positionals[0]}' (expected ${SHELLS.join(', ')})`);
  return { shell };
}

/** `completion bash|zsh|fish`: the script for the given commands. */
export function completionCommand(commands: () => Promise<readonly Command[]>): Command {
  return defineCommand({
    name: 'completion',
    usage: 'completion bash|zsh|fish',
    summary: 'print a shell completion script (e.g. source <(mcp-manager completion bash))',
    help: [],
    options: {},
    parse: parseCompletionArgs,
    run: async (args, ctx) => {
      ctx.print.line(completionScript(args.shell, await commands()));
      return 0;
    },
  });
}

/** Values completed from the CLI at completion time (`servers`, `catalog`) or fixed lists. */
type Values = 'servers' | 'catalog' | readonly string[];
const DYNAMIC: readonly string[] = ['servers', 'catalog'];

/** What the first positional argument of a command is. */
const POSITIONAL: Record<string, Values> = {
  'start-server': 'servers',
  'stop-server': 'servers',
  'restart-server': 'servers',
  logs: 'servers',
  inspect: 'servers',
  remove: 'servers',
  call: 'servers',
  catalog: 'catalog',
  connect: CLIENTS,
  disconnect: CLIENTS,
  completion: SHELLS,
  service: ['install', 'uninstall'],
};

/** What an option's value is (options not named here complete as files). */
const OPTION_VALUE: Record<string, Values> = {
  '--server': 'servers',
  '--from-catalog': 'catalog',
  '--from': CLIENTS,
  '--format': ['text', 'json', 'mermaid'],
  '--log-format': ['text', 'json'],
  '--transport': ['stdio', 'http', 'sse', 'websocket', 'tcp'],
};

/** `__complete servers|catalog [--state-dir DIR]`: one name a line, nothing on any failure. */
export const completeCommand = defineCommand({
  name: '__complete',
  usage: '__complete servers|catalog [--state-dir DIR]',
  summary: 'names for shell completion',
  help: [],
  options: STATE_DIR_OPTION,
  parse: (argv) => {
    const { values, positionals } = parseCommandArgs(argv, STATE_DIR_OPTION, ['KIND']);
    const kind = positionals[0];
    if (kind !== 'servers' && kind !== 'catalog') throw usageError(`unknown kind '${kind}' (expected servers, catalog)`);
    return { kind, stateDir: values['state-dir'] };
  },
  run: async (args, ctx) => {
    let names: string[] = [];
    try {
      if (args.kind === 'catalog') {
        names = readCatalog(catalogFileOf(packageRoot())).map((e) => e.name);
      } else {
        const socketPath = socketPathOf(resolveStateDir({ flag: args.stateDir, env: ctx.env, cwd: ctx.cwd }));
        names = (await createControlClient(socketPath, { timeoutMs: 2000 }).servers()).map((s) => s.name);
      }
    } catch {
      // no manager, no catalog: nothing to offer
    }
    if (names.length > 0) ctx.print.lines(names);
    return 0;
  },
});

const flagsOf = (command: Command): string[] =>
  Object.entries(command.options).flatMap(([name, option]) => [`--${name}`, ...(option.short ? [`-${option.short}`] : [])]);

/** Flags that take a value (their next word is not a positional argument). */
function valueFlags(commands: readonly Command[]): string[] {
  const flags = new Set<string>();
  for (const command of commands) {
    for (const [name, option] of Object.entries(command.options)) {
      if (option.type !== 'string') continue;
      flags.add(`--${name}`);
      if (option.short) flags.add(`-${option.short}`);
    }
  }
  return [...flags].sort();
}

function bashWords(values: Values): string {
  if (typeof values === 'string') return `$(_mcp_manager_names ${values})`;
  return values.join(' ');
}

export function completionScript(shell: Shell, commands: readonly Command[]): string {
  const names = [...commands.map((c) => c.name), 'help'];
  switch (shell) {
    case 'bash':
      return [
        '# mcp-manager completion for bash: source <(mcp-manager completion bash)',
        '_mcp_manager_names() {',
        "  # names from the CLI itself: the running manager's servers, the catalog's entries",
        '  "${COMP_WORDS[0]}" __complete "$1" "${_mcp_manager_state[@]}" 2>/dev/null',
        '}',
        '_mcp_manager() {',
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" cmd="${COMP_WORDS[1]}" words="" i positionals=0',
        '  local -a _mcp_manager_state=()',
        '  [ "$COMP_CWORD" -gt 0 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '  COMPREPLY=()',
        '  if [ "$COMP_CWORD" -eq 1 ]; then',
        `    COMPREPLY=( $(compgen -W "${names.join(' ')}" -- "$cur") )`,
        '    return',
        '  fi',
        '  for (( i = 2; i < COMP_CWORD; i++ )); do',
        '    case "${COMP_WORDS[i]}" in',
        '      --state-dir) _mcp_manager_state=(--state-dir "${COMP_WORDS[i+1]}"); i=$((i + 1)) ;;',
        `      ${valueFlags(commands).join('|')}) i=$((i + 1)) ;;`,
        '      --) return ;;',
        '      -*) ;;',
        '      *) positionals=$((positionals + 1)) ;;',
        '    esac',
        '  done',
        '  case "$prev" in',
        ...Object.entries(OPTION_VALUE).map(([flag, values]) => `    ${flag}) words="${bashWords(values)}" ;;`),
        `    ${valueFlags(commands)
          .filter((f) => !(f in OPTION_VALUE))
          .join('|')}) return ;;`,
        '  esac',
        '  if [ -z "$words" ] && [[ "$cur" == -* ]]; then',
        '    case "$cmd" in',
        ...commands.map((c) => `      ${c.name}) words="${flagsOf(c).join(' ')}" ;;`),
        '    esac',
        '  elif [ -z "$words" ] && [ "$positionals" -eq 0 ]; then',
        '    case "$cmd" in',
        ...Object.entries(POSITIONAL).map(([command, values]) => `      ${command}) words="${bashWords(values)}" ;;`),
        `      help) words="${names.join(' ')}" ;;`,
        '    esac',
        '  fi',
        '  [ -n "$words" ] && COMPREPLY=( $(compgen -W "$words" -- "$cur") )',
        '  return 0',
        '}',
        'complete -o default -F _mcp_manager mcp-manager',
      ].join('\n');
    case 'zsh':
      return [
        '#compdef mcp-manager',
        '# mcp-manager completion for zsh: source <(mcp-manager completion zsh)',
        '_mcp_manager_names() {',
        '  local -a state; local i',
        '  for (( i = 3; i < CURRENT; i++ )); do [[ $words[i] == --state-dir ]] && state=(--state-dir $words[i+1]); done',
        '  ${words[1]} __complete $1 $state 2>/dev/null',
        '}',
        '_mcp_manager() {',
        '  local -a commands flags values',
        `  commands=(${commands.map((c) => zshQuote(`${c.name}:${c.summary}`)).join(' ')} 'help:show help for a command')`,
        '  if (( CURRENT == 2 )); then',
        "    _describe 'command' commands",
        '    return',
        '  fi',
        '  case $words[CURRENT-1] in',
        ...Object.entries(OPTION_VALUE).map(([flag, v]) => `    ${flag}) values=(${zshValues(v)}) ;;`),
        '  esac',
        '  if (( ${#values} == 0 )) && [[ $PREFIX != -* ]] && (( CURRENT == 3 )); then',
        '    case $words[2] in',
        ...Object.entries(POSITIONAL).map(([command, v]) => `      ${command}) values=(${zshValues(v)}) ;;`),
        '    esac',
        '  fi',
        '  case $words[2] in',
        ...commands.map((c) => `    ${c.name}) flags=(${flagsOf(c).join(' ')}) ;;`),
        '  esac',
        '  if (( ${#values} )); then',
        '    compadd -a values',
        '  elif [[ $PREFIX == -* ]]; then',
        '    compadd -a flags',
        '  else',
        '    _files',
        '  fi',
        '}',
        'compdef _mcp_manager mcp-manager',
      ].join('\n');
    case 'fish':
      return [
        '# mcp-manager completion for fish: mcp-manager completion fish | source',
        'complete -c mcp-manager -f',
        ...commands.map((c) => `complete -c mcp-manager -n __fish_use_subcommand -a ${c.name} -d ${fishQuote(c.summary)}`),
        "complete -c mcp-manager -n __fish_use_subcommand -a help -d 'show help for a command'",
        ...commands.flatMap((c) =>
          Object.entries(c.options).map(([name, option]) => {
            const short = option.short ? ` -s ${option.short}` : '';
            const flag = `--${name}`;
            const value = option.type !== 'string' ? '' : flag in OPTION_VALUE ? ` -x -a ${fishValues(OPTION_VALUE[flag]!)}` : ' -r -F';
            return `complete -c mcp-manager -n '__fish_seen_subcommand_from ${c.name}' -l ${name}${short}${value}`;
          }),
        ),
        ...Object.entries(POSITIONAL).map(
          ([command, v]) =>
            `complete -c mcp-manager -n '__fish_seen_subcommand_from ${command}; and test (count (commandline -opc)) -eq 2' -a ${fishValues(v)}`,
        ),
      ].join('\n');
  }
}

function zshValues(values: Values): string {
  if (typeof values === 'string') return `\${(f)"$(_mcp_manager_names ${values})"}`;
  return values.join(' ');
}

function fishValues(values: Values): string {
  if (DYNAMIC.includes(values as string)) return `'(mcp-manager __complete ${values as string} 2>/dev/null)'`;
  return `'${(values as readonly string[]).join(' ')}'`;
}

function zshQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
