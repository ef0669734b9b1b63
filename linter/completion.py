"""Shell completion: ``pipelint completion bash|zsh|fish`` prints a completion script.

The scripts are generated from the command line itself, so they cannot drift from it:
the lint options, their value choices and which of them take a file, a folder or rule
selectors come from ``pipelint.cli._lint_parser()``; the subcommands from
``pipelint.cli.SUBCOMMANDS`` (with their own options where their parser can be read);
rule codes and names from the rule registry (plugins included). Rules installed later
appear after the script is generated again.

Install::

    # bash: for the current shell, or in ~/.bashrc
    eval "$(pipelint completion bash)"
    # bash, with the bash-completion package (loaded on first use)
    pipelint completion bash > ~/.local/share/bash-completion/completions/pipelint

    # zsh: a file named _pipelint in a folder of $fpath, before compinit runs
    mkdir -p ~/.zfunc && pipelint completion zsh > ~/.zfunc/_pipelint
    # ... and in ~/.zshrc:  fpath=(~/.zfunc $fpath); autoload -Uz compinit; compinit
    # zsh, or in ~/.zshrc after compinit:
    source <(pipelint completion zsh)

    # fish
    pipelint completion fish > ~/.config/fish/completions/pipelint.fish
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh", "fish")

# What an option's value is, by its metavar (or, for positionals, its dest).
_FILE_METAVARS = {"FILE"}
_DIR_METAVARS = {"DIR", "DIRECTORY", "FOLDER"}
_PATH_METAVARS = {"PATH", "PATHS"}
_RULES_METAVARS = {"RULES"}  # a comma-separated list of selectors
_RULE_DESTS = {"rule"}  # one rule


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="pipelint completion", description="Print a shell completion script.")
    p.add_argument("shell", choices=SHELLS, help="the shell to complete for")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)  # an unknown shell: usage error, exit 2
    import sys

    sys.stdout.write(script(args.shell))
    return 0


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    top = _lint_command()
    subcommands = _subcommands()
    rules = _rules()
    render = {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell]
    return render(top, subcommands, rules)


# ------------------------------------------------------------------ the CLI model


@dataclass
class Option:
    flags: tuple[str, ...]
    help: str
    #: None for a flag; else "choice", "file", "dir", "path", "rules", "rule" or "any".
    value: str | None
    choices: tuple[str, ...] = ()
    #: --help and --version: nothing else goes with them.
    alone: bool = False
    #: What the value is called (metavar or dest), for zsh's messages.
    label: str = "value"

    @property
    def longs(self) -> list[str]:
        return [f for f in self.flags if f.startswith("--")]

    @property
    def shorts(self) -> list[str]:
        return [f for f in self.flags if not f.startswith("--")]


@dataclass
class Positional:
    name: str
    value: str
    choices: tuple[str, ...] = ()
    many: bool = False


@dataclass
class Command:
    name: str  # "" for the lint command
    help: str
    options: list[Option] = field(default_factory=list)
    positionals: list[Positional] = field(default_factory=list)


def _help(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if text == argparse.SUPPRESS:
        return ""
    if "%" in text:
        try:
            text = text % dict(vars(action), prog=prog)
        except (KeyError, TypeError, ValueError):
            pass
    return " ".join(text.split())


def _kind(action: argparse.Action) -> str:
    if action.choices:
        return "choice"
    meta = (action.metavar if isinstance(action.metavar, str) else "") or ""
    meta = meta.upper()
    if meta in _RULES_METAVARS:
        return "rules"
    if meta in _FILE_METAVARS:
        return "file"
    if meta in _DIR_METAVARS:
        return "dir"
    if meta in _PATH_METAVARS:
        return "path"
    if not action.option_strings and action.dest in _RULE_DESTS:
        return "rule"
    return "any"


def _command(name: str, p: argparse.ArgumentParser) -> Command:
    cmd = Command(name, " ".join((p.description or "").split()))
    for action in p._actions:
        if action.help == argparse.SUPPRESS:
            continue
        choices = tuple(str(c) for c in action.choices) if action.choices else ()
        if action.option_strings:
            takes_value = action.nargs != 0
            alone = isinstance(action, (argparse._HelpAction, argparse._VersionAction))
            label = (action.metavar if isinstance(action.metavar, str) else action.dest).lower().replace("_", "-")
            kind = _kind(action) if takes_value else None
            cmd.options.append(Option(tuple(action.option_strings), _help(action, p.prog), kind, choices, alone, label))
        else:
            many = action.nargs in ("*", "+", argparse.REMAINDER)
            cmd.positionals.append(Positional(action.dest, _kind(action), choices, many))
    return cmd


def _lint_command() -> Command:
    from .cli import _lint_parser

    return _command("", _lint_parser())


def _subcommand_parser(name: str) -> argparse.ArgumentParser | None:
    """A subcommand's parser; None when it cannot be built (a broken install): its
    arguments are then completed as paths."""
    from .cli import subcommand_parser

    try:
        return subcommand_parser(name)
    except Exception:
        return None


def _subcommands() -> list[Command]:
    from .cli import SUBCOMMANDS

    out = []
    for name in SUBCOMMANDS:
        p = _subcommand_parser(name)
        if p is None:
            out.append(
                Command(
                    name,
                    "",
                    [Option(("-h", "--help"), "show this help message and exit", None, alone=True)],
                    [Positional("path", "path", many=True)],
                )
            )
        else:
            out.append(_command(name, p))
    return out


def _rules() -> list[tuple[str, str]]:
    """(code, name) of every registered rule; codes alone if a plugin cannot be imported."""
    from .registry import Registry, RegistryError

    registry = Registry.load()
    try:
        return [(r.code, r.name) for r in registry.rules]
    except RegistryError:
        return [(e.code, "") for e in registry.entries]


def _header(shell: str) -> str:
    from . import __version__

    return (
        f"# {shell} completion for pipelint {__version__}, generated by `pipelint completion {shell}`.\n"
        "# Generate it again after upgrading pipelint or installing rule plugins.\n"
    )


# ------------------------------------------------------------------------ bash


def _bash_words(words) -> str:
    return " ".join(words)


def _bash_value(kind: str, choices: tuple[str, ...]) -> str:
    if kind == "choice":
        return f'_pipelint_words "{_bash_words(choices)}"'
    if kind == "file":
        return "_pipelint_paths -f"
    if kind == "dir":
        return "_pipelint_paths -d"
    if kind == "path":
        return "_pipelint_paths -f"
    if kind == "rules":
        return '_pipelint_words "$_pipelint_rules" ,'
    if kind == "rule":
        return '_pipelint_words "$_pipelint_rules"'
    return ":"  # a value nobody can guess: offer nothing


def _bash_function(cmd: Command, fn: str, subcommands: list[Command]) -> str:
    lines = [f"{fn}() {{"]
    takes = [option for option in cmd.options if option.value is not None]
    if takes:
        lines.append('    case "$prev" in')
        for option in takes:
            lines.append(f"        {'|'.join(option.flags)}) {_bash_value(option.value, option.choices)}; return ;;")
        lines.append("    esac")
    flags = _bash_words(f for o in cmd.options for f in o.flags)
    lines += [
        '    [[ -n "$pre" ]] && return  # --option=value of an option that takes no value',
        '    if [[ "$cur" == -* ]]; then',
        f'        _pipelint_words "{flags}"',
        "        return",
        "    fi",
    ]
    if not cmd.name:
        names = _bash_words(s.name for s in subcommands)
        lines += [
            "    if (( COMP_CWORD == 1 )); then  # a subcommand or a path",
            f'        _pipelint_words "{names}"',
            '        local -a commands=("${COMPREPLY[@]}")',
            "        _pipelint_paths -f",
            '        local path',
            '        for path in "${COMPREPLY[@]}"; do  # a folder named like a subcommand is ./name',
            f'            [[ " {names} " == *" $path "* ]] || commands+=("$path")',
            "        done",
            '        COMPREPLY=("${commands[@]}")',
            "        return",
            "    fi",
        ]
    if cmd.positionals:
        # which positional: count the words before the cursor that are neither options
        # nor option values
        values = _bash_words(f for o in takes for f in o.flags)
        lines += [
            "    local i n=0",
            f"    for (( i = {2 if cmd.name else 1}; i < COMP_CWORD; i++ )); do",
            '        case "${COMP_WORDS[i]}" in',
            "            =) (( i++ )) ;;",
            "            -*) ;;",
            f'            *) [[ " {values} " == *" ${{COMP_WORDS[i-1]}} "* ]] || (( n++ )) ;;',
            "        esac",
            "    done",
            '    case "$n" in',
        ]
        for i, pos in enumerate(cmd.positionals):
            lines.append(f"        {'*' if pos.many else i}) {_bash_value(pos.value, pos.choices)} ;;")
        lines.append("    esac")
    lines.append("}")
    return "\n".join(lines)


def _bash(top: Command, subcommands: list[Command], rules: list[tuple[str, str]]) -> str:
    selectors = [code for code, _ in rules] + [name for _, name in rules if name]
    functions = [_bash_function(top, "_pipelint_lint", subcommands)]
    dispatch = []
    for sub in subcommands:
        fn = "_pipelint_cmd_" + re.sub(r"\W", "_", sub.name)
        functions.append(_bash_function(sub, fn, subcommands))
        dispatch.append(f"            {sub.name}) {fn}; return ;;")
    return (
        _header("bash")
        + f"\n_pipelint_rules='{_bash_words(selectors)}'\n\n"
        + """# COMPREPLY: the words of $1 that start with the current word; with a separator $2,
# the current word is a list and only its last item is completed.
_pipelint_words() {
    local word="$cur" head="$pre"
    if [[ -n "$2" && "$word" == *"$2"* ]]; then
        head+="${word%"$2"*}$2"
        word="${word##*"$2"}"
    fi
    COMPREPLY=($(compgen -P "$head" -W "$1" -- "$word"))
}

# COMPREPLY: files (-f) or folders (-d) that start with the current word.
_pipelint_paths() {
    local IFS=$'\\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen "$1" -- "$cur"))
}

"""
        + "\n\n".join(functions)
        + """

_pipelint() {
    local cur prev pre=""
    COMPREPLY=()
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev=""
    (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
    if [[ "$cur" == "=" && "$prev" == -* ]]; then  # --option= (bash splits words at '=')
        cur=""
    elif [[ "$prev" == "=" ]] && (( COMP_CWORD > 1 )); then  # --option=value
        prev="${COMP_WORDS[COMP_CWORD-2]}"
    elif [[ "$cur" == --*=* ]]; then  # --option=value ('=' is not a word break)
        prev="${cur%%=*}"
        pre="$prev="
        cur="${cur#*=}"
    fi
    if (( COMP_CWORD > 1 )); then
        case "${COMP_WORDS[1]}" in
"""
        + "\n".join(dispatch)
        + """
        esac
    fi
    _pipelint_lint
}

complete -F _pipelint pipelint
"""
    )


# ------------------------------------------------------------------------- zsh


def _zsh_quote(text: str) -> str:
    """``text`` inside single quotes."""
    return text.replace("'", "'\\''")


def _zsh_describe(text: str) -> str:
    """A description inside ``[...]`` of an _arguments spec."""
    return re.sub(r"([\[\]:\\])", r"\\\1", text)


def _zsh_action(kind: str, choices: tuple[str, ...]) -> str:
    if kind == "choice":
        return "(" + " ".join(re.sub(r"([\s()\\:])", r"\\\1", c) for c in choices) + ")"
    if kind in ("file", "path"):
        return "_files"
    if kind == "dir":
        return "_files -/"
    if kind == "rules":
        return "_sequence _pipelint_rule"
    if kind == "rule":
        return "_pipelint_rule"
    return " "


def _zsh_specs(cmd: Command) -> list[str]:
    specs = []
    for option in cmd.options:
        exclusion = "(- *)" if option.alone else ("(" + " ".join(option.flags) + ")" if len(option.flags) > 1 else "")
        describe = f"[{_zsh_describe(option.help)}]" if option.help else ""
        for flag in option.flags:
            if option.value is None:
                spec = f"{exclusion}{flag}{describe}"
            else:
                joiner = "=" if flag.startswith("--") else "+"
                message = option.label.replace(":", "")
                spec = f"{exclusion}{flag}{joiner}{describe}:{message}:{_zsh_action(option.value, option.choices)}"
            specs.append(f"'{_zsh_quote(spec)}'")
    for i, pos in enumerate(cmd.positionals):
        where = "*" if pos.many else str(i + 1)
        specs.append(f"'{_zsh_quote(f'{where}:{pos.name}:{_zsh_action(pos.value, pos.choices)}')}'")
    return specs


def _zsh_arguments(specs: list[str], indent: str) -> str:
    joined = f" \\\n{indent}    ".join(specs)
    return f"{indent}_arguments -s -S \\\n{indent}    {joined}"


def _zsh(top: Command, subcommands: list[Command], rules: list[tuple[str, str]]) -> str:
    described = [f"{code}:{name}" if name else code for code, name in rules]
    described += [f"{name}:{code}" for code, name in rules if name]
    commands = [f"{s.name}:{_zsh_describe(s.help)}" if s.help else s.name for s in subcommands]
    top_specs = [s for s in _zsh_specs(top) if not s.startswith("'*:")]
    paths = next((p for p in top.positionals if p.many), None)
    top_specs += ["'1: :_pipelint_first'", f"'*:{paths.name if paths else 'path'}:_files'"]
    cases = []
    for sub in subcommands:
        cases.append(
            f"            {sub.name})\n"
            "                shift words\n"
            "                (( CURRENT-- ))\n"
            f"{_zsh_arguments(_zsh_specs(sub), ' ' * 16)}\n"
            "                return\n"
            "                ;;"
        )
    lines = "\n".join(f"    '{_zsh_quote(d)}'" for d in described)
    command_lines = "\n".join(f"        '{_zsh_quote(c)}'" for c in commands)
    return (
        "#compdef pipelint\n"
        + _header("zsh")
        + f"""
# rule selectors: code:name and name:code
_pipelint_rule_list=(
{lines}
)

# one rule code or name
_pipelint_rule() {{
    _describe -t rules 'rule' _pipelint_rule_list
}}

# the first argument: a subcommand or a path to lint
_pipelint_first() {{
    local -a commands
    commands=(
{command_lines}
    )
    _describe -t commands 'subcommand' commands
    _files
}}

_pipelint() {{
    if (( CURRENT > 2 )); then
        case ${{words[2]}} in
{chr(10).join(cases)}
        esac
    fi
{_zsh_arguments(top_specs, '    ')}
}}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _pipelint "$@"
else
    compdef _pipelint pipelint
fi
"""
    )


# ------------------------------------------------------------------------ fish


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_value(kind: str, choices: tuple[str, ...]) -> str:
    if kind == "choice":
        return f"-x -a {_fish_quote(' '.join(choices))}"
    if kind in ("file", "path"):
        return "-r -F"
    if kind == "dir":
        return "-x -a '(__fish_complete_directories (commandline -ct))'"
    if kind == "rules":
        return "-x -a '(__pipelint_rule_values ,)'"
    if kind == "rule":
        return "-x -a '(__pipelint_rule_values)'"
    return "-x"


def _fish_lines(cmd: Command) -> list[str]:
    condition = f"'__pipelint_using {cmd.name}'" if cmd.name else "'__pipelint_using \"\"'"
    out = []
    for option in cmd.options:
        parts = [f"complete -c pipelint -n {condition}"]
        parts += [f"-s {s[1:]}" if len(s) == 2 else f"-o {s[1:]}" for s in option.shorts]
        parts += [f"-l {s[2:]}" for s in option.longs]
        if option.value is not None:
            parts.append(_fish_value(option.value, option.choices))
        if option.help:
            parts.append(f"-d {_fish_quote(option.help)}")
        out.append(" ".join(parts))
    for pos in cmd.positionals:
        if pos.value in ("file", "path"):
            continue  # fish completes files by default
        if pos.value == "dir":
            action = "'(__fish_complete_directories (commandline -ct))'"
        elif pos.value == "choice":
            action = _fish_quote(" ".join(pos.choices))
        elif pos.value in ("rule", "rules"):
            action = "'(__pipelint_rule_values)'"
        else:
            action = ""
        out.append(f"complete -c pipelint -n {condition} -f" + (f" -a {action}" if action else ""))
    return out


def _fish(top: Command, subcommands: list[Command], rules: list[tuple[str, str]]) -> str:
    names = " ".join(s.name for s in subcommands)
    described = [f"{_fish_quote(code)}\\t{_fish_quote(name)}" if name else _fish_quote(code) for code, name in rules]
    described += [f"{_fish_quote(name)}\\t{_fish_quote(code)}" for code, name in rules if name]
    lines = [
        _header("fish").rstrip("\n"),
        "",
        "# the subcommand being completed (nothing for the lint command)",
        "function __pipelint_subcommand",
        "    set -l tokens (commandline -opc)",
        f"    if test (count $tokens) -ge 2; and contains -- $tokens[2] {names}",
        "        echo $tokens[2]",
        "    end",
        "end",
        "",
        "function __pipelint_using",
        "    set -l sub (__pipelint_subcommand)",
        '    test "$sub" = "$argv[1]"',
        "end",
        "",
        "# the first argument: a subcommand or a path",
        "function __pipelint_first",
        "    set -l tokens (commandline -opc)",
        "    test (count $tokens) -eq 1",
        "end",
        "",
        "# rule codes and names (code<TAB>name); with a separator $argv[1], the current",
        "# word is a list and the items before its last one are kept",
        "function __pipelint_rule_values",
        "    set -l head",
        "    if set -q argv[1]",
        "        set -l token (string replace -r -- '^--[^=]*=' '' (commandline -ct))",
        "        set head (string match -r -- '^.*'$argv[1] $token)",
        "    end",
        "    for rule in \\",
    ]
    lines += [f"        {d} \\" for d in described]
    lines[-1] = lines[-1][: -len(" \\")]
    lines += [
        '        printf "%s%s\\n" "$head" $rule',
        "    end",
        "end",
        "",
    ]
    for sub in subcommands:
        describe = f" -d {_fish_quote(sub.help)}" if sub.help else ""
        lines.append(f"complete -c pipelint -n __pipelint_first -a {sub.name}{describe}")
    lines.append("")
    lines += _fish_lines(top)
    for sub in subcommands:
        lines.append("")
        lines += _fish_lines(sub)
    return "\n".join(lines) + "\n"
