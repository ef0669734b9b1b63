"""pipelint.yamltree: positions, duplicates, tags, merges, hostile input, typing."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import time
import tracemalloc

import pytest

from conftest import CORPUS
from pipelint import yamltree as yt
from pipelint.yamltree import Mapping, Scalar, Sequence, YamlError, load_documents, to_python


def root(text: str):
    docs = load_documents(textwrap.dedent(text).lstrip("\n"))
    assert len(docs) == 1
    return docs[0].root


def mark(node) -> tuple[int, int, int, int, int, int]:
    return (node.start_line, node.start_col, node.start_index, node.end_line, node.end_col, node.end_index)


# ------------------------------------------------------------------ positions


def test_block_key_and_value_positions():
    text = "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
    r = load_documents(text)[0].root
    on_key = r.key_node("on")
    assert mark(on_key) == (0, 0, 0, 0, 2, 2)
    assert mark(r.get("on")) == (0, 4, 4, 0, 8, 8)
    build = r.get("jobs").get("build")
    runs_on_key = build.key_node("runs-on")
    assert (runs_on_key.start_line, runs_on_key.start_col, runs_on_key.start_index) == (3, 4, 28)
    value = build.get("runs-on")
    assert mark(value) == (3, 13, 37, 3, 26, 50)
    assert text[value.start_index : value.end_index] == "ubuntu-latest"
    # a block mapping starts at its first key; it ends where the next content begins
    assert (build.start_line, build.start_col) == (3, 4)
    assert r.get("jobs").key_node("build").start_col == 2


def test_flow_collection_positions():
    text = 'jobs: {a: [1, "two", {x: y}], b: x}\n'
    r = load_documents(text)[0].root
    jobs = r.get("jobs")
    assert isinstance(jobs, Mapping)
    assert mark(jobs) == (0, 6, 6, 0, 35, 35)  # '{' .. after '}'
    a = jobs.get("a")
    assert isinstance(a, Sequence)
    assert (a.start_col, a.end_col) == (10, 28)
    assert text[a.start_index : a.end_index] == '[1, "two", {x: y}]'
    one, two, inner = a.items
    assert (one.start_col, one.end_col, one.value) == (11, 12, "1")
    assert (two.start_col, two.end_col, two.value, two.style) == (14, 19, "two", '"')
    assert isinstance(inner, Mapping) and (inner.start_col, inner.end_col) == (21, 27)
    assert (inner.key_node("x").start_col, inner.get("x").start_col) == (22, 25)
    b_key = jobs.key_node("b")
    assert (b_key.start_col, jobs.get("b").start_col) == (30, 33)


def test_positions_count_code_points_not_bytes():
    text = "name: \u00e9t\u00e9 \U0001f680\nx: y\n"
    r = load_documents(text)[0].root
    assert r.get("name").value == "\u00e9t\u00e9 \U0001f680"
    assert mark(r.get("name")) == (0, 6, 6, 0, 11, 11)
    assert r.key_node("x").start_index == 12 and text[12] == "x"


# ----------------------------------------------------------------- duplicates


def test_duplicate_keys_are_recorded_with_both_nodes():
    doc = load_documents("jobs:\n  a:\n    runs-on: x\n    runs-on: y\n  a: {}\n")[0]
    assert len(doc.duplicates) == 2
    (k1, first1), (k2, first2) = sorted(doc.duplicates, key=lambda d: d[0].start_line)
    assert (k1.value, k1.start_line, k1.start_col, first1.start_line, first1.start_col) == ("runs-on", 3, 4, 2, 4)
    assert (k2.value, k2.start_line, k2.start_col, first2.start_line, first2.start_col) == ("a", 4, 2, 1, 2)
    # the last one wins, as in most loaders
    assert doc.root.get("jobs").get("a").keys() == []


def test_duplicate_keys_in_flow_mapping_and_between_plain_and_quoted():
    doc = load_documents('k: {a: 1, "a": 2}\n')[0]
    [(key, first)] = doc.duplicates
    assert (key.start_col, key.style, first.start_col, first.style) == (10, '"', 4, "")


def test_no_duplicates_across_documents():
    docs = load_documents("a: 1\n---\na: 2\n")
    assert [d.duplicates for d in docs] == [[], []]


# -------------------------------------------------------------- keys and docs


def test_on_key_stays_on():
    r = load_documents("on:\n  push:\nyes: 1\noff: 2\n")[0].root
    assert r.keys() == ["on", "yes", "off"]
    assert r.key_node("on").typed() == "on"
    assert to_python(r) == {"on": {"push": None}, "yes": 1, "off": 2}


def test_multi_document_files():
    docs = load_documents("a: 1\n---\n- b\n---\nplain\n...\n")
    assert [d.index for d in docs] == [0, 1, 2]
    assert isinstance(docs[0].root, Mapping)
    assert isinstance(docs[1].root, Sequence) and (docs[1].root.start_line, docs[1].root.start_index) == (2, 9)
    assert isinstance(docs[2].root, Scalar) and docs[2].root.value == "plain"
    assert load_documents("") == []
    assert load_documents("# only a comment\n") == []
    [empty] = load_documents("---\n")
    assert isinstance(empty.root, Scalar) and empty.root.value == ""


def test_bom_is_not_a_second_document():
    text = yt.decode(b"\xef\xbb\xbfon: push\njobs: {}\n")
    assert not text.startswith("\ufeff")
    docs = load_documents(text)
    assert len(docs) == 1
    assert docs[0].root.key_node("on").start_index == 0
    # the parser copes with a BOM left in the text too
    docs = load_documents("\ufeffon: push\n")
    assert len(docs) == 1 and docs[0].root.keys() == ["on"]


# ----------------------------------------------------------------------- tags


def test_reference_tag_kept_as_tagged_sequence():
    r = root(
        """
        test:
          script:
            - !reference [.setup, script]
            - make test
        """
    )
    ref = r.get("test").get("script").items[0]
    assert isinstance(ref, Sequence)
    assert ref.tag == "!reference"
    assert [s.value for s in ref.items] == [".setup", "script"]
    assert (ref.start_line, ref.start_col) == (2, 6)
    assert to_python(r) == {"test": {"script": [[".setup", "script"], "make test"]}}
    plain = r.get("test").get("script").items[1]
    assert plain.tag is None


def test_c_parser_rejection_falls_back_to_pure_parser():
    text = "a: !reference [.google-oidc:auth, before_script]\n"
    import _ruamel_yaml

    parser = yt._c_parser()(text)
    with pytest.raises(Exception, match="unexpected ':'"):
        with yt._our_nodes(_ruamel_yaml):
            while parser.check_node():
                parser.get_node()
    ref = load_documents(text)[0].root.get("a")
    assert isinstance(ref, Sequence) and ref.tag == "!reference"
    assert [s.value for s in ref.items] == [".google-oidc:auth", "before_script"]
    assert (ref.start_line, ref.start_col, ref.end_col) == (0, 3, 48)
    assert (ref.items[0].start_col, ref.items[1].start_col) == (15, 34)


GITLAB_REFERENCE_FILE = CORPUS / "gitlab" / "gitlabhq__cli" / ".gitlab-ci.yml"


@pytest.mark.skipif(not GITLAB_REFERENCE_FILE.is_file(), reason="shared corpus not available")
def test_real_gitlab_file_with_colon_in_reference_loads():
    # line 307: `    - !reference [.google-oidc:auth, before_script]` (the C parser rejects it)
    text = yt.decode(GITLAB_REFERENCE_FILE.read_bytes())
    docs = load_documents(text)
    refs = [n for _p, n in yt.walk(docs[0].root) if isinstance(n, Sequence) and n.tag == "!reference"]
    oidc = [n for n in refs if n.items[0].value == ".google-oidc:auth"]
    assert [(n.start_line + 1, n.start_col + 1, n.items[1].value) for n in oidc] == [
        (307, 7, "before_script"),
        (315, 7, "after_script"),
    ]


@pytest.mark.skipif(not (CORPUS / "gitlab").is_dir(), reason="shared corpus not available")
def test_every_corpus_file_with_reference_flow_sequence_loads():
    files = [
        p
        for p in (CORPUS / "gitlab").rglob("*")
        if p.is_file() and p.suffix in (".yml", ".yaml") and b"!reference [" in p.read_bytes()
    ]
    assert len(files) > 20
    for path in files:
        load_documents(yt.decode(path.read_bytes()))  # raises on failure


def test_redefined_anchor_is_accepted_quietly(recwarn):
    r = root("a: &x 1\nb: &x 2\nc: *x\n")
    assert to_python(r) == {"a": 1, "b": 2, "c": 2}
    assert not recwarn.list


# ---------------------------------------------------------------- merge keys


def test_merge_keys_explicit_keys_win():
    r = root(
        """
        .base: &base
          runs-on: ubuntu-latest
          timeout-minutes: 10
        .extra: &extra
          timeout-minutes: 99
          env: {A: 1}
        job:
          <<: [*base, *extra]
          timeout-minutes: 30
        single:
          <<: *base
        """
    )
    job = r.get("job")
    assert job.keys() == ["timeout-minutes", "runs-on", "env"]
    assert job.get("timeout-minutes").value == "30"
    assert job.get("runs-on") is r.get(".base").get("runs-on")  # the node itself, with its position
    assert job.get("runs-on").start_line == 1
    assert to_python(job) == {"timeout-minutes": 30, "runs-on": "ubuntu-latest", "env": {"A": 1}}
    assert to_python(r.get("single")) == {"runs-on": "ubuntu-latest", "timeout-minutes": 10}
    assert "<<" not in job


def test_quoted_merge_key_is_an_ordinary_key():
    r = root('a: {x: 1}\nb:\n  "<<": 1\n')
    assert r.get("b").keys() == ["<<"]


# ------------------------------------------------------------- hostile input


def test_alias_bomb_is_refused_quickly_with_bounded_memory():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(YamlError, match="alias bomb") as info:
            load_documents(text)
        elapsed = time.perf_counter() - start
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0
    assert peak < 20 * 1024 * 1024
    assert info.value.line == 6  # `g:` (9**6 nodes) is the first level past the limit
    assert info.value.column == 3


def test_shared_aliases_below_the_limit_are_fine():
    text = "a: &a [1, 2, 3]\nb: [*a, *a, *a]\n"
    r = root(text)
    data = to_python(r)
    assert data["b"][0] is data["a"] and data["b"][2] is data["a"]


def test_to_python_shares_aliased_objects_and_survives_recursion():
    r = root("base: &b {k: [1, 2]}\nx: *b\ny: {nested: *b}\n")
    data = to_python(r)
    assert data["x"] is data["base"]
    assert data["y"]["nested"] is data["base"]
    loop = to_python(root("a: &x [1, *x]\n"))
    assert loop["a"][1] is loop["a"]


def _nesting_error(text: str) -> YamlError:
    with pytest.raises(YamlError, match=f"nesting deeper than {yt.MAX_DEPTH} levels") as info:
        load_documents(text)
    return info.value


def test_ten_thousand_deep_flow_nesting():
    err = _nesting_error("a: " + "[" * 10_000 + "]" * 10_000 + "\n")
    # the mapping is level 1, so the opener of level MAX_DEPTH + 1 is the MAX_DEPTH-th '['
    assert (err.line, err.column) == (0, 3 + yt.MAX_DEPTH - 1)
    err = _nesting_error("{a: " * 10_000 + "}" * 10_000 + "\n")
    assert err.line == 0


def test_ten_thousand_deep_block_nesting():
    text = "".join(" " * i + "k:\n" for i in range(10_000))
    err = _nesting_error(text)
    assert err.line == yt.MAX_DEPTH and err.column == yt.MAX_DEPTH
    err = _nesting_error("- " * 10_000 + "x\n")
    assert err.line == 0


def test_nesting_just_under_the_limit_loads():
    depth = yt.MAX_DEPTH - 1
    r = root("a: " + "[" * depth + "x" + "]" * depth + "\n")
    node = r.get("a")
    for _ in range(depth - 1):
        node = node.items[0]
    assert node.items[0].value == "x"


def test_hundred_thousand_deep_flow_nesting_in_subprocess():
    code = textwrap.dedent(
        """
        import sys
        from pipelint.yamltree import YamlError, load_documents
        for text in ("a: " + "[" * 100_000 + "]" * 100_000, "[" * 100_000, "- " * 100_000 + "x", "{a: " * 100_000):
            try:
                load_documents(text)
            except YamlError as exc:
                print(exc.line, exc.column, exc.message)
            else:
                sys.exit("no error")
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])  # -11 would be a segfault
    lines = proc.stdout.splitlines()
    assert len(lines) == 4
    assert all("nesting deeper than" in line for line in lines)
    assert "Traceback" not in proc.stderr


def test_syntax_error_position():
    with pytest.raises(YamlError) as info:
        load_documents("jobs:\n  build:\n    runs-on: [ubuntu\n  test: x\n")
    assert (info.value.line, info.value.column) == (3, 6)
    assert "\n" not in info.value.message


def test_decode_rejects_binary_and_bad_utf8_with_position():
    with pytest.raises(YamlError, match="binary content"):
        yt.decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(YamlError, match="invalid UTF-8 byte 0xff") as info:
        yt.decode("on: push\nname: caf\u00e9 \xff\n".encode("latin-1").replace(b"\xe9", b"\xc3\xa9"))
    assert (info.value.line, info.value.column, info.value.offset) == (1, 11, 20)


# ------------------------------------------------------------------- typing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("~", None),
        ("null", None),
        ("", None),
        ("true", True),
        ("False", False),
        ("yes", "yes"),  # YAML 1.1 boolean, a string in 1.2
        ("on", "on"),
        ("off", "off"),
        ("42", 42),
        ("-7", -7),
        ("+12", 12),
        ("012", 12),  # no octal without 0o in 1.2
        ("0o17", 15),
        ("0x1F", 31),
        ("1_000", "1_000"),
        ("1.5", 1.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("-1e3", -1000.0),
        ("6.02e+23", 6.02e23),
        (".inf", math.inf),
        ("-.Inf", -math.inf),
        ("+.INF", math.inf),
        ("3.10", 3.1),
        ("v1.2", "v1.2"),
        ("0b101", "0b101"),
        ("1:30", "1:30"),  # sexagesimal is 1.1 only
        ("2024-01-01", "2024-01-01"),
    ],
)
def test_typed_core_schema(text, expected):
    scalar = Scalar(None, text)
    got = scalar.typed()
    assert got == expected and type(got) is type(expected)


def test_typed_nan_and_non_plain_scalars():
    assert math.isnan(Scalar(None, ".NaN").typed())
    r = root("a: '42'\nb: \"true\"\nc: !!str 1\nd: |\n  7\ne: !custom 5\n")
    assert [r.get(k).typed() for k in "abcde"] == ["42", "true", "1", "7\n", "5"]
    assert r.get("c").tag == "tag:yaml.org,2002:str"


def test_walk_visits_aliased_nodes_once_with_paths():
    r = root("a: &x {k: v}\nb: *x\nc: [1, 2]\n")
    paths = [p for p, _n in yt.walk(r)]
    assert paths == [(), ("a",), ("a", "k"), ("c",), ("c", 0), ("c", 1)]


def test_fallback_with_directives():
    r = root("%YAML 1.2\n---\na: [x:y]\n")
    assert to_python(r) == {"a": ["x:y"]}
    r = root("%TAG !e! tag:example.com,2000:\n---\na: !e!x [x:y]\n")
    assert r.get("a").tag == "tag:example.com,2000:x"


def test_large_broken_file_is_not_parsed_twice(monkeypatch):
    calls = []
    real = yt._compose_pure
    monkeypatch.setattr(yt, "_compose_pure", lambda text: calls.append(len(text)) or real(text))
    line = "a: " + "x" * 1_000 + "\n"
    with pytest.raises(YamlError, match="flow sequence") as info:
        load_documents(line * 300 + "b: [c\n")  # 300 kB
    assert info.value.line == 301  # the end of the stream, after `b: [c`
    assert calls == []
    with pytest.raises(YamlError):
        load_documents("a: 1\nb: [c\n")  # a small file gets the second opinion
    assert len(calls) == 1
    # the commonest C-only rejection (a glued ':' in a flow sequence, as in GitLab's
    # `!reference [.rules:x, rules]`) is parsed by the C parser on masked text, any size
    doc = load_documents(line * 1_100 + "b: [x:y]\n")[0]
    assert [item.value for item in doc.root.get("b")] == ["x:y"]
    assert len(calls) == 1
    load_documents(line * 300 + "b: &x 1\nc: &x 2\n")  # another known one: a higher limit
    assert len(calls) == 2


def test_positions_survive_packing_at_any_size():
    """Node positions are packed into one int (40 bits each for index and line, the column
    above them): far lines, long lines and huge values read back exactly."""
    long_line = "k: " + "v" * 70_000 + "\n"
    text = "a: 1\n" * 3_000 + long_line + "z: [x, {y: 1}]\n"
    root = load_documents(text)[0].root
    z_key, z = root.key_node("z"), root.get("z")
    assert (z_key.start_line, z_key.start_col, z_key.start_index) == (3_001, 0, text.index("z: ["))
    assert (z.start_line, z.start_col) == (3_001, 3)
    assert (z.end_line, z.end_col, z.end_index) == (3_001, 14, text.index("]") + 1)
    value = root.get("k")
    assert (value.end_line, value.end_col) == (3_000, 70_003)
    far = yt.Mark(line=2**39, column=2**45, index=2**40 - 1)
    node = Scalar(None, "x", far, far)
    assert (node.start_line, node.start_col, node.start_index) == (2**39, 2**45, 2**40 - 1)
    node.end_mark = yt.Mark(1, 2, 3)  # the composers set end marks after the children
    assert (node.end_mark.line, node.end_mark.column, node.end_mark.index) == (1, 2, 3)
