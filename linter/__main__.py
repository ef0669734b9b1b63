"""``python -m pipelint``."""

from .cli import run

run()
