"""Property-based (hypothesis) tests: every parser, the engine and the CLI on mutated input.

Seeds are real files from the repository's own ``fixtures/`` (always present, also on a
clean CI checkout): a small fixed sample per kind. Each example applies one to three
mutations (byte flips, truncation, deep nesting, huge scalars, odd Unicode, CRLF, BOM,
NUL, tabs, spliced lines) and checks the only allowed outcomes: findings, PL001, a skip
notice, or the parser's own error class. Never an internal error, never a traceback.

Budget: ``PIPELINT_FUZZ_EXAMPLES`` examples per test (default below; CI runs the default,
a long run sets e.g. ``PIPELINT_FUZZ_EXAMPLES=5000``). Runs are derandomized: the same
examples every time, no example database.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import FIXTURES, run_lint
from pipelint import classify
from pipelint.expressions import ExpressionError
from pipelint.registry import Registry
from pipelint.yamltree import Scalar, YamlError, decode, load_documents, to_python, walk

EXAMPLES = int(os.environ.get("PIPELINT_FUZZ_EXAMPLES", "40"))
SEEDS_PER_KIND = 40

FUZZ = settings(
    derandomize=True,
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

# --------------------------------------------------------------------------- seeds

#: Engine kinds the seeds are sorted into (a kind name of pipelint.classify).
KINDS = ("github-workflow", "github-action", "gitlab-ci", "azure-pipelines", "kubernetes", "dockerfile", "migration")


def _sample(items: list, n: int) -> list:
    """A fixed, evenly spread sample of ``n`` items (stable across runs)."""
    if len(items) <= n:
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


@lru_cache(maxsize=None)
def seeds() -> dict[str, tuple[tuple[str, bytes], ...]]:
    """kind -> ((path relative to its fixture case, bytes), ...)."""
    found: dict[str, list[tuple[str, bytes]]] = {k: [] for k in KINDS}
    for case in sorted(FIXTURES.glob("PL*/*/*")):
        if not case.is_dir():
            continue
        for path in sorted(case.rglob("*")):
            if not path.is_file() or path.name in ("expected.txt",) or path.suffix in (".fixed", ".toml", ".json", ".txt"):
                continue
            rel = path.relative_to(case).as_posix()
            kind = classify.kind_for_path("/" + rel)
            if kind is not None and kind.name in found:
                found[kind.name].append((rel, path.read_bytes()))
    return {k: tuple(_sample(v, SEEDS_PER_KIND)) for k, v in found.items()}


def _yaml_seeds() -> list[tuple[str, bytes]]:
    return [s for k in KINDS if k not in ("dockerfile", "migration") for s in seeds()[k]]


@lru_cache(maxsize=None)
def scalar_seeds() -> dict[str, tuple[str, ...]]:
    """Embedded languages taken from the YAML seeds: shell scripts, GitHub/GitLab/Azure
    expressions, Argo conditions and PromQL queries."""
    out: dict[str, set[str]] = {"shell": set(), "github": set(), "gitlab": set(), "azure": set(), "argo": set(), "promql": set()}
    for kind in KINDS:
        for _rel, data in seeds()[kind]:
            if kind == "dockerfile":
                out["shell"].update(line[4:] for line in data.decode("utf-8", "replace").splitlines() if line.startswith("RUN "))
                continue
            if kind == "migration":
                continue
            try:
                docs = load_documents(decode(data))
            except YamlError:
                continue
            for doc in docs:
                for path, node in walk(doc.root):
                    if not isinstance(node, Scalar) or not path:
                        continue
                    key, value = path[-1], node.value
                    if key in ("run", "script", "bash", "inline", "before_script", "after_script") or (
                        isinstance(key, int) and len(path) > 1 and path[-2] in ("script", "before_script", "after_script")
                    ):
                        out["shell"].add(value)
                    if "${{" in value:
                        out["github" if kind.startswith("github") else "azure"].add(value)
                    if key == "if" and kind == "gitlab-ci":
                        out["gitlab"].add(value)
                    if key == "condition" and kind == "azure-pipelines":
                        out["azure"].add(value)
                    if key in ("successCondition", "failureCondition"):
                        out["argo"].add(value)
                    if key == "query":
                        out["promql"].add(value)
    defaults = {
        "shell": "set -euo pipefail\nif [ -n \"$X\" ]; then echo ok; fi\n",
        "github": "${{ github.event_name == 'push' && contains(github.ref, 'main') }}",
        "gitlab": '$CI_COMMIT_BRANCH == "main" && $CI_PIPELINE_SOURCE =~ /^push/',
        "azure": "and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))",
        "argo": "result[0] >= 0.95 && len(result) > 0",
        "promql": 'sum(rate(http_requests_total{status=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))',
    }
    return {k: tuple(sorted(v)) or (defaults[k],) for k, v in out.items()}


# ----------------------------------------------------------------------- mutations

ODD = [
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u00a0",  # no-break space
    "\u202e",  # right-to-left override
    "\u200f",  # right-to-left mark
    "\u200b",  # zero-width space
    "\ufeff",  # a byte-order mark inside the text
    "\u0085",  # next line
    "\x1b[31m",  # an escape sequence
    "\U0001f600",  # outside the BMP
    "\u0301",  # a combining accent
]
#: Lone surrogates, as UTF-8 would encode them (errors="surrogatepass"): invalid UTF-8.
SURROGATES = ["\ud800".encode("utf-8", "surrogatepass"), "\udfff".encode("utf-8", "surrogatepass")]
DEPTHS = [50, 199, 200, 201, 1_000, 10_000]


def _line_starts(data: bytes) -> list[int]:
    starts = [0]
    at = data.find(b"\n")
    while at != -1:
        starts.append(at + 1)
        at = data.find(b"\n", at + 1)
    return starts


@st.composite
def _mutation(draw, data: bytes, others: tuple[tuple[str, bytes], ...]) -> bytes:
    n = len(data)
    offset = draw(st.integers(0, n))
    starts = _line_starts(data)
    line_start = starts[draw(st.integers(0, len(starts) - 1))]
    op = draw(
        st.sampled_from(
            ["flip", "truncate", "nest", "huge", "odd", "surrogate", "crlf", "cr", "bom", "nul", "tab", "splice", "delete-line", "duplicate-line"]
        )
    )
    if op == "flip" and n:
        at = min(offset, n - 1)
        value = draw(st.one_of(st.sampled_from([1, 2, 4, 8, 16, 32, 64, 128]).map(lambda b: data[at] ^ b), st.integers(0, 255)))
        return data[:at] + bytes([value]) + data[at + 1 :]
    if op == "truncate":
        return data[:offset]
    if op == "nest":
        depth = draw(st.sampled_from(DEPTHS))
        shape = draw(st.sampled_from(["flow-seq", "flow-map", "block-seq", "block-map", "parens", "brackets-open"]))
        text = {
            "flow-seq": "[" * depth + "]" * depth,
            "flow-map": "{a: " * depth + "1" + "}" * depth,
            "block-seq": "- " * depth + "x\n",
            "block-map": "".join(" " * i + "k:\n" for i in range(min(depth, 2_000))),
            "parens": "(" * depth + "1" + ")" * depth,
            "brackets-open": "[" * depth,
        }[shape]
        at = line_start if shape.startswith("block") else offset
        return data[:at] + text.encode() + data[at:]
    if op == "huge":
        size = draw(st.sampled_from([10_000, 100_000, 300_000]))
        filler = draw(st.sampled_from([b"x", b"${{ a }}", b"' ", b"\\\n", b"a: b\n", b"#", b"$(", b"-- "]))
        return data[:offset] + filler * (size // len(filler)) + data[offset:]
    if op == "odd":
        return data[:offset] + draw(st.sampled_from(ODD)).encode("utf-8") + data[offset:]
    if op == "surrogate":
        return data[:offset] + draw(st.sampled_from(SURROGATES)) + data[offset:]
    if op == "crlf":
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if op == "cr":
        return data.replace(b"\n", b"\r")
    if op == "bom":
        return b"\xef\xbb\xbf" * draw(st.integers(1, 2)) + data
    if op == "nul":
        return data[:offset] + b"\x00" + data[offset:]
    if op == "tab":
        end = data.find(b"\n", line_start)
        line = data[line_start : end if end != -1 else n]
        stripped = line.lstrip(b" ")
        indent = len(line) - len(stripped)
        return data[:line_start] + b"\t" * max(1, indent // 2) + stripped + data[line_start + len(line) :]
    if op == "splice" and others:
        _rel, other = draw(st.sampled_from(others))
        ostarts = _line_starts(other)
        a = ostarts[draw(st.integers(0, len(ostarts) - 1))]
        b = ostarts[min(len(ostarts) - 1, ostarts.index(a) + draw(st.integers(1, 8)))] if len(ostarts) > 1 else len(other)
        return data[:line_start] + other[a:b] + data[line_start:]
    if op in ("delete-line", "duplicate-line"):
        end = data.find(b"\n", line_start)
        end = n if end == -1 else end + 1
        line = data[line_start:end]
        return data[:line_start] + (line * 2 if op == "duplicate-line" else b"") + data[end:]
    return data


@st.composite
def mutated(draw, pool: tuple[tuple[str, bytes], ...]) -> tuple[str, bytes]:
    """(relative path, mutated bytes) of a seed from ``pool``."""
    rel, data = draw(st.sampled_from(pool))
    for _ in range(draw(st.integers(1, 3))):
        data = draw(_mutation(data, pool))
    return rel, data


@st.composite
def mutated_text(draw, pool: tuple[str, ...]) -> str:
    """A seed string of an embedded language, mutated (or random text)."""
    if draw(st.integers(0, 5)) == 0:
        return draw(st.text(max_size=200))
    text = draw(st.sampled_from(pool))
    data = text.encode("utf-8", "surrogatepass")
    for _ in range(draw(st.integers(1, 3))):
        data = draw(_mutation(data, ()))
    try:  # lone surrogates survive as code points; other invalid bytes become U+FFFD
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return data.decode("utf-8", "replace")


# --------------------------------------------------------------------------- checks


@pytest.fixture(autouse=True)
def _forget_parsed_scripts():
    """shell.parse caches 8,192 programs by text: the huge mutated scripts (150,000
    commands each) would keep gigabytes alive for the rest of the session."""
    yield
    from pipelint import promql, shell
    from pipelint.expressions import argo

    shell.parse.cache_clear()
    promql.parse.cache_clear()
    argo.parse.cache_clear()


@lru_cache(maxsize=None)
def _registry() -> Registry:
    return Registry.load()


def _write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _check_result(result) -> None:
    assert not result.internal_errors, result.internal_errors[0].traceback
    for d in result.diagnostics:
        assert d.line >= 1 and d.column >= 1, (d.path, d.line, d.column, d.code, d.message)
        if d.code == "PL001":
            assert d.message and "Traceback" not in d.message


def _lint_one(rel: str, data: bytes):
    with tempfile.TemporaryDirectory(prefix="pipelint-fuzz-") as tmp:
        root = Path(tmp)
        _write(root, rel, data)
        result = run_lint(root, registry=_registry())
        _check_result(result)
        return result


# ----------------------------------------------------------------------- yamltree


def test_seeds_cover_every_kind():
    counts = {k: len(v) for k, v in seeds().items()}
    assert all(counts[k] >= 3 for k in KINDS), counts
    assert all(len(v) >= 1 for v in scalar_seeds().values())


@FUZZ
@given(st.data())
def test_yamltree_decode_and_load_never_crash(data):
    _rel, raw = data.draw(mutated(tuple(_yaml_seeds())))
    try:
        text = decode(raw)
        docs = load_documents(text)
    except YamlError as exc:
        assert exc.line >= 0 and exc.column >= 0 and exc.offset >= 0
        return
    for doc in docs:
        for _path, node in walk(doc.root):
            assert node.start_index <= node.end_index <= len(text)
        to_python(doc.root)


@FUZZ
@given(st.text(max_size=300))
def test_yamltree_on_random_text(text):
    try:
        load_documents(text)
    except YamlError:
        pass


# ------------------------------------------------------------------------ engine


@pytest.mark.parametrize("kind", KINDS)
def test_engine_on_a_mutated_file_of_each_kind(kind):
    @FUZZ
    @given(st.data())
    def run(data):
        rel, raw = data.draw(mutated(seeds()[kind]))
        _lint_one(rel, raw)

    run()


def test_engine_on_the_unmutated_seeds():
    for kind in KINDS:
        for rel, raw in seeds()[kind]:
            _lint_one(rel, raw)


# ------------------------------------------------------------- embedded languages


@FUZZ
@given(st.data())
def test_shell_parser_never_raises(data):
    from pipelint import shell

    text = data.draw(mutated_text(scalar_seeds()["shell"]))
    language = data.draw(st.sampled_from(["shell", "pwsh"]))
    platform = data.draw(st.sampled_from(["", "github", "gitlab", "azure"]))
    program = shell.parse(text, language, platform)
    for command in program.commands:
        assert 0 <= command.start <= len(text)


def _parses_or_expression_error(parse, text):
    try:
        return parse(text)
    except ExpressionError as exc:
        assert isinstance(exc.offset, int) and exc.offset >= 0, (text, exc.offset)
        return None


@FUZZ
@given(st.data())
def test_github_expression_parser(data):
    from pipelint.expressions import github

    text = data.draw(mutated_text(scalar_seeds()["github"]))
    for embedded in github.find_expressions(text):
        _parses_or_expression_error(github.parse, embedded.inner)
    _parses_or_expression_error(github.parse, text)


@FUZZ
@given(st.data())
def test_gitlab_and_azure_expression_parsers(data):
    from pipelint.expressions import azure, gitlab

    _parses_or_expression_error(gitlab.parse, data.draw(mutated_text(scalar_seeds()["gitlab"])))
    text = data.draw(mutated_text(scalar_seeds()["azure"]))
    for embedded in azure.find_expressions(text):
        _parses_or_expression_error(azure.parse, embedded.inner)
    _parses_or_expression_error(azure.parse, text)


@FUZZ
@given(st.data())
def test_argo_condition_parser(data):
    from pipelint.expressions import argo

    text = data.draw(mutated_text(scalar_seeds()["argo"]))
    tree = _parses_or_expression_error(argo.parse, text)
    if tree is not None:
        list(argo.walk(tree))
    argo.placeholders(text)


@FUZZ
@given(st.data())
def test_promql_parser(data):
    from pipelint import promql

    text = data.draw(mutated_text(scalar_seeds()["promql"]))
    query = _parses_or_expression_error(promql.parse, text)
    if query is not None:
        promql.result_type(text)


# --------------------------------------------------------------------------- CLI


@FUZZ
@given(st.data())
def test_cli_on_a_mutated_tree(data):
    from pipelint import cli

    files = {}
    for kind in data.draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3, unique=True)):
        rel, raw = data.draw(mutated(seeds()[kind]))
        files[rel] = raw
    with tempfile.TemporaryDirectory(prefix="pipelint-fuzz-cli-") as tmp:
        root = Path(tmp)
        for rel, raw in files.items():
            _write(root, rel, raw)
        report = root.parent / (root.name + ".json")
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(["--format", "json", "-o", str(report), str(root)])
            assert code in (0, 1), (code, err.getvalue())
            assert "Traceback" not in out.getvalue() + err.getvalue()
            assert "internal error" not in err.getvalue()
            diagnostics = json.loads(report.read_text(encoding="utf-8"))["diagnostics"]
        finally:
            report.unlink(missing_ok=True)
        for d in diagnostics:
            assert d["line"] >= 1 and d["column"] >= 1, d


# ------------------------------------------------- regressions found by these tests


@pytest.mark.parametrize(
    "text",
    [
        "-" * 900 + "1",  # a unary chain: was RecursionError
        "(" * 5_000 + "1" + ")" * 5_000,  # was RecursionError
        "sum(" * 300 + "x" + ")" * 300,  # the costliest frames a level: still an ExpressionError
        "x[" + "(" * 2_000 + "5m" + ")" * 2_000 + "]",  # duration arithmetic nests too
        "x[" + "-" * 5_000 + "5m]",  # signs of a duration: a loop, not a recursion
    ],
    ids=["unary-chain", "parens", "aggregations", "duration-parens", "duration-signs"],
)
def test_promql_deep_nesting_is_an_expression_error(text):
    from pipelint import promql

    promql.parse.cache_clear()
    try:
        promql.parse(text)
    except ExpressionError as exc:
        assert "nests deeper than" in exc.message or text.startswith("x[-")
    else:
        assert text.startswith("x[-")  # many signs before a duration are accepted


@pytest.mark.parametrize(
    "text",
    [
        "sum(increase(kube_pod_container_sta" + "[" * 20_000,
        "sum(rate(x{s" + "-- " * 100_000,
        "{{" * 50_000,  # every '{{' unclosed: was a rescan of the rest for each
        "sum(" + "+".join(['rate(x{a="b"}[5m])'] * 3_000) + ")",
    ],
    ids=["brackets", "dashes", "unclosed-placeholders", "long-valid"],
)
def test_promql_long_queries_take_linear_time(text):
    import time

    from pipelint import promql

    promql.parse.cache_clear()
    started = time.perf_counter()
    try:
        promql.parse(text)
    except ExpressionError:
        pass
    assert time.perf_counter() - started < 3  # was 20-50 s with the pyparsing lexer


def test_promql_lexer_keeps_its_tokens():
    from pipelint import promql

    text = 'sum by (a) (rate({{ args.m }}_total{x="{{args.v}}", y!~`b`}[{{args.w}}m] offset 5m)) # c\n > 0.5e3 and {{ x'
    tokens = [(t.kind, t.text) for t in promql._tokens(text)]
    assert tokens == [
        ("ident", "sum"), ("ident", "by"), ("op", "("), ("ident", "a"), ("op", ")"), ("op", "("), ("ident", "rate"),
        ("op", "("), ("hole", "{{ args.m }}_total"), ("op", "{"), ("ident", "x"), ("op", "="), ("string", '"{{args.v}}"'),
        ("op", ","), ("ident", "y"), ("op", "!~"), ("string", "`b`"), ("op", "}"), ("op", "["), ("hole", "{{args.w}}m"),
        ("op", "]"), ("ident", "offset"), ("duration", "5m"), ("op", ")"), ("op", ")"), ("op", ">"), ("number", "0.5e3"),
        ("ident", "and"), ("open-hole", "{{"), ("ident", "x"),
    ]
    with pytest.raises(ExpressionError) as caught:
        promql._tokens("rate(x[5m]) \t ! 1")
    assert (caught.value.message, caught.value.offset) == ("unexpected character '!'", 14)


@pytest.mark.parametrize(
    "text, language",
    [
        ("(" * 2_000 + "true" + ")" * 2_000, "shell"),
        ("echo " + "$(" * 1_000 + "x" + ")" * 1_000, "shell"),
        ("{ " * 1_500 + "true; " + "}; " * 1_500, "shell"),
        ("if true; then " * 800 + "x" + "; fi" * 800, "shell"),
        (" && ".join(["true"] * 5_000), "shell"),
        (" && ".join(["echo x"] * 3_000) + " && exit 1", "shell"),
        ("[[ " + "( " * 3_000 + "a" + " )" * 3_000 + " ]]", "shell"),
        ("(" * 1_000 + "1" + ")" * 1_000, "pwsh"),
        ("if (1) { " * 500 + "x" + " }" * 500, "pwsh"),
        ("+".join(["1"] * 5_000), "pwsh"),
    ],
    ids=["subshells", "substitutions", "braces", "ifs", "and-chain", "and-exit", "test-parens", "pwsh-parens", "pwsh-ifs", "pwsh-plus"],
)
def test_shell_deep_nesting_is_skipped_and_counted(text, language):
    # was RecursionError out of shell.parse (the readers recurse once a syntax level)
    from pipelint import shell

    program = shell.parse(text, language)
    assert program.errors >= 1


def test_shell_chains_below_the_depth_bound_are_read_in_full():
    from pipelint import shell

    program = shell.parse(" && ".join(f"echo {i}" for i in range(100)) + "\n[[ ( ( a == b ) ) ]]\n")
    assert program.errors == 0
    assert [c.words[1].text for c in program.commands] == [str(i) for i in range(100)]
    assert [w.text for w in program.tests[0].words] == ["(", "(", "a", "==", "b", ")", ")"]


@pytest.mark.parametrize("depth", [1_000, 3_000])
def test_broken_yaml_nested_past_the_limit_skips_the_slow_fallback_parser(depth):
    # a syntax error after deep flow nesting: the pure-Python fallback took ~2.5 s here
    # (quadratic in the nesting) only to fail too; the C parser's error is reported
    import time

    text = "[" * depth + "]" * depth + "\nname: x\non: push\n"
    started = time.perf_counter()
    with pytest.raises(YamlError) as caught:
        load_documents(text)
    assert time.perf_counter() - started < 1
    assert (caught.value.message, caught.value.line) == ("did not find expected <document start>", 1)


SHELL_TYPO = 'if [!-z "$ERRORS" ] || [ "$ERRORS" = "null" ]; then\n  echo "no error metric yet"\n  exit 1\nfi\n'


def test_shell_list_with_a_syntax_error_inside(tmp_path):
    # a real-world typo (`[!-z`): tree-sitter leaves an ERROR node as a third part of the
    # `||` list, with one operator; shell._list indexed past the operators (IndexError)
    from pipelint import shell

    program = shell.parse(SHELL_TYPO)
    assert [c.name for c in program.commands] == ["!-z", "echo"]
    assert program.errors >= 1
    shell.parse("a || ( b ) c || d && ; e")
    workflow = "on: push\njobs:\n  check:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n" + "".join(
        f"          {line}\n" for line in SHELL_TYPO.splitlines()
    )
    _lint_one(".github/workflows/check.yml", workflow.encode())
