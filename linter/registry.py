"""Rule discovery through the ``pipelint.rules`` entry-point group.

Built-in rules are registered in pyproject.toml exactly as a third-party package would
register its own, so both travel the same path. An entry point's name is its rule's
code. Rule modules are imported on first use, not at start-up: a run whose results all
come from the cache never imports one (they were half of such a run's time), and code
selectors (``PL1``, ``PL101``, ``ALL``) are answered from the entry points' names. A
name selector (``script-injection``) imports every rule. Whatever is imported is checked
as it is: a class that is not a Rule, a bad code or name, a code other than its entry
point's name, two rules with one code or one name: each is refused with an error that
names the entry point and its package (exit 2).
"""

from __future__ import annotations

import re
import sys

from .rule import Rule

GROUP = "pipelint.rules"
_CODE = re.compile(r"^[A-Z]{2,5}[0-9]{3,4}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RegistryError(Exception):
    """A plugin cannot be loaded or clashes with another rule (usage error, exit 2)."""


class RuleEntry:
    """One registered rule: its code at once, its class on first use (``load``)."""

    def __init__(self, code: str, entry_point=None, cls: type[Rule] | None = None, dist_names: dict | None = None):
        self.code = code
        self._entry_point = entry_point
        self._cls = cls
        self._dist_names = dist_names if dist_names is not None else {}

    @property
    def origin(self) -> str:
        """``module:Class (distribution)``: where the rule comes from, for messages."""
        if self._entry_point is None:
            return self._cls.origin if self._cls is not None else ""
        ep = self._entry_point
        key = id(ep.dist)
        if key not in self._dist_names:  # a distribution's name parses its metadata: once each
            self._dist_names[key] = ep.dist.name if ep.dist else "unknown distribution"
        return f"{ep.value} ({self._dist_names[key]})"

    @property
    def module(self) -> str:
        if self._cls is not None:
            return self._cls.__module__
        return self._entry_point.module

    @property
    def qualname(self) -> str:
        if self._cls is not None:
            return self._cls.__qualname__
        return self._entry_point.attr

    def module_file(self) -> str:
        """The file of the rule's module, found without importing it (the cache keys on it)."""
        module = sys.modules.get(self.module)
        if module is not None:
            return getattr(module, "__file__", None) or ""
        from importlib.util import find_spec

        try:
            spec = find_spec(self.module)
        except (ImportError, ValueError):
            return ""
        return (spec.origin if spec is not None else None) or ""

    @property
    def loaded(self) -> bool:
        return self._cls is not None

    def __getattr__(self, attribute: str):
        # read like the rule class (name, severity, documentation()...): that imports it
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return getattr(self.load(), attribute)

    def __repr__(self) -> str:
        return f"<RuleEntry {self.code}{'' if self._cls is None else ' loaded'}>"

    def load(self) -> type[Rule]:
        if self._cls is None:
            ep = self._entry_point
            try:
                rule = ep.load()
            except Exception as exc:  # a broken plugin is a configuration problem
                raise RegistryError(f"cannot load rule plugin {ep.name!r} from {self.origin}: {exc}") from exc
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise RegistryError(f"entry point {ep.name!r} ({self.origin}) is not a pipelint Rule class")
            validate_rule_class(rule, self.origin)
            if rule.code != self.code:
                raise RegistryError(
                    f"entry point {ep.name!r} ({self.origin}) names a rule with code {rule.code}: an entry point's name must be its rule's code"
                )
            rule.origin = self.origin
            self._cls = rule
        return self._cls


class Registry:
    def __init__(self, rules: list[type[Rule]] | None = None, *, entries: list[RuleEntry] | None = None):
        if entries is None:
            entries = [RuleEntry(r.code, cls=r) for r in rules or []]
        self.entries = sorted(entries, key=lambda e: e.code)
        self._entry = {e.code: e for e in self.entries}
        self._rules: list[type[Rule]] | None = None
        self._by_code: dict[str, type[Rule]] | None = None
        self._by_name: dict[str, type[Rule]] | None = None

    @classmethod
    def load(cls) -> Registry:
        """Every rule the installed packages register, none of them imported yet."""
        from importlib.metadata import entry_points

        entries: dict[str, RuleEntry] = {}
        dist_names: dict[int, str] = {}
        for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
            entry = RuleEntry(ep.name, ep, dist_names=dist_names)
            if not _CODE.match(ep.name):
                raise RegistryError(f"entry point {ep.name!r} ({entry.origin}) is not a rule code (expected e.g. PL101): an entry point's name must be its rule's code")
            if ep.name in entries:
                raise RegistryError(f"duplicate rule code {ep.name}: {entries[ep.name].origin} and {entry.origin}")
            entries[ep.name] = entry
        return cls(entries=list(entries.values()))

    @property
    def rules(self) -> list[type[Rule]]:
        """Every rule class, all imported (and checked for clashing names)."""
        if self._rules is None:
            self._rules = self.load_rules(self.entries)
        return self._rules

    def load_rules(self, entries: list[RuleEntry]) -> list[type[Rule]]:
        """The classes of ``entries``, imported; two of every imported rule with one name
        are refused (a clash matters once both are in use)."""
        rules = [e.load() for e in entries]
        seen: dict[str, type[Rule]] = {}
        for rule in [e._cls for e in self.entries if e.loaded]:
            if rule.name in seen:
                raise RegistryError(f"duplicate rule name {rule.name!r}: {seen[rule.name].origin} and {rule.origin}")
            seen[rule.name] = rule
        return rules

    @property
    def by_code(self) -> dict[str, type[Rule]]:
        if self._by_code is None:
            self._by_code = {r.code: r for r in self.rules}
        return self._by_code

    @property
    def by_name(self) -> dict[str, type[Rule]]:
        if self._by_name is None:
            self._by_name = {r.name: r for r in self.rules}
        return self._by_name

    def entry(self, code: str) -> RuleEntry | None:
        return self._entry.get(code)

    def resolve_entries(self, selector: str) -> list[RuleEntry]:
        """Entries matched by a code, a name, a prefix (``PL5``) or ``ALL``. Names are
        lower case (checked on import), so only a selector with a lower-case letter may
        be one: only that imports the rules to read their names."""
        s = selector.strip()
        if s.upper() == "ALL":
            return list(self.entries)
        if s != s.upper():
            by_name = self.by_name
            if s in by_name:
                return [self._entry[by_name[s].code]]
        up = s.upper()
        if up in self._entry:
            return [self._entry[up]]
        return [e for e in self.entries if e.code.startswith(up)] if re.match(r"^[A-Z]+[0-9]*$", up) else []

    def resolve(self, selector: str) -> list[type[Rule]]:
        """Rules matched by a code, a name, a prefix (``PL5``) or ``ALL`` (imported)."""
        return [e.load() for e in self.resolve_entries(selector)]

    def is_known(self, selector: str) -> bool:
        return bool(self.resolve_entries(selector))

    def get(self, selector: str) -> type[Rule] | None:
        found = self.resolve(selector)
        return found[0] if len(found) == 1 and (selector.upper() == found[0].code or selector == found[0].name) else None


def validate_rule_class(rule: type[Rule], origin: str) -> None:
    if not _CODE.match(rule.code or ""):
        raise RegistryError(f"rule from {origin} has an invalid code {rule.code!r} (expected e.g. PL101)")
    if not _NAME.match(rule.name or ""):
        raise RegistryError(f"rule {rule.code} from {origin} has an invalid name {rule.name!r} (kebab-case)")
    if not (rule.__doc__ or "").strip():
        raise RegistryError(f"rule {rule.code} from {origin} has no documentation docstring")
