"""Which deployment targets are production-like or staging-like.

One classifier built from the configured patterns (``production-environments``,
``staging-environments``), shared by every gate and promotion rule so they agree on what
"production" means.
"""

from __future__ import annotations

import re

from .config import Settings


class Targets:
    def __init__(self, production: list[str], staging: list[str]):
        self._production = [re.compile(p, re.IGNORECASE) for p in production]
        self._staging = [re.compile(p, re.IGNORECASE) for p in staging]

    @classmethod
    def from_settings(cls, settings: Settings) -> Targets:
        return cls(settings.production_environments, settings.staging_environments)

    def is_production(self, name: str | None) -> bool:
        if not name:
            return False
        name = name.strip()
        return any(p.search(name) for p in self._production)

    def is_staging(self, name: str | None) -> bool:
        if not name:
            return False
        name = name.strip()
        return not self.is_production(name) and any(p.search(name) for p in self._staging)
