"""A dataclass field that points back at the object owning this one, held weakly.

A pipeline holds its jobs and a job its steps; a Dockerfile stage its instructions; a
migration statement its changes. Each part also points back at its owner (``job.pipeline``,
``step.job``, ``instruction.stage``, ``change.statement``). Held strongly, those back
references make every model one large reference cycle, which only Python's cycle collector
frees: its passes over whole finished models took about a quarter of a cold run over the
corpus. Held weakly, a model is freed by reference counting the moment nothing outside
it refers to it, and the collector has almost nothing left to do.

Usage, in a dataclass::

    pipeline: Pipeline = Owner()            # required
    job: Job | None = Owner(optional=True)  # defaults to None

Reading the field after its owner was freed raises :class:`ReferenceError`: that is a bug
in the caller (it kept a part and dropped the model), never a silent ``None``. Not for
``slots=True`` dataclasses: their slots replace the descriptor (the field would silently
hold a strong reference again).
"""

from __future__ import annotations

import weakref


class Owner:
    """Data descriptor storing ``weakref.ref(value)`` in the instance under ``_<name>_ref``.

    Dataclasses treat a descriptor as the field's default through ``__get__(None, cls)``:
    an optional owner defaults to None; a required one raises AttributeError there, which
    dataclasses read as "no default"."""

    __slots__ = ("optional", "name", "slot")

    def __init__(self, *, optional: bool = False):
        self.optional = optional
        self.name = ""
        self.slot = ""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name
        self.slot = f"_{name}_ref"

    def __get__(self, obj, objtype=None):
        if obj is None:
            if self.optional:
                return None
            raise AttributeError(self.name)
        ref = obj.__dict__.get(self.slot)
        if ref is None:
            return None
        value = ref()
        if value is None:
            raise ReferenceError(
                f"{type(obj).__name__}.{self.name}: its owner was freed; keep the model "
                "(the Project, or the owning object) alive while its parts are used"
            )
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.slot] = None if value is None else weakref.ref(value)
