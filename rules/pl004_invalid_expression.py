"""PL004 invalid-expression."""

from __future__ import annotations

from pipelint.diagnostics import Severity
from pipelint.rule import Rule
from pipelint.yamltree import Mapping, Scalar, Sequence


class InvalidExpression(Rule):
    """## What it does
    Parses every GitHub Actions expression — each `${{ }}` in any value, and the bare
    `if:` conditions of jobs and steps — and reports the ones that do not parse: unknown
    functions, wrong argument counts, double-quoted strings, unbalanced parentheses,
    operators GitHub does not have, an unterminated `${{`. GitLab CI `rules: if:` (also
    under `workflow:`) and `only`/`except: variables:` expressions are checked the way
    GitLab reads them (operators, quotes, regex literals RE2 must compile), and Azure
    Pipelines `condition:` values, `${{ }}` template expressions and directives and
    `$[ ]` runtime expressions (functions and their argument counts, quotes, brackets).
    Argo Rollouts metric `successCondition` / `failureCondition` (of the providers whose
    measurements the controller judges: Prometheus, web, Datadog...; a plugin evaluates
    its own) are compiled as the controller does (expr-lang in strict mode): syntax, brackets, quotes, and names that
    are neither `result`, Argo's helpers (`asInt`, `asFloat`, `isNaN`, `isInf`, `isNil`,
    `default`) nor expr-lang builtins — `args.limit` instead of `{{args.limit}}`.

    ## Why is this bad?
    GitHub evaluates expressions only when the job runs: a broken `if:` fails the run
    (or the whole workflow) after merge, often on the one branch or event nobody tried,
    such as the release that was supposed to ship. An Argo condition that does not
    compile makes every measurement an error: the analysis ends in Error and the
    rollout aborts, on every release.

    ## Example
    ```yaml
    jobs:
      deploy:
        if: ${{ github.ref == "refs/heads/main" && startWith(github.ref, 'refs/tags') }}
        runs-on: ubuntu-latest
    ```

    ## Use instead
    ```yaml
    jobs:
      deploy:
        if: ${{ github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags') }}
        runs-on: ubuntu-latest
    ```
    """

    code = "PL004"
    name = "invalid-expression"
    severity = Severity.ERROR
    platforms = ("github", "gitlab", "azure", "argo")
    tags = ("correctness", "expressions")
    precision = "very-high"

    def check(self, ctx):
        parsed = ctx.file
        if not parsed.documents:
            return
        if parsed.manifests:
            yield from _check_argo(self, parsed)
            return
        if parsed.platform == "gitlab":
            yield from _check_gitlab(self, parsed)
            return
        if parsed.platform == "azure":
            yield from _check_azure(self, parsed)
            return
        if parsed.platform != "github":
            return
        document = parsed.documents[0]
        root = document.root
        seen: set[int] = set()
        for node in document.expression_scalars:
            if id(node) not in seen:  # aliases repeat a node
                seen.add(id(node))
                yield from self._embedded(parsed.file, node, root)
        for node in _conditions(parsed):
            if "${{" not in node.value and node.style in ("", "'", '"'):
                yield from self._bare_condition(parsed.file, node, root)

    def _embedded(self, file, node: Scalar, root):
        from pipelint.expressions.github import ExpressionError, find_expressions, parse

        for e in find_expressions(node.value):
            if e.end is None:
                span = file.scalar_span(node, e.start, e.start + 3)
                yield self.diagnostic(
                    span,
                    "Unterminated expression: '${{' has no closing '}}'; close it or quote the text.",
                    logical_path=path_of(root, node),
                )
                continue
            try:
                parse(e.inner)
            except ExpressionError as err:
                at = e.inner_start + min(max(err.offset, 0), len(e.inner))
                span = file.scalar_span(node, at, max(at + 1, e.end - 2) if at < e.end - 2 else at + 1)
                yield self.diagnostic(span, _message(err), logical_path=path_of(root, node))

    def _bare_condition(self, file, node: Scalar, root):
        from pipelint.expressions.github import ExpressionError, parse

        text = node.value
        if not text.strip():
            return
        try:
            parse(text)
        except ExpressionError as err:
            at = min(max(err.offset, 0), len(text))
            span = file.scalar_span(node, at, max(at + 1, len(text.rstrip())))
            yield self.diagnostic(span, _message(err), logical_path=path_of(root, node))


def _message(err) -> str:
    return _sentence("Invalid expression: ", err.message, "; GitHub fails the run when it evaluates it, so fix it.")


def _sentence(lead: str, detail: str, tail: str) -> str:
    """``lead + detail + tail`` under 200 characters: a long parser message (``detail``)
    is shortened, never the consequence and fix in ``tail``."""
    detail = " ".join(detail.split())
    room = 199 - len(lead) - len(tail)
    if len(detail) > room:
        detail = detail[: max(room - 1, 0)].rstrip() + "…"
    return f"{lead}{detail}{tail}"


def _conditions(parsed):
    """``if:`` values of jobs and steps (GitHub reads them as expressions without ``${{ }}``)."""
    if parsed.pipeline is not None:
        for job in parsed.pipeline.jobs.values():
            if job.condition is not None:
                yield job.condition
            for step in job.steps:
                if step.condition is not None:
                    yield step.condition
    if parsed.action is not None:
        for step in parsed.action.steps:
            if step.condition is not None:
                yield step.condition


def path_of(root, target) -> str:
    """The dotted YAML path of ``target`` below ``root`` (``jobs.build.steps[2].run``)."""
    from pipelint.yamltree import walk

    for path, node in walk(root):
        if node is target:
            return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
    return ""


# --------------------------------------------------------------------------- GitLab


def _walk_mappings(node, seen=None):
    """Every mapping below ``node`` (itself included), each once (aliases repeat nodes)."""
    seen = set() if seen is None else seen
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            continue
        seen.add(id(n))
        if isinstance(n, Mapping):
            yield n
            stack.extend(v for _k, v in n.pairs if v.__class__ is not Scalar and v is not None)
        elif isinstance(n, Sequence):
            stack.extend(v for v in n.items if v.__class__ is not Scalar)


def _gitlab_expressions(root):
    """``if:`` scalars of ``rules:`` items and ``only``/``except: variables:`` items."""
    for mapping in _walk_mappings(root):
        rules = mapping.get("rules")
        if isinstance(rules, Sequence):
            for rule in rules:
                cond = rule.get("if") if isinstance(rule, Mapping) else None
                if isinstance(cond, Scalar) and cond.style in ("", "'", '"') and cond.value.strip():
                    if not (cond.style == "" and cond.value in ("null", "~", "Null", "NULL")):
                        yield cond
        for key in ("only", "except"):
            spec = mapping.get(key)
            items = spec.get("variables") if isinstance(spec, Mapping) else None
            if isinstance(items, Sequence):
                for item in items:
                    if isinstance(item, Scalar) and item.style in ("", "'", '"') and item.value.strip():
                        yield item


def _check_gitlab(rule, parsed):
    from pipelint.expressions.gitlab import ExpressionError, parse

    root = parsed.documents[0].root
    for node in _gitlab_expressions(root):
        text = node.value
        try:
            parse(text)
        except ExpressionError as err:
            at = min(max(err.offset, 0), len(text))
            span = parsed.file.scalar_span(node, at, max(at + 1, len(text.rstrip())))
            message = _sentence(
                "Invalid GitLab expression: ", err.message, "; GitLab refuses to create the pipeline, so fix the rule."
            )
            yield rule.diagnostic(span, message, logical_path=path_of(root, node))


# --------------------------------------------------------------------------- Azure

#: Keys that make a mapping a stage, job or step (where ``condition:`` is an expression).
_AZURE_UNITS = frozenset(
    (
        "stage", "job", "deployment", "template", "script", "bash", "pwsh", "powershell", "task",
        "checkout", "download", "downloadBuild", "publish", "getPackage", "reviewApp", "steps", "jobs",
    )
)


def _check_azure(rule, parsed):
    from pipelint.expressions import azure as az

    root = parsed.documents[0].root
    file = parsed.file

    def report(node, at, end, message, extra=""):
        span = file.scalar_span(node, at, max(at + 1, end))
        text = _sentence(
            "Invalid Azure Pipelines expression: ", message, f"; {extra or 'the pipeline fails to compile or run, so fix it'}."
        )
        return rule.diagnostic(span, text, logical_path=path_of(root, node))

    def embedded(node, is_key):
        text = node.value
        for e in az.find_expressions(text):
            if e.end is None:
                yield report(node, e.start, e.start + 3, "'${{' has no closing '}}'", "close it or quote the text")
                continue
            try:
                directive = az.parse_directive(e.inner) if e.kind == "compile" else None
                if directive is None:
                    if is_key and e.inner.strip() == "":
                        raise az.ExpressionError("empty expression", 0)
                    az.parse(e.inner)
            except az.ExpressionError as err:
                at = e.inner_start + min(max(err.offset, 0), len(e.inner))
                closing = e.end - (2 if e.kind == "compile" else 1)
                yield report(node, at, closing if at < closing else at + 1, err.message)

    # one walk over the tree: mapping keys and values, and plain sequence items
    # (`- ${{ parameters.steps }}`); aliases repeat nodes, each is read once
    seen: set = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Sequence):
            for item in node:
                if isinstance(item, Scalar):
                    if "${{" in item.value or "$[" in item.value:
                        yield from embedded(item, False)
                else:
                    stack.append(item)
            continue
        if not isinstance(node, Mapping):
            continue
        is_unit = None
        for key, knode, value in node.items():
            if isinstance(knode, Scalar) and "${{" in knode.value:
                yield from embedded(knode, True)
            if not isinstance(value, Scalar):
                if value is not None:
                    stack.append(value)
                continue
            if value.style not in ("", "'", '"', "|", ">"):
                continue
            if key == "condition" and value.value.strip():
                if is_unit is None:
                    is_unit = any(k in _AZURE_UNITS for k in node.keys())
                if is_unit:
                    text = value.value
                    if "${{" in text:  # the embedded ones are checked on their own
                        yield from embedded(value, False)
                        if any(e.end is None for e in az.find_expressions(text)):
                            continue
                    try:
                        az.parse(text)
                    except az.ExpressionError as err:
                        at = min(max(err.offset, 0), len(text))
                        yield report(value, at, len(text.rstrip()), err.message)
                    continue
            if "${{" in value.value or "$[" in value.value:
                yield from embedded(value, False)



# --------------------------------------------------------------------------- Argo


def _check_argo(rule, parsed):
    from pipelint.analysis import is_live_object
    from pipelint.expressions import ExpressionError
    from pipelint.expressions.argo import parse
    from pipelint.metrics import file_metrics

    for metric in file_metrics(parsed):
        if is_live_object(metric.manifest) or not metric.judged_by_conditions:
            continue  # a snapshot, or a Job / Kayenta / plugin metric that judges itself
        for key, node in (("successCondition", metric.success), ("failureCondition", metric.failure)):
            if node is None or node.value.strip().startswith("{{") and node.value.strip().endswith("}}"):
                continue  # absent, or the whole condition is an argument
            text = node.value
            try:
                parse(text)
            except ExpressionError as err:
                at = min(max(err.offset, 0), len(text))
                end = len(text.rstrip())
                span = parsed.file.scalar_span(node, at, end if at < end else at + 1)
                message = _sentence(
                    f"Invalid {key} of {metric.label}: ",
                    err.message,
                    "; every measurement errors and the rollout aborts; fix the expression.",
                )
                m = metric.manifest
                yield rule.diagnostic(span, message, logical_path=f"{m.kind}.{m.name}.{metric.path}.{key}")
