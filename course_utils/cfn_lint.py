"""cfn-lint for notebooks: the rules are loaded once per kernel, not once per template.

``cfnlint.api.lint`` builds its rule collection on every call (about 0.3 s: it imports every rule
module and parses the resource schemas), then spends about 0.02 s on the template itself.
:func:`lint` keeps one ``cfnlint.runner.Runner`` per set of Regions and reuses it, so the answers
are cfn-lint's own and only the first call pays for loading the rules.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["lint", "lint_matches"]

_runners: dict[tuple[str, ...], Any] = {}
_lock = threading.Lock()


def _runner(regions: tuple[str, ...]) -> Any:
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    with _lock:
        if regions not in _runners:
            _runners[regions] = Runner(ConfigMixIn(regions=list(regions)))
        return _runners[regions]


def lint_matches(template: str, regions: tuple[str, ...] = ("us-east-1",)) -> list[Any]:
    """cfn-lint's ``Match`` objects for a template given as YAML or JSON text."""
    from cfnlint.decode.decode import decode_str

    decoded, errors = decode_str(template)
    if errors:
        return list(errors)
    if decoded is None:
        return []
    return list(_runner(tuple(regions)).validate_template(decoded))


def lint(template: str, regions: tuple[str, ...] = ("us-east-1",)) -> list[str]:
    """One line per problem: ``rule id, line: message``; an empty list means the template is clean."""
    return [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in lint_matches(template, regions)]
