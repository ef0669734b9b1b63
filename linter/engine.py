"""The lint run: files -> parsers -> model -> rules -> diagnostics.

The engine is the only place that knows every room: it reads files, asks the platform
parsers for the model, runs the enabled rules (isolating a crashing rule to the file it
crashed on), then applies configuration (severity overrides, per-file ignores) and
inline suppressions. Reporters get the finished :class:`LintResult`.
"""

from __future__ import annotations

import copy
import gc
import os
import traceback
from dataclasses import dataclass, field

from . import budget, classify, discovery, loaded, suppressions, tables
from .config import Settings
from .diagnostics import Diagnostic, Severity, Suppression
from .environments import Targets
from .model import LoadProblem, ParsedFile, Project
from .parsers import build_model
from .registry import Registry, RuleEntry
from .rule import Rule, RuleContext
from .source import SourceFile
from .yamltree import YamlError, composing, decode, load_documents


@dataclass
class InternalError:
    rule: str
    path: str | None
    message: str
    traceback: str


@dataclass
class LintResult:
    diagnostics: list[Diagnostic]
    files: int
    notices: list[str] = field(default_factory=list)
    internal_errors: list[InternalError] = field(default_factory=list)
    project: Project | None = None
    #: The enabled rules: classes, or registry entries that read like them (imported on use).
    rules: list = field(default_factory=list)
    root: str = "."
    #: With ``--baseline``: a :class:`pipelint.baseline.Comparison` (new, unchanged, fixed).
    baseline: object = None
    #: With ``--changed-since``: findings left out because their file did not change.
    outside_changes: int = 0

    @property
    def active(self) -> list[Diagnostic]:
        """Diagnostics that are not suppressed."""
        return [d for d in self.diagnostics if d.suppression is None]


def display_path(abspath: str, cwd: str) -> str:
    rel = os.path.relpath(abspath, cwd)
    if rel.startswith(".." + os.sep) or rel == "..":
        return abspath.replace(os.sep, "/")
    return rel.replace(os.sep, "/")


# --------------------------------------------------------------------- reading

#: Duplicate keys reported one by one per file; the rest are counted in one finding.
MAX_DUPLICATE_KEYS = 100


def read_file(
    candidate: discovery.Candidate,
    settings: Settings,
    cwd: str,
    notices: list[str],
    templates: list[str] | None = None,
    overlay: dict | None = None,
) -> ParsedFile | None:
    """Parse one candidate; None when it is skipped (too large, vanished, not ours).

    ``templates`` collects files skipped as templates of another language (Helm chart
    templates): the run reports them in one line."""
    path = display_path(candidate.abspath, cwd)
    try:
        st = os.stat(candidate.abspath)
        size = st.st_size
        if size > settings.max_file_size:
            notices.append(f"skipped {path}: {size:,} bytes is over the {settings.max_file_size:,}-byte limit (max-file-size)")
            return None
        if overlay is not None and candidate.abspath in overlay:
            known, data = None, overlay[candidate.abspath].encode("utf-8")
        else:
            known = loaded.recall(candidate.abspath, st)  # composed already as an include/template
        if known is None and (overlay is None or candidate.abspath not in overlay):
            data = loaded.read_bytes(candidate.abspath)
    except FileNotFoundError:
        notices.append(f"skipped {path}: the file vanished while pipelint ran")
        return None
    except OSError as exc:
        notices.append(f"skipped {path}: {exc.strerror or exc}")
        return None
    # the kinds the path allows, in table order; a weak match must pass its text sniff
    kinds = [candidate.kind] + classify.later_kinds(candidate.kind, candidate.abspath)
    if known is None and kinds[0].sniff is not None:  # (a strong match is parsed anyway)
        head = data[:65536].decode("utf-8", "replace")
        sniffed = []
        for k in kinds:
            verdict = True if k.sniff is None else k.sniff(candidate.abspath, head)
            if verdict is True:
                sniffed.append(k)
            elif isinstance(verdict, str) and templates is not None and not sniffed:
                templates.append(path)  # e.g. a Helm chart template: not YAML until rendered
                return None
        kinds = sniffed
    if not kinds:
        return None  # a weak path match whose text is not ours
    kind = kinds[0]
    parsed = ParsedFile(
        SourceFile(path, candidate.abspath, ""), kind.name, kind.platform, explicit=candidate.explicit, included=candidate.included
    )
    if not kind.yaml:
        return _read_text_kind(parsed, data, settings, notices)
    if known is not None:
        parsed.file.text, parsed.documents = known.text, known.documents
    else:
        try:
            text = decode(data)
        except YamlError as exc:
            if exc.offset:  # not UTF-8: keep a readable text so the position can be reported
                parsed.file.text = data.decode("utf-8", "replace").removeprefix("\ufeff")
            parsed.problems.append(LoadProblem(parsed.file, exc.message, exc.line, exc.column, exc.offset))
            return parsed
        parsed.file.text = text
        try:
            parsed.documents = load_documents(text)
        except YamlError as exc:
            parsed.problems.append(LoadProblem(parsed.file, exc.message, exc.line, exc.column, exc.offset))
            return parsed
        if overlay is None or candidate.abspath not in overlay:
            loaded.remember(candidate.abspath, st, text, parsed.documents)
    first = next((d.root for d in parsed.documents if d.root is not None), None)
    confirmed = None
    for kind in kinds:
        confirmed = kind.confirm(first)
        if confirmed is not None:
            break
    if confirmed is None:
        return None
    parsed.kind, parsed.platform = confirmed, kind.platform
    duplicates = [pair for doc in parsed.documents for pair in doc.duplicates]
    for key, first_key in duplicates[:MAX_DUPLICATE_KEYS]:
        parsed.problems.append(
            LoadProblem(
                parsed.file,
                f"duplicate key {key.value!r} (first defined on line {first_key.start_line + 1}); "
                "YAML loaders disagree on which one wins",
                key.start_line,
                key.start_col,
                key.start_index,
                related_node=first_key,
                node=key,
            )
        )
    if len(duplicates) > MAX_DUPLICATE_KEYS:  # a generated or hostile file: say so once
        key = duplicates[MAX_DUPLICATE_KEYS][0]
        parsed.problems.append(
            LoadProblem(
                parsed.file,
                f"{len(duplicates) - MAX_DUPLICATE_KEYS:,} more duplicate keys from here on are not listed one by one",
                key.start_line,
                key.start_col,
                key.start_index,
                node=key,
            )
        )
    build_model(parsed)
    parsed.comments = suppressions.parse(parsed.file, parsed.documents)
    return parsed


def _read_text_kind(parsed: ParsedFile, data: bytes, settings: Settings, notices: list[str]) -> ParsedFile | None:
    """A file that is not YAML (Dockerfile, SQL migration): decoded, then handed to its
    own parser, which fills the model or says the file is not ours (None)."""
    try:
        text = decode(data)
    except YamlError as exc:  # not UTF-8 (or binary): reported with its position
        parsed.file.text = data.decode("utf-8", "replace").removeprefix("\ufeff")
        parsed.problems.append(LoadProblem(parsed.file, exc.message, exc.line, exc.column, exc.offset))
        return parsed
    parsed.file.text = text
    if not build_model(parsed, settings):
        return None
    notices.extend(parsed.notices)
    parsed.comments = suppressions.parse(parsed.file, [])
    return parsed


# ------------------------------------------------------------------- selection


def enabled_entries(registry: Registry, settings: Settings) -> list[RuleEntry]:
    """The rules the settings select, not imported (code selectors need no import)."""
    chosen: dict[str, RuleEntry] = {}
    for selector in list(settings.select) + list(settings.extend_select):
        for entry in registry.resolve_entries(selector):
            chosen[entry.code] = entry
    for selector in settings.ignore:
        for entry in registry.resolve_entries(selector):
            chosen.pop(entry.code, None)
    return [chosen[c] for c in sorted(chosen)]


def enabled_rules(registry: Registry, settings: Settings) -> list[type[Rule]]:
    return registry.load_rules(enabled_entries(registry, settings))


def rule_options(rule: type[Rule], settings: Settings) -> dict:
    options = dict(rule.options)
    for key in (rule.code, rule.name):
        options.update(settings.rules.get(key, {}))
    return options


# ------------------------------------------------------------------------ run


def lint(
    paths: list[str],
    settings: Settings,
    registry: Registry,
    cwd: str | None = None,
    overlay: dict[str, str] | None = None,
    *,
    jobs: int = 1,
    cache=None,
    keep_model: bool = True,
    progress=None,
) -> LintResult:
    """Lint ``paths``. ``overlay`` (absolute path -> text) replaces what those files hold
    on disk: the fix engine re-lints its edited texts before writing anything.

    ``jobs``: worker processes for the units (see :mod:`pipelint.units`); the output is
    the same for any value. ``cache``: a :class:`pipelint.runcache.ResultCache` (not used
    with an overlay). ``progress(done, total)``: told the files linted so far, after the
    cache was consulted and as each unit finishes. ``keep_model``: keep every unit's model
    for ``LintResult.project`` (the API, the fix engine); without it each unit's model is
    dropped once its rules ran, so memory is bounded by the largest unit. Units linted in
    a worker or taken from the cache have no model: ``project`` is then None."""
    # A unit's model is a large graph of small objects with few reference cycles: the
    # cyclic collector would re-scan it again and again while files are read (measured:
    # 4x the parse time on the corpus). Pause it; _reclaim() collects between units.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        tables.configure(settings.tables)  # this run's `[tool.pipelint.tables]` rows
        return _lint(paths, settings, registry, cwd, overlay, jobs, None if overlay else cache, keep_model, progress)
    finally:
        if was_enabled:
            gc.enable()


@dataclass
class UnitOutcome:
    """What linting one unit gives back: small and picklable (no model), so that a
    worker process can return it and the result cache can keep it."""

    diagnostics: list[Diagnostic]
    notices: list[str]
    files: int
    #: Helm chart templates skipped (reported in one line for the whole run).
    templates: list[str] = field(default_factory=list)
    errors: list[InternalError] = field(default_factory=list)
    #: Files the unit's models read besides its own: abspath -> content digest.
    reads: dict = field(default_factory=dict)
    #: The unit's model, in the process that linted it only (never sent or stored).
    project: Project | None = None

    def __getstate__(self):
        state = dict(self.__dict__)
        state["project"] = None
        return state


def _lint(paths, settings, registry, cwd, overlay, jobs, cache, keep_model, progress=None) -> LintResult:
    from . import units

    cwd = cwd or os.getcwd()
    notices: list[str] = []
    others: dict[str, str] = {}
    listing: list[str] | None = [] if cache is not None else None
    candidates = discovery.collect(paths, settings.exclude, notices, settings.base_dir, others, listing)
    parts = units.split(candidates, others, listing, [p for p in paths if os.path.isdir(p)])
    outcomes: list[UnitOutcome | None] = [None] * len(parts)
    keys: dict[int, str] = {}
    if cache is not None:
        from . import runcache

        base = runcache.run_key(settings, enabled_entries(registry, settings), cwd)
        walked = runcache.Listing(listing or [])
        named: dict[str, runcache.Listing] = {}
        for i, unit in enumerate(parts):
            names = walked
            if unit.family == "yaml" and any(c.explicit for c in unit.candidates):
                # named on the command line (pre-commit): their folders were not walked, so
                # the names their references may resolve to are listed here, once per
                # repository; without a repository there is no bound to list: not cached
                if unit.root is None:
                    continue
                if unit.root not in named:
                    named[unit.root] = runcache.Listing(discovery.names_under(unit.root))
                names = named[unit.root]
            digests = {c.abspath: cache.digest_of(c.abspath, settings.max_file_size) for c in unit.candidates}
            keys[i] = runcache.unit_key(base, unit, digests, names)
            outcomes[i] = cache.load(keys[i])
        cache.save_digests()
    todo = [i for i, o in enumerate(outcomes) if o is None]
    if todo:
        enabled_rules(registry, settings)  # imported here, before any worker forks: a broken plugin is a usage error
    total = len(candidates)
    done = total - sum(len(parts[i].candidates) for i in todo)
    if progress is not None:
        progress(done, total)
    for i, outcome in _run_units(parts, todo, settings, registry, cwd, overlay, jobs, record=cache is not None, keep_model=keep_model):
        outcomes[i] = outcome
        if i in keys:
            cache.store(keys[i], outcome)
        if progress is not None:
            done += len(parts[i].candidates)
            progress(done, total)
    return _merge(outcomes, notices, cwd, registry, settings, keep_model)


def _merge(outcomes, notices, cwd, registry, settings, keep_model) -> LintResult:
    diagnostics: list[Diagnostic] = []
    errors: list[InternalError] = []
    templates: list[str] = []
    files = 0
    for outcome in outcomes:
        diagnostics.extend(outcome.diagnostics)
        notices.extend(outcome.notices)
        errors.extend(outcome.errors)
        templates.extend(outcome.templates)
        files += outcome.files
    if templates:
        where = templates[0] if len(templates) == 1 else f"{templates[0]} and {len(templates) - 1} more"
        notices.append(f"skipped {len(templates)} Helm chart template file(s) ({where}): not YAML until Helm renders them")
    diagnostics.sort(key=Diagnostic.sort_key)
    project = None
    if keep_model and all(o.project is not None for o in outcomes):
        project = Project(root=cwd)
        for o in outcomes:
            project.files.extend(o.project.files)
    # entries read like their classes; a run taken whole from the cache imports no rule
    return LintResult(diagnostics, files, notices, errors, project, enabled_entries(registry, settings), cwd)


# ----------------------------------------------------------------- the pool

#: Below this many files to lint, worker processes cost more than they save.
POOL_MIN_FILES = 200

#: What forked workers inherit (set just before the pool starts; never pickled).
_WORK: tuple | None = None


def _run_units(parts, todo, settings, registry, cwd, overlay, jobs, record, keep_model):
    """(index, outcome) for every unit in ``todo``: here, or in ``jobs`` forked workers."""
    size = sum(len(parts[i].candidates) for i in todo)
    if jobs > 1 and len(todo) > 1 and size >= POOL_MIN_FILES and overlay is None and _can_fork():
        done = yield from _pooled(parts, todo, settings, registry, cwd, jobs, record)
        todo = [i for i in todo if i not in done]  # a worker died: the rest run here
    with budget.clock():
        for i in todo:
            outcome = _lint_unit(parts[i], settings, registry, cwd, overlay, record, keep_model)
            if not keep_model:
                _reclaim()
            yield i, outcome


#: Tracked objects allocated since the last collection that make one worthwhile.
RECLAIM_AFTER = 200_000


def _reclaim(force: bool = False) -> None:
    """Free the cycles a finished unit's model left (job <-> pipeline back references)
    while the collector is paused, so memory stays bounded by the largest unit. What
    survives is frozen: later collections scan only what is new (a full collection of
    the parse caches took 0.2 s, each time)."""
    if force or gc.get_count()[0] > RECLAIM_AFTER:
        gc.collect()
        gc.freeze()


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


#: Small units go to the workers in chunks of about this many files (a big unit goes
#: alone): each task is a round trip through the pool's queues, and most units of a
#: run are one Dockerfile each.
CHUNK_FILES = 40


def _chunks(parts, todo) -> list[list[int]]:
    """``todo`` in tasks, largest units first (the longest tasks start first)."""
    chunks: list[list[int]] = []
    current: list[int] = []
    size = 0
    for i in sorted(todo, key=lambda i: -len(parts[i].candidates)):
        n = len(parts[i].candidates)
        if n >= CHUNK_FILES:
            chunks.append([i])
            continue
        current.append(i)
        size += n
        if size >= CHUNK_FILES:
            chunks.append(current)
            current, size = [], 0
    if current:
        chunks.append(current)
    return chunks


def _pooled(parts, todo, settings, registry, cwd, jobs, record):
    global _WORK
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool
    import multiprocessing

    _WORK = (parts, settings, registry, cwd, record)
    done: set[int] = set()
    chunks = _chunks(parts, todo)
    try:
        with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=multiprocessing.get_context("fork")) as pool:
            futures = [pool.submit(_work_on, chunk) for chunk in chunks]
            for future in as_completed(futures):
                for i, outcome in future.result():
                    yield i, outcome
                    done.add(i)
    except BrokenProcessPool:
        pass  # a worker died (killed, out of memory): what is left runs in this process
    finally:
        _WORK = None
    return done


def _work_on(chunk: list[int]) -> list[tuple[int, UnitOutcome]]:
    """In a worker: lint the units ``chunk`` of the inherited work (a bug becomes an
    InternalError of its unit)."""
    parts, settings, registry, cwd, record = _WORK
    gc.disable()
    out = []
    with budget.clock():
        for i in chunk:
            try:
                out.append((i, _lint_unit(parts[i], settings, registry, cwd, None, record, keep_model=False)))
            except Exception as exc:
                error = InternalError("engine", parts[i].label, f"{type(exc).__name__}: {exc}", traceback.format_exc())
                out.append((i, UnitOutcome([], [], 0, errors=[error])))
            finally:
                _reclaim()
    return out


# ------------------------------------------------------------------ one unit


def _lint_unit(unit, settings, registry, cwd, overlay, record, keep_model) -> UnitOutcome:
    notices: list[str] = []
    others = dict(unit.others)
    candidates = list(unit.candidates)
    project = Project(root=cwd)
    loaded.clear()  # files may have changed since an earlier run in this process
    loaded.OVERLAY.update(overlay or {})  # includes and templates see the edited texts too
    loaded.READS = {} if record else None
    templates: list[str] = []
    try:
        with composing():
            while candidates:
                for candidate in candidates:
                    before = len(notices)
                    parsed = _read_within_budget(candidate, settings, cwd, notices, templates, overlay)
                    if parsed is not None:
                        project.files.append(parsed)
                    elif len(notices) == before and not candidate.included:
                        # its path looked like one kind, its content said no (an Ansible
                        # file in ci/): a pipeline of another platform may still include it
                        others[candidate.abspath] = candidate.relpath
                        if candidate.explicit:
                            notices.append(discovery.VerboseNotice(f"skipped {candidate.relpath}: not a kind of file pipelint reads"))
                candidates = _included_candidates(project, others)
        result = run_rules(project, settings, registry, notices)
        reads = dict(loaded.READS or {})
    finally:
        loaded.READS = None
        loaded.clear()
    own = {f.file.abspath for f in project.files}
    for abspath in own:
        reads.pop(abspath, None)  # the unit's own files are in its key already
    return UnitOutcome(
        result.diagnostics, result.notices, result.files, templates, result.internal_errors, reads, project=project if keep_model else None
    )


def _read_within_budget(candidate, settings, cwd, notices, templates, overlay) -> ParsedFile | None:
    budget.start(settings.max_file_seconds)
    try:
        return read_file(candidate, settings, cwd, notices, templates, overlay)
    except budget.TooComplex as exc:
        path = display_path(candidate.abspath, cwd)
        parsed = ParsedFile(SourceFile(path, candidate.abspath, ""), candidate.kind.name, candidate.kind.platform, explicit=candidate.explicit)
        try:
            parsed.file.text = loaded.read_bytes(candidate.abspath, settings.max_file_size).decode("utf-8", "replace").removeprefix("\ufeff")
        except OSError:
            pass
        parsed.problems.append(LoadProblem(parsed.file, f"too complex: reading it took {exc} (max-file-seconds); it was not checked"))
        return parsed
    finally:
        budget.stop()


_INCLUDED_KIND = {"gitlab": "gitlab-ci", "azure": "azure-pipelines"}


def _included_candidates(project: Project, others: dict[str, str]) -> list[discovery.Candidate]:
    """Files pipelines include (GitLab ``include: local``, Azure ``template:``) or start
    as child pipelines (GitLab ``trigger: include:``) that the walk found but no path
    test claimed. Each is taken from ``others`` once, so the caller's loop ends."""
    found: dict[str, discovery.Candidate] = {}
    for parsed in project.files:
        pipeline = parsed.pipeline
        if pipeline is None or pipeline.platform not in _INCLUDED_KIND:
            continue
        for abspath, included in [(a, True) for a in pipeline.included_files] + [(a, False) for a in pipeline.child_files]:
            rel = others.pop(abspath, None)
            if rel is not None:
                kind = classify.kind_named(_INCLUDED_KIND[pipeline.platform])
                found[abspath] = discovery.Candidate(abspath, rel, kind, included=included)
    return [found[k] for k in sorted(found)]


def run_rules(project: Project, settings: Settings, registry: Registry, notices: list[str] | None = None) -> LintResult:
    rules = enabled_rules(registry, settings)
    targets = Targets.from_settings(settings)
    diagnostics: list[Diagnostic] = []
    errors: list[InternalError] = []
    per_file = []
    for rule_cls in rules:
        rule = rule_cls()
        options = rule_options(rule_cls, settings)
        if rule_cls.scope == "project":
            ctx = RuleContext(project, options, settings, targets)
            _run_one(rule, ctx, None, diagnostics, errors)
        else:
            per_file.append((rule, options))
    for parsed in project.files:  # file by file: each file's checks share its time budget
        budget.start(settings.max_file_seconds)
        rule = None
        try:
            for rule, options in per_file:
                ctx = RuleContext(project, options, settings, targets, parsed)
                _run_one(rule, ctx, parsed.file.path, diagnostics, errors)
        except budget.TooComplex as exc:
            diagnostics.extend(_too_complex(parsed, rule, exc, registry, rules, project, settings, targets))
        finally:
            budget.stop()
    _apply_severity(diagnostics, settings, registry)
    diagnostics = _apply_per_file_ignores(diagnostics, settings, registry, project.root)
    unused = _apply_suppressions(diagnostics, project, registry, rules, settings)
    diagnostics.extend(_apply_per_file_ignores(unused, settings, registry, project.root))
    diagnostics.sort(key=Diagnostic.sort_key)
    return LintResult(diagnostics, len(project.files), notices or [], errors, project, rules, project.root)


def _too_complex(parsed, rule, exc, registry, rules, project, settings, targets) -> list[Diagnostic]:
    """PL001 for a file whose checks ran over their time budget (the rules after the
    one that was stopped did not check it)."""
    entry = registry.entry("PL001")
    pl001 = entry.load() if entry is not None else None
    if pl001 is None or pl001 not in rules:
        return []
    probe = copy.copy(parsed)
    probe.problems = [LoadProblem(parsed.file, f"too complex: checking it took {exc} (max-file-seconds; stopped in {rule.code})")]
    ctx = RuleContext(project, rule_options(pl001, settings), settings, targets, probe)
    return list(pl001().check(ctx) or ())


def _run_one(rule: Rule, ctx: RuleContext, path: str | None, out: list, errors: list) -> None:
    try:
        for diagnostic in rule.check(ctx) or ():
            out.append(diagnostic)
    except Exception as exc:  # one rule's bug must not hide the other findings
        errors.append(InternalError(rule.code, path, f"{type(exc).__name__}: {exc}", traceback.format_exc()))


def _matches(registry: Registry, selectors, diagnostic: Diagnostic) -> list[str]:
    hits = []
    for s in selectors:
        if any(e.code == diagnostic.code for e in registry.resolve_entries(s)):
            hits.append(s)
    return hits


def _apply_severity(diagnostics: list[Diagnostic], settings: Settings, registry: Registry) -> None:
    if not settings.severity:
        return
    overrides: dict[str, Severity] = {}
    for selector, level in settings.severity.items():
        for entry in registry.resolve_entries(selector):
            overrides[entry.code] = Severity.parse(level)
    for d in diagnostics:
        if d.code in overrides:
            d.severity = overrides[d.code]


def _apply_per_file_ignores(diagnostics: list[Diagnostic], settings: Settings, registry: Registry, cwd: str) -> list[Diagnostic]:
    if not settings.per_file_ignores:
        return diagnostics
    import pathspec

    base = settings.base_dir or cwd
    specs = [(pathspec.GitIgnoreSpec.from_lines([glob]), codes) for glob, codes in settings.per_file_ignores.items()]
    kept = []
    for d in diagnostics:
        rel = os.path.relpath(os.path.join(cwd, d.path), base).replace(os.sep, "/")
        if any(spec.match_file(rel) and _matches(registry, codes, d) for spec, codes in specs):
            continue
        kept.append(d)
    return kept


def _breadth(s) -> float:
    return float("inf") if s.whole_file else s.last_line - s.first_line


def _apply_suppressions(diagnostics, project: Project, registry: Registry, rules, settings) -> list[Diagnostic]:
    """Mark suppressed diagnostics; return PL005 diagnostics for unused/unknown ignores."""
    by_path: dict[str, list] = {}
    for parsed in project.files:
        if parsed.comments:
            by_path[parsed.file.path] = parsed.comments
    if not by_path:
        return []
    for d in diagnostics:
        chosen = None
        for s in by_path.get(d.path, ()):
            if not s.covers(d.line):
                continue
            hits = _matches(registry, s.selectors, d)
            if hits:
                # every comment that covers the finding is used (none of them is stale);
                # the justification shown is the most specific one's
                s.used.update(hits)
                if chosen is None or _breadth(s) < _breadth(chosen):
                    chosen = s
        if chosen is not None:
            d.suppression = Suppression(chosen.reason, chosen.span)
    entry = registry.entry("PL005")
    pl005 = entry.load() if entry is not None else None
    if pl005 is None or pl005 not in rules:
        return []
    enabled = {r.code for r in rules}
    reporter = pl005()
    out = []
    for comments in by_path.values():
        out.extend(reporter.report(comments, registry, enabled))
    _apply_severity(out, settings, registry)
    return out
