"""The result cache: each unit's findings kept between runs (``.pipelint_cache/``).

A unit (see :mod:`pipelint.units`) is linted again only when something it depends on has
changed. Its key is a digest of: the code (pipelint's version, and the size and time of
every module file of pipelint and of the enabled rules, so an edited rule never reuses
old results), the settings, the enabled rules, the working folder (paths in findings are
relative to it), the unit's files (path, kind, content digest), and, for a unit of YAML
files, the YAML files its pipelines may include and the names of every file and folder
under its repository (a file that appears or disappears can change what a reference
resolves to; Dockerfiles and migrations never look at their neighbours' names). Files
the unit's models read besides its own (included files, scripts a step runs) are
recorded with their content digests when the unit is linted, and checked before the
entry is used.

A warm run reads and digests each file, reads one small entry per unit and parses no
YAML. Entries are JSON, never pickle: nothing in the cache can run code. Each is signed
with the user's cache key, kept outside both the project and the cache folders (see
:mod:`pipelint.cache`), so an entry that a repository ships, that a CI cache restores
from another branch, or that someone edits is ignored and rewritten, never trusted: a
crafted entry cannot hide a finding. Units that hit an internal error are
never stored. Every failure to read or write the cache is silent: it only saves time.

The default folder is ``.pipelint_cache`` in the project root (the folder of the config
file, else the current folder), created with a ``.gitignore`` of ``*``; it is refused if
it resolves outside that root (a symlink planted in a repository), and nothing is
written through a symlink.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import hashlib
import json
import os
import sys
import time

from . import cache as user_cache
from .diagnostics import Applicability, Diagnostic, Edit, Fix, Position, Related, Severity, Span, Suppression
from .discovery import VerboseNotice

FORMAT = 1
DIRNAME = ".pipelint_cache"
_GITIGNORE = "# created by pipelint: its result cache, never committed\n*\n"


def _h(*parts) -> str:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        data = part if isinstance(part, bytes) else str(part).encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


# ----------------------------------------------------------------- the key


@functools.lru_cache(maxsize=1)
def _package_files() -> str:
    """Size and time of every module file of pipelint itself (an editable install's
    edited rule must not reuse results of the old code)."""
    from . import __version__

    here = os.path.dirname(os.path.abspath(__file__))
    folders = [here, os.path.join(os.path.dirname(here), "rules")]
    try:
        import pipelint.rules as builtin_rules

        folders.append(os.path.dirname(os.path.abspath(builtin_rules.__file__)))
    except ImportError:  # pragma: no cover - the package always has its rules
        pass
    rows = [__version__, sys.version]
    for folder in sorted(set(folders)):
        for base, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".py", ".json")):
                    try:
                        st = os.stat(os.path.join(base, name))
                    except OSError:
                        continue
                    rows.append(f"{os.path.relpath(os.path.join(base, name), folder)}:{st.st_size}:{st.st_mtime_ns}")
    return _h(*rows)


def _rule_files(entries) -> list[str]:
    """Code, class and module file stamp of each enabled rule (registry entries: the file
    is found without importing the module)."""
    rows = []
    for entry in entries:
        try:
            st = os.stat(entry.module_file())
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stamp = "?"
        rows.append(f"{entry.code}:{entry.module}.{entry.qualname}:{stamp}")
    return rows


def run_key(settings, entries, cwd: str) -> str:
    """What every unit of one run shares: code, settings, rules, working folder."""
    config = json.dumps(dataclasses.asdict(settings), sort_keys=True, default=repr)
    return _h(FORMAT, _package_files(), config, cwd, *_rule_files(entries))


class Listing:
    """The names under each repository folder (from the discovery walk), digested once per folder."""

    def __init__(self, paths: list[str]):
        self._paths = sorted(paths)
        self._memo: dict = {}

    def of(self, root: str | None) -> str:
        if root not in self._memo:
            if root is None:
                chosen = self._paths
            else:
                prefix = root.rstrip(os.sep) + os.sep
                lo = bisect.bisect_left(self._paths, prefix)
                hi = bisect.bisect_left(self._paths, prefix + "\U0010ffff")
                chosen = self._paths[lo:hi]
            self._memo[root] = _h(*chosen)
        return self._memo[root]


def unit_key(base: str, unit, digests: dict[str, str], listing: Listing) -> str:
    # only YAML models test whether a file exists or list a folder (local actions,
    # includes, templates, globs); what they read is checked apart (``reads``)
    names = listing.of(unit.root) if unit.family == "yaml" else ""
    rows = [base, unit.family, unit.root or "", names]
    for c in unit.candidates:
        rows.append(f"{c.abspath}\0{c.relpath}\0{int(c.explicit)}{int(c.included)}\0{c.kind.name}\0{digests[c.abspath]}")
    rows.extend(f"{a}\0{r}" for a, r in sorted(unit.others.items()))
    return _h(*rows)


# ------------------------------------------------------------ the folder


class ResultCache:
    def __init__(self, directory: str):
        self.directory = directory
        self._stats: dict | None = None  # abspath -> [size, mtime_ns, ctime_ns, ino, digest]
        self._stats_changed = False

    @classmethod
    def open(cls, directory: str | None, project_root: str, notices: list) -> ResultCache | None:
        """The cache at ``directory`` (``--cache-dir``), else ``.pipelint_cache`` in
        ``project_root``; None (with a notice) when it cannot be used."""
        explicit = directory is not None
        directory = os.path.abspath(directory or os.path.join(project_root, DIRNAME))
        if not explicit:
            real_root = os.path.realpath(project_root)
            real = os.path.realpath(directory)
            if os.path.islink(directory) or not (real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)):
                notices.append(f"not using the cache: {directory} leads outside the project root")
                return None
        try:
            if not os.path.isdir(directory):
                os.makedirs(directory, exist_ok=True)
                with open(os.path.join(directory, ".gitignore"), "w", encoding="utf-8") as fh:
                    fh.write(_GITIGNORE)
                with open(os.path.join(directory, "CACHEDIR.TAG"), "w", encoding="utf-8") as fh:
                    fh.write("Signature: 8a477f597d28d172789f06886806bc55\n# pipelint's result cache\n")
        except OSError as exc:
            notices.append(f"not using the cache: cannot create {directory}: {exc.strerror or exc}")
            return None
        return cls(directory)

    # ------------------------------------------------------- content digests

    #: A digest is reused only for a file last changed this long before it was taken
    #: (a write in the same clock tick as the digest must not go unseen).
    RACY_NS = 2_000_000_000

    def digest_of(self, abspath: str, max_bytes: int) -> str:
        """The file's content digest (what keys are made of). Reading and hashing every
        file is most of a warm run, so the digest of a file whose size, times and inode
        have not changed since it was taken is reused from a signed index."""
        from .loaded import digest, read_bytes

        if self._stats is None:
            self._stats = self._load_stats()
        try:
            st = os.stat(abspath)
            if st.st_size > max_bytes:
                return f"size:{st.st_size}"  # skipped unread: its size decides
            stamp = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
            known = self._stats.get(abspath)
            if known is not None and known[:4] == stamp:
                return known[4]
            taken = time.time_ns()
            value = digest(read_bytes(abspath))
        except OSError as exc:
            return f"error:{exc.errno}"
        if taken - max(st.st_mtime_ns, st.st_ctime_ns) > self.RACY_NS:
            self._stats[abspath] = stamp + [value]
            self._stats_changed = True
        return value

    def _stats_path(self) -> str:
        return os.path.join(self.directory, "v1", "digests.json")

    def _load_stats(self) -> dict:
        try:
            with open(self._stats_path(), "rb") as fh:
                body = user_cache.signed(fh.read())
            data = json.loads(body) if body is not None else {}
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def save_digests(self) -> None:
        if self._stats_changed and self._stats is not None:
            body = json.dumps(self._stats, separators=(",", ":")).encode("utf-8", "surrogatepass")
            self._write(self._stats_path(), body)
            self._stats_changed = False

    def _path(self, key: str) -> str:
        return os.path.join(self.directory, "v1", key[:2], key + ".json")

    def load(self, key: str):
        """The cached outcome of the unit with this key, or None (missing, foreign,
        corrupt, or a file it read has changed)."""
        try:
            with open(self._path(key), "rb") as fh:
                raw = fh.read()
            body = user_cache.signed(raw)
            if body is None:
                return None
            data = json.loads(body)
            if data.get("format") != FORMAT or data.get("key") != key:
                return None
            for abspath, expected in data["reads"].items():
                if _digest_of(abspath) != expected:
                    return None
            return _outcome_from(data["outcome"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
            return None

    def store(self, key: str, outcome) -> None:
        if outcome.errors:
            return  # a bug's result is never kept
        try:
            body = json.dumps(
                {"format": FORMAT, "key": key, "reads": outcome.reads, "outcome": _outcome_to(outcome)},
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode("utf-8", "surrogatepass")
        except (ValueError, TypeError):
            return
        self._write(self._path(key), body)

    def _write(self, path: str, body: bytes) -> None:
        user_cache.write_signed(path, body)


def _digest_of(abspath: str) -> str | None:
    from .loaded import digest, read_bytes

    try:
        return digest(read_bytes(abspath))
    except OSError:
        return None


# ----------------------------------------------------------- serialising


def _pos(p: Position) -> list:
    return [p.line, p.column, p.offset]


def _span(s: Span) -> list:
    return [s.path, _pos(s.start), _pos(s.end)]


def _span_from(d) -> Span:
    return Span(d[0], Position(*d[1]), Position(*d[2]))


def _diag_to(d: Diagnostic) -> dict:
    out = {"c": d.code, "n": d.name, "s": int(d.severity), "m": d.message, "sp": _span(d.span)}
    if d.related:
        out["r"] = [[_span(r.span), r.message] for r in d.related]
    if d.fix is not None:
        out["f"] = [d.fix.description, str(d.fix.applicability), [[e.path, e.start, e.end, e.text] for e in d.fix.edits]]
    if d.logical_path:
        out["l"] = d.logical_path
    if d.suppression is not None:
        out["x"] = [d.suppression.justification, _span(d.suppression.span)]
    if d.help_uri:
        out["h"] = d.help_uri
    if d.extra:
        out["e"] = d.extra
    return out


_SEVERITY = {int(s): s for s in Severity}  # (an enum call costs a microsecond a finding)


def _diag_from(o: dict) -> Diagnostic:
    fix = None
    if "f" in o:
        description, applicability, edits = o["f"]
        fix = Fix(description, tuple(Edit(*e) for e in edits), Applicability(applicability))
    suppression = None
    if "x" in o:
        suppression = Suppression(o["x"][0], _span_from(o["x"][1]))
    return Diagnostic(
        code=o["c"],
        name=o["n"],
        severity=_SEVERITY[o["s"]],
        message=o["m"],
        span=_span_from(o["sp"]),
        related=tuple(Related(_span_from(s), m) for s, m in o.get("r", ())),
        fix=fix,
        logical_path=o.get("l", ""),
        suppression=suppression,
        help_uri=o.get("h", ""),
        extra=dict(o.get("e", {})),
    )


def _outcome_to(outcome) -> dict:
    return {
        "diagnostics": [_diag_to(d) for d in outcome.diagnostics],
        "notices": [[str(n), isinstance(n, VerboseNotice)] for n in outcome.notices],
        "files": outcome.files,
        "templates": list(outcome.templates),
    }


def _outcome_from(data: dict):
    from .engine import UnitOutcome

    return UnitOutcome(
        diagnostics=[_diag_from(o) for o in data["diagnostics"]],
        notices=[VerboseNotice(text) if verbose else str(text) for text, verbose in data["notices"]],
        files=int(data["files"]),
        templates=[str(t) for t in data["templates"]],
    )
