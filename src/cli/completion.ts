/**
 * `samsa completion bash|zsh`: a completion script generated from the command table, so it always offers the
 * options the parser accepts. Topic and group names are completed by asking the cluster (`samsa topics list`,
 * `samsa groups list --json`) with whatever KAFKA_BROKERS says; without a reachable cluster they are just not offered.
 * zsh loads the same function through bashcompinit, which zsh ships for this purpose.
 */
import { COMMANDS } from './commands.js'
import { UsageError } from './errors.js'
import { GLOBAL_OPTIONS, type OptionSpec } from './options.js'

const FILE_OPTIONS = ['--config', '--file', '-l', '--ca', '--cert', '--key']

function flags(options: OptionSpec): string[] {
  return Object.entries(options).flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])])
}

export function completionScript(shell: string | undefined): string {
  if (shell !== 'bash' && shell !== 'zsh') throw new UsageError(`completion: '${shell ?? ''}' is not bash or zsh`, 'e.g. source <(samsa completion bash)')
  const names = Object.keys(COMMANDS)
  const cases = names
    .map((name) => {
      const spec = COMMANDS[name]!
      const lines = [`    ${name})`, `      opts="${[...flags(spec.options), ...flags(GLOBAL_OPTIONS)].join(' ')}"`]
      if (spec.subcommands) lines.push(`      subs="${spec.subcommands.join(' ')}"`)
      if (spec.completes) lines.push(`      names="${spec.completes}"`)
      lines.push('      ;;')
      return lines.join('\n')
    })
    .join('\n')
  const bash = `# samsa completion (${shell}); load with: source <(samsa completion ${shell})
_samsa() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" cmd="\${COMP_WORDS[1]}"
  local opts="" subs="" names=""
  COMPREPLY=()
  if [[ $COMP_CWORD -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "${names.join(' ')} completion --help" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
    completion) COMPREPLY=( $(compgen -W "bash zsh" -- "$cur") ); return ;;
  esac
  case "$prev" in
    ${FILE_OPTIONS.join('|')}) COMPREPLY=( $(compgen -f -- "$cur") ); return ;;
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
  elif [[ -n "$subs" && $COMP_CWORD -eq 2 ]]; then
    COMPREPLY=( $(compgen -W "$subs" -- "$cur") )
  elif [[ "$names" == topics ]]; then
    COMPREPLY=( $(compgen -W "$(samsa topics list 2>/dev/null)" -- "$cur") )
  elif [[ "$names" == groups ]]; then
    COMPREPLY=( $(compgen -W "$(samsa groups list --json 2>/dev/null | tr ',' '\\n' | sed -n 's/.*"groupId":"\\([^"]*\\)".*/\\1/p')" -- "$cur") )
  fi
}
`
  // bashcompinit's `complete` registers through compdef, which exists only once compinit has run.
  const load = shell === 'zsh' ? 'if ! whence compdef >/dev/null; then autoload -U compinit && compinit -u; fi\nautoload -U +X bashcompinit && bashcompinit\n' : ''
  return `${shell === 'zsh' ? '#compdef samsa\n' : ''}${load}${bash}complete -F _samsa samsa\n`
}
