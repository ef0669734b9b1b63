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

import contextlib
import re
import sys
from dataclasses import dataclass, field
from typing import Iterator, Union

#: Real pipeline files nest fewer than 40 levels. The bound also keeps pipelint's own
#: recursive walkers (the finalizer below: two frames a level; ``to_python``; schema
#: validation) well inside Python's default recursion limit of 1,000 frames.
MAX_DEPTH = 200
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


_intern = sys.intern
_FIELD = 40
_MASK = (1 << _FIELD) - 1


def _pack(mark) -> int:
    """A mark (``index``, ``line``, ``column``) as one int: ``index | line << 40 |
    column << 80``. The parser's Mark objects are 80 bytes each and every node has two;
    the packed int is about 40, which cut the model of a unit by roughly a fifth."""
    if mark is None:  # a node made by pipelint without a position, or not set yet
        return 0
    return mark.index | mark.line << _FIELD | mark.column << (2 * _FIELD)


class Node:
    """Base of the tree. The composers build these directly (see :func:`_our_nodes`), so
    the constructors take ruamel's node-class arguments; marks are packed into ints (see
    :func:`_pack`) and read through the position properties."""

    __slots__ = ("tag", "_start", "_end", "anchor", "comment")

    id = ""

    @property
    def start_line(self) -> int:
        return self._start >> _FIELD & _MASK

    @property
    def start_col(self) -> int:
        return self._start >> (2 * _FIELD)

    @property
    def start_index(self) -> int:
        return self._start & _MASK

    @property
    def end_line(self) -> int:
        return self._end >> _FIELD & _MASK

    @property
    def end_col(self) -> int:
        return self._end >> (2 * _FIELD)

    @property
    def end_index(self) -> int:
        return self._end & _MASK

    @property
    def start_mark(self) -> Mark:
        return Mark(self.start_line, self.start_col, self.start_index)

    @start_mark.setter
    def start_mark(self, mark) -> None:
        self._start = _pack(mark)

    @property
    def end_mark(self) -> Mark:
        return Mark(self.end_line, self.end_col, self.end_index)

    @end_mark.setter
    def end_mark(self, mark) -> None:  # the composers set it once the children are done
        self._end = _pack(mark)


class Scalar(Node):
    """A scalar; ``style`` is '' (plain), "'", '"', '|' or '>'."""

    __slots__ = ("value", "style")

    id = "scalar"

    def __init__(self, tag, value, start_mark=None, end_mark=None, style=None, comment=None, anchor=None):
        self.tag = tag
        # Keys and short values repeat across files (``name``, ``runs-on``, ``true``):
        # one shared copy each.
        self.value = _intern(value) if value.__class__ is str and len(value) <= 40 else value
        self._start = _pack(start_mark)
        self._end = _pack(end_mark)
        self.style = style or ""
        self.anchor = anchor

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
    """A mapping; ``pairs`` keeps order, ``get`` looks keys up by their text.

    ``value`` is the raw pair list the composer fills; ``pairs``/``_index`` are built from it
    once the document is composed (duplicates resolved, ``<<`` merges applied)."""

    __slots__ = ("value", "flow_style", "pairs", "_index")

    id = "mapping"

    def __init__(self, tag, value=None, start_mark=None, end_mark=None, flow_style=None, comment=None, anchor=None):
        self.tag = tag
        self.value = [] if value is None else value
        self._start = _pack(start_mark)
        self._end = _pack(end_mark)
        self.flow_style = flow_style
        self.anchor = anchor
        self.pairs: list = self.value
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
    __slots__ = ("value", "flow_style")

    id = "sequence"

    def __init__(self, tag, value=None, start_mark=None, end_mark=None, flow_style=None, comment=None, anchor=None):
        self.tag = tag
        self.value = [] if value is None else value
        self._start = _pack(start_mark)
        self._end = _pack(end_mark)
        self.flow_style = flow_style
        self.anchor = anchor

    @property
    def items(self) -> list:
        return self.value

    def __iter__(self):
        return iter(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __repr__(self) -> str:
        return f"Sequence(len={len(self.value)}@{self.start_line + 1})"


class Mark:
    """A position, 0-based: what :attr:`Node.start_mark` / ``end_mark`` give back. It
    reads like ruamel's marks, which its composers and errors use (``name``, ``str``)."""

    __slots__ = ("line", "column", "index")

    name = "<unicode string>"

    def __init__(self, line: int, column: int, index: int):
        self.line = line
        self.column = column
        self.index = index

    def __str__(self) -> str:
        return f'  in "{self.name}", line {self.line + 1}, column {self.column + 1}'


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
    #: Value scalars whose text holds ``${{`` (CI expressions), in no particular order and
    #: possibly repeated through aliases: collected on the pass every node gets anyway,
    #: so expression rules need not walk the tree again.
    expression_scalars: list = field(default_factory=list)


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
        # '.inf', '-.Inf', '.NaN': Python's float() wants the text without the dot
        return float(text.replace(".", "", 1) if text.lstrip("+-")[1:].lower() in ("inf", "nan") else text)
    return text


# --------------------------------------------------------------------------- decoding


def decode(data: bytes) -> str:
    """UTF-8 text without a byte-order mark; binary or non-UTF-8 data raises YamlError."""
    if b"\x00" in data[:8192]:
        raise YamlError("binary content (NUL byte): not a text file")
    if data.startswith(b"\xef\xbb\xbf"):  # positions count from after the byte-order mark
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = data[: exc.start].decode("utf-8", "replace")
        line = prefix.count("\n")
        col = len(prefix) - (prefix.rfind("\n") + 1)
        raise YamlError(f"invalid UTF-8 byte 0x{data[exc.start]:02x}: the file is not UTF-8 text", line, col, len(prefix)) from None
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
        except Exception:  # a syntax error: let the composers report it below
            depth, mark = 0, None
        if depth > MAX_DEPTH:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line, mark.column, mark.index)
    try:
        return _compose_c(text)
    except Exception as c_error:
        # ruamel's C parser rejects some YAML that libyaml and the pure parser accept.
        # The commonest case, ``!reference [.rules:deploy, rules]`` in GitLab files (a ':'
        # inside a plain scalar of a flow sequence), is retried with the C parser on a
        # same-length text whose such colons are masked, then unmasked in the nodes.
        if "found unexpected ':'" in str(c_error):
            masked = _FLOW_SEQUENCE.sub(_mask_colons, text)
            if masked != text:
                try:
                    docs = _compose_c(masked)
                except Exception:
                    pass
                else:
                    _unmask(docs)
                    return docs
        # Otherwise retry with the pure parser before failing. It is 10-50x slower, so a
        # large file that is simply broken is not parsed twice (known C-only rejections
        # get a higher limit).
        known = any(m in str(c_error) for m in _C_ONLY_ERRORS)
        if len(text) > (_PURE_FALLBACK_MAX_CHARS * 4 if known else _PURE_FALLBACK_MAX_CHARS):
            raise _error_from_marked(c_error) from None
        # The pure scanner re-checks every open flow level on each token (quadratic in the
        # nesting): a broken file nested past MAX_DEPTH took seconds there, only to be
        # rejected anyway (as too deep) had it parsed.
        if _flow_depth(text) > MAX_DEPTH:
            raise _error_from_marked(c_error) from None
        try:
            return _compose_pure(text)
        except RecursionError:
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from None
        except Exception:
            raise _error_from_marked(c_error) from None


_FLOW_BRACKET = re.compile(r"[\[\]{}]")


def _flow_depth(text: str) -> int:
    """The deepest nesting of flow brackets, counted without parsing (quotes and comments
    are not skipped: an upper bound for text whose quoted brackets balance)."""
    depth = deepest = 0
    for m in _FLOW_BRACKET.finditer(text):
        if m.group() in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif depth:
            depth -= 1
    return deepest


def _compose_c(text: str) -> list:
    import _ruamel_yaml

    parser = _c_parser()(text)
    docs = []
    with _our_nodes(_ruamel_yaml):
        while parser.check_node():
            docs.append(parser.get_node())
    return docs


#: A one-line flow sequence, and a ':' glued to the next character inside it.
_FLOW_SEQUENCE = re.compile(r"\[[^\[\]\n#]*\]")
_GLUED_COLON = re.compile(r":(?=[^\s,\]])")
#: A private-use character: never in real pipeline text, one code point like ':'.
_COLON_MASK = "\ue000"


def _mask_colons(match: re.Match) -> str:
    return _GLUED_COLON.sub(_COLON_MASK, match.group())


def _unmask(docs: list) -> None:
    """Put the masked colons back into every scalar (keys included)."""
    seen: set[int] = set()
    stack = [d for d in docs if d is not None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.__class__ is Scalar:
            if _COLON_MASK in node.value:
                node.value = node.value.replace(_COLON_MASK, ":")
        elif node.__class__ is Sequence:
            stack.extend(node.value)
        else:
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


#: Errors of the C parser on YAML that the pure parser (and the YAML spec) accept.
_C_ONLY_ERRORS = ("found unexpected ':'", "found duplicate anchor")
_PURE_FALLBACK_MAX_CHARS = 256 * 1024


def _compose_pure(text: str) -> list:
    from ruamel.yaml.composer import Composer
    from ruamel.yaml.docinfo import DocInfo
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
            self.doc_infos = [DocInfo()]  # read by the scanner and parser for %YAML / %TAG

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

    import ruamel.yaml.composer as composer_module

    loader = _Loader(text)
    composer = loader._composer
    composer.warn_double_anchors = False  # YAML allows redefining an anchor; no stderr noise
    docs = []
    with _our_nodes(composer_module):
        while composer.check_node():
            docs.append(composer.get_node())
    return docs


@contextlib.contextmanager
def _our_nodes(*modules):
    """Let the composers build pipelint's node classes directly.

    ruamel's node classes wrap every tag in a ``Tag`` object, which costs more than the C
    parse itself; the composers look their node classes up as module globals, so they are
    swapped for ours while pipelint composes, then put back. Swapping is not free, so
    :func:`composing` lets a caller keep them swapped over many files (nested uses are
    no-ops).
    """
    saved = [(m, m.ScalarNode, m.SequenceNode, m.MappingNode) for m in modules if m.ScalarNode is not Scalar]
    for m, *_ in saved:
        m.ScalarNode, m.SequenceNode, m.MappingNode = Scalar, Sequence, Mapping
    try:
        yield
    finally:
        for m, scalar, sequence, mapping in saved:
            m.ScalarNode, m.SequenceNode, m.MappingNode = scalar, sequence, mapping


def composing():
    """Context manager: compose many files with pipelint's nodes (see :func:`_our_nodes`)."""
    import _ruamel_yaml
    import ruamel.yaml.composer as composer_module

    return _our_nodes(_ruamel_yaml, composer_module)


class _Finalizer:
    """Index mappings, record duplicate keys, apply ``<<`` merges, bound size and depth.

    Aliased nodes are visited once (their size is memoised), so an alias bomb is detected
    from its expanded size without being expanded.
    """

    def __init__(self):
        self.sizes: dict[int, int] = {}
        self.duplicates: list = []
        self.expressions: list = []

    @staticmethod
    def _normalise_tag(node) -> None:
        tag = node.tag
        if not isinstance(tag, str):  # a ruamel Tag (pure parser)
            tag = getattr(tag, "value", None) or str(tag)
        node.tag = None if tag in ("None", "?", "!", "") else tag

    def visit(self, node, depth: int = 0) -> int:
        # Scalars are most of every file: handled first and without memoising (an aliased
        # scalar counts once per use, which is its true expanded size anyway).
        if node.__class__ is Scalar:
            if node.tag is not None:
                self._normalise_tag(node)
            if "${{" in node.value:
                self.expressions.append(node)
            return 1
        known = self.sizes.get(id(node))
        if known is not None:
            return known
        if depth > MAX_DEPTH:
            mark = node.start_mark
            raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line, mark.column, mark.index)
        if node.tag is not None:
            self._normalise_tag(node)
        self.sizes[id(node)] = 1  # provisional: a recursive alias counts once
        size = 1
        if node.__class__ is Sequence:
            for child in node.value:
                size += self.visit(child, depth + 1)
        else:
            size += self._mapping(node, depth)
        if size > MAX_EXPANDED_NODES:
            mark = node.start_mark
            raise YamlError(
                f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)", mark.line, mark.column, mark.index
            )
        self.sizes[id(node)] = size
        return size

    def _mapping(self, mapping: Mapping, depth: int) -> int:
        size = 0
        # ``pairs`` is the composer's own list until a pair is dropped (a duplicate key,
        # a ``<<`` merge key): most mappings have neither, and a copy of every pair list
        # was about a tenth of a model's memory.
        raw = pairs = mapping.value
        index: dict[str, int] = {}
        merges = []
        visit = self.visit
        for position, (key, value) in enumerate(raw):
            if key.__class__ is Scalar:
                if depth >= MAX_DEPTH:
                    mark = key.start_mark
                    raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line, mark.column, mark.index)
                if key.tag is not None:
                    self._normalise_tag(key)
                size += 1
                text = key.value
            else:
                size += visit(key, depth + 1)
                text = key_text(key)
            size += visit(value, depth + 1)
            merge_key = text == "<<" and isinstance(key, Scalar) and key.plain and key.tag is None
            previous = None if merge_key else index.get(text)
            if pairs is raw and (merge_key or previous is not None):
                pairs = raw[:position]  # from here on, pairs differ from the raw list
            if merge_key:
                merges.append(value)
                continue
            if previous is not None:
                self.duplicates.append((key, pairs[previous][0]))
                pairs[previous] = (key, value)  # the last one wins, as in most loaders
                continue
            if pairs is raw:
                index[text] = position
            else:
                index[text] = len(pairs)
                pairs.append((key, value))
        for merge in merges:  # explicit keys win; earlier merge sources win over later ones
            for source in merge.value if isinstance(merge, Sequence) else [merge]:
                if isinstance(source, Mapping):
                    for text, key, value in source.items():
                        if text not in index:
                            index[text] = len(pairs)
                            pairs.append((key, value))
        mapping.pairs = pairs
        mapping._index = index
        return size


def load_documents(text: str) -> list[Document]:
    """Every YAML document of ``text`` as positioned trees; raises YamlError."""
    try:
        raw_docs = _compose_raw(text)
    except YamlError as exc:
        if 0 <= exc.offset < len(text) and text[exc.offset] == "\t" and "tab" not in exc.message:
            exc.message += " (a tab character: YAML indentation must use spaces)"
        raise
    except RecursionError:
        raise YamlError(f"nesting deeper than {MAX_DEPTH} levels") from None
    except Exception as exc:
        raise _error_from_marked(exc) from None
    documents = []
    finalizer = _Finalizer()
    for i, root in enumerate(raw_docs):
        finalizer.duplicates = []
        finalizer.expressions = []
        if root is not None:
            try:
                finalizer.visit(root)
            except RecursionError:  # a caller already deep in the stack
                mark = root.start_mark
                raise YamlError(f"nesting deeper than {MAX_DEPTH} levels", mark.line, mark.column, mark.index) from None
        documents.append(Document(root, i, finalizer.duplicates, finalizer.expressions))
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
