"""Dockerfile text -> :class:`pipelint.dockerfile.Dockerfile`, with exact positions.

Written for pipelint: no maintained Python library gives positions for everything a
rule points at (dockerfile-parse gives line numbers only: no columns, no offsets of
flags, JSON items or heredoc bodies), so this module reads the text itself, following
BuildKit's rules:

* parser directives (``# syntax=``, ``# escape=``, ``# check=``) only at the top of the
  file, before any comment that is not a directive, empty line or instruction;
  ``# escape=`` sets the line-continuation character (``\\`` or `````);
* a line ending in the escape character (trailing blanks allowed) continues on the next
  line; comment lines and empty lines inside a continued instruction are dropped;
* the first word is the instruction (case-insensitive); leading ``--name=value`` words
  are flags; arguments starting with ``[`` that read as a JSON array of strings are the
  exec form, anything else the shell form;
* ``RUN``/``COPY``/``ADD`` arguments may open heredocs (``<<EOF``, ``<<-EOF``,
  ``<<"EOF"``, several per instruction): their bodies follow the instruction line, each
  up to its terminator line;
* ``ONBUILD <instruction>`` holds another instruction; ``FROM`` starts a stage
  (``AS name``); ``ARG`` may come before the first ``FROM``.

Only what Docker itself refuses becomes a :class:`~pipelint.model.LoadProblem` (PL001):
an unknown instruction, an instruction other than ``ARG`` before the first ``FROM``, an
invalid ``# escape=`` value, a file without instructions. Everything else is read
leniently.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from ..dockerfile import HEREDOC_INSTRUCTIONS, INSTRUCTIONS, Directive, Dockerfile, Flag, Heredoc, Instruction, Stage, Word
from ..model import LoadProblem, ParsedFile

_DIRECTIVE = re.compile(r"[ \t]*#[ \t]*([A-Za-z][A-Za-z0-9_-]*)[ \t]*=[ \t]*(.*?)[ \t]*$")
_KNOWN_DIRECTIVES = {"syntax", "escape", "check"}
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)([^<]*)$")
_FLAG = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=(.*))?$", re.S)


class _Logical:
    """The arguments of one instruction as Docker reads them, with a map back to the
    file: ``segments`` are (logical start, file start, length)."""

    __slots__ = ("text", "segments")

    def __init__(self, text: str, segments: list[tuple[int, int, int]]):
        self.text = text
        self.segments = segments

    def at(self, i: int) -> int:
        """File offset of logical character ``i`` (``i == len`` -> just after the last)."""
        segs = self.segments
        if len(segs) == 1:
            ls, fs, n = segs[0]
            return fs + (i if i <= n else n)
        if not segs:
            return 0
        lo, hi = 0, len(segs) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if segs[mid][0] <= i:
                lo = mid
            else:
                hi = mid - 1
        ls, fs, n = segs[lo]
        if i >= ls + n and i > ls:  # past the segment's end: just after its last char
            return fs + n
        return fs + (i - ls)

    def end_at(self, i: int) -> int:
        """File offset just after logical character ``i - 1`` (an exclusive end)."""
        if i <= 0:
            return self.at(0)
        return self.at(i - 1) + 1

    def word(self, value: str, start: int, end: int) -> Word:
        return Word(value, self.at(start), self.end_at(end), self.text[start:end])

    def sub(self, start: int) -> _Logical:
        """The text from logical ``start`` on, with its own map."""
        out = []
        for ls, fs, n in self.segments:
            if ls + n <= start:
                continue
            if ls < start:
                d = start - ls
                out.append((0, fs + d, n - d))
            else:
                out.append((ls - start, fs, n))
        return _Logical(self.text[start:], out)


_WORD_RES: dict[str, re.Pattern] = {}


def _word_re(escape: str) -> re.Pattern:
    found = _WORD_RES.get(escape)
    if found is None:
        e = re.escape(escape)
        found = _WORD_RES[escape] = re.compile(
            rf"""(?:[^\s'"{e}]+|'[^']*'?|"(?:[^"{e}]|{e}[\s\S])*"?|{e}[\s\S]?)+"""
        )
    return found


def _unquote(raw: str, escape: str) -> str:
    if "'" not in raw and '"' not in raw and escape not in raw:
        return raw
    buf = []
    i = 0
    n = len(raw)
    while i < n:
        c = raw[i]
        if c == escape and i + 1 < n:
            buf.append(raw[i + 1])
            i += 2
        elif c in "'\"":
            q = c
            i += 1
            while i < n and raw[i] != q:
                if q == '"' and raw[i] == escape and i + 1 < n and raw[i + 1] in '"' + escape + "$":
                    i += 1
                buf.append(raw[i])
                i += 1
            i += 1
        else:
            buf.append(c)
            i += 1
    return "".join(buf)


def _words(text: str, start: int, escape: str, limit: int = -1) -> list[tuple[str, int, int]]:
    """Shell-like words of ``text[start:]``: (value without quotes, start, end); at
    most ``limit`` words when it is not -1."""
    out = []
    for m in _word_re(escape).finditer(text, start):
        raw = m.group()
        out.append((_unquote(raw, escape), m.start(), m.end()))
        if len(out) == limit:
            break
    return out


def _json_items(text: str, start: int) -> list[tuple[str, int, int]] | None:
    """The items of a JSON array of strings at ``text[start:]`` with their offsets, or
    None when it is not one (then Docker reads the shell form)."""
    body = text[start:].rstrip()
    try:
        value = json.loads(body)
    except ValueError:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return None
    out = []
    i = start + 1
    n = len(text)
    for v in value:
        while i < n and text[i] != '"':
            i += 1
        s = i
        i += 1
        while i < n and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        i += 1
        out.append((v, s, i))
    return out


def _next_start(start: int, size: int) -> int:
    return start + size + 1


class _Reader:
    def __init__(self, parsed: ParsedFile):
        self.parsed = parsed
        self.file = parsed.file
        self.text = parsed.file.text
        self.escape = "\\"
        self.before_from = False
        self.model = Dockerfile(parsed.file)
        lines = self.text.split("\n")
        self.lines = lines
        self.starts = list(accumulate(map(len, lines), _next_start, initial=0))

    def problem(self, message: str, offset: int) -> None:
        pos = self.file.position(offset)
        self.parsed.problems.append(LoadProblem(self.file, message, pos.line - 1, pos.column - 1, offset))

    def line(self, i: int) -> tuple[int, int]:
        """(start, end) of physical line ``i`` without its line break."""
        line = self.lines[i]
        s = self.starts[i]
        return s, s + len(line) - (1 if line.endswith("\r") else 0)

    def cont(self, i: int) -> int:
        """File offset of the escape character that continues line ``i``, or -1."""
        line = self.lines[i].rstrip(" \t\r")
        if line.endswith(self.escape):
            return self.starts[i] + len(line) - 1
        return -1

    def run(self) -> Dockerfile:
        text = self.text
        nlines = len(self.lines)
        i = 0
        # ---- parser directives
        while i < nlines:
            s, e = self.line(i)
            m = _DIRECTIVE.match(text, s, e)
            if not m or m.group(1).lower() not in _KNOWN_DIRECTIVES:
                break
            name = m.group(1).lower()
            if name in self.model.directives:
                break  # a repeated directive is a comment (BuildKit ignores it)
            self.model.directives[name] = Directive(name, m.group(2), s, e)
            if name == "escape":
                if m.group(2) in ("\\", "`"):
                    self.escape = m.group(2)
                else:
                    self.problem(f"invalid escape token {m.group(2)!r}: the escape directive accepts only \\ or `", s)
            i += 1
        self.model.escape = self.escape
        # ---- instructions
        lines = self.lines
        starts = self.starts
        while i < nlines:
            line = lines[i]
            stripped = line.lstrip(" \t\ufeff")
            if not stripped or stripped[0] in "#\r":
                i += 1
                continue
            i = self.instruction(i, starts[i] + len(line) - len(stripped))
        self.finish()
        return self.model

    def instruction(self, i: int, j: int) -> int:
        """Read the instruction whose keyword starts at ``j`` on line ``i``; the next line."""
        text = self.text
        lines = self.lines
        starts = self.starts
        nlines = len(lines)
        esc = self.escape
        first_line = i
        segments: list[tuple[int, int, int]] = []
        gaps: list[tuple[int, int]] = []
        parts: list[str] = []
        length = 0
        a = -1
        keyword_end = j
        while True:
            line = lines[i]
            ls = starts[i]
            e = ls + len(line) - (1 if line.endswith("\r") else 0)
            r = line.rstrip(" \t\r")
            continued = r.endswith(esc)
            piece_end = ls + len(r) - 1 if continued else e
            if a < 0:  # the keyword's line: the keyword ends at a blank or the escape
                k = j
                while k < piece_end and text[k] not in " \t":
                    k += 1
                keyword_end = a = k
            if piece_end > a:
                segments.append((length, a, piece_end - a))
                parts.append(text[a:piece_end])
                length += piece_end - a
            last_end = e
            i += 1
            if not continued:
                break
            # continued: skip comment and empty lines
            gap_start = piece_end
            while i < nlines:
                stripped = lines[i].lstrip(" \t")
                if not stripped or stripped[0] in "#\r":
                    i += 1
                    continue
                break
            if i >= nlines:
                gaps.append((gap_start, len(text)))
                break
            a = starts[i]
            gaps.append((gap_start, a))
        logical = _Logical("".join(parts), segments)
        inst_end = last_end
        inst = self.build(text[j:keyword_end], j, keyword_end, logical, inst_end, first_line + 1)
        inst._gaps = tuple(gaps)
        inst.args_end = max(inst.args_start, inst_end)
        # ---- heredocs: bodies follow the instruction's last line
        target = inst.inner if inst.inner is not None else inst
        if target.keyword in HEREDOC_INSTRUCTIONS and not target.json and "<<" in logical.text:
            i = self.heredocs(target, logical, i)
            if target.heredocs:
                inst.end = target.end = target.heredocs[-1].close_end
                if inst.end > 0 and text[inst.end - 1] == "\n":
                    inst.end -= 1
                    target.end = inst.end
                    if inst.end > 0 and text[inst.end - 1] == "\r":
                        inst.end -= 1
                        target.end = inst.end
        self.add(inst)
        return i

    def build(self, keyword: str, kstart: int, kend: int, logical: _Logical, end: int, line: int) -> Instruction:
        text = logical.text
        upper = keyword.upper()
        args_start = logical.at(0) if logical.segments else kend
        inst = Instruction(
            keyword=upper,
            keyword_start=kstart,
            keyword_end=kend,
            start=kstart,
            end=end,
            args_start=args_start,
            args_end=end,
            args_text=text.strip(),
            line=line,
            _file=self.file,
        )
        if upper not in INSTRUCTIONS:
            self.problem(f"unknown instruction {keyword!r}: Docker refuses the file", kstart)
        # leading blanks
        p = 0
        while p < len(text) and text[p] in " \t":
            p += 1
        if upper == "ONBUILD":
            q = p
            while q < len(text) and text[q] not in " \t":
                q += 1
            if q > p:
                sub = logical.sub(q)
                inst.inner = self.build(text[p:q], logical.at(p), logical.end_at(q), sub, end, line)
                inst.words = [logical.word(text[p:q], p, q)]
            inst.body_start = logical.at(p)
            return inst
        # flags
        takes_flags = upper in ("FROM", "RUN", "COPY", "ADD", "HEALTHCHECK")
        words = _words(text, p, self.escape, 16) if takes_flags and text.startswith("--", p) else []
        first = 0
        if takes_flags:
            for value, ws, we in words:
                if not value.startswith("--") or text[ws] == "[":
                    break
                m = _FLAG.match(value)
                if not m:
                    break
                name = m.group(1).lower()
                fv = None
                if m.group(2) is not None:
                    vs = ws + len(name) + 3
                    fv = logical.word(m.group(2), vs, we)
                inst.flags.append(Flag(name, fv, logical.at(ws), logical.end_at(we)))
                first += 1
        if not words:
            body = p
        else:
            body = words[first][1] if first < len(words) else len(text.rstrip())
        inst.body_start = logical.at(body) if logical.segments else kend
        if upper in ("RUN", "CMD", "ENTRYPOINT", "COPY", "ADD", "VOLUME", "SHELL", "HEALTHCHECK") and text[body : body + 1] == "[":
            items = _json_items(text, body)
            if items is not None:
                inst.json = True
                inst.words = [logical.word(v, s, e) for v, s, e in items]
                return inst
        escape = self.escape
        inst._lazy_words = lambda: [logical.word(v, s, e) for v, s, e in _words(text, body, escape)]
        return inst

    def heredocs(self, inst: Instruction, logical: _Logical, i: int) -> int:
        text = self.text
        nlines = len(self.lines)
        found = []
        for value, ws, we in _words(logical.text, 0, self.escape):
            raw = logical.text[ws:we]
            m = _HEREDOC_WORD.match(raw)
            if not m or not m.group(3):
                continue
            name = m.group(3)
            quoted = False
            if len(name) >= 2 and name[0] in "'\"" and name[-1] == name[0]:
                name, quoted = name[1:-1], True
            if not name:
                continue
            found.append((name, m.group(2) == "-", quoted, logical.at(ws), logical.end_at(we)))
        for name, strip, quoted, hs, he in found:
            body_start = self.starts[i] if i < nlines else len(text)
            body_end = body_start
            close_end = len(text)
            unterminated = True
            while i < nlines:
                s, e = self.line(i)
                line = text[s:e]
                if (line.lstrip("\t") if strip else line) == name:
                    body_end = s
                    close_end = self.starts[i + 1] if i + 1 < nlines else len(text)
                    unterminated = False
                    i += 1
                    break
                i += 1
                body_end = self.starts[i] if i < nlines else len(text)
            inst.heredocs.append(
                Heredoc(name, strip, quoted, hs, he, body_start, body_end, close_end, unterminated, text[body_start:body_end])
            )
        return i

    def add(self, inst: Instruction) -> None:
        model = self.model
        model.instructions.append(inst)
        if inst.keyword == "FROM":
            image = alias = None
            if inst.words:
                image = inst.words[0]
                if len(inst.words) >= 3 and inst.words[1].value.lower() == "as":
                    alias = inst.words[2]
            stage = Stage(len(model.stages), inst, image, alias)
            inst.stage = stage
            model.stages.append(stage)
            return
        if not model.stages:
            if inst.keyword == "ARG":
                model.global_args.append(inst)
            elif inst.keyword in INSTRUCTIONS and not self.before_from:
                self.before_from = True
                self.problem(f"{inst.keyword} before the first FROM: only ARG may come before FROM, Docker refuses the file", inst.keyword_start)
            return
        stage = model.stages[-1]
        inst.stage = stage
        stage.instructions.append(inst)

    def finish(self) -> None:
        if not self.model.instructions and not self.parsed.problems:
            self.problem("the Dockerfile has no instructions: Docker refuses an empty build", 0)


def parse_dockerfile(parsed: ParsedFile) -> Dockerfile | None:
    """The model of a Dockerfile; problems Docker would refuse go to ``parsed.problems``.
    None when the text is not a Dockerfile at all (no line starts with an instruction
    although it has content)."""
    text = parsed.file.text
    if "\x00" in text:
        return None
    reader = _Reader(parsed)
    model = reader.run()
    if model.instructions and not any(i.keyword in INSTRUCTIONS for i in model.instructions):
        # nothing Docker knows: another kind of file that happens to be named like one
        parsed.problems[:] = [p for p in parsed.problems if not p.message.startswith("unknown instruction")]
        return None
    return model
