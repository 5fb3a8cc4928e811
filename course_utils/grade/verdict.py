"""The grader's own record of what happened to a submission: ``logs/<assignment>/<student>.verdict.json``.

nbgrader keeps scores; what the grader *did* to a submission (moved a symbolic link to quarantine,
graded a duplicated cell as an ordinary cell, interrupted a cell at the timeout...) is written here
by the grader itself, one event at a time, and :func:`course_utils.grade.status.classify` turns
the events into a status and a reason. Nothing in this file comes from text the student's code can
print: only the grader writes it, from what the grader observed.

Schema (version 1)::

    {"version": 1, "events": [{"notebook": "<name>", "kind": "<kind>", "cell": "<grade_id, cell id or ''>",
                               "detail": "<the reason, in plain words>"}]}

``notebook`` is the notebook's name without ``.ipynb`` ('' for the submission as a whole);
``detail`` is what the instructor reads (empty: a default sentence for the kind, :func:`describe`).
Each kind implies a status (:data:`KINDS`). Writes are atomic (temporary file + ``os.replace``);
a file that cannot be read as a verdict is renamed aside (``.corrupt-<n>``) and a new one started.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import atomic_write_text

__all__ = ["VERSION", "KINDS", "Event", "verdict_path", "record", "read", "clear", "describe"]

VERSION = 1

#: Each kind of event and the status it implies (see :mod:`course_utils.grade.status`).
KINDS: dict[str, str] = {
    "timeout": "timeout",                # a cell ran past the per-cell timeout and was interrupted
    "student_kernel_died": "failed",     # the student's kernel died (os._exit, a crash, the memory limit)
    "student_kernel_killed": "timeout",  # killed: ignored the interrupt, or passed the notebook's total bound
    "judge_error": "failed",             # the grader's own side broke (not the student's code)
    "output_truncated": "warning",       # an output was cut at the size cap
    "quarantined": "warning",            # a symbolic link or special file was moved out of the submission
    "notebook_was_link": "failed",       # the notebook itself was a symbolic link: not submitted
    "bad_timestamp": "warning",          # timestamp.txt unreadable: graded without a submission time
    "deduplicated": "warning",           # a grade cell appeared more than once: one copy kept
    "metadata_stripped": "warning",      # a cell claimed nbgrader metadata the gradebook does not have
    "metadata_restored": "warning",      # a known cell's nbgrader metadata was edited: the gradebook's used
    "format_converted": "warning",       # an old notebook format (v1-v3), converted to v4 for grading
    "refused": "failed",                 # the submission folder was a link, or unsafe entries stayed: not graded
}

_DEFAULTS: dict[str, str] = {
    "timeout": "cell {cell} ran past the {cell_timeout} timeout and was interrupted (cells after it may have failed because of it)",
    "student_kernel_died": "the kernel died while running the notebook (os._exit, a crash or the memory limit)",
    "student_kernel_killed": ("cell {cell} ran past the {cell_timeout} per-cell timeout and did not stop when interrupted "
                              "(code that ignores SIGINT?): the kernel was killed"),
    "judge_error": "the grader itself failed while grading {notebook} (not the student's code): see the log",
    "output_truncated": "an output of cell {cell} was too large and was truncated",
    "quarantined": "a symbolic link or special file was moved out of the submission (see quarantine/)",
    "notebook_was_link": "{notebook}.ipynb was a symbolic link: not graded (moved to quarantine/)",
    "bad_timestamp": "timestamp.txt could not be read as a time: graded without a submission time, no late penalty applied",
    "deduplicated": "cell {cell} appeared more than once: the copy was graded as an ordinary cell",
    "metadata_stripped": "cell {cell} claimed nbgrader metadata the gradebook does not have: graded as an ordinary cell",
    "metadata_restored": "cell {cell}'s nbgrader metadata was edited: the gradebook's was used",
    "format_converted": "{notebook}.ipynb was saved in an old notebook format: converted to v4 for grading",
    "refused": "the submission was refused (a symbolic link or special file): not graded",
}


@dataclass(frozen=True)
class Event:
    """One thing the grader did or saw."""

    notebook: str
    kind: str
    cell: str = ""
    detail: str = ""

    @property
    def status(self) -> str:
        """The status this event implies (an unknown kind: ``failed``, so a person looks)."""
        return KINDS.get(self.kind, "failed")


def verdict_path(root: Path | str, assignment: str, student: str) -> Path:
    """``<root>/logs/<assignment>/<student>.verdict.json``."""
    return Path(root) / "logs" / assignment / f"{student}.verdict.json"


def _write(path: Path, events: list[Event]) -> None:
    data = json.dumps({"version": VERSION, "events": [asdict(e) for e in events]}, indent=1, ensure_ascii=False)
    atomic_write_text(path, data + "\n")


def _parse(text: str) -> list[Event] | None:
    """The events of a verdict file, or ``None`` when it is not one."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("events"), list):
        return None
    events = []
    for item in data["events"]:
        if not isinstance(item, dict) or not all(isinstance(item.get(k, ""), str) for k in ("notebook", "kind", "cell", "detail")):
            return None
        if not item.get("kind"):
            return None
        events.append(Event(item.get("notebook", ""), item["kind"], item.get("cell", ""), item.get("detail", "")))
    return events


def _set_aside(path: Path) -> Path:
    n = 1
    while (aside := path.with_name(f"{path.name}.corrupt-{n}")).exists():
        n += 1
    os.replace(path, aside)
    return aside


def _load(path: Path, *, repair: bool) -> list[Event]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError):
        text = ""
    events = _parse(text)
    if events is None:
        if repair:
            _set_aside(path)
        return []
    return events


def record(root: Path | str, assignment: str, student: str, notebook: str, kind: str, cell: str = "", detail: str = "") -> Event:
    """Append one event (the same event twice is kept once); returns it.

    Read-modify-write with an atomic replace; a missing file is created, a corrupt one renamed
    aside (``.corrupt-<n>``) and a new one started. Concurrent writers for the *same* student are
    not expected (one grading worker per student).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown verdict kind {kind!r}; choose one of {', '.join(KINDS)}")
    event = Event(str(notebook), kind, str(cell), str(detail))
    path = verdict_path(root, assignment, student)
    events = _load(path, repair=True)
    if event not in events:
        events.append(event)
    _write(path, events)
    return event


def read(root: Path | str, assignment: str, student: str) -> list[Event]:
    """The recorded events, oldest first ([] when there is no file or it is not a verdict)."""
    return _load(verdict_path(root, assignment, student), repair=False)


def clear(root: Path | str, assignment: str, student: str, notebook: str | None = None) -> None:
    """Forget the events of ``notebook`` ('' = submission-level ones), or all of them (``None``).

    Call it at the start of a (re-)grading run, so old events do not accumulate.
    """
    path = verdict_path(root, assignment, student)
    if notebook is None:
        if path.exists() or path.is_symlink():
            os.unlink(path)
        return
    events = _load(path, repair=True)
    if path.exists():
        _write(path, [e for e in events if e.notebook != notebook])


def describe(event: Event, cell_timeout: str = "per-cell") -> str:
    """The reason an instructor reads for ``event``: its detail, or a default sentence for its kind."""
    if event.kind not in KINDS:
        return f"the grader recorded an event it does not know ({event.kind!r}): {event.detail or 'no detail'}"
    text = event.detail or _DEFAULTS[event.kind].format(cell=event.cell or "?", notebook=event.notebook or "the notebook",
                                                        cell_timeout=cell_timeout)
    if event.kind == "judge_error" and "grader" not in text:
        text = f"the grader itself failed (not the student's code): {text}"
    return text
