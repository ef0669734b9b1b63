"""PL204 / PL206 building blocks (pipelint.rollback): what rolls back, and how a metric
gate decides when the metrics query returns no data."""

from __future__ import annotations

import textwrap

import pytest

from conftest import run_lint, write_tree
from pipelint.shell import parse

from pipelint import rollback

_READ = """E=$(curl -fsS "$PROM/api/v1/query?query=err" | jq -r '.data.result[0].value[1]{default}')\n"""


def _gates(script: str, default: str = ""):
    text = _READ.format(default=default) + textwrap.dedent(script).lstrip("\n")
    program = parse(text)

    class _Step:  # metric_values/metric_gates only keep the step
        pass

    step = _Step()
    values = rollback.metric_values(step, program, {})
    return [g.text for g in rollback.metric_gates(step, program, values)]


@pytest.mark.parametrize(
    ("script", "default", "passes"),
    [
        ('if [ "$E" -gt 5 ]; then exit 1; fi', "", True),  # `[` errors: false, no exit
        ('[ "$E" -le 5 ] || exit 1', "", False),  # `[` errors: false, exits
        ('if ! [ "$E" -le 5 ]; then exit 1; fi', "", False),
        ("if [[ $E -gt 5 ]]; then exit 1; fi", "", True),  # null reads as 0
        ("if [[ $E -lt 5 ]]; then echo ok; else exit 1; fi", "", True),
        ('if (( $(echo "$E > 0.05" | bc -l) )); then exit 1; fi', "", True),  # bc: null is 0
        ('if (( $(echo "$E < 0.99" | bc -l) )); then exit 1; fi', "", False),  # success ratio: fails closed
        ('if (( $(echo "$E > 0.05" | bc -l) )); then exit 1; fi', ' // "0"', True),  # default 0: still passes
        ('if (( $(echo "$E > 0.05" | bc -l) )); then exit 1; fi', ' // "1"', False),  # default 1: fails
        ('if (( $(echo "$E > 0.05" | bc -l) )); then exit 1; fi', ' // error("no data")', False),
        ('[ -z "$E" ] && exit 1\nif (( $(echo "$E > 0.05" | bc -l) )); then exit 1; fi', "", False),
        ('if [ "$E" -gt 5 ]; then echo "high"; fi', "", False),  # not a gate: nothing exits
        ('if test "$E" -ge 5; then exit 1; fi', "", True),  # `test` is `[`
        ('[ ! "$E" -le 5 ] && exit 1', "", True),  # `[ ! ]` still errors (status 2): no exit
        ('[ "$E" -gt 5 ] && echo "too high" && exit 1', "", True),
        ('[ "$E" -gt 5 ] 2>/dev/null && { echo "too high"; exit 1; }', "", True),
        ("(( E > 5 )) && exit 1", "", True),  # arithmetic: null is 0
        ("(( E < 1 )) && exit 1", "", False),  # 0 < 1: fails closed
        ('if [[ $(echo "$E > 0.5" | bc -l) -eq 1 ]]; then exit 1; fi', "", True),
        ('if [ "$E" = x ]; then echo; elif (( $(echo "$E > 0.05" | bc -l) )); then exit 1; fi', "", True),
        ('if [[ $E -lt 5 ]]; then echo ok; else echo "##vso[task.complete result=Failed;]bad"; fi', "", True),
        ('if [[ $E -gt 5 ]]; then echo "::error::too high"; fi', "", False),  # annotation only
        ('if [ -z "$E" ] || [ "$E" = null ]; then exit 1; fi\nif [[ $E -gt 5 ]]; then exit 1; fi', "", False),
        ('[[ -n $E ]] || exit 1\n[[ $E -gt 5 ]] && exit 1', "", False),
        ('[[ $E =~ ^[0-9.]+$ ]] || exit 1\n[[ $E -gt 5 ]] && exit 1', "", False),
        (': "${E:?no data}"\n[[ $E -gt 5 ]] && exit 1', "", False),
        ('R=$(echo "$E > 0.05" | bc -l)\nif [ "$R" -eq 1 ]; then exit 1; fi', "", True),  # bc -> 0
        ('R=$(echo "$E > 0.05" | bc -l)\nif [ "$R" -eq 1 ]; then exit 1; fi', ' // "1"', False),
        # the parser reads code, not text: comments, strings and here-documents are not gates
        ('# if [[ $E -gt 5 ]]; then exit 1; fi\necho "[[ $E -gt 5 ]] && exit 1"', "", False),
        ('cat <<EOF\n[[ $E -gt 5 ]] && exit 1\nEOF', "", False),
    ],
)
def test_metric_gate_on_missing_data(script, default, passes):
    assert bool(_gates(script, default)) is passes


def test_jq_over_a_file_is_no_metric():
    program = parse('N=$(jq length report.json)\nif [ "$N" -gt 0 ]; then exit 1; fi\n')
    assert rollback.metric_values(object(), program, {}) == {}


def test_conditional_rollback_in_script_counts(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".github/workflows/d.yml": """
                on: push
                jobs:
                  deploy:
                    runs-on: ubuntu-latest
                    environment: production
                    steps:
                      - run: |
                          helm upgrade --install api ./chart -n production --wait || helm rollback api -n production
            """
        },
    )
    assert [d for d in run_lint(root, select=["PL204"]).diagnostics] == []


def test_unconditional_rollback_command_is_no_way_back(tmp_path):
    root = write_tree(
        tmp_path,
        {
            ".github/workflows/d.yml": """
                on: push
                jobs:
                  deploy:
                    runs-on: ubuntu-latest
                    environment: production
                    steps:
                      - run: kubectl -n production apply -f k8s/production/
                      - if: ${{ !failure() }}
                        run: kubectl -n production rollout undo deployment/api
            """
        },
    )
    assert [d.code for d in run_lint(root, select=["PL204"]).diagnostics] == ["PL204"]


def test_gate_points_at_the_test():
    script = 'echo "rate: $E"\nif (( $(echo "$E > 0.05" | bc -l) )); then\n  exit 1\nfi\n'
    (text,) = _gates(script)
    assert text == '(( $(echo "$E > 0.05" | bc -l) ))'


def test_checks_in_other_programs_of_the_same_shell():
    """GitLab script lines share one shell: a check on another line counts."""
    program = parse(_READ.format(default="") + "[[ $E -gt 5 ]] && exit 1\n")
    values = rollback.metric_values(object(), program, {})
    step = object()
    assert rollback.metric_gates(step, program, values)
    check = parse('[ "$E" != "null" ] || exit 1\n')
    assert not rollback.metric_gates(step, program, values, [check])
