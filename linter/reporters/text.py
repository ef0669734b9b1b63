"""``--format text``: ``path:line:col: CODE [severity] message``, a code frame, a summary.

Colour only on a terminal (rich decides; ``NO_COLOR`` is respected by rich itself).
"""

from __future__ import annotations

from collections import Counter

_STYLE = {"error": "bold red", "warning": "yellow", "note": "cyan"}


def _line(path: str, line: int, cache: dict) -> str | None:
    if path not in cache:
        try:
            with open(path, encoding="utf-8", errors="replace") as fh:
                cache[path] = fh.read().lstrip("\ufeff").split("\n")
        except OSError:
            cache[path] = None
    lines = cache[path]
    if not lines or not 1 <= line <= len(lines):
        return None
    return lines[line - 1].rstrip("\r")


def _frame(d, cache: dict):
    from rich.text import Text

    s = d.span
    src = _line(d.path, s.start.line, cache)
    if src is None:
        return None
    src = src.replace("\t", " ")
    gutter = f"{s.start.line:>5} | "
    frame = Text()
    frame.append(gutter, style="dim")
    frame.append(src + "\n")
    start = s.start.column - 1
    end = s.end.column - 1 if s.end.line == s.start.line else len(src)
    width = max(1, min(end, len(src)) - start) if start < len(src) else 1
    frame.append(" " * (len(gutter) - 2) + "| ", style="dim")
    frame.append(" " * start + "^" * width, style=_STYLE[str(d.severity)])
    return frame


def render(result, stream, *, color: bool | None = None, verbose: bool = False) -> None:
    from rich.console import Console
    from rich.text import Text

    force = None if color is None else color
    console = Console(
        file=stream,
        force_terminal=force,
        no_color=None if color is None else not color,  # --color always wins over NO_COLOR
        highlight=False,
        soft_wrap=True,
        width=max(80, Console(file=stream).width) if stream.isatty() else 200,
    )
    cache: dict = {}
    active = result.active
    for d in active:
        header = Text()
        header.append(f"{d.path}:{d.span.start.line}:{d.span.start.column}: ", style="bold")
        header.append(d.code, style=_STYLE[str(d.severity)])
        header.append(f" [{d.severity}] ")
        header.append(d.message)
        if d.fix is not None:
            header.append(f" (fix available: {d.fix.applicability})", style="green")
        console.print(header)
        frame = _frame(d, cache)
        if frame is not None:
            console.print(frame)
        for r in d.related:
            console.print(Text(f"      related: {r.span.path}:{r.span.start.line}:{r.span.start.column}: {r.message}", style="dim"))
        console.print()
    for e in result.internal_errors:
        console.print(Text(f"internal error in {e.rule} on {e.path or 'the project'}: {e.message}", style="bold red"))
        if verbose:
            console.print(Text(e.traceback, style="dim"))
    by_severity = Counter(str(d.severity) for d in active)
    by_rule = Counter(f"{d.code} {d.name}" for d in active)
    suppressed = sum(1 for d in result.diagnostics if d.suppression is not None and d.suppression.kind == "inSource")
    fixable = sum(1 for d in active if d.fix is not None)
    files = f"{result.files} file{'s' if result.files != 1 else ''}"
    if not active:
        summary = Text(f"No problems found in {files}.", style="bold green")
    else:
        parts = ", ".join(f"{by_severity[k]} {k}{'s' if by_severity[k] != 1 else ''}" for k in ("error", "warning", "note") if by_severity[k])
        summary = Text(f"Found {len(active)} problem{'s' if len(active) != 1 else ''} ({parts}) in {files}.", style="bold")
    if suppressed:
        summary.append(f" {suppressed} suppressed inline.")
    if fixable:
        summary.append(f" {fixable} with a fix suggestion.")
    if result.baseline is not None:
        b = result.baseline
        summary.append(f" Baseline {b.file}: {b.unchanged} not shown, {b.fixed} fixed since.")
    if result.outside_changes:
        summary.append(f" {result.outside_changes} in files not changed since the revision not shown.")
    console.print(summary)
    if by_rule:
        for rule, count in sorted(by_rule.items()):
            console.print(Text(f"  {count:>5}  {rule}"))
