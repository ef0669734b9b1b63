"""PL206 metric-gate-passes-on-missing-data.

A script gate compares a value that ``jq`` read from a metrics query (Prometheus,
Datadog, CloudWatch... through ``curl``/``aws``) and, when the query returns no data, the
comparison lets the gate pass. The analysis (:func:`pipelint.rollback.metric_values`,
:func:`pipelint.rollback.metric_gates`) follows the value from the ``VAR=$(... | jq ...)``
assignment (through copies, ``printf``/``bc`` conversions) to ``[ ]``, ``[[ ]]``,
``test``, ``(( ))`` and ``bc`` comparisons, computes what the comparison gives for
``null`` / the ``jq`` default, and reports it only when the gate then does not fail.

GitLab script lines of one job run in one shell: a value read on one line is followed
to the lines after it. Only bash-like scripts are read (not PowerShell).
"""

from __future__ import annotations

from pipelint.activities import fit
from pipelint.diagnostics import Related, Severity
from pipelint.rollback import may_read_metrics, metric_gates, metric_values
from pipelint.rule import Rule

_LANGUAGES = ("shell",)


def _may_gate(text: str) -> bool:
    return "jq" in text


class MetricGatePassesOnMissingData(Rule):
    """## What it does
    Reports a script gate that compares a value read with `jq` from a metrics query
    (`.data.result[0].value[1]`...) without handling missing data, when the comparison
    lets the gate pass if the query returns nothing.

    ## Why is this bad?
    When the metric does not exist yet, the query is wrong or the metrics backend is
    down, `jq` prints `null`: `[ "$ERRORS" -gt 5 ]` then fails with an error and counts as
    false, `bc` reads `null` as 0, and the canary is promoted without any evidence that
    it is healthy. A default of 0 for an error rate has the same effect.

    ## Example
    ```yaml
    steps:
      - name: Check the canary error rate
        run: |
          RATE=$(curl -fsS "$PROM/api/v1/query" --data-urlencode "query=$QUERY" | jq -r '.data.result[0].value[1]')
          if (( $(echo "$RATE > 0.05" | bc -l) )); then
            echo "error rate $RATE too high"; exit 1
          fi
    ```

    ## Use instead
    ```yaml
    steps:
      - name: Check the canary error rate
        run: |
          RATE=$(curl -fsS "$PROM/api/v1/query" --data-urlencode "query=$QUERY" | jq -r '.data.result[0].value[1]')
          if [ -z "$RATE" ] || [ "$RATE" = "null" ]; then
            echo "no data for the canary"; exit 1
          fi
          if (( $(echo "$RATE > 0.05" | bc -l) )); then
            echo "error rate $RATE too high"; exit 1
          fi
    ```
    """

    code = "PL206"
    name = "metric-gate-passes-on-missing-data"
    severity = Severity.WARNING
    platforms = ("github", "gitlab", "azure")
    tags = ("deployment",)
    precision = "medium"
    scope = "file"

    def check(self, ctx):
        pipeline = ctx.file.pipeline
        if pipeline is None:
            return
        shared = pipeline.platform == "gitlab"  # script lines of a job share one shell
        for job in pipeline.jobs.values():
            steps = [s for s in job.steps if s.script is not None and s.script.language in _LANGUAGES]
            if not any(_may_gate(s.script.text) for s in steps):
                continue
            if not may_read_metrics("\n".join(s.script.text for s in steps)):
                continue  # no metrics query anywhere in the job: no metric value to follow
            others = _Programs(steps) if shared else ()
            known: dict = {}
            for step in steps:
                if not shared or step.name == "after_script":
                    known = {}
                if not _may_gate(step.script.text) and not known:
                    continue
                program = step.script.program
                if program is None:
                    continue
                values = metric_values(step, program, known)
                for gate in metric_gates(step, program, values, others):
                    yield self._finding(job, step, gate)
                if shared:
                    known = values

    def _finding(self, job, step, gate):
        value = gate.value
        src = value.step
        related = [Related(src.script.span(value.start, value.end), f"${value.origin or value.name} is read here from a metrics query")]
        missing = "null" if value.missing == "null" else (f"'{value.missing}'" if value.missing else "empty")
        where = f"{job.label} ({step.name})" if job.pipeline.platform == "gitlab" else f"{step.label} of {job.label}"
        message = fit(
            f"{where} compares ${value.name} from a metrics query with no missing-data check: "
            f"with no data it is {missing} and the gate passes; fail when it is empty or null.",
            f"{where} compares ${value.name} with no missing-data check: with no data ({missing}) the gate passes; "
            "fail when it is empty or null.",
            f"{step.label} compares ${value.name} with no missing-data check: with no data the gate passes; fail when it is empty.",
        )
        message = message[:1].upper() + message[1:]  # a label such as job 'x' starts it
        return self.diagnostic(gate.span(), message, related=related, logical_path=_path(job, step))


class _Programs:
    """The parsed programs of a job's script lines (GitLab: one shell), parsed only when
    a gate asks for missing-data checks elsewhere in the job."""

    def __init__(self, steps):
        self.steps = steps

    def __iter__(self):
        for s in self.steps:
            yield s.script.program


def _path(job, step) -> str:
    from pipelint.activities import job_path

    index = job.steps.index(step) if step in job.steps else 0
    return f"{job_path(job)}.steps[{index}]"
