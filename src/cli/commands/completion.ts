import { defineCommand, parseCommandArgs, usageError, type Command } from '../args.js';

export type Shell = 'bash' | 'zsh' | 'fish';
const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish'];

export function parseCompletionArgs(argv: readonly string[]): { shell: Shell } {
  const { positionals } = parseCommandArgs(argv, {}, ['SHELL']);
  const shell = SHELLS.find((s) => s === positionals[0]);
  if (!shell) throw usageError(`unsupported shell '${positionals[0]}' (expected ${SHELLS.join(', ')})`);
  return { shell };
}

/** `completion bash|zsh|fish`: a static script for the given commands. */
export function completionCommand(commands: () => readonly Command[]): Command {
  return defineCommand({
    name: 'completion',
    usage: 'completion bash|zsh|fish',
    summary: 'print a shell completion script (e.g. source <(mcp-manager completion bash))',
    help: [],
    options: {},
    parse: parseCompletionArgs,
    run: (args, ctx) => {
      ctx.print.line(completionScript(args.shell, commands()));
      return Promise.resolve(0);
    },
  });
}

const flagsOf = (command: Command): string[] => Object.keys(command.options).map((name) => `--${name}`);

export function completionScript(shell: Shell, commands: readonly Command[]): string {
  const names = [...commands.map((c) => c.name), 'help'];
  switch (shell) {
    case 'bash':
      return [
        '# mcp-manager completion for bash: source <(mcp-manager completion bash)',
        '_mcp_manager() {',
        '  local cur="${COMP_WORDS[COMP_CWORD]}"',
        '  if [ "$COMP_CWORD" -eq 1 ]; then',
        `    COMPREPLY=( $(compgen -W "${names.join(' ')}" -- "$cur") )`,
        '    return',
        '  fi',
        '  case "${COMP_WORDS[1]}" in',
        ...commands.map((c) => `    ${c.name}) COMPREPLY=( $(compgen -W "${flagsOf(c).join(' ')}" -- "$cur") ) ;;`),
        `    completion) COMPREPLY=( $(compgen -W "${SHELLS.join(' ')}" -- "$cur") ) ;;`,
        `    help) COMPREPLY=( $(compgen -W "${names.join(' ')}" -- "$cur") ) ;;`,
        '  esac',
        '}',
        'complete -o default -F _mcp_manager mcp-manager',
      ].join('\n');
    case 'zsh':
      return [
        '#compdef mcp-manager',
        '# mcp-manager completion for zsh: source <(mcp-manager completion zsh)',
        '_mcp_manager() {',
        '  local -a commands flags',
        `  commands=(${commands.map((c) => zshQuote(`${c.name}:${c.summary}`)).join(' ')} 'help:show help for a command')`,
        '  if (( CURRENT == 2 )); then',
        "    _describe 'command' commands",
        '    return',
        '  fi',
        '  case $words[2] in',
        ...commands.map((c) => `    ${c.name}) flags=(${flagsOf(c).join(' ')}) ;;`),
        '  esac',
        '  if [[ $words[2] == completion ]]; then',
        `    compadd -- ${SHELLS.join(' ')}`,
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
            const value = option.type === 'string' ? ' -r -F' : '';
            return `complete -c mcp-manager -n '__fish_seen_subcommand_from ${c.name}' -l ${name}${short}${value}`;
          }),
        ),
        `complete -c mcp-manager -n '__fish_seen_subcommand_from completion' -a '${SHELLS.join(' ')}'`,
      ].join('\n');
  }
}

function zshQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

function fishQuote(text: string): string {
  return `'${text.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}
