"""Helpers for the DVA-C03 hands-on course (AWS Certified Developer – Associate).

Importing the package has no side effects: notebooks call ``sandbox.start()`` in their setup cell.
``deploy``, ``events`` (Lambda test events) and ``testkit`` (running tests in a notebook) are
imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import cfn_lint, meta, quiz, sandbox, sim, syllabus, toc

__all__ = ["sandbox", "toc", "meta", "quiz", "sim", "syllabus", "cfn_lint", "deploy", "events", "testkit", "__version__"]
__version__ = "0.1.0"

_LAZY_MODULES = ("deploy", "events", "testkit")  # testkit imports pytest and coverage: only when a notebook asks


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY_MODULES))
