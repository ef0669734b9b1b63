"""Rule discovery through the ``pipelint.rules`` entry-point group.

Built-in rules are registered in pyproject.toml exactly as a third-party package would
register its own, so both travel the same path. Two rules with one code or one name are
refused with an error that names both origins.
"""

from __future__ import annotations

import re
from importlib.metadata import entry_points

from .rule import Rule

GROUP = "pipelint.rules"
_CODE = re.compile(r"^[A-Z]{2,5}[0-9]{3,4}$")
_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


class RegistryError(Exception):
    """A plugin cannot be loaded or clashes with another rule (usage error, exit 2)."""


class Registry:
    def __init__(self, rules: list[type[Rule]]):
        self.rules = sorted(rules, key=lambda r: r.code)
        self.by_code = {r.code: r for r in self.rules}
        self.by_name = {r.name: r for r in self.rules}

    @classmethod
    def load(cls) -> Registry:
        rules: list[type[Rule]] = []
        seen_code: dict[str, str] = {}
        seen_name: dict[str, str] = {}
        dist_names: dict[int, str] = {}  # a distribution's name parses its metadata: once each
        for ep in sorted(entry_points(group=GROUP), key=lambda e: e.name):
            if id(ep.dist) not in dist_names:
                dist_names[id(ep.dist)] = ep.dist.name if ep.dist else "unknown distribution"
            origin = f"{ep.value} ({dist_names[id(ep.dist)]})"
            try:
                rule = ep.load()
            except Exception as exc:  # a broken plugin is a configuration problem
                raise RegistryError(f"cannot load rule plugin {ep.name!r} from {origin}: {exc}") from exc
            if not (isinstance(rule, type) and issubclass(rule, Rule)):
                raise RegistryError(f"entry point {ep.name!r} ({origin}) is not a pipelint Rule class")
            validate_rule_class(rule, origin)
            if rule.code in seen_code:
                raise RegistryError(f"duplicate rule code {rule.code}: {seen_code[rule.code]} and {origin}")
            if rule.name in seen_name:
                raise RegistryError(f"duplicate rule name {rule.name!r}: {seen_name[rule.name]} and {origin}")
            seen_code[rule.code] = origin
            seen_name[rule.name] = origin
            rule.origin = origin
            rules.append(rule)
        return cls(rules)

    def resolve(self, selector: str) -> list[type[Rule]]:
        """Rules matched by a code, a name, a prefix (``PL5``) or ``ALL``."""
        s = selector.strip()
        if s.upper() == "ALL":
            return list(self.rules)
        if s in self.by_name:
            return [self.by_name[s]]
        up = s.upper()
        if up in self.by_code:
            return [self.by_code[up]]
        return [r for r in self.rules if r.code.startswith(up)] if re.match(r"^[A-Z]+[0-9]*$", up) else []

    def is_known(self, selector: str) -> bool:
        return bool(self.resolve(selector))

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
