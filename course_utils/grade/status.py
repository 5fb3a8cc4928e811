"""A status and a reason for every submission, from the files nbgrader leaves behind.

nbgrader records a score, but a submission that could not be graded (invalid JSON, a kernel
that died, a cell that would not stop) ends as a 0 in its gradebook with the explanation only in
a log. :func:`classify` looks at the submitted notebook, the autograded notebook, the gradebook
and (when ``python -m course_utils grade autograde`` ran) the per-student log, and returns one of

``graded``          scored normally;
``warning``         scored, but the submission was tampered with: deleted grade cells (restored,
                    scored 0), edited test cells or points (restored from the gradebook);
``timeout``         a cell hit the per-cell timeout, or the notebook its total bound: needs manual grading;
``failed``          not graded (invalid notebook, dead kernel, sandbox unavailable...): needs manual grading;
``missing``         a notebook of the assignment was not submitted (nbgrader scores it 0);
``not_autograded``  submitted but never autograded.

It works the same after ``nbgrader autograde`` as after the course's parallel command.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["StudentStatus", "classify", "NEEDS_MANUAL", "log_path"]

NEEDS_MANUAL = frozenset({"timeout", "failed", "not_autograded"})
_RANK = {"graded": 0, "warning": 1, "missing": 2, "not_autograded": 3, "timeout": 4, "failed": 5}


@dataclass
class StudentStatus:
    student_id: str
    status: str = "graded"
    reasons: list[str] = field(default_factory=list)

    def add(self, status: str, reason: str) -> None:
        if _RANK[status] > _RANK[self.status]:
            self.status = status
        if reason not in self.reasons:
            self.reasons.append(reason)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)

    @property
    def needs_manual_grading(self) -> bool:
        return self.status in NEEDS_MANUAL


def log_path(root: Path, assignment: str, student: str) -> Path:
    """Where the course's autograde command keeps a student's nbgrader log."""
    return Path(root) / "logs" / assignment / f"{student}.log"


def _read_notebook(path: Path) -> tuple[dict | None, str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        return None, f"{path.name} is not UTF-8 text ({exc.reason})"
    except json.JSONDecodeError as exc:
        return None, f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, f"{path.name} is JSON but not a notebook (no list of cells)"
    return data, None


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _strip_hidden(source: str) -> str:
    """The source as released: nbgrader's ClearHiddenTests drops the hidden region with its markers."""
    kept, hidden = [], False
    for line in source.split("\n"):
        if "BEGIN HIDDEN TESTS" in line:
            hidden = True
        elif "END HIDDEN TESTS" in line:
            hidden = False
        elif not hidden:
            kept.append(line)
    return "\n".join(kept)


def _norm(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines() if line.strip())


def _failure_from_log(log: str, cell_timeout: str) -> tuple[str, str]:
    from .launcher import REFUSAL_MESSAGE, TIME_LIMIT_MESSAGE

    if REFUSAL_MESSAGE in log:
        return "failed", "the grading sandbox was unavailable (see `python -m course_utils grade check`)"
    if TIME_LIMIT_MESSAGE in log:
        return "timeout", "the notebook exceeded its total time bound and was killed"
    if re.search(r"Timeout waiting for IOPub output|CellTimeoutError|Timeout waiting for execute reply", log):
        return "timeout", (f"a cell ran past the {cell_timeout} per-cell timeout and did not stop when interrupted "
                           "(code that ignores SIGINT?): the kernel was killed")
    if re.search(r"Kernel died|DeadKernelError|kernel died", log):
        return "failed", "the kernel died while running the notebook (os._exit, a crash or the memory limit)"
    if "NotJSONError" in log or "Notebook does not appear to be JSON" in log or "JSONDecodeError" in log:
        return "failed", "the notebook file is not valid JSON"
    errors = [line for line in log.splitlines() if line.strip() and "ERROR" in line]
    detail = errors[-1].strip() if errors else "see the nbgrader log"
    return "failed", f"autograde failed: {detail[:300]}"


def classify(root: Path, assignment: str, student: str, gradebook, *, cell_timeout: str = "per-cell") -> StudentStatus:
    """Status of one student's submission (``gradebook``: an open ``nbgrader.api.Gradebook``)."""
    from nbgrader.api import MissingEntry

    root = Path(root)
    result = StudentStatus(student)
    submitted = root / "submitted" / student / assignment
    autograded = root / "autograded" / student / assignment
    log_file = log_path(root, assignment, student)
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else None
    ran = False
    for notebook in gradebook.find_assignment(assignment).notebooks:
        name = f"{notebook.name}.ipynb"
        sub_path = submitted / name
        if not sub_path.exists():
            result.add("missing", f"{name} was not submitted (scored 0)")
            continue
        sub, problem = _read_notebook(sub_path)
        if sub is None:
            result.add("failed", f"not graded: {problem}")
            continue
        auto_path = autograded / name
        if not auto_path.exists():
            if log is not None:
                result.add(*_failure_from_log(log, cell_timeout))
            else:
                result.add("not_autograded", f"{name} has no autograded copy: autograde failed or has not run (see nbgrader's log)")
            continue
        ran = True
        auto, problem = _read_notebook(auto_path)
        for cell in (auto or {}).get("cells", []):
            for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
                if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                    where = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id", "?")
                    result.add("timeout", f"cell {where} ran past the {cell_timeout} timeout and was interrupted "
                                          "(cells after it may have failed because of it)")
        # tampering: compare the submission with the gradebook's copy
        by_id = {}
        for cell in sub["cells"]:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id:
                by_id[grade_id] = cell
        deleted, points, edited = [], [], []
        for grade_cell in notebook.grade_cells:
            if grade_cell.name not in by_id:
                deleted.append(grade_cell.name)
                continue
            given = by_id[grade_cell.name]["metadata"]["nbgrader"].get("points")
            try:
                changed = float(given) != float(grade_cell.max_score)
            except (TypeError, ValueError):
                changed = True
            if changed:
                points.append(f"{grade_cell.name} ({given!r} instead of {grade_cell.max_score:g})")
        for source_cell in notebook.source_cells:
            cell = by_id.get(source_cell.name)
            # The gradebook keeps the master source (hidden tests included); the student got it without them.
            if cell is not None and source_cell.locked and _norm(_source(cell)) not in (
                    _norm(_strip_hidden(source_cell.source)), _norm(source_cell.source)):
                edited.append(source_cell.name)
        if deleted:
            result.add("warning", f"grade cells deleted (restored, scored 0): {', '.join(deleted)}")
        if edited:
            result.add("warning", f"read-only/test cells edited (restored from the gradebook): {', '.join(edited)}")
        if points:
            result.add("warning", f"points changed (the gradebook's used): {', '.join(points)}")
    if not ran and result.status == "graded":
        result.add("not_autograded", "nothing was autograded")
    try:
        submission = gradebook.find_submission(assignment, student)
        if submission.needs_manual_grade and result.status in ("graded", "warning"):
            result.reasons.append("nbgrader flags cells for manual grading")
    except MissingEntry:
        if result.status in ("graded", "warning"):
            result.add("not_autograded", "no submission in the gradebook: autograde has not run")
    return result
