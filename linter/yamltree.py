"""YAML documents as a small positioned tree.

ruamel.yaml's safe ``compose`` with the C parser (``ruamel.yaml.clib``) turns text into
nodes; we convert them once into :class:`Mapping`, :class:`Sequence` and :class:`Scalar`
objects that keep their start/end marks, detect duplicate keys, apply ``<<`` merge keys and
keep custom tags (``!reference``) as tagged nodes. Scalars are not typed during parsing
(the implicit resolver is the costliest part of ruamel's compose); :meth:`Scalar.typed`
resolves on demand with the YAML 1.2 core schema.

Hostile input is bounded: nesting deeper than :data:`MAX_DEPTH`, alias expansion larger
than :data:`MAX_EXPANDED_NODES` and undecodable bytes raise :class:`YamlError` with a
position instead of exhausting the stack or memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, Union

MAX_DEPTH = 500
MAX_EXPANDED_NODES = 2_000_000
#: Above this many possible nesting openers the C composer (which recurses in C and can
#: overflow the native stack) is only used after an event-level depth check.
_DEPTH_PRECHECK_THRESHOLD = 10_000


class YamlError(Exception):
    """The text is not YAML that pipelint can analyse; carries a 0-based position."""

    def __init__(self, message: str, line: int = 0, column: int = 0, offset: int = 0):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset


class Node:
    __slots__ = ("tag", "start_line", "start_col", "start_index", "end_line", "end_col", "end_index")

    tag: str | None

    def _set_marks(self, start, end) -> None:
        self.start_line = start.line
        self.start_col = start.column
        self.start_index = start.index
        self.end_line = end.line
        self.end_col = end.column
        self.end_index = end.index


class Scalar(Node):
    """A scalar; ``style`` is '' (plain), "'", '"', '|' or '>'."""

    __slots__ = ("value", "style")

    def __init__(self, value: str, style: str, tag: str | None):
        self.value = value
        self.style = style
        self.tag = tag

    @property
    def plain(self) -> bool:
        return self.style == ""

    def typed(self):
        """The YAML 1.2 core-schema value: None, bool, int, float or str."""
        if self.tag is not None or self.style:
            return self.value
        return resolve_plain(self.value)

    def __repr__(self) -> str:
        return f"Scalar({self.value!r}@{self.start_line + 1}:{self.start_col + 1})"


class Mapping(Node):
    """A mapping; ``pairs`` keeps order, ``get`` looks keys up by their text."""

    __slots__ = ("pairs", "_index")

    def __init__(self, tag: str | None):
        self.tag = tag
        self.pairs: list[tuple[Scalar | Node, YNode]] = []
        self._index: dict[str, int] = {}

    def get(self, key: str, default=None):
        i = self._index.get(key)
        return default if i is None else self.pairs[i][1]

    def key_node(self, key: str):
        i = self._index.get(key)
        return None if i is None else self.pairs[i][0]

    def __contains__(self, key: str) -> bool:
        return key in self._index

    def keys(self) -> list[str]:
        return list(self._index)

    def items(self) -> Iterator[tuple[str, Scalar | Node, YNode]]:
        """(key text, key node, value node) for each pair."""
        for k, v in self.pairs:
            yield key_text(k), k, v

    def __len__(self) -> int:
        return len(self.pairs)

    def __repr__(self) -> str:
        return f"Mapping({self.keys()!r}@{self.start_line + 1})"


class Sequence(Node):
    __slots__ = ("items",)

    def __init__(self, tag: str | None):
        self.tag = tag
        self.items: list[YNode] = []

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __repr__(self) -> str:
        return f"Sequence(len={len(self.items)}@{self.start_line + 1})"


YNode = Union[Scalar, Mapping, Sequence]


def key_text(node) -> str:
    if isinstance(node, Scalar):
        return node.value
    return f"<{type(node).__name__.lower()} key at line {node.start_line + 1}>"


@dataclass
class Document:
    root: YNode | None
    index: int
    #: Duplicate keys found while converting: (key node, first key node).
    duplicates: list


_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+$|0o[0-7]+$|0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|[-+]?\.(inf|Inf|INF)$|\.(nan|NaN|NAN)$")


def resolve_plain(text: str):
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.match(text):
        try:
            return int(text, 0) if text[:2] in ("0o", "0x") else int(text)
        except ValueError:
            return text
    if _FLOAT.match(text):
        try:
            return float(text.replace("inf", "Infinity").replace("Inf", "Infinity").replace("INF", "Infinity"))
        except ValueError:
            return text
    return text


# --------------------------------------------------------------------------- decoding


def decode(data: bytes) -> str:
    """UTF-8 text without a byte-order mark; binary or non-UTF-8 data raises YamlError."""
    if b"\x00" in data[:8192]:
        raise YamlError("binary content (NUL byte): not a text file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", "replace")
        line = prefix.count("\n")
        col = len(prefix) - (prefix.rfind("\n") + 1)
        raise YamlError(f"invalid UTF-8 byte 0x{data[exc.start]:02x}: the file is not UTF-8 text", line, col, len(prefix)) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


# --------------------------------------------------------------------------- composing

_c_parser_class = None


def _c_parser():
    """A CParser whose resolver hooks do nothing: typing happens lazily in Scalar.typed."""
    global _c_parser_class
    if _c_parser_class is None:
        from _ruamel_yaml import CParser

        class _Parser(CParser):
            def descend_resolver(self, parent, index):
                pass

            def ascend_resolver(self):
                pass

            def resolve(self, kind, value, implicit):
                return None

        _c_parser_class = _Parser
    return _c_parser_class


def parser_in_use() -> str:
    """'clib' when the C parser is available (it is a hard dependency)."""
    cls = _c_parser()
    return "clib" if cls.__mro__[1].__module__.startswith(("ruamel.yaml.clib", "_ruamel_yaml")) else "pure"


def _error_from_marked(exc) -> YamlError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or ""
    context = getattr(exc, "context", None) or ""
    message = " ".join(p for p in (context, problem) if p) or str(exc).splitlines()[0]
    message = message.replace("\n", " ")
    if mark is None:
        return YamlError(message)
    return YamlError(message, mark.line, mark.column, getattr(mark, "index", 0) or 0)


def _depth_by_events(text: str) -> tuple[int, object]:
    """Maximum nesting depth, counted on the event stream (no recursion)."""
    from _ruamel_yaml import CParser

    parser = CParser(text)
    depth = 0
    deepest = 0
    while True:
        event = parser.get_event()
        name = type(event).__name__
        if name in ("MappingStartEvent", "SequenceStartEvent"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if depth > MAX_DEPTH:
                    return depth, event.start_mark
        elif name in ("MappingEndEvent", "SequenceEndEvent"):
            depth -= 1
        elif name == "StreamEndEvent":
            return deepest, None


def _compose_raw(text: str) -> list:
    """ruamel nodes for every document: C parser first, the pure parser as fallback."""
    openers = text.count("[") + text.count("{") + text.count(":") + text.count("-") + text.count("?")
    if openers > _DEPTH_PRECHECK_THRESHOLD:
        try:
            depth, mark = _depth_by_events(text)
        except Exception as exc:  # a syntax error: let the composers report it below
            depth, mark = 0, None
            del exc
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line, mark.column, mark.index)
    parser = _c_parser()(text)
    try:
        docs = []
        while parser.check_node():
            docs.append(parser.get_node())
        return docs
    except Exception as c_error:
        # ruamel's C parser rejects some YAML that libyaml and the pure parser accept
        # (e.g. ``!reference [a, b]`` flow sequences in GitLab files): retry before failing.
        try:
            return _compose_pure(text)
        except RecursionError:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from None
        except Exception:
            raise _error_from_marked(c_error) from None


def _compose_pure(text: str) -> list:
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.parser import Parser
    from ruamel.yaml.reader import Reader
    from ruamel.yaml.scanner import Scanner

    class _Loader:
        def __init__(self, stream):
            self._reader = Reader(stream, loader=self)
            self._scanner = Scanner(loader=self)
            self._parser = Parser(loader=self)
            self._composer = Composer(loader=self)
            self._resolver = self
            self.max_depth = MAX_DEPTH + 50
            self.comment_handling = None

        @property
        def reader(self):
            return self._reader

        @property
        def scanner(self):
            return self._scanner

        @property
        def parser(self):
            return self._parser

        @property
        def composer(self):
            return self._composer

        @property
        def resolver(self):
            return self

        def descend_resolver(self, parent, index):
            pass

        def ascend_resolver(self):
            pass

        def resolve(self, kind, value, implicit):
            return None

        @property
        def processing_version(self):
            return (1, 2)

    loader = _Loader(text)
    composer = loader._composer
    docs = []
    while composer.check_node():
        docs.append(composer.get_node())
    return docs


_STYLE = {None: "", "": "", "'": "'", '"': '"', "|": "|", ">": ">"}


class _Converter:
    """ruamel nodes -> our nodes; aliases share the converted object (no expansion)."""

    def __init__(self):
        self.memo: dict[int, YNode] = {}
        self.sizes: dict[int, int] = {}
        self.duplicates: list = []

    def convert(self, node, depth: int = 0) -> YNode:
        memo = self.memo.get(id(node))
        if memo is not None:
            return memo
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line, mark.column, mark.index)
        tag = node.tag
        if tag is not None and not isinstance(tag, str):  # ruamel Tag objects in the pure parser
            tag = getattr(tag, "value", None) or str(tag)
        if tag in ("None", "?", "!"):
            tag = None
        kind = node.id
        if kind == "scalar":
            out = Scalar(node.value, _STYLE.get(node.style, ""), tag)
            out._set_marks(node.start_mark, node.end_mark)
            self.memo[id(node)] = out
            self.sizes[id(out)] = 1
            return out
        if kind == "sequence":
            seq = Sequence(tag)
            seq._set_marks(node.start_mark, node.end_mark)
            self.memo[id(node)] = seq
            size = 1
            for child in node.value:
                item = self.convert(child, depth + 1)
                seq.items.append(item)
                size += self.sizes[id(item)]
            self._check_size(size, node)
            self.sizes[id(seq)] = size
            return seq
        mapping = Mapping(tag)
        mapping._set_marks(node.start_mark, node.end_mark)
        self.memo[id(node)] = mapping
        size = 1
        merges = []
        for key_node, value_node in node.value:
            key = self.convert(key_node, depth + 1)
            value = self.convert(value_node, depth + 1)
            size += self.sizes[id(key)] + self.sizes[id(value)]
            text = key_text(key)
            if isinstance(key, Scalar) and text == "<<" and key.plain and key.tag is None:
                merges.append(value)
                continue
            previous = mapping._index.get(text)
            if previous is not None:
                self.duplicates.append((key, mapping.pairs[previous][0]))
                mapping.pairs[previous] = (key, value)  # last one wins, as in most loaders
                continue
            mapping._index[text] = len(mapping.pairs)
            mapping.pairs.append((key, value))
        for merge in merges:  # explicit keys win; earlier merge sources win over later
            sources = merge.items if isinstance(merge, Sequence) else [merge]
            for source in sources:
                if isinstance(source, Mapping):
                    for text, key, value in source.items():
                        if text not in mapping._index:
                            mapping._index[text] = len(mapping.pairs)
                            mapping.pairs.append((key, value))
        self._check_size(size, node)
        self.sizes[id(mapping)] = size
        return mapping

    def _check_size(self, size: int, node) -> None:
        if size > MAX_EXPANDED_NODES:
            mark = node.start_mark
            raise YamlError(
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)",
                mark.line,
                mark.column,
                mark.index,
            )


def load_documents(text: str) -> list[Document]:
    """Every YAML document of ``text`` as positioned trees; raises YamlError."""
    try:
        raw_docs = _compose_raw(text)
    except YamlError:
        raise
    except RecursionError:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except Exception as exc:
        raise _error_from_marked(exc) from None
    documents = []
    converter = _Converter()
    for i, raw in enumerate(raw_docs):
        converter.duplicates = []
        root = converter.convert(raw) if raw is not None else None
        documents.append(Document(root, i, converter.duplicates))
    return documents


def to_python(node: YNode | None, _memo: dict | None = None):
    """Plain Python data (dict/list/typed scalars) for schema validation.

    Aliased nodes become shared objects, so the result is never larger than the file.
    Non-string keys are turned into their text; tagged nodes (``!reference``) keep their
    value's shape.
    """
    memo = {} if _memo is None else _memo
    if node is None:
        return None
    found = memo.get(id(node))
    if found is not None:
        return found
    if isinstance(node, Scalar):
        return node.typed()
    if isinstance(node, Sequence):
        out: list = []
        memo[id(node)] = out
        out.extend(to_python(item, memo) for item in node.items)
        return out
    result: dict = {}
    memo[id(node)] = result
    for text, _key, value in node.items():
        result[text] = to_python(value, memo)
    return result


def walk(node: YNode | None, path: tuple = ()) -> Iterator[tuple[tuple, YNode]]:
    """(path, node) for every node below ``node``, each aliased node once."""
    seen: set[int] = set()
    stack = [(path, node)]
    while stack:
        p, n = stack.pop()
        if n is None or id(n) in seen:
            continue
        seen.add(id(n))
        yield p, n
        if isinstance(n, Mapping):
            for text, _k, v in reversed(n.pairs and list(n.items())):
                stack.append((p + (text,), v))
        elif isinstance(n, Sequence):
            for i in range(len(n.items) - 1, -1, -1):
                stack.append((p + (i,), n.items[i]))
