"""``--format github``: workflow commands that GitHub turns into annotations."""

from __future__ import annotations

_LEVEL = {"error": "error", "warning": "warning", "note": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result, stream) -> None:
    for d in result.active:
        s = d.span
        props = (
            f"file={_prop(d.path)},line={s.start.line},col={s.start.column},"
            f"endLine={s.end.line},endColumn={s.end.column},title={_prop(f'{d.code} {d.name}')}"
        )
        stream.write(f"::{_LEVEL[str(d.severity)]} {props}::{_data(d.message)}\n")
