"""A small on-disk cache for work that depends only on its inputs.

Compiling a vendored JSON schema into a pass/fail checker takes 0.1-0.3 s a schema,
more than linting a hundred files; the result depends only on the schema and the
versions of the code that generate it, so it is kept between runs.

Location: ``$PIPELINT_CACHE_DIR``, else ``$XDG_CACHE_HOME/pipelint``, else
``~/.cache/pipelint``. ``PIPELINT_NO_CACHE=1`` turns it off. The cache only saves time:
every failure to read or write it is silent and the work is simply done again.
Entries are content-addressed (the key is a digest of every input), so a stale entry
is never read; nothing is ever invalidated in place.

Entries are signed (HMAC-SHA256) with a key kept apart from the cache, in
``$XDG_CONFIG_HOME/pipelint/cache.key`` (else ``~/.config/pipelint/cache.key``), created
on first use. A cache folder restored from elsewhere (a CI cache saved by another
branch) or edited by someone else holds entries this key did not sign: they are ignored
and rebuilt, never run (a schema checker is code) or believed (a result entry).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
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


_KEY: list[bytes] = []


def signing_key() -> bytes:
    """This user's cache key (see the module docstring); a key of this process only
    when none can be kept (entries then live for one run)."""
    if not _KEY:
        _KEY.append(_read_or_create_key())
    return _KEY[0]


def _read_or_create_key() -> bytes:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    path = os.path.join(base, "pipelint", "cache.key")
    for _ in range(2):
        try:
            with open(path, "rb") as fh:
                key = fh.read()
            if len(key) >= 32:
                return key
            return secrets.token_bytes(32)  # a damaged key file: trust nothing this run
        except FileNotFoundError:
            pass
        except OSError:
            return secrets.token_bytes(32)
        try:
            os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
        except FileExistsError:
            continue  # another run made it first: read theirs
        except OSError:
            return secrets.token_bytes(32)
    return secrets.token_bytes(32)


def sign(data: bytes) -> bytes:
    return hmac.new(signing_key(), data, hashlib.sha256).hexdigest().encode("ascii")


def signed(raw: bytes) -> bytes | None:
    """The payload of ``signature + newline + payload`` if this user's key signed it."""
    signature, newline, payload = raw.partition(b"\n")
    if newline and hmac.compare_digest(signature, sign(payload)):
        return payload
    return None


def load(namespace: str, key: str) -> bytes | None:
    """The bytes stored under ``key``, or None (absent, unreadable, not signed by this
    user's key, or caching off)."""
    folder = directory()
    if folder is None:
        return None
    try:
        return signed((folder / namespace / key).read_bytes())
    except OSError:
        return None


def store(namespace: str, key: str, data: bytes) -> None:
    """Keep ``data`` under ``key``; written to a temporary file and renamed into place,
    so a concurrent reader sees the whole entry or none."""
    folder = directory()
    if folder is None:
        return
    write_signed(str(folder / namespace / key), data)


def write_signed(path: str, data: bytes) -> bool:
    """Write ``signature + newline + data`` to ``path`` atomically (a temporary file
    renamed into place: a concurrent reader sees the whole entry or none), creating the
    folder; never through a linked folder, and a rename replaces a link, never its
    target. False when it could not be written (a cache only saves time)."""
    folder = os.path.dirname(path)
    try:
        os.makedirs(folder, exist_ok=True)
        if os.path.islink(folder) or os.path.islink(os.path.dirname(folder)):
            return False
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(sign(data) + b"\n" + data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return False
    return True
