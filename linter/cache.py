"""A small on-disk cache for work that depends only on its inputs.

Compiling a vendored JSON schema into a pass/fail checker takes 0.1-0.3 s a schema,
more than linting a hundred files; the result depends only on the schema and the
versions of the code that generate it, so it is kept between runs.

Location: ``$PIPELINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/pipelint``, else
``~/.cache/pipelint``. ``PIPELINT_NO_CACHE=1`` turns it off. The cache only saves time:
every failure to read or write it is silent and the work is simply done again.
Entries are content-addressed (the key is a digest of every input), so a stale entry
is never read; nothing is ever invalidated in place.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def directory() -> Path | None:
    """The cache folder, or None when caching is turned off."""
    if os.environ.get("PIPELINT_NO_CACHE", "").strip() not in ("", "0"):
        return None
    explicit = os.environ.get("PIPELINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pipelint"


def digest(*parts: bytes | str) -> str:
    """A key for :func:`load`/:func:`store` from every input the cached value depends on."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def load(namespace: str, key: str) -> bytes | None:
    """The bytes stored under ``key``, or None (absent, unreadable or caching off)."""
    folder = directory()
    if folder is None:
        return None
    try:
        return (folder / namespace / key).read_bytes()
    except OSError:
        return None


def store(namespace: str, key: str, data: bytes) -> None:
    """Keep ``data`` under ``key``; written to a temporary file and renamed into place,
    so a concurrent reader sees the whole entry or none."""
    folder = directory()
    if folder is None:
        return
    try:
        target = folder / namespace
        target.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target / key)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass
