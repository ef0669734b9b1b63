"""The model of a Dockerfile: instructions, build stages, and the facts rules read.

Filled by :mod:`pipelint.parsers.dockerfile` (text -> model, exact offsets). Every
position is a 0-based offset into the decoded file text (``SourceFile.text``), so
``file.span(word.start, word.end)`` points at the exact characters, also inside
continued lines, JSON exec forms and heredoc bodies.

What it holds:

* :class:`Dockerfile` — the file, its instructions in order, its build stages, the
  parser directives (``# syntax=``, ``# escape=``) and the ``ARG``\\ s declared before
  the first ``FROM`` (with :meth:`Dockerfile.resolve` for ``FROM ${BASE}``).
* :class:`Stage` — one ``FROM`` and the instructions after it (index, base image word,
  alias, ``--platform``).
* :class:`Instruction` — the keyword (upper-cased) and its offsets, the arguments, flags
  (``--from``, ``--chown``, ``--mount``, ``--platform`` ... with value offsets), the
  argument words (shell form: quotes removed; JSON exec form: the decoded strings), the
  heredocs (``RUN <<EOF``) with their bodies, and for ``ONBUILD`` the inner instruction.
  :meth:`Instruction.scripts` gives a ``RUN``'s shell programs (shell form and heredoc
  bodies) read by :mod:`pipelint.shell`, with offsets into the file.
* Ecosystem tables for PL601 (:data:`ECOSYSTEMS`, :func:`install_of`) and image
  reference parsing (:func:`parse_image`) for PL602.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .backref import Owner
from .source import SourceFile

#: Instructions Docker knows (BuildKit refuses any other keyword).
INSTRUCTIONS = frozenset(
    "FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG "
    "ONBUILD STOPSIGNAL HEALTHCHECK SHELL".split()
)
#: Instructions whose arguments may start heredocs.
HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})


class Word(NamedTuple):
    """One argument: ``value`` (quotes removed; a JSON item decoded), ``raw`` as written
    (continuations removed), offsets of the written text in the file."""

    value: str
    start: int
    end: int
    raw: str = ""

    @property
    def dynamic(self) -> bool:
        return "$" in self.raw


@dataclass(eq=False)
class Flag:
    """``--name=value`` (or a bare ``--name``) before an instruction's arguments."""

    name: str  # without the dashes, lower case
    value: Word | None
    start: int
    end: int


@dataclass(eq=False)
class Heredoc:
    """``<<EOF`` ... ``EOF``: the marker in the arguments and the body lines."""

    name: str
    #: ``<<-``: leading tabs of the body lines are removed.
    strip_tabs: bool
    #: The delimiter is quoted (``<<"EOF"``): no variable expansion in the body.
    quoted: bool
    start: int  # the marker ``<<EOF`` in the arguments
    end: int
    body_start: int  # first character of the body
    body_end: int  # end of the body (before the terminator line)
    #: End of the terminator line (after its line break), or the end of the file.
    close_end: int
    #: The file ended before the terminator.
    unterminated: bool = False
    text: str = ""  # the body as written


class Script(NamedTuple):
    """A shell program a ``RUN`` executes; ``program`` offsets + ``base`` = file offsets."""

    program: object  # pipelint.shell.Program
    base: int
    #: From a heredoc body (True) or the shell form (False).
    heredoc: bool = False


@dataclass(eq=False)
class Instruction:
    keyword: str  # upper-cased
    keyword_start: int
    keyword_end: int
    #: Whole instruction: keyword .. last continuation line, heredoc bodies included.
    start: int
    end: int
    #: The arguments on the instruction's lines (after the keyword; heredoc bodies excluded).
    args_start: int
    args_end: int
    #: The arguments as Docker reads them: continuations joined, comment lines removed.
    args_text: str = ""
    flags: list[Flag] = field(default_factory=list)
    #: Arguments after the flags (shell form: shell words; JSON form: the items); see
    #: :attr:`words`.
    _words: list[Word] | None = field(default=None, repr=False)
    json: bool = False
    heredocs: list[Heredoc] = field(default_factory=list)
    #: ``ONBUILD <instruction>``: the inner instruction.
    inner: Instruction | None = None
    #: 1-based line of the keyword.
    line: int = 0
    #: Offset of the first argument after the flags (shell form text start).
    body_start: int = 0
    #: The stage it belongs to (None before the first FROM). Weak (see backref).
    stage: Stage | None = Owner(optional=True)
    #: Text of the file (set by the parser) for the shell analysis.
    _file: SourceFile | None = field(default=None, repr=False)
    #: Ranges (file offsets) inside args_start..args_end that Docker drops: line
    #: continuations, comment and empty lines in a continued instruction.
    _gaps: tuple = field(default=(), repr=False)
    _scripts: list | None = field(default=None, repr=False)

    _lazy_words: object = field(default=None, repr=False)

    @property
    def words(self) -> list[Word]:
        """Arguments after the flags: shell words (quotes removed) or the JSON items.
        Split on first use."""
        if self._words is None:
            self._words = self._lazy_words() if self._lazy_words is not None else []
            self._lazy_words = None
        return self._words

    @words.setter
    def words(self, value: list[Word]) -> None:
        self._words = value

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    @property
    def text(self) -> str:
        """The instruction as written (all its lines)."""
        return self._file.text[self.start : self.end] if self._file else ""

    def scripts(self) -> list[Script]:
        """The shell programs of a ``RUN``: the shell form (continuations joined, heredoc
        markers blanked) and the heredoc bodies a shell runs (``RUN <<EOF``, ``RUN bash
        <<EOF``; not a body fed to ``python3`` or one with a non-shell ``#!`` line).
        Parsed on first use. Empty for other instructions and the JSON form."""
        if self._scripts is not None:
            return self._scripts
        out: list[Script] = []
        self._scripts = out
        if self.keyword != "RUN" or self.json or self._file is None:
            return out
        from .shell import parse

        text = self._file.text
        base = self.body_start
        chars = list(text[base : self.args_end])
        for gs, ge in self._gaps:
            for i in range(max(gs, base), min(ge, self.args_end)):
                chars[i - base] = " "
        for h in self.heredocs:
            for i in range(max(h.start, base), min(h.end, self.args_end)):
                chars[i - base] = " "
        shell_text = "".join(chars)
        program = parse(shell_text, "shell")
        out.append(Script(program, base))
        if self.heredocs:
            runner = [c for c in program.commands if not c.substitution]
            shell_runner = not any(c.words for c in runner) or any(
                c.name in _SHELLS for c in runner
            )
            for h in self.heredocs:
                body = h.text
                first = body.lstrip("\t").split("\n", 1)[0]
                if first.startswith("#!") and not any(s in first for s in _SHELLS):
                    continue
                if shell_runner:
                    out.append(Script(parse(body, "shell"), h.body_start, True))
        return out


_SHELLS = ("sh", "bash", "ash", "dash", "zsh", "ksh")


@dataclass(eq=False)
class Stage:
    index: int
    from_: Instruction
    #: The base image word (None when FROM has no argument).
    image: Word | None
    alias: Word | None = None
    instructions: list[Instruction] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.alias.value if self.alias else str(self.index)

    @property
    def platform(self) -> Word | None:
        f = self.from_.flag("platform")
        return f.value if f else None


@dataclass(eq=False)
class Directive:
    name: str  # lower case
    value: str
    start: int
    end: int


@dataclass(eq=False)
class Dockerfile:
    file: SourceFile
    instructions: list[Instruction] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    directives: dict[str, Directive] = field(default_factory=dict)
    escape: str = "\\"
    #: ARG instructions before the first FROM (usable in FROM lines).
    global_args: list[Instruction] = field(default_factory=list)

    @property
    def syntax(self) -> str | None:
        d = self.directives.get("syntax")
        return d.value if d else None

    def arg_default(self, name: str) -> tuple[str | None, Instruction | None]:
        """The default of a global ARG (before the first FROM): (value or None when it has
        no default, the ARG instruction or None when it is not declared)."""
        found: tuple[str | None, Instruction | None] = (None, None)
        for inst in self.global_args:
            for w in inst.words:
                key, eq, value = w.value.partition("=")
                if key == name:
                    found = (value if eq else None, inst)
        return found

    def resolve(self, text: str) -> tuple[str | None, list[Instruction]]:
        """``text`` with ``$NAME`` / ``${NAME}`` / ``${NAME:-default}`` replaced by the
        global ARG defaults: (the value, or None when a variable has no known value;
        the ARGs used)."""
        used: list[Instruction] = []
        unknown = False

        def sub(m: re.Match) -> str:
            nonlocal unknown
            name = m.group(1) or m.group(2)
            op, alt = m.group(3), m.group(4)
            value, inst = self.arg_default(name)
            if inst is not None:
                used.append(inst)
            if op in (":-", "-"):
                if value is None or (op == ":-" and value == ""):
                    return alt or ""
                return value
            if op in (":+", "+"):
                if value is None:
                    unknown = True
                    return ""
                return (alt or "") if (value or op == "+") else ""
            if value is None:
                unknown = True
                return ""
            return value

        out = _VAR.sub(sub, text)
        return (None if unknown else out), used


_VAR = re.compile(r"\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\})")


# --------------------------------------------------------------------------- images


class ImageRef(NamedTuple):
    name: str  # registry/repository without tag or digest
    tag: str | None
    digest: str | None


def parse_image(ref: str) -> ImageRef:
    """``registry:5000/org/app:1.2@sha256:...`` -> name, tag, digest. A ``:`` before the
    last ``/`` is a registry port, not a tag."""
    digest = None
    if "@" in ref:
        ref, _, digest = ref.partition("@")
    tag = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    return ImageRef(ref, tag, digest or None)


# --------------------------------------------------------------------------- PL601 tables


@dataclass(frozen=True)
class Ecosystem:
    name: str
    #: Manifest and lock files to copy first (wildcards keep a missing lock file from
    #: failing the COPY: Docker fails only when no source matches at all).
    manifests: tuple[str, ...]
    #: Files the install reads besides the manifests (``-r requirements.txt``) come
    #: from the command itself (see :func:`install_of`).
    label: str


ECOSYSTEMS = {
    "npm": Ecosystem("npm", ("package.json", "package-lock.json*", "npm-shrinkwrap.json*"), "npm"),
    "yarn": Ecosystem("yarn", ("package.json", "yarn.lock*", ".yarnrc.yml*"), "Yarn"),
    "pnpm": Ecosystem("pnpm", ("package.json", "pnpm-lock.yaml*", "pnpm-workspace.yaml*"), "pnpm"),
    "pip": Ecosystem("pip", (), "pip"),
    "poetry": Ecosystem("poetry", ("pyproject.toml", "poetry.lock*"), "Poetry"),
    "pipenv": Ecosystem("pipenv", ("Pipfile", "Pipfile.lock*"), "Pipenv"),
    "uv": Ecosystem("uv", ("pyproject.toml", "uv.lock*"), "uv"),
    "bundler": Ecosystem("bundler", ("Gemfile", "Gemfile.lock*", "*.gemspec*"), "Bundler"),
    "go": Ecosystem("go", ("go.mod", "go.sum*"), "Go modules"),
    "composer": Ecosystem("composer", ("composer.json", "composer.lock*"), "Composer"),
    "maven": Ecosystem("maven", ("pom.xml",), "Maven"),
    "gradle": Ecosystem("gradle", ("build.gradle*", "settings.gradle*", "gradle.properties*"), "Gradle"),
    "cargo": Ecosystem("cargo", ("Cargo.toml", "Cargo.lock*"), "Cargo"),
    "dotnet": Ecosystem("dotnet", ("*.sln*", "*.csproj*", "*.fsproj*", "*.vbproj*", "NuGet.config*", "Directory.*.props*"), ".NET"),
}


class Install(NamedTuple):
    """A dependency install found in a command: its ecosystem, the manifest paths the
    command names itself (``-r requirements.txt``), whether the install needs only the
    manifests (so the fix can move it), and the command to run in the fix."""

    ecosystem: str
    files: tuple[Word, ...] = ()
    movable: bool = True
    #: A command to insert instead of moving this one (``go mod download`` for ``go
    #: build``), or "" to move the command itself.
    instead: str = ""
    #: The command keeps its place (it needs the sources, e.g. ``go build``).
    keep: bool = False


_PIP = {"pip", "pip3", "pip2"}
_PY = re.compile(r"^python[0-9.]*$")
_NODE_INSTALL = {"install", "i", "ci", "clean-install", "isntall", "add"}


def _positionals(words, flags_with_value=()) -> list:
    out = []
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        t = w.text
        if t.startswith("-"):
            if t in flags_with_value:
                skip = True
            continue
        out.append(w)
    return out


def install_of(command) -> Install | None:
    """The dependency install a shell command (:class:`pipelint.shell.Command`) runs, or
    None. Only installs that read the project's manifests count (``npm ci``, ``pip
    install -r requirements.txt``), not ``npm install -g typescript`` or ``pip install
    flask``."""
    words = command.words
    if not words:
        return None
    name = command.name
    args = list(words[1:])
    if _PY.match(name) and len(args) >= 2 and args[0].text == "-m":
        name = args[1].text
        args = args[2:]
    if name in ("npm", "yarn", "pnpm"):
        sub = _positionals(args, ("--prefix", "-C", "--cwd", "--filter", "--workspace", "-w"))
        if name == "yarn" and not sub:
            return Install("yarn")
        if name == "pnpm" and sub and sub[0].text == "fetch":
            return Install("pnpm")
        if not sub or sub[0].text not in _NODE_INSTALL or sub[0].text == "add":
            return None
        if any(w.text in ("-g", "--global") for w in args):
            return None
        if len(sub) > 1:  # `npm install express`: a package, not the manifest
            return None
        return Install(name)
    if name in _PIP or (name == "uv" and args and args[0].text == "pip"):
        if name == "uv":
            args = args[1:]
        if not args or args[0].text not in ("install", "sync"):
            return None
        rest = args[1:]
        files = []
        editable_local = False
        for i, w in enumerate(rest):
            t = w.text
            if t in ("-r", "--requirement", "-c", "--constraint") and i + 1 < len(rest):
                files.append(rest[i + 1])
            elif t.startswith("--requirement=") or t.startswith("--constraint="):
                v = t.split("=", 1)[1]
                files.append(w._replace(text=v, start=w.end - len(v)))
            elif len(t) > 2 and t[:2] in ("-r", "-c") and not t.startswith("--"):
                files.append(w._replace(text=t[2:], start=w.start + 2))
        positional = _positionals(rest, ("-r", "--requirement", "-c", "--constraint", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "-t", "--target", "--prefix", "--root", "--python", "-p"))
        for i, w in enumerate(rest):
            if w.text in ("-e", "--editable") and i + 1 < len(rest) and rest[i + 1].text in (".", "./"):
                editable_local = True
        local = [w for w in positional if w.text in (".", "./") or w.text.startswith(".[") or w.text.startswith("./[")]
        if args[0].text == "sync" and positional:
            files.extend(positional)
            return Install("pip", tuple(files))
        if files and not [w for w in positional if w not in files]:
            return Install("pip", tuple(files))
        if editable_local or local:
            return Install("pip", (), movable=False)
        return None
    if name == "poetry":
        sub = _positionals(args)
        if sub and sub[0].text in ("install", "sync"):
            return Install("poetry")
        return None
    if name == "pipenv":
        sub = _positionals(args)
        if sub and sub[0].text == "sync":
            return Install("pipenv")
        if sub and sub[0].text == "install" and len(sub) == 1:
            return Install("pipenv")
        return None
    if name == "uv":
        sub = _positionals(args)
        if sub and sub[0].text == "sync":
            return Install("uv")
        return None
    if name in ("bundle", "bundler"):
        sub = _positionals(args, ("--gemfile", "--path", "--jobs", "-j", "--retry", "--without", "--with", "--deployment"))
        if not sub or sub[0].text == "install":
            return Install("bundler")
        return None
    if name == "go":
        sub = _positionals(args)
        if len(sub) >= 2 and sub[0].text == "mod" and sub[1].text == "download":
            return Install("go")
        vendored = any(w.text in ("-mod=vendor", "vendor") for w in args)
        if sub and sub[0].text in ("build", "install") and not vendored and not any("@" in w.text for w in sub[1:]):
            return Install("go", movable=False, instead="go mod download", keep=True)
        return None
    if name in ("composer", "composer.phar"):
        sub = _positionals(args)
        if sub and sub[0].text == "install":
            return Install("composer")
        return None
    if name in ("mvn", "mvnw", "./mvnw"):
        if any(w.text.startswith("dependency:") for w in args):
            return Install("maven", movable=name == "mvn")
        return None
    if name in ("gradle", "gradlew"):
        sub = _positionals(args)
        if sub and sub[0].text in ("dependencies", "androidDependencies"):
            return Install("gradle", movable=name == "gradle")
        return None
    if name == "cargo":
        sub = _positionals(args)
        if sub and sub[0].text == "fetch":
            return Install("cargo", movable=False)
        if sub and sub[0].text in ("build", "install") and (sub[0].text == "build" or any(w.text == "--path" for w in args)):
            return Install("cargo", movable=False, keep=True)
        return None
    if name == "dotnet":
        sub = _positionals(args)
        if sub and sub[0].text == "restore":
            return Install("dotnet", tuple(sub[1:2]) if len(sub) > 1 else (), movable=len(sub) == 1)
        return None
    return None


def resolve_path(path: str, workdir: str) -> str:
    """``path`` (absolute, or relative to ``workdir``) normalised, without a trailing /."""
    if not path.startswith("/"):
        path = posixpath.join(workdir, path)
    path = posixpath.normpath(path)
    return path if path != "//" else "/"
