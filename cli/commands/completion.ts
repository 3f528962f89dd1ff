/**
 * `completion bash|zsh|fish`: a completion script for the shell, made from the command list (names,
 * summaries, and the flags each command's usage names). An entitlement argument completes from
 * `hallpass completion --entitlements`, which asks the API (GET /v1/entitlements) and prints the ids
 * you may request, one a line, or nothing at all when it cannot.
 */
import { parseCommand } from '../args.ts';
import { apiContext, type Command, usage } from '../context.ts';
import { UsageError } from '../errors.ts';

const COMPLETION_USAGE = `usage: hallpass completion bash|zsh|fish
Prints a shell completion script. Load it from your shell's start-up file:
  bash  echo 'eval "$(hallpass completion bash)"' >> ~/.bashrc
  zsh   echo 'eval "$(hallpass completion zsh)"' >> ~/.zshrc
  fish  hallpass completion fish > ~/.config/fish/completions/hallpass.fish
Commands and flags complete; so do entitlement ids, which it reads from the API when you press Tab.`;

const SHELLS = ['bash', 'zsh', 'fish'] as const;
const GLOBAL_FLAGS = ['--profile', '--json', '--help', '--no-color'];

/** Commands whose first argument is an entitlement id. */
const TAKES_ENTITLEMENT = /^usage: hallpass \S+ <(entitlement|ent)>/;

interface Spec {
  name: string;
  summary: string;
  flags: string[];
  entitlement: boolean;
  words: string[];
}

function specs(commands: Command[]): Spec[] {
  const words: Record<string, string[]> = {
    help: commands.map((c) => c.name),
    completion: [...SHELLS],
    cache: ['clear'],
  };
  return commands.map((c) => ({
    name: c.name,
    summary: c.summary,
    flags: [...new Set([...(c.usage.match(/--[a-z][a-z-]*/g) ?? []), ...GLOBAL_FLAGS])].sort(),
    entitlement: TAKES_ENTITLEMENT.test(c.usage),
    words: words[c.name] ?? [],
  }));
}

const sq = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(all: Spec[]): string {
  const flagCases = all.map((s) => `    ${s.name}) opts=${sq(s.flags.join(' '))} ;;`).join('\n');
  const wordCases = all
    .filter((s) => s.words.length)
    .map((s) => `      ${s.name}) words=${sq(s.words.join(' '))} ;;`)
    .join('\n');
  const withEntitlement = all.filter((s) => s.entitlement).map((s) => s.name);
  return `# hallpass completion for bash: eval "$(hallpass completion bash)" in ~/.bashrc
_hallpass() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" at=0 profile="" i opts words
  for ((i = 1; i < COMP_CWORD; i++)); do
    case \${COMP_WORDS[i]} in
      --) return 0 ;;
      --profile) ((i++)); profile=\${COMP_WORDS[i]} ;;
      -*) ;;
      *) if [[ -z $cmd ]]; then cmd=\${COMP_WORDS[i]}; at=$i; fi ;;
    esac
  done
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W ${sq([...all.map((s) => s.name), ...GLOBAL_FLAGS, '--version'].join(' '))} -- "$cur"))
    return 0
  fi
  case $cmd in
${flagCases}
    *) opts=${sq(GLOBAL_FLAGS.join(' '))} ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  elif ((COMP_CWORD == at + 1)); then
    case $cmd in
${wordCases}
      ${withEntitlement.join('|')}) words=$(hallpass \${profile:+--profile "$profile"} completion --entitlements 2>/dev/null) ;;
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  fi
  return 0
}
complete -o default -F _hallpass hallpass
`;
}

const zq = (text: string) => sq(text.replace(/:/g, '\\:'));

function zsh(all: Spec[]): string {
  const described = all.map((s) => `    ${zq(`${s.name}:${s.summary}`)}`).join('\n');
  const flagCases = all.map((s) => `    ${s.name}) opts=(${s.flags.join(' ')}) ;;`).join('\n');
  const wordCases = all
    .filter((s) => s.words.length)
    .map((s) => `      ${s.name}) compadd -- ${s.words.join(' ')} ;;`)
    .join('\n');
  const withEntitlement = all.filter((s) => s.entitlement).map((s) => s.name);
  return `#compdef hallpass
# hallpass completion for zsh: eval "$(hallpass completion zsh)" in ~/.zshrc
(( $+functions[compdef] )) || { autoload -Uz compinit && compinit; }
_hallpass() {
  local -a cmds opts
  cmds=(
${described}
  )
  local cmd="" profile="" i at=0
  for ((i = 2; i < CURRENT; i++)); do
    case \${words[i]} in
      --)
        # exec ... -- <command>: complete the command as the shell would.
        words=("\${(@)words[i+1,-1]}"); (( CURRENT -= i ))
        _normal
        return ;;
      --profile) (( i++ )); profile=\${words[i]} ;;
      -*) ;;
      *) [[ -z $cmd ]] && { cmd=\${words[i]}; at=$i } ;;
    esac
  done
  if [[ -z $cmd ]]; then
    if [[ \${words[CURRENT]} == -* ]]; then compadd -- ${GLOBAL_FLAGS.join(' ')} --version
    else _describe -t commands 'hallpass command' cmds; fi
    return
  fi
  case $cmd in
${flagCases}
    *) opts=(${GLOBAL_FLAGS.join(' ')}) ;;
  esac
  if [[ \${words[CURRENT]} == -* ]]; then
    compadd -- $opts
  elif (( CURRENT == at + 1 )); then
    case $cmd in
${wordCases}
      ${withEntitlement.join('|')}) compadd -- \${(f)"$(hallpass \${profile:+--profile $profile} completion --entitlements 2>/dev/null)"} ;;
    esac
  fi
}
compdef _hallpass hallpass
`;
}

function fish(all: Spec[]): string {
  const lines = [
    '# hallpass completion for fish: hallpass completion fish > ~/.config/fish/completions/hallpass.fish',
    'complete -c hallpass -f',
    `complete -c hallpass -n __fish_use_subcommand -l version -d 'print the version'`,
  ];
  for (const flag of GLOBAL_FLAGS)
    lines.push(`complete -c hallpass -l ${flag.slice(2)}${flag === '--profile' ? ' -r' : ''}`);
  for (const s of all) {
    lines.push(`complete -c hallpass -n __fish_use_subcommand -a ${s.name} -d ${sq(s.summary)}`);
    const own = s.flags.filter((f) => !GLOBAL_FLAGS.includes(f));
    for (const flag of own)
      lines.push(`complete -c hallpass -n '__fish_seen_subcommand_from ${s.name}' -l ${flag.slice(2)}`);
    if (s.words.length)
      lines.push(
        `complete -c hallpass -n '__fish_seen_subcommand_from ${s.name}' -a ${sq(s.words.join(' '))}`,
      );
  }
  const withEntitlement = all.filter((s) => s.entitlement).map((s) => s.name);
  lines.push(
    `complete -c hallpass -n '__fish_seen_subcommand_from ${withEntitlement.join(' ')}; and not __fish_seen_argument -l help' -a '(hallpass completion --entitlements 2>/dev/null)'`,
  );
  return `${lines.join('\n')}\n`;
}

/** The completion command, over the list of commands it completes (app.ts's, read when it runs). */
export function completionCommand(commands: () => Command[]): Command {
  return {
    name: 'completion',
    summary: 'print a shell completion script (bash, zsh, fish)',
    usage: COMPLETION_USAGE,
    async run(args, io) {
      const { values, positionals } = parseCommand(
        args,
        { entitlements: { type: 'boolean', default: false } },
        COMPLETION_USAGE,
      );
      if (values.help) return usage(io, COMPLETION_USAGE);
      if (values.entitlements) {
        // For the scripts, at each Tab: ids or nothing, never an error on the terminal.
        try {
          const { items } = await apiContext(values.profile, io).api.entitlements();
          for (const e of items) if (e.canRequest || e.breakGlass.allowed) io.output.out(e.id);
        } catch {}
        return 0;
      }
      const shell = positionals[0];
      if (positionals.length !== 1 || !SHELLS.includes(shell as (typeof SHELLS)[number]))
        throw new UsageError(`name one shell: bash, zsh or fish\n${COMPLETION_USAGE}`);
      const all = specs(commands());
      io.output.out(shell === 'bash' ? bash(all) : shell === 'zsh' ? zsh(all) : fish(all));
      return 0;
    },
  };
}
