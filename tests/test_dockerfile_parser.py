"""The Dockerfile parser (pipelint.parsers.dockerfile): exact positions, BuildKit's
reading rules; and PL601's fixes applied and re-linted for every bad fixture."""

from __future__ import annotations

import shutil

import pytest

from conftest import FIXTURES, run_lint
from pipelint.config import Settings
from pipelint.dockerfile import parse_image
from pipelint.model import ParsedFile
from pipelint.parsers.dockerfile import parse_dockerfile
from pipelint.source import SourceFile


def parse(text: str):
    parsed = ParsedFile(SourceFile("Dockerfile", "/x/Dockerfile", text), "dockerfile", "docker")
    model = parse_dockerfile(parsed)
    return model, parsed.problems, text


def at(text: str, word) -> str:
    return text[word.start : word.end]


def test_directives_flags_words_and_stages():
    model, problems, text = parse(
        "# syntax=docker/dockerfile:1\n"
        "ARG BASE=node:20\n"
        "FROM --platform=$BUILDPLATFORM ${BASE} AS build\n"
        "COPY --chown=node:node package.json ./\n"
        "FROM scratch\n"
        "COPY --from=build /app /app\n"
    )
    assert not problems
    assert model.syntax == "docker/dockerfile:1"
    assert [a.keyword for a in model.global_args] == ["ARG"]
    assert [s.alias.value if s.alias else None for s in model.stages] == ["build", None]
    build = model.stages[0]
    assert at(text, build.platform) == "$BUILDPLATFORM"
    assert at(text, build.image) == "${BASE}"
    assert model.resolve(build.image.value)[0] == "node:20"
    copy = build.instructions[0]
    assert copy.flag("chown").value.value == "node:node"
    assert [at(text, w) for w in copy.words] == ["package.json", "./"]
    assert model.stages[1].instructions[0].flag("from").value.value == "build"


def test_continuations_skip_comments_and_empty_lines():
    model, problems, text = parse("FROM alpine:3.19\nRUN apk add \\\n    # tools\n\n    curl \\\n    jq\nCMD [\"sh\"]\n")
    assert not problems
    run = model.instructions[1]
    assert [w.value for w in run.words] == ["apk", "add", "curl", "jq"]
    assert at(text, run.words[2]) == "curl"
    assert text.count("\n", 0, run.words[3].start) == 5
    assert model.instructions[2].line == 7
    commands = [c for s in run.scripts() for c in s.program.commands]
    assert [c.text for c in commands] == ["apk add curl jq"]


def test_backtick_escape_and_keyword_before_continuation():
    model, problems, text = parse("# escape=`\nFROM `\n  mcr.microsoft.com/windows/servercore:ltsc2022 `\n  AS base\nRUN dir c:\\\n")
    assert not problems
    assert model.escape == "`"
    stage = model.stages[0]
    assert at(text, stage.image) == "mcr.microsoft.com/windows/servercore:ltsc2022"
    assert stage.alias.value == "base"
    assert model.instructions[1].words[-1].value == "c:\\"


def test_json_form_positions():
    model, _, text = parse('FROM x:1\nCMD ["node", "a b.js"]\nRUN [ "echo", \\\n  "hi" ]\nRUN [not json\n')
    cmd, run, bad = model.instructions[1:]
    assert cmd.json and [at(text, w) for w in cmd.words] == ['"node"', '"a b.js"']
    assert run.json and [w.value for w in run.words] == ["echo", "hi"]
    assert not bad.json


def test_heredocs():
    text = (
        "FROM debian:12\n"
        "RUN <<EOF\napt-get update\nnpm ci\nEOF\n"
        'COPY <<-"A" <<B /etc/\n\tone\n\tA\ntwo\nB\n'
        "RUN python3 <<PY\nimport os\nPY\n"
        "CMD [\"true\"]\n"
    )
    model, problems, _ = parse(text)
    assert not problems
    run, copy, py, cmd = model.stages[0].instructions
    assert [h.name for h in copy.heredocs] == ["A", "B"]
    assert copy.heredocs[0].strip_tabs and copy.heredocs[0].quoted
    assert copy.heredocs[1].text == "two\n"
    assert text[copy.heredocs[1].start : copy.heredocs[1].end] == "<<B"
    assert run.heredocs[0].text == "apt-get update\nnpm ci\n"
    commands = [(s.base + c.start, c.text) for s in run.scripts() for c in s.program.commands]
    assert [t for _, t in commands] == ["apt-get update", "npm ci"]
    assert text[commands[1][0] : commands[1][0] + 6] == "npm ci"
    # a body fed to python3 is not shell
    assert [c.text for s in py.scripts() for c in s.program.commands] == ["python3"]
    assert cmd.keyword == "CMD" and cmd.line == 14


def test_onbuild_and_problems():
    model, problems, text = parse("FROM node:20\nONBUILD COPY . /app\nFOO bar\n")
    inner = model.instructions[1].inner
    assert inner.keyword == "COPY" and at(text, inner.words[0]) == "."
    assert len(problems) == 1 and "unknown instruction" in problems[0].message
    _, problems, _ = parse("RUN echo hi\nFROM alpine:3\n")
    assert problems and "before the first FROM" in problems[0].message
    _, problems, _ = parse("# only a comment\n")
    assert problems and "no instructions" in problems[0].message
    assert parse("just some prose\nthat is not a build file\n")[0] is None


def test_image_references():
    assert parse_image("registry:5000/app") == ("registry:5000/app", None, None)
    assert parse_image("node:20@sha256:abc") == ("node", "20", "sha256:abc")
    assert parse_image("alpine:latest").tag == "latest"


# ---------------------------------------------------------------------- fixes


def apply_edits(text: str, edits) -> str:
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text


def _bad_cases():
    folder = FIXTURES / "PL601" / "bad"
    return sorted(p for p in folder.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", _bad_cases(), ids=lambda p: p.name)
def test_pl601_fix_lints_clean(case, tmp_path, registry):
    settings = Settings()
    settings.select = ["PL601"]
    result = run_lint(case, settings=settings, registry=registry)
    found = [d for d in result.active if d.code == "PL601"]
    assert found
    fixed_any = False
    for diagnostic in found:
        if diagnostic.fix is None:
            continue
        fixed_any = True
        assert str(diagnostic.fix.applicability) == "unsafe"
        work = tmp_path / diagnostic.logical_path.replace("/", "_")
        shutil.copytree(case, work)
        target = work / diagnostic.path
        before = target.read_text(encoding="utf-8")
        after = apply_edits(before, diagnostic.fix.edits)
        target.write_text(after, encoding="utf-8")
        again = run_lint(work, settings=settings, registry=registry)
        left = [d for d in again.active if d.code == "PL601" and d.logical_path == diagnostic.logical_path]
        assert not left, after
        # every other line is kept: only lines of the install's RUN may change
        kept = set(after.splitlines())
        rel = diagnostic.related[0].span
        for number, line in enumerate(before.splitlines(), 1):
            if line.strip() and line not in kept:
                assert rel.start.line - 2 <= number <= rel.end.line, (number, line, after)
    assert fixed_any or case.name in ("yarn-heredoc-and-ruby",)


def test_pl601_fix_text(tmp_path, registry):
    root = tmp_path / "repo"
    root.mkdir()
    (root / "Dockerfile").write_text(
        "FROM node:20\nWORKDIR /app\nCOPY --chown=node . .\nRUN npm ci && npm run build\nCMD [\"node\", \"x.js\"]\n",
        encoding="utf-8",
    )
    settings = Settings()
    settings.select = ["PL601"]
    (d,) = run_lint(root, settings=settings, registry=registry).active
    fixed = apply_edits((root / "Dockerfile").read_text(), d.fix.edits)
    assert fixed == (
        "FROM node:20\nWORKDIR /app\n"
        "COPY --chown=node package.json package-lock.json* npm-shrinkwrap.json* ./\n"
        "RUN npm ci\n"
        "COPY --chown=node . .\nRUN npm run build\nCMD [\"node\", \"x.js\"]\n"
    )
