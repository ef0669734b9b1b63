"""Files read and composed once per lint run, shared by the engine and the parsers.

A GitLab include or an Azure template is both a file the engine lints on its own and a
file the parsers read while expanding the pipelines that use it. Whoever reads it first
keeps its text and documents here; the other one takes them instead of composing the
same YAML again (the trees are never modified after composing, so sharing is safe).

The engine clears the table at the start and end of every run: inside a run files are
taken to stay as they were; between runs nothing is trusted.

While :data:`READS` is a dict, every file read through here is recorded in it with a
digest of its bytes (None: missing or not a regular file): the result
cache checks them before it reuses a result that depended on those files.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass

from .yamltree import Document, YamlError, decode, load_documents

#: Files kept at most (the oldest go first); a run over a large monorepo stays bounded.
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class Loaded:
    text: str
    documents: list[Document]
    digest: str | None = None


#: abspath -> digest of what was read (see the module docstring), or None: not recording.
READS: dict[str, str | None] | None = None


def digest(data: bytes) -> str:
    """The content digest the cache keys files by."""
    return hashlib.blake2b(data, digest_size=20).hexdigest()


def read_bytes(abspath: str, limit: int = -1) -> bytes:
    """The bytes of a regular file (at most ``limit``), opened without blocking: a FIFO or
    a device put where a file was is refused with ``OSError("not a regular file")``,
    never waited on. Every file pipelint reads goes through here."""
    fd = os.open(abspath, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", abspath)
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file", abspath)
        fh = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with fh:
        return fh.read(limit)


def _record(abspath: str, value: str | None) -> None:
    if READS is not None:
        READS[abspath] = value


def _digest_file(abspath: str) -> str | None:
    try:
        return digest(read_bytes(abspath))
    except OSError:
        return None


_TABLE: dict[tuple, Loaded] = {}


def _key(abspath: str, st: os.stat_result) -> tuple:
    return (abspath, st.st_mtime_ns, st.st_size, st.st_ino)


def recall(abspath: str, st: os.stat_result) -> Loaded | None:
    """What was composed of the file with this ``os.stat`` result, if anyone did."""
    return _TABLE.get(_key(abspath, st))


def remember(abspath: str, st: os.stat_result, text: str, documents: list[Document], data_digest: str | None = None) -> Loaded:
    if len(_TABLE) >= MAX_ENTRIES:
        del _TABLE[next(iter(_TABLE))]
    loaded = _TABLE[_key(abspath, st)] = Loaded(text, documents, data_digest)
    return loaded


#: Texts that replace files' contents for this run (the fix engine's edited texts, see
#: ``engine.lint(overlay=...)``): includes and templates are read from here too.
OVERLAY: dict[str, str] = {}


def load(abspath: str, max_bytes: int) -> Loaded | None:
    """The file's text and documents, or None when it is not a regular file, is larger
    than ``max_bytes``, cannot be read or is not valid YAML (the engine reports those
    when it lints the file itself)."""
    if abspath in OVERLAY:
        try:
            text = OVERLAY[abspath]
            return Loaded(text, load_documents(text))
        except (YamlError, ValueError, RecursionError):
            return None
    try:
        st = os.stat(abspath)
    except (OSError, ValueError):
        _record(abspath, None)
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        if READS is not None:  # what the cache will find there when it checks
            _record(abspath, _digest_file(abspath))
        return None
    found = recall(abspath, st)
    if found is not None:
        if READS is not None:
            _record(abspath, found.digest or _digest_file(abspath))
        return found
    try:
        data = read_bytes(abspath)
    except OSError:
        _record(abspath, None)
        return None
    data_digest = digest(data) if READS is not None else None
    _record(abspath, data_digest)
    try:
        text = decode(data)
        documents = load_documents(text)
    except (YamlError, ValueError, RecursionError):
        return None
    return remember(abspath, st, text, documents, data_digest)


_TEXTS: dict[tuple, tuple[str | None, str]] = {}


def load_text(abspath: str, max_bytes: int) -> str | None:
    """A text file's decoded text (a shell script a step runs), or None when it is not a
    regular file, is larger than ``max_bytes`` or is not text. Kept for the run."""
    if abspath in OVERLAY:
        return OVERLAY[abspath]
    try:
        st = os.stat(abspath)
    except (OSError, ValueError):
        _record(abspath, None)
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        if READS is not None:  # what the cache will find there when it checks
            _record(abspath, _digest_file(abspath))
        return None
    key = _key(abspath, st)
    found = _TEXTS.get(key)
    if found is None:
        try:
            data = read_bytes(abspath)
        except OSError:
            _record(abspath, None)
            return None
        data_digest = digest(data)
        try:
            found = (decode(data), data_digest)
        except (YamlError, ValueError):
            found = (None, data_digest)
        if len(_TEXTS) >= MAX_ENTRIES:
            del _TEXTS[next(iter(_TEXTS))]
        _TEXTS[key] = found
    _record(abspath, found[1])
    return found[0]


def clear() -> None:
    _TEXTS.clear()
    _TABLE.clear()
    OVERLAY.clear()
