"""Structure-inserting fixes (PL103, PL108, PL301, PL504) and the yamledit helpers they use."""

from __future__ import annotations

from pipelint import yamledit
from pipelint.fixes import apply_edits
from pipelint.yamltree import load_documents

from conftest import run_lint


def _root(text):
    return load_documents(text)[0].root


def test_insert_after_keeps_crlf_and_comments():
    text = "job:\r\n    stage: x\r\n    # about script\r\n    script: [a]\r\n"
    job = _root(text).get("job")
    edit = yamledit.insert_at_key(text, "f", job, ["when: manual"], after="stage")
    assert apply_edits(text, [edit]) == "job:\r\n    stage: x\r\n    when: manual\r\n    # about script\r\n    script: [a]\r\n"


def test_insert_at_end_ignores_merged_anchor_pairs():
    text = ".t: &t\n  image: a\n  stage: s\njob:\n  <<: *t\n  script: b\n"
    job = _root(text).get("job")
    edit = yamledit.insert_at_key(text, "f", job, ["resource_group: production"], after="script")
    assert apply_edits(text, [edit]).endswith("job:\n  <<: *t\n  script: b\n  resource_group: production\n")
    # a key only merged in from the anchor is not a place to write
    assert yamledit.insert_at_key(text, "f", job, ["x: 1"], after="image") is None


def test_flow_mapping_is_not_edited():
    text = "job: {stage: x, script: y}\n"
    assert yamledit.insert_at_key(text, "f", _root(text).get("job"), ["a: 1"], after="stage") is None


def test_no_trailing_newline():
    text = "job:\n  stage: x"
    edit = yamledit.insert_at_key(text, "f", _root(text).get("job"), ["a: 1"], after="stage")
    assert apply_edits(text, [edit]) == "job:\n  stage: x\n  a: 1"


def test_pl301_offers_no_fix_without_a_literal_count(tmp_path):
    (tmp_path / "a.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: AnalysisTemplate\nmetadata:\n  name: t\nspec:\n  metrics:\n"
        "    - name: m\n      interval: 1m\n      successCondition: result[0] >= 0.99\n"
        "      failureCondition: result[0] < 0.95\n      provider:\n        prometheus:\n"
        "          address: http://p:9090\n          query: sum(up)\n"
    )
    found = [d for d in run_lint(tmp_path, ["PL301"]).diagnostics if d.code == "PL301"]
    assert found and all(d.fix is None for d in found)


def test_pl504_write_all_has_no_fix(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "a.yml").write_text("on: push\npermissions: write-all\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n")
    found = [d for d in run_lint(tmp_path, ["PL504"]).diagnostics if d.code == "PL504"]
    assert found and all(d.fix is None for d in found)


def test_pl108_matrix_job_has_no_fix(tmp_path):
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    (wf / "d.yml").write_text(
        "on:\n  push:\n    branches: [main]\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n"
        "    environment: production\n    strategy:\n      matrix:\n        region: [eu, us, ap]\n"
        "    steps:\n      - run: kubectl apply -k overlays/production-${{ matrix.region }}\n"
    )
    found = [d for d in run_lint(tmp_path, ["PL108"]).diagnostics if d.code == "PL108"]
    assert found and all(d.fix is None for d in found)
