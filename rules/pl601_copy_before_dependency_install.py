"""PL601: the whole build context is copied before the dependency install."""

from __future__ import annotations

from pipelint.diagnostics import Applicability, Edit, Fix, Related, Severity, clip
from pipelint.dockerfile import ECOSYSTEMS, install_of, resolve_path
from pipelint.rule import Rule
from pipelint.shell import mentions

#: Words whose presence in a RUN makes it worth parsing (cheap prefilter).
_KEYWORDS = ("npm", "yarn", "pnpm", "pip", "poetry", "pipenv", "uv", "bundle", "go ", "composer", "mvn", "gradle", "cargo", "dotnet")
_INHERITED = "<inherited>"
#: Instructions the fix may move an install across (they neither change the install's
#: environment nor need what it installs).
_NEUTRAL = {"COPY", "ADD", "LABEL", "EXPOSE", "MAINTAINER", "STOPSIGNAL"}
_COPY_FLAGS = {"chown", "chmod", "link"}


class CopyBeforeDependencyInstall(Rule):
    """## What it does
    Flags a copy of the whole build context (`COPY` or `ADD` of `./`, any destination)
    that comes before a dependency install in the same build stage: `npm ci`,
    `pip install -r requirements.txt`, `poetry install`, `bundle install`, `go mod download`, `composer install`,
    `mvn dependency:go-offline`, `gradle dependencies`, `cargo fetch`, `dotnet restore`...

    ## Why is this bad?
    Docker reuses a layer only while everything it was built from is unchanged. When
    the whole source tree is copied first, any edit to any file invalidates the install
    layer: every commit downloads and installs all dependencies again, which makes
    builds (and so deploys and rollbacks) slow and dependent on the registry being up.

    ## Example
    ```yaml
    FROM node:20-slim
    WORKDIR /app
    COPY . .
    RUN npm ci --omit=dev
    ```

    ## Use instead
    ```yaml
    FROM node:20-slim
    WORKDIR /app
    COPY package.json package-lock.json* ./
    RUN npm ci --omit=dev
    COPY . .
    ```
    """

    code = "PL601"
    name = "copy-before-dependency-install"
    severity = Severity.WARNING
    platforms = ("docker",)
    tags = ("docker", "performance")
    precision = "high"
    fixable = True

    def check(self, ctx):
        model = ctx.file.dockerfile
        if model is None:
            return
        for stage in model.stages:
            yield from self._stage(model, stage)

    # ------------------------------------------------------------------ stage
    def _stage(self, model, stage):
        # cheap test first: a broad COPY, then a RUN that names a package manager
        broad_at = next((n for n, i in enumerate(stage.instructions) if i.keyword in ("COPY", "ADD") and _is_broad(i)), None)
        if broad_at is None or not any(
            i.keyword == "RUN" and mentions(i.text, _KEYWORDS) for i in stage.instructions[broad_at + 1 :]
        ):
            return
        workdir = _INHERITED
        broad = None  # (instruction, workdir at it)
        before: set[str] = set()
        reported: set[str] = set()
        for pos, inst in enumerate(stage.instructions):
            kw = inst.keyword
            if kw == "WORKDIR" and inst.words:
                value = inst.words[0].value
                workdir = resolve_path(value, workdir) if "$" not in value else f"<dynamic:{inst.start}>"
            elif kw in ("COPY", "ADD"):
                if broad is None and _is_broad(inst):
                    broad = (inst, workdir, pos)
            elif kw == "RUN" and not inst.json:
                if not mentions(inst.text, _KEYWORDS):
                    continue
                for script in inst.scripts():
                    for command in script.program.commands:
                        if command.substitution:
                            continue
                        install = install_of(command)
                        if install is None:
                            continue
                        eco = install.ecosystem
                        if broad is None:
                            before.add(eco)
                            continue
                        if eco in before or eco in reported:
                            continue
                        reported.add(eco)
                        yield self._finding(model, stage, broad, inst, pos, script, command, install, workdir)

    def _finding(self, model, stage, broad, inst, pos, script, command, install, workdir):
        file = model.file
        copy, _copy_workdir, _copy_pos = broad
        eco = ECOSYSTEMS[install.ecosystem]
        shown = " ".join(command.text.split())
        if len(shown) > 40:
            shown = shown[:37] + "..."
        sources = " ".join(w.value for w in copy.words[:-1])
        what = f"{copy.keyword} {sources} {copy.words[-1].value}"
        if len(what) > 40:  # a long destination: the finding points at the instruction
            what = what[:37] + "..."
        effect = "re-downloads every dependency" if install.keep else f"re-runs the {eco.label} install"
        message = clip(
            f"`{what}` comes before `{shown}`: any source change {effect}; "
            "copy the manifest and lock files first, install, then copy the rest."
        )
        start, end = script.base + command.start, script.base + command.end
        related = [Related(file.span(start, end), f"the {eco.label} install that re-runs on every source change")]
        fix = None
        try:
            fix = _fix(model, stage, broad, inst, pos, script, command, install, workdir)
        except Exception:  # a fix is a bonus: never lose the finding over it
            fix = None
        return self.diagnostic(
            file.span(copy.start, copy.end),
            message,
            related=related,
            fix=fix,
            logical_path=f"stages[{stage.index}].{install.ecosystem}",
        )


def _is_broad(inst) -> bool:
    """A COPY/ADD of the whole context: a ``.`` or ``./`` source, not ``--from``."""
    if inst.flag("from") is not None or inst.heredocs or len(inst.words) < 2:
        return False
    return any(w.value in (".", "./") for w in inst.words[:-1])


# ---------------------------------------------------------------------- the fix


def _fix(model, stage, broad, inst, pos, script, command, install, workdir):
    """Copy the manifests and run the install before the broad COPY; take the install
    out of its RUN (or keep it when it needs the sources). None when unsure."""
    copy, copy_workdir, copy_pos = broad
    text = model.file.text
    path = model.file.path
    eco = install.ecosystem
    if script.heredoc:
        return None
    dest_word = copy.words[-1]
    if "$" in dest_word.raw:
        return None
    dest = resolve_path(dest_word.value, copy_workdir)
    # the install must run where the sources land, in the same directory as at the COPY
    if workdir != dest or copy_workdir != workdir:
        return None
    # nothing between the COPY and the install that the install might depend on
    for other in stage.instructions[copy_pos + 1 : pos]:
        if other.keyword not in _NEUTRAL:
            return None
    program = script.program
    commands = [c for c in program.commands if not c.substitution]
    for c in commands:
        if c.start < command.start and c.name in ("cd", "pushd"):
            return None
    shell_text = program.text
    # the commands chained before the install with `&&` set it up (install the tool,
    # configure it): they move with it
    i = commands.index(command)
    chained = all(shell_text[a.end : b.start].strip() == "&&" for a, b in zip(commands[:i], commands[1 : i + 1]))
    if not chained and not install.instead:
        return None
    run_text = " ".join(shell_text[commands[0].start : command.end].split())
    keep = install.keep
    if eco == "poetry" and "--no-root" not in run_text and "--only-root" not in run_text:
        run_text, keep = run_text + " --no-root", True
    elif eco == "uv" and "sync" in run_text and "--no-install-project" not in run_text:
        run_text, keep = run_text + " --no-install-project", True
    elif eco == "composer" and "--no-scripts" not in run_text:
        run_text, keep = run_text + " --no-scripts --no-autoloader", True
    if install.instead:
        run_text = install.instead
    elif not install.movable:
        return None
    # what to copy
    manifests = list(ECOSYSTEMS[eco].manifests)
    dirs = []
    for w in install.files:
        p = w.text
        if w.dynamic or not p or ".." in p.split("/"):
            return None
        absolute = resolve_path(p, workdir)
        prefix = dest.rstrip("/") + "/"
        if not absolute.startswith(prefix):
            return None
        rel = absolute[len(prefix) :]
        if "/" in rel:
            top = rel.split("/", 1)[0]
            if top not in dirs:
                dirs.append(top)
        elif rel not in manifests:
            manifests.append(rel)
    if not manifests and not dirs:
        return None
    flags = " ".join(text[f.start : f.end] for f in copy.flags if f.name in _COPY_FLAGS)
    flags = flags + " " if flags else ""
    dest_text = "./" if dest_word.value in (".", "./") else dest_word.value.rstrip("/") + "/"
    line_start = text.rfind("\n", 0, copy.start) + 1
    indent = text[line_start : copy.start]
    lines = []
    if manifests:
        lines.append(f"{indent}COPY {flags}{' '.join(manifests)} {dest_text}")
    for d in dirs:
        target = d + "/" if dest_text == "./" else f"{dest_text}{d}/"
        lines.append(f"{indent}COPY {flags}{d}/ {'./' + target if dest_text == './' else target}")
    run_flags = " ".join(text[f.start : f.end] for f in inst.flags)
    run_flags = run_flags + " " if run_flags else ""
    lines.append(f"{indent}RUN {run_flags}{run_text}")
    newline = "\r\n" if text[line_start:].split("\n", 1)[0].endswith("\r") else "\n"
    edits = [Edit(path, line_start, line_start, newline.join(lines) + newline)]
    if not keep:
        removal = _removal(text, inst, script, commands, command)
        if removal is None:
            return None
        edits.append(Edit(path, removal[0], removal[1], ""))
    description = f"copy the {ECOSYSTEMS[eco].label} manifests and install before `{copy.keyword} . `"
    return Fix(description.replace(" . `", " .`"), tuple(edits), Applicability.UNSAFE)


def _removal(text, inst, script, commands, command):
    """File range to delete so that the RUN no longer runs ``command`` and the commands
    chained before it: the whole instruction (its lines) when nothing follows, else up
    to the ``&&`` after the install. None when it is joined otherwise."""
    shell_text = script.program.text
    base = script.base
    i = commands.index(command)
    if i == len(commands) - 1:
        if len(inst.scripts()) != 1:
            return None
        start = text.rfind("\n", 0, inst.start) + 1
        end = text.find("\n", inst.end)
        end = len(text) if end < 0 else end + 1
        return start, end
    nxt = commands[i + 1]
    between = shell_text[command.end : nxt.start]
    if between.strip() != "&&":
        return None
    if "#" in text[base + commands[0].start : base + command.end]:
        return None
    # up to the `&&` and the blanks after it on the same line: a continued next line
    # stays as written (`RUN \\` then the rest)
    end = base + command.end + between.index("&&") + 2
    while end < base + nxt.start and text[end] in " \t":
        end += 1
    return base + commands[0].start, end
