"""Submission staging: a submission is graded as the files it holds, never as what its links point to.

nbgrader's ``Autograde`` copies every file of ``submitted/<student>/<assignment>/`` into
``autograded/`` with ``shutil.copy`` *before* any preprocessor runs, following symbolic links as
the instructor: a link to ``/etc/shadow``, to the gradebook or to another student's notebook
becomes a readable copy in ``autograded/`` and ``feedback/``, a notebook linked to the master
scores full marks, and a FIFO hangs the copy. An unreadable ``timestamp.txt`` fails the whole
student ("Please see the above traceback").

:func:`quarantine_unsafe_entries` is nbgrader's ``c.Autograde.pre_convert_hook`` (called once per
submission, before nbgrader copies anything). It walks the submission folder without following
links (``os.walk(followlinks=False)`` + ``lstat``) and *moves* every symbolic link (to a file or a
folder), FIFO, socket and device file with ``os.rename`` to
``quarantine/<student>/<assignment>/<relative path>``: the link itself moves, nothing is
dereferenced, nothing is deleted. An unreadable ``timestamp.txt`` (nbgrader's own parser decides)
moves there too: the notebook is then graded without a submission time. Every move is listed in
``quarantine/<student>/<assignment>/manifest.json`` (atomic writes) and recorded in the verdict
(:mod:`.verdict`). A notebook that was a link counts as not submitted. If the submission folder
itself, or ``submitted/<student>``, is a link, nothing is moved and the submission is refused.

nbgrader swallows the hook's exceptions (logged at INFO), so :class:`RefuseUnsafeEntries`, the
first sanitize preprocessor, checks again: it deletes from ``autograded/`` anything copied through
a link and fails the student with a clear message if a link or special file is still there.

The hook also records ``format_converted`` for a notebook saved in an old format (nbformat v1-v3),
which nbgrader converts to v4 when it reads it.
"""

from __future__ import annotations

import datetime as _dt
import errno
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from . import verdict
from .files import atomic_write_text as _atomic_write_text

__all__ = ["MANIFEST", "UnsafeSubmissionError", "RefuseUnsafeEntries", "quarantine_unsafe_entries", "stage_submission",
           "unsafe_entries", "check_timestamp", "quarantine_dir", "manifest_path", "read_manifest", "describe_entry",
           "notebook_format"]

MANIFEST = "manifest.json"
TIMESTAMP = "timestamp.txt"
_TIMESTAMP_MAX_BYTES = 64 * 1024  # a real one is ~30 bytes; nbgrader would read any size into memory
_KIND_WORDS = {"symlink": "a symbolic link", "fifo": "a named pipe (FIFO)", "socket": "a socket", "device": "a device file",
               "special": "a special file", "bad_timestamp": "an unreadable timestamp"}


class UnsafeSubmissionError(Exception):
    """A submission still holds a symbolic link or a special file: it is not graded."""


# ----------------------------------------------------------------------------- small helpers
def _log():
    from traitlets.log import get_logger

    return get_logger()


def _kind(mode: int) -> str | None:
    """``None`` for a regular file or a folder, else what makes the entry unsafe to copy."""
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISBLK(mode) or stat.S_ISCHR(mode):
        return "device"
    return "special"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


# ----------------------------------------------------------------------------- layout and manifest
def quarantine_dir(root: Path | str, assignment: str, student: str) -> Path:
    """``<root>/quarantine/<student>/<assignment>``."""
    return Path(root) / "quarantine" / student / assignment


def manifest_path(root: Path | str, assignment: str, student: str) -> Path:
    """``<root>/quarantine/<student>/<assignment>/manifest.json``."""
    return quarantine_dir(root, assignment, student) / MANIFEST


def read_manifest(root: Path | str, assignment: str, student: str) -> list[dict[str, Any]]:
    """Every entry ever quarantined for this submission ([] when none, or the file is unreadable)."""
    path = manifest_path(root, assignment, student)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    entries = data.get("entries") if isinstance(data, dict) else None
    return [e for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str)] if isinstance(entries, list) else []


def _append_manifest(root: Path, assignment: str, student: str, new: list[dict[str, Any]]) -> None:
    path = manifest_path(root, assignment, student)
    _ensure_quarantine(root, assignment, student)
    entries: list[dict[str, Any]] = []
    if path.exists() or path.is_symlink():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            entries = list(data["entries"])
        except (OSError, ValueError, KeyError, TypeError):
            n = 1
            while (aside := path.with_name(f"{MANIFEST}.corrupt-{n}")).exists():
                n += 1
            os.replace(path, aside)  # never lose a record: a broken manifest is kept aside
    entries.extend(new)
    _atomic_write_text(path, json.dumps({"version": 1, "student": student, "assignment": assignment, "entries": entries},
                                        indent=1, ensure_ascii=False) + "\n")


def _ensure_quarantine(root: Path, assignment: str, student: str) -> Path:
    """Create ``quarantine/<student>/<assignment>``, refusing any link on the way (nothing is ever moved through one)."""
    path = Path(root)
    for part in ("quarantine", student, assignment):
        path = path / part
        if os.path.lexists(path) and not _real_dir(path):
            raise UnsafeSubmissionError(f"{path} exists and is not a folder (a link?): refusing to quarantine into it")
        path.mkdir(exist_ok=True)
    return path


def _free_destination(qdir: Path, rel: str) -> Path:
    """A path under ``qdir`` for ``rel`` that exists nowhere yet, whose every folder is a real one.

    A name already taken (an earlier run's quarantined entry, the manifest) gets a ``.<n>``
    suffix; a folder on the way that is not a real folder (a quarantined link) is never entered.
    """
    parts = rel.split("/")
    current = qdir
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        candidate, n = part, 0
        while True:
            path = current / candidate
            reserved = current == qdir and (candidate == MANIFEST or candidate.startswith(f".{MANIFEST}."))
            if last and not reserved and not os.path.lexists(path):
                return path
            if not last and not reserved and (not os.path.lexists(path) or _real_dir(path)):
                break
            n += 1
            candidate = f"{part}.{n}"
        path.mkdir(exist_ok=True)
        current = path
    raise AssertionError("unreachable")  # pragma: no cover


def _move(src: Path, dest: Path, kind: str) -> None:
    """Move ``src`` (never dereferenced) to ``dest``; across file systems, recreate a link or a FIFO."""
    try:
        os.rename(src, dest)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    mode = os.lstat(src).st_mode
    if kind == "symlink":
        os.symlink(os.readlink(src), dest)
    elif kind == "fifo":
        os.mkfifo(dest, stat.S_IMODE(mode))
    else:
        raise OSError(f"cannot move {kind} across file systems")
    os.unlink(src)


# ----------------------------------------------------------------------------- what is unsafe
def unsafe_entries(folder: Path | str) -> list[tuple[str, str]]:
    """Every symbolic link and special file under ``folder`` as (relative path, kind), never following a link."""
    folder = str(folder)
    found: list[tuple[str, str]] = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in sorted(dirnames) + sorted(filenames):
            full = os.path.join(dirpath, name)
            try:
                kind = _kind(os.lstat(full).st_mode)
            except FileNotFoundError:
                continue
            if kind:
                found.append((os.path.relpath(full, folder).replace(os.sep, "/"), kind))
        dirnames[:] = [d for d in dirnames if _real_dir(Path(dirpath) / d)]  # os.walk does not follow links anyway
    return found


def check_timestamp(path: Path | str) -> tuple[bool, str, str]:
    """(readable, text, problem) for a ``timestamp.txt``, judged by nbgrader's own parser.

    An empty file is readable (nbgrader grades it without a time, with a warning).
    """
    from nbgrader.utils import parse_utc

    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return True, "", ""
    if stat.S_ISDIR(mode):
        return False, "", "it is a folder"
    if not stat.S_ISREG(mode):
        return False, "", f"it is {_KIND_WORDS.get(_kind(mode) or 'special', 'a special file')}"
    with open(path, "rb") as fh:
        raw = fh.read(_TIMESTAMP_MAX_BYTES + 1)
    if len(raw) > _TIMESTAMP_MAX_BYTES:
        return False, raw[:200].decode("utf-8", "replace"), f"it is larger than {_TIMESTAMP_MAX_BYTES // 1024} KiB"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False, raw[:200].decode("utf-8", "replace"), "it is not UTF-8 text"
    if not text.strip():
        return True, text, ""
    try:
        parse_utc(text.strip())
    except Exception as exc:  # dateutil raises ValueError, OverflowError, ...
        return False, text[:200], f"{type(exc).__name__}: {_short(str(exc), 120)}"
    return True, text[:200], ""


def notebook_format(path: Path | str) -> int | None:
    """The ``nbformat`` major version a notebook file declares (``None``: not a readable notebook)."""
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        data = json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return None
    version = data.get("nbformat") if isinstance(data, dict) else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def describe_entry(entry: dict[str, Any], student: str = "<student>", assignment: str = "<assignment>") -> str:
    """The reason an instructor reads for one manifest entry."""
    path, kind = str(entry.get("path", "?")), str(entry.get("kind", "special"))
    what = _KIND_WORDS.get(kind, "a special file")
    target = f" (to {_short(str(entry.get('target', '')), 100)!r})" if kind == "symlink" else ""
    action = entry.get("action", "moved")
    if action == "refused":
        folder = f"submitted/{student}" if path == ".." else f"submitted/{student}/{assignment}"
        which = "student folder" if path == ".." else "submission folder"
        return f"the {which} {folder} is {what}{target}: refused, nothing in it was graded"
    if action == "left":
        return (f"{path} is {what}{target} and could not be moved to quarantine ({entry.get('error', 'unknown error')}): "
                "the submission was not graded")
    if kind == "bad_timestamp":
        text = _short(str(entry.get("text", "")).strip(), 60)
        why = f"({text!r})" if text else f"({entry.get('problem', 'unreadable')})"
        return f"{TIMESTAMP} could not be read as a time {why}: graded without a submission time, no late penalty applied"
    if entry.get("notebook"):
        return (f"{path} was {what}{target}: it counts as not submitted (scored 0); "
                f"the link itself is in quarantine/{student}/{assignment}/")
    text = f"{path} was {what}{target}: moved to quarantine/{student}/{assignment}/, never read or copied"
    if path == TIMESTAMP:
        text += "; graded without a submission time, no late penalty applied"
    return text


# ----------------------------------------------------------------------------- the hook
def _submission_of(notebook: str) -> tuple[Path, str, str] | None:
    """(course root, student, assignment) of ``<root>/submitted/<student>/<assignment>/<nb>.ipynb``."""
    path = Path(os.path.abspath(notebook))  # never resolve(): that would follow the links we are looking for
    folder = path.parent
    if folder.parent.parent.name != "submitted":
        return None
    return folder.parent.parent.parent, folder.parent.name, folder.name


def _zero_notebook(db_url: str | None, root: Path, assignment: str, student: str, notebook: str) -> None:
    """Score a quarantined notebook 0 in the gradebook, as nbgrader does for a notebook not submitted.

    nbgrader cannot: with its only notebook gone it stops before that step, and an earlier run's
    score would stay. ``db_url``: the course's (default ``sqlite:///<root>/gradebook.db``, if it exists).
    """
    from nbgrader.api import Gradebook, MissingEntry

    if db_url is None:
        path = root / "gradebook.db"
        if not path.is_file():
            return
        db_url = f"sqlite:///{path}?timeout=60"
    try:
        with Gradebook(db_url) as gb:
            try:
                submitted = gb.find_submission_notebook(notebook, assignment, student)
            except MissingEntry:
                return  # never graded: nbgrader creates it with no score
            for grade in submitted.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            gb.db.commit()
    except Exception as exc:  # the quarantine matters more; the status says "failed" anyway
        _log().warning("%s/%s: could not score %s.ipynb 0 in the gradebook: %s", student, assignment, notebook, exc)


def stage_submission(root: Path | str, assignment: str, student: str, notebooks: list[str] | None = None, *,
                     db_url: str | None = None) -> list[dict[str, Any]]:
    """Quarantine the unsafe entries of ``submitted/<student>/<assignment>``; returns the new manifest entries.

    ``notebooks`` (names without ``.ipynb``) are the notebooks being graded: their verdict events
    are cleared first (a re-run starts afresh), and a format conversion is recorded for each. A
    notebook that was a link scores 0 in the gradebook at ``db_url`` (see :func:`_zero_notebook`).
    """
    root = Path(root)
    student_dir = root / "submitted" / student
    folder = student_dir / assignment
    names = list(notebooks or [])
    for name in ["", *names]:
        verdict.clear(root, assignment, student, name)
    new: list[dict[str, Any]] = []
    events: list[tuple[str, str, str]] = []  # (notebook, kind, detail)

    for rel, path in (("..", student_dir), (".", folder)):
        if os.path.islink(path):
            entry = {"path": rel, "kind": "symlink", "target": os.readlink(path), "action": "refused", "quarantined_as": "",
                     "time": _now()}
            new.append(entry)
            events.append(("", "refused", describe_entry(entry, student, assignment)))
            break
    if not new and _real_dir(folder):
        qdir: Path | None = None
        for rel, kind in unsafe_entries(folder):
            src = folder / rel
            entry: dict[str, Any] = {"path": rel, "kind": kind, "time": _now()}
            if kind == "symlink":
                entry["target"] = os.readlink(src)
            try:
                qdir = qdir or _ensure_quarantine(root, assignment, student)
                dest = _free_destination(qdir, rel)
                _move(src, dest, kind)
                entry.update(action="moved", quarantined_as=dest.relative_to(qdir).as_posix())
            except (OSError, UnsafeSubmissionError) as exc:
                entry.update(action="left", quarantined_as="", error=f"{type(exc).__name__}: {_short(str(exc), 160)}")
            if rel.endswith(".ipynb") and rel[:-len(".ipynb")] in names:
                entry["notebook"] = True  # one of the notebooks being graded
            new.append(entry)
            if entry["action"] == "left":
                events.append(("", "refused", describe_entry(entry, student, assignment)))
            elif entry.get("notebook"):
                events.append((rel[:-len(".ipynb")], "notebook_was_link", describe_entry(entry, student, assignment)))
                _zero_notebook(db_url, root, assignment, student, rel[:-len(".ipynb")])
            else:
                events.append(("", "quarantined", describe_entry(entry, student, assignment)))
            _log().warning("%s/%s: %s", student, assignment, describe_entry(entry, student, assignment))

        ok, text, problem = check_timestamp(folder / TIMESTAMP)
        if not ok:
            entry = {"path": TIMESTAMP, "kind": "bad_timestamp", "text": text, "problem": problem, "time": _now()}
            try:
                qdir = qdir or _ensure_quarantine(root, assignment, student)
                dest = _free_destination(qdir, TIMESTAMP)
                os.rename(folder / TIMESTAMP, dest)
                entry.update(action="moved", quarantined_as=dest.relative_to(qdir).as_posix())
                events.append(("", "bad_timestamp", describe_entry(entry, student, assignment)))
            except (OSError, UnsafeSubmissionError) as exc:
                entry.update(action="left", quarantined_as="", error=f"{type(exc).__name__}: {_short(str(exc), 160)}")
                events.append(("", "refused", describe_entry(entry, student, assignment)))
            new.append(entry)
            _log().warning("%s/%s: %s", student, assignment, describe_entry(entry, student, assignment))

        for name in names:
            version = notebook_format(folder / f"{name}.ipynb")
            if version is not None and version < 4:
                events.append((name, "format_converted", f"{name}.ipynb was saved in notebook format v{version} (an older "
                                                         "Jupyter): converted to v4 for grading"))
    if new:
        _append_manifest(root, assignment, student, new)
    for notebook, kind, detail in events:
        verdict.record(root, assignment, student, notebook, kind, detail=detail)
    return new


def quarantine_unsafe_entries(assignment: str | None = None, student: str | None = None, notebooks: list[str] | None = None,
                              db_url: str | None = None, **_: Any) -> list[dict[str, Any]]:
    """nbgrader's ``Autograde.pre_convert_hook``: stage each submission the notebook paths belong to.

    ``assignment`` and ``student`` are nbgrader's command-line selection (``*`` when grading
    everyone), so the submission is found from the paths
    (``<root>/submitted/<student>/<assignment>/<nb>.ipynb``, nbgrader's default layout). A notebook
    that was quarantined is removed from ``notebooks`` *in place* (nbgrader passes its own list),
    so nbgrader counts it as not submitted instead of failing on a missing file. ``db_url``: see
    :func:`stage_submission` (bind it with ``functools.partial`` for a gradebook elsewhere).
    """
    notebooks = notebooks if notebooks is not None else []
    groups: dict[tuple[Path, str, str], list[str]] = {}
    for nb in notebooks:
        where = _submission_of(nb)
        if where is None:
            raise ValueError(f"{nb} is not in <root>/submitted/<student>/<assignment>/: unsupported course layout")
        groups.setdefault(where, []).append(Path(nb).stem)
    new: list[dict[str, Any]] = []
    for (root, who, what), names in groups.items():
        new += stage_submission(root, what, who, names, db_url=db_url)
    for nb in list(notebooks):
        if not os.path.lexists(nb):
            notebooks.remove(nb)
    return new


# ----------------------------------------------------------------------------- defence in depth
def _remove(path: Path) -> None:
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
    else:
        shutil.rmtree(path)


class RefuseUnsafeEntries(NbGraderPreprocessor):
    """First sanitize preprocessor: no notebook is graded while its submission holds a link or special file.

    Files nbgrader already copied through a link into ``autograded/`` are deleted first; then it
    raises :class:`UnsafeSubmissionError` with the list (nbgrader fails that student only).
    """

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from nbgrader.coursedir import CourseDirectory

        info = resources["nbgrader"]
        student, assignment = info["student"], info["assignment"]
        coursedir = CourseDirectory(config=self.config)
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
        shown = os.path.relpath(submitted, coursedir.root)
        linked = [p for p in (submitted.parent, submitted) if os.path.islink(p)]
        if linked:
            if _real_dir(autograded):
                shutil.rmtree(autograded)  # everything in it came through the link
            message = (f"refusing to grade {shown}: {os.path.relpath(linked[0], coursedir.root)} is a symbolic link "
                       f"(to {_short(os.readlink(linked[0]), 100)!r}); nothing in it is graded")
        else:
            found = unsafe_entries(submitted)
            for rel, _kind_ in found:
                copy = autograded / rel
                if os.path.lexists(copy):
                    _remove(copy)
            if not found:
                return nb, resources
            listed = ", ".join(f"{rel} ({_KIND_WORDS.get(kind, kind)})" for rel, kind in found[:10])
            message = (f"refusing to grade {shown}: it still holds {len(found)} symbolic link(s) or special file(s): "
                       f"{listed}{' ...' if len(found) > 10 else ''}. The pre-convert hook "
                       "course_utils.grade.staging.quarantine_unsafe_entries moves them to quarantine/ "
                       "(is c.Autograde.pre_convert_hook set in nbgrader_config.py?)")
        try:
            if not any(e.kind == "refused" for e in verdict.read(coursedir.root, assignment, student)):
                verdict.record(coursedir.root, assignment, student, "", "refused", detail=f"not graded: {message}")
        except OSError:  # pragma: no cover - the refusal matters more than its record
            pass
        raise UnsafeSubmissionError(message)
