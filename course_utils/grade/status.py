"""A status and a reason for every submission, from the files nbgrader leaves behind.

nbgrader records a score, but a submission that could not be graded (invalid JSON, a kernel
that died, a cell that would not stop) ends as a 0 in its gradebook with the explanation only in
a log. :func:`classify` looks at the submitted notebook, the autograded notebook, the gradebook
and (when ``python -m course_utils grade autograde`` ran) the per-student log, and returns one of

``graded``          scored normally;
``warning``         scored, but look: tampering (deleted grade cells restored and scored 0, edited
                    test cells or points restored from the gradebook), or something the grader
                    fixed (a link moved to quarantine, a duplicated cell, an old notebook format...);
``timeout``         a cell hit the per-cell timeout, or the notebook its total bound: needs manual grading;
``failed``          not graded (invalid notebook, a notebook that was a symbolic link, dead kernel,
                    sandbox unavailable, the grader's own error...): needs manual grading;
``missing``         a notebook of the assignment was not submitted (nbgrader scores it 0);
``not_autograded``  submitted but never autograded.

Status and reason come from the grader only: its verdict file (:mod:`.verdict`), the quarantine
manifest (:mod:`.staging`), the files as the file system shows them (never through a link) and
nbgrader's own log. Never from an exception name or text in the notebook's outputs, which the
student's code can produce at will (``class CellTimeoutError(Exception)``).

It works the same after ``nbgrader autograde`` as after the course's parallel command (the log
and its timeout and failure reasons exist only after the latter).
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["StudentStatus", "classify", "NEEDS_MANUAL", "log_path", "STDERR_MARK"]

NEEDS_MANUAL = frozenset({"timeout", "failed", "not_autograded"})
_RANK = {"graded": 0, "warning": 1, "missing": 2, "not_autograded": 3, "timeout": 4, "failed": 5}
#: Where the course's autograde command starts appending what the kernel and the sandbox wrote to
#: stderr (student code can write there too): everything before it is nbgrader's own log.
STDERR_MARK = "\n--- kernel and sandbox stderr ---\n"


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
    """The notebook as v4 JSON (older formats converted like nbgrader does), or why it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except UnicodeDecodeError as exc:
        return None, f"{path.name} is not UTF-8 text ({exc.reason})"
    except json.JSONDecodeError as exc:
        return None, f"{path.name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(data, dict):
        return None, f"{path.name} is JSON but not a notebook (no list of cells)"
    version = data.get("nbformat")
    if isinstance(version, int) and not isinstance(version, bool) and version != 4:
        if version > 4:
            return None, f"{path.name} is saved in notebook format v{version}, which this grader cannot read (v4 is current)"
        import warnings

        import nbformat

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
        except Exception as exc:  # nbformat raises many kinds on a broken old notebook
            return None, (f"{path.name} is saved in notebook format v{version} and could not be converted to v4 "
                          f"({type(exc).__name__}: {str(exc)[:160]})")
    if not isinstance(data.get("cells"), list):
        return None, f"{path.name} is JSON but not a notebook (no list of cells)"
    return data, None


def _nbg(cell: object) -> dict:
    """A cell's nbgrader metadata ({} when absent or not a mapping: never trust its shape)."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(s for s in src if isinstance(s, str)) if isinstance(src, list) else str(src)


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


_EXCEPTION_LINE = re.compile(r"^\s*((?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt|Failure))(?::\s?(.*))?$")
_FRAME_LINE = re.compile(r'^\s*File "([^"]+)", line \d+, in (\S+)')


def _short_path(path: str) -> str:
    for anchor in ("site-packages/", "course_utils/"):
        if anchor in path:
            return ("course_utils/" if anchor == "course_utils/" else "") + path.rsplit(anchor, 1)[1]
    return os.path.basename(path)


def _last_exception(log: str) -> str | None:
    """The last exception nbgrader logged (type, message, where), skipping its generic "see the above traceback"."""
    found: list[tuple[str, str, str, bool]] = []
    in_traceback, frame, chained = False, "", False
    for line in log.splitlines():
        if "Traceback (most recent call last):" in line:
            in_traceback, frame = True, ""
            continue
        if "During handling of the above exception" in line or "The above exception was the direct cause" in line:
            chained = True
            continue
        if not in_traceback:
            continue
        match = _FRAME_LINE.match(line)
        if match:
            frame = f"{_short_path(match.group(1))}, {match.group(2)}"
            continue
        match = _EXCEPTION_LINE.match(line)
        if match:
            found.append((match.group(1).rsplit(".", 1)[-1], (match.group(2) or "").strip(), frame, chained))
            in_traceback, chained = False, False
    found = [f for f in found if not (f[0] == "NbGraderException" and "see the" in f[1].lower() and "traceback" in f[1].lower())]
    if not found:
        return None
    name, message, frame, was_chained = found[-1]
    text = f"{name}: {message}" if message else name
    if frame:
        text += f" (raised in {frame})"
    if was_chained and len(found) > 1:
        first, first_message = found[-2][0], found[-2][1]
        text += f", while handling {first}: {first_message[:120]}" if first_message else f", while handling {first}"
    return text[:400]


def _failure_from_log(log: str, cell_timeout: str) -> tuple[str, str]:
    """Why autograde failed, from the course command's per-student log: the real cause, in plain words."""
    from .launcher import REFUSAL_MESSAGE, TIME_LIMIT_MESSAGE

    own = log.split(STDERR_MARK, 1)[0]  # nbgrader's own log; the rest is what the kernel wrote
    # The launcher's two messages reach the log through the kernel's stderr, which student code can
    # write to as well; they only choose between two manual-grading statuses of a run that failed,
    # and a grader event (verdict) explaining the failure is preferred by classify().
    if REFUSAL_MESSAGE in log:
        return "failed", "the grading sandbox was unavailable (see `python -m course_utils grade check`)"
    if TIME_LIMIT_MESSAGE in log:
        return "timeout", "the notebook exceeded its total time bound and was killed"
    if re.search(r"Timeout waiting for IOPub output|CellTimeoutError|Timeout waiting for execute reply", own):
        return "timeout", (f"a cell ran past the {cell_timeout} per-cell timeout and did not stop when interrupted "
                           "(code that ignores SIGINT?): the kernel was killed")
    if re.search(r"Kernel died|DeadKernelError|kernel died", own):
        return "failed", "the kernel died while running the notebook (os._exit, a crash or the memory limit)"
    if "NotJSONError" in own or "Notebook does not appear to be JSON" in own or "JSONDecodeError" in own:
        return "failed", "the notebook file is not valid JSON"
    cause = _last_exception(own)
    if cause:
        return "failed", f"autograde failed: {cause}"
    generic = ("Please see the", "There was an error processing")
    errors = [line.strip() for line in own.splitlines() if "ERROR" in line and not any(g in line for g in generic)]
    detail = errors[-1] if errors else "no error in the log; see logs/<assignment>/<student>.log"
    return "failed", f"autograde failed: {detail[:300]}"


def _kind(path: Path) -> str | None:
    """What is at ``path`` without following a link: None (nothing), 'file', 'folder', 'symlink', 'fifo'..."""
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "fifo" if stat.S_ISFIFO(mode) else "special"


_NOT_A_FILE = {"folder": "a folder", "fifo": "a named pipe (FIFO)", "special": "a special file"}


def classify(root: Path, assignment: str, student: str, gradebook, *, cell_timeout: str = "per-cell") -> StudentStatus:
    """Status of one student's submission (``gradebook``: an open ``nbgrader.api.Gradebook``)."""
    from nbgrader.api import MissingEntry

    from . import staging, verdict

    root = Path(root)
    result = StudentStatus(student)
    student_dir = root / "submitted" / student
    submitted = student_dir / assignment
    autograded = root / "autograded" / student / assignment
    log_file = log_path(root, assignment, student)
    log = log_file.read_text(encoding="utf-8", errors="replace") if log_file.exists() else None
    own_log = log.split(STDERR_MARK, 1)[0] if log is not None else ""

    # what the grader itself recorded during the last run
    events = verdict.read(root, assignment, student)
    for event in events:
        result.add(event.status, verdict.describe(event, cell_timeout))
    explained = {e.notebook for e in events if e.status in ("failed", "timeout")}  # failures a grader event already explains
    timed_out = any(e.kind in ("timeout", "student_kernel_killed") for e in events)

    # never read a submission through a link
    for rel, path in (("..", student_dir), (".", submitted)):
        if _kind(path) == "symlink":
            entry = {"path": rel, "kind": "symlink", "target": os.readlink(path), "action": "refused"}
            result.add("failed", staging.describe_entry(entry, student, assignment))
            return result
    notebook_names = {f"{nb.name}.ipynb" for nb in gradebook.find_assignment(assignment).notebooks}
    remaining = [(rel, kind) for rel, kind in (staging.unsafe_entries(submitted) if _kind(submitted) == "folder" else [])
                 if rel not in notebook_names]
    if remaining and not any(e.kind == "refused" for e in events):
        listed = ", ".join(f"{rel} ({kind})" for rel, kind in remaining[:5]) + (" ..." if len(remaining) > 5 else "")
        result.add("failed", f"the submission holds symbolic links or special files that were not moved to quarantine "
                             f"({listed}): not graded (is c.Autograde.pre_convert_hook set?)")

    # what was moved to quarantine (the manifest is the lasting record; an entry counts while nothing is back at its path)
    moved_notebooks: dict[str, dict] = {}
    for entry in staging.read_manifest(root, assignment, student):
        if entry.get("action") != "moved" or os.path.lexists(submitted / entry["path"]):
            continue
        if entry.get("notebook") or entry["path"] in notebook_names:
            moved_notebooks[entry["path"]] = entry
        else:
            result.add("warning", staging.describe_entry(entry, student, assignment))

    ran = False
    for notebook in gradebook.find_assignment(assignment).notebooks:
        name = f"{notebook.name}.ipynb"
        sub_path = submitted / name
        kind = _kind(sub_path)
        if kind is None:
            if name in moved_notebooks:
                result.add("failed", staging.describe_entry({**moved_notebooks[name], "notebook": True}, student, assignment))
            elif notebook.name not in explained:
                result.add("missing", f"{name} was not submitted (scored 0)")
            continue
        if kind == "symlink":
            target = str(os.readlink(sub_path))
            result.add("failed", f"{name} is a symbolic link (to {target[:100]!r}): not graded")
            continue
        if kind != "file":
            result.add("failed", f"{name} is {_NOT_A_FILE[kind]}, not a notebook file: not graded")
            continue
        sub, problem = _read_notebook(sub_path)
        if sub is None:
            result.add("failed", f"not graded: {problem}")
            continue
        auto_path = autograded / name
        if not auto_path.exists():
            if notebook.name in explained or "" in explained or remaining:
                continue
            if log is not None:
                result.add(*_failure_from_log(log, cell_timeout))
            else:
                result.add("not_autograded", f"{name} has no autograded copy: autograde failed or has not run (see nbgrader's log)")
            continue
        ran = True
        # nbgrader's own log says a cell was interrupted at the per-cell timeout (never the outputs: the student writes those)
        if not timed_out and re.search(r"Timeout waiting for execute reply", own_log):
            result.add("timeout", f"a cell ran past the {cell_timeout} per-cell timeout and was interrupted "
                                  "(cells after it may have failed because of it)")
        # tampering: compare the submission with the gradebook's copy; with duplicates, the copy nbgrader grades
        answers = {c.name for c in notebook.solution_cells}
        locked = {c.name for c in notebook.source_cells if c.locked}
        by_id: dict[str, dict] = {}
        for cell in sub["cells"]:
            grade_id = _nbg(cell).get("grade_id")
            if isinstance(grade_id, str) and grade_id and (grade_id not in by_id or (grade_id in answers and grade_id not in locked)):
                by_id[grade_id] = cell  # the first copy of a test or read-only cell, the last of an answer
        deleted, points, edited = [], [], []
        for grade_cell in notebook.grade_cells:
            if grade_cell.name not in by_id:
                deleted.append(grade_cell.name)
                continue
            given = _nbg(by_id[grade_cell.name]).get("points")
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
    if not ran and result.status in ("graded", "warning"):
        result.add("not_autograded", "nothing was autograded")
    try:
        submission = gradebook.find_submission(assignment, student)
        if submission.needs_manual_grade and result.status in ("graded", "warning"):
            result.reasons.append("nbgrader flags cells for manual grading")
    except MissingEntry:
        if result.status in ("graded", "warning"):
            result.add("not_autograded", "no submission in the gradebook: autograde has not run")
    return result
