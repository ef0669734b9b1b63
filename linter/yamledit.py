"""Text edits that add to a YAML file without re-serialising it.

Fixes that must insert structure (a key into a job, an ``env:`` entry, a top-level
``permissions:`` block) build it here as a :class:`~pipelint.diagnostics.Edit` at a line
boundary of the original text, in the file's own indentation and line ending, so that
comments, quoting, anchors and every other byte stay as they are. Flow-style mappings
(``{a: 1}``) and mappings that share a line with their parent's key are not edited: the
functions return None and the caller offers no fix.
"""

from __future__ import annotations

from .diagnostics import Edit
from .yamltree import Mapping, Scalar, Sequence


def newline(text: str) -> str:
    """The file's line ending: ``\\r\\n`` when its first line ends so, else ``\\n``."""
    i = text.find("\n")
    return "\r\n" if i > 0 and text[i - 1] == "\r" else "\n"


def line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def line_end(text: str, offset: int) -> int:
    """Offset just after the line ending of the line holding ``offset`` (or the end)."""
    i = text.find("\n", offset)
    return len(text) if i < 0 else i + 1


def is_block(text: str, mapping) -> bool:
    """A block-style mapping whose keys start their own lines."""
    if not isinstance(mapping, Mapping) or not mapping.pairs or mapping.flow_style:
        return False
    first = mapping.pairs[0][0]
    start = first.start_index
    return not text[line_start(text, start) : start].strip(" -")


def key_indent(text: str, mapping) -> str:
    """The indentation of the mapping's keys (spaces; a ``- `` item marker counts as spaces)."""
    first = mapping.pairs[0][0]
    return " " * first.start_col


def child_indent(text: str, mapping, default: int = 2) -> str:
    """One level deeper than the mapping's keys, as the file nests its mappings."""
    step = default
    for _k, value in mapping.pairs:
        if isinstance(value, Mapping) and value.pairs and is_block(text, value):
            step = value.pairs[0][0].start_col - mapping.pairs[0][0].start_col
            break
        if isinstance(value, Sequence) and value.items:
            step = max(value.items[0].start_col - mapping.pairs[0][0].start_col - 2, 0) or default
            break
    return key_indent(text, mapping) + " " * max(step, 1)


def _node_end(node) -> int:
    """End offset of a node's last content (recursing into the last entry/item)."""
    while True:
        if isinstance(node, Mapping) and node.pairs:
            node = node.pairs[-1][1] if node.pairs[-1][1] is not None else node.pairs[-1][0]
        elif isinstance(node, Sequence) and node.items:
            node = node.items[-1]
        else:
            return node.end_index


def entry_end(text: str, mapping) -> int:
    """Where a new last entry of ``mapping`` starts: the line after its last content
    (comment lines right after it stay where they are, above the new entry)."""
    end = _node_end(mapping)
    # a block scalar's end mark is already at the next line's start
    if end > 0 and text[end - 1] == "\n":
        return end
    return line_end(text, max(end - 1, 0))


def lines(text_lines: list[str], indent: str, nl: str) -> str:
    return "".join(f"{indent}{line}{nl}" if line else nl for line in text_lines)


def insert_entry(text: str, path: str, mapping, entry_lines: list[str], *, before: str | None = None) -> Edit | None:
    """An edit adding ``entry_lines`` (the new entry, its nested lines already indented
    relative to the key: ``["concurrency:", "  group: deploy"]``) to a block mapping,
    at its end or before key ``before``; None when the mapping cannot be edited safely."""
    if not is_block(text, mapping):
        return None
    nl = newline(text)
    indent = key_indent(text, mapping)
    if before is not None:
        key = mapping.key_node(before)
        if key is None:
            return None
        at = line_start(text, key.start_index)
        if text[at : key.start_index].strip():
            return None  # `- before: x` (an item marker on the key's line): no fix
    else:
        at = entry_end(text, mapping)
        if at >= len(text) and text and not text.endswith("\n"):
            return Edit(path, len(text), len(text), nl + lines(entry_lines, indent, nl).rstrip("\r\n"))
    return Edit(path, at, at, lines(entry_lines, indent, nl))


def scalar_is_editable(text: str, node) -> bool:
    """A plain or literal-block scalar: its value's characters are the file's."""
    return isinstance(node, Scalar) and node.style in ("", "|")


# ------------------------------------------------------------------ keyed insertion
# (added for PL103/PL108/PL301/PL504 fixes) These read a mapping's *raw* pairs
# (``Mapping.value``: the keys as written, without the pairs a ``<<`` merge copies in
# from an anchor elsewhere) and never follow an alias back to earlier text.


def local_newline(text: str, at: int) -> str:
    """The line ending used next to ``at``: the previous line's, else the file's."""
    if at > 0 and text[at - 1] == "\n":
        return "\r\n" if at > 1 and text[at - 2] == "\r" else "\n"
    i = text.find("\n", at)
    if i > 0:
        return "\r\n" if text[i - 1] == "\r" else "\n"
    return newline(text)


def raw_pairs(mapping) -> list:
    """The pairs as written in the file (``<<`` keys included, merged pairs not)."""
    return list(mapping.value) if isinstance(mapping, Mapping) and isinstance(mapping.value, list) else []


def own_line(text: str, node) -> bool:
    """``node`` starts its line (after indentation and ``- `` item markers)."""
    start = node.start_index
    return not text[line_start(text, start) : start].strip(" -")


def _key_text(key) -> str | None:
    return key.value if isinstance(key, Scalar) else None


def _own_end(node, floor: int) -> int:
    """End offset of the text ``node`` occupies after ``floor`` (an alias to an earlier
    anchor occupies nothing there: ``floor`` is returned)."""
    while True:
        if node is None or node.start_index < floor:
            return floor
        if isinstance(node, Mapping) and not node.flow_style and node.value:
            key, value = node.value[-1]
            floor = max(floor, key.end_index)
            node = value
            continue
        if isinstance(node, Sequence) and not node.flow_style and node.items:
            node = node.items[-1]
            continue
        return max(floor, node.end_index)


def _lift_over_comments(text: str, at: int, indent: str) -> int:
    """Move a line-start offset up over the comment lines directly above it that are
    indented like the key below (they describe that key and stay with it)."""
    while at > 0:
        prev = line_start(text, at - 1)
        line = text[prev:at].rstrip("\r\n")
        if not line.startswith(indent + "#"):
            break
        at = prev
    return at


def insert_at_key(
    text: str,
    path: str,
    mapping,
    entry_lines: list[str],
    *,
    after: str | None = None,
    before: str | None = None,
    blank_after: bool = False,
) -> Edit | None:
    """An edit adding ``entry_lines`` (nested lines indented relative to the key) to a
    block mapping, right after the entry of key ``after`` or right before key ``before``
    (above the comment lines that lead into it); None when the mapping cannot be edited
    safely (flow style, keys sharing a line, the key absent). ``blank_after`` adds an
    empty line after the entry when the line above the insertion point is empty (the
    file separates such entries by blank lines)."""
    pairs = raw_pairs(mapping)
    if not pairs or getattr(mapping, "flow_style", False):
        return None
    keys = [k for k, _v in pairs]
    if any(not isinstance(k, Scalar) or not own_line(text, k) for k in keys):
        return None
    col = keys[0].start_col
    if any(k.start_col != col for k in keys):
        return None
    indent = " " * col
    wanted = after if after is not None else before
    found = [i for i, k in enumerate(keys) if _key_text(k) == wanted]
    if not found:
        return None
    i = found[-1]
    if after is not None:
        i += 1
        if i >= len(pairs):
            end = _own_end(mapping, mapping.start_index)
            if end > 0 and text[end - 1] == "\n":
                at = end
            else:
                at = line_end(text, max(end - 1, 0))
            nl = local_newline(text, at)
            if at >= len(text) and text and not text.endswith("\n"):
                return Edit(path, len(text), len(text), nl + lines(entry_lines, indent, nl).rstrip("\r\n"))
            return Edit(path, at, at, lines(entry_lines, indent, nl))
    key = keys[i]
    at = _lift_over_comments(text, line_start(text, key.start_index), indent)
    if text[line_start(text, key.start_index) : key.start_index].strip():
        return None  # `- key: x` (an item marker on the key's line)
    nl = local_newline(text, at)
    body = lines(entry_lines, indent, nl)
    if blank_after and at > 0:
        prev = line_start(text, at - 1)
        if not text[prev:at].strip():
            body += nl
    return Edit(path, at, at, body)


def nesting_step(text: str, mapping, default: int = 2) -> str:
    """The extra indentation of a nested mapping relative to its key, as the file does it."""
    pairs = raw_pairs(mapping)
    if not pairs:
        return " " * default
    col = pairs[0][0].start_col
    for key, value in pairs:
        if value is None or value.start_index < key.start_index:
            continue
        if isinstance(value, Mapping) and not value.flow_style and value.value and own_line(text, value.value[0][0]):
            step = value.value[0][0].start_col - col
            if step > 0:
                return " " * step
        if isinstance(value, Sequence) and not value.flow_style and value.items:
            step = value.items[0].start_col - col - 2
            if step > 0:
                return " " * step
    return " " * default


def value_at_key(mapping, key_start: int):
    """The value of the raw pair of ``mapping`` whose key starts at offset ``key_start``
    (a key node of another parse of the same text), or None."""
    for key, value in raw_pairs(mapping):
        if key.start_index == key_start:
            return value
    return None
