"""Files read and composed once per lint run, shared by the engine and the parsers.

A GitLab include or an Azure template is both a file the engine lints on its own and a
file the parsers read while expanding the pipelines that use it. Whoever reads it first
keeps its text and documents here; the other one takes them instead of composing the
same YAML again (the trees are never modified after composing, so sharing is safe).

The engine clears the table at the start and end of every run: inside a run files are
taken to stay as they were; between runs nothing is trusted.
"""

from __future__ import annotations

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


_TABLE: dict[tuple, Loaded] = {}


def _key(abspath: str, st: os.stat_result) -> tuple:
    return (abspath, st.st_mtime_ns, st.st_size, st.st_ino)


def recall(abspath: str, st: os.stat_result) -> Loaded | None:
    """What was composed of the file with this ``os.stat`` result, if anyone did."""
    return _TABLE.get(_key(abspath, st))


def remember(abspath: str, st: os.stat_result, text: str, documents: list[Document]) -> Loaded:
    if len(_TABLE) >= MAX_ENTRIES:
        del _TABLE[next(iter(_TABLE))]
    loaded = _TABLE[_key(abspath, st)] = Loaded(text, documents)
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
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        return None
    found = recall(abspath, st)
    if found is not None:
        return found
    try:
        with open(abspath, "rb") as fh:
            text = decode(fh.read())
        documents = load_documents(text)
    except (OSError, YamlError, ValueError, RecursionError):
        return None
    return remember(abspath, st, text, documents)


_TEXTS: dict[tuple, str] = {}


def load_text(abspath: str, max_bytes: int) -> str | None:
    """A text file's decoded text (a shell script a step runs), or None when it is not a
    regular file, is larger than ``max_bytes`` or is not text. Kept for the run."""
    if abspath in OVERLAY:
        return OVERLAY[abspath]
    try:
        st = os.stat(abspath)
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(st.st_mode) or st.st_size > max_bytes:
        return None
    key = _key(abspath, st)
    found = _TEXTS.get(key)
    if found is None:
        try:
            with open(abspath, "rb") as fh:
                found = decode(fh.read())
        except (OSError, YamlError, ValueError):
            return None
        if len(_TEXTS) >= MAX_ENTRIES:
            del _TEXTS[next(iter(_TEXTS))]
        _TEXTS[key] = found
    return found


def clear() -> None:
    _TEXTS.clear()
    _TABLE.clear()
    OVERLAY.clear()
