"""Saved progress: one JSON file per learner, safe with several kernels open.

Where it lives
    ``~/.dva-course/progress.json`` by default; the environment variable
    ``DVA_COURSE_PROGRESS`` names another file (the tests and the notebook runner use a
    scratch file). On Binder the disk is temporary: export your progress before you leave
    and import it in the next session (:func:`export_progress`, :func:`import_progress`, or
    the widget ``quiz.progress_widget()``).

Moving from the old location (:func:`migrate_legacy_progress`)
    Until the course became exam-version neutral (DVA-C03, December 2026) the default file was
    ``~/.dva-c02-course/progress.json``. The first :func:`get_store` or ``ProgressStore()``
    (no path) in a process moves that file to the new default location, once, and prints one
    line saying from where to where. Only when ``DVA_COURSE_PROGRESS`` is unset or empty, the
    old file exists and the new one does not; the bytes are moved as they are (a damaged file
    too: it is then backed up at the new location as described below). When both files exist
    neither is touched, and one line says how to merge the old one
    (``quiz.import_progress(path)``). The move holds the new store's lock and never overwrites:
    a hard link to the new name then removing the old name (where hard links fail: a rename
    after checking that the new name is free; across devices: a copy into a file created
    exclusively), so two kernels starting at once move it exactly once. Other files in the old
    folder (the lock file, earlier ``corrupt-*`` backups) stay where they are.

How it is written
    Every change is a read-modify-write under an exclusive lock (``fcntl.flock`` on the
    sidecar file ``progress.json.lock``), so two kernels answering at once lose nothing. The
    new content goes to a temporary file in the same folder, is flushed to disk and then
    renamed over the old file (``os.replace``): a crash leaves the old or the new file,
    never half of one.

When the file is damaged
    A file that is not valid JSON (or not a progress file) is renamed to
    ``progress.json.corrupt-<UTC timestamp>``, one :class:`ProgressWarning` names that backup,
    and a fresh store continues.

What is stored (``version`` 1)
    ``answers``: question id -> list of ``{at, chosen, correct, source}`` (source ``quiz`` or ``exam``);
    ``exams``: practice-exam attempts (see :mod:`course_utils.quiz.exam`);
    ``flashcards``: card id -> ``{box, due, reviewed, seen, knew}``;
    ``drills``: drill id -> list of ``{at, chosen, correct}``;
    ``miss_cards``: card id -> a flashcard made from a missed question (``{front, back, skills, tags,
    question, created}``, see :mod:`course_utils.quiz.misses`); a flashcard state may carry
    ``missed_at`` and ``missed_by`` (the question ids) when a missed question made it due;
    ``learner_seed``: the number that orders this learner's flashcards (made once, from ``created``).
    Files written before these keys existed are read as they are (the keys are optional).

Merge rules of :func:`import_progress` (importing never deletes anything)
    answers and drills: the union of both lists, the same record (same time, choice and
    source) kept once, in time order; exams: the union by attempt id; flashcards: per card,
    the state reviewed (or made due by a miss) most recently wins (a tie keeps the local state);
    miss_cards: the union by card id (the local card kept). Importing the same file twice changes
    nothing the second time.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import warnings
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

try:  # POSIX: JupyterLab, Binder, JupyterHub
    import fcntl
except ImportError:  # pragma: no cover - Windows: a lock within this process only
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "ENV_VAR",
    "DEFAULT_PATH",
    "LEGACY_DEFAULT_PATH",
    "VERSION",
    "ProgressWarning",
    "ProgressStore",
    "progress_path",
    "migrate_legacy_progress",
    "get_store",
    "export_progress",
    "import_progress",
    "merge",
    "empty_progress",
]

ENV_VAR = "DVA_COURSE_PROGRESS"
DEFAULT_PATH = Path("~/.dva-course/progress.json")
#: The default location before the course became exam-version neutral (see migrate_legacy_progress).
LEGACY_DEFAULT_PATH = Path("~/.dva-c02-course/progress.json")
VERSION = 1
_SECTIONS = {"answers": dict, "exams": list, "flashcards": dict, "drills": dict, "miss_cards": dict}


class ProgressWarning(UserWarning):
    """The progress file could not be used as it was (it was backed up and a fresh one started)."""


def now_iso() -> str:
    """The current UTC time as ISO 8601 (microseconds, so records sort in time order)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def progress_path() -> Path:
    """The learner's progress file: ``$DVA_COURSE_PROGRESS`` or ``~/.dva-course/progress.json``."""
    value = os.environ.get(ENV_VAR, "").strip()
    return Path(value).expanduser() if value else DEFAULT_PATH.expanduser()


def empty_progress() -> dict[str, Any]:
    return {"version": VERSION, "created": now_iso(), "answers": {}, "exams": [], "flashcards": {}, "drills": {}, "miss_cards": {}}


def _well_formed(data: Any) -> bool:
    if not isinstance(data, dict) or not isinstance(data.get("version"), int) or data["version"] > VERSION:
        return False
    return all(isinstance(data.get(key, kind()), kind) for key, kind in _SECTIONS.items())


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    for key, kind in _SECTIONS.items():
        data.setdefault(key, kind())
    return data


_thread_lock = threading.RLock()


class ProgressStore:
    """The progress file at ``path`` (default: :func:`progress_path`, after :func:`migrate_legacy_progress`)."""

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        if path is None:
            migrate_legacy_progress()
        self.path = Path(path).expanduser() if path is not None else progress_path()
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def __repr__(self) -> str:
        return f"ProgressStore({str(self.path)!r})"

    # -- locking and raw I/O -------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the store's exclusive lock (other kernels wait)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with _thread_lock, open(self.lock_path, "a+b") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def _backup(self, reason: str) -> Path:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while backup.exists():
            n += 1
            backup = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        os.replace(self.path, backup)
        with warnings.catch_warnings():
            warnings.simplefilter("always", ProgressWarning)  # every backup is announced, once
            warnings.warn(
                f"Your progress file {self.path} could not be read ({reason}). It was moved to {backup} "
                "and a fresh progress file was started; your earlier answers are in the backup.",
                ProgressWarning,
                stacklevel=5,
            )
        return backup

    def _read_unlocked(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return empty_progress()
        except OSError as exc:
            self._backup(f"unreadable: {exc.strerror or exc}")
            data = empty_progress()
            self._write_unlocked(data)
            return data
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            reason = f"not valid JSON: {exc}"
        else:
            if _well_formed(data):
                return _normalise(data)
            reason = "not a progress file of this course" if not isinstance(data, dict) or "version" not in data else (
                f"unexpected structure (version {data.get('version')!r})"
            )
        self._backup(reason)
        data = empty_progress()
        self._write_unlocked(data)
        return data

    def _write_unlocked(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(data, out, indent=1, sort_keys=True)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    # -- public API ----------------------------------------------------------------------
    def read(self) -> dict[str, Any]:
        """A snapshot of the whole store."""
        with self.locked():
            return self._read_unlocked()

    def update(self, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Read, apply ``change(data)`` (which mutates ``data``), write back; all under the lock."""
        with self.locked():
            data = self._read_unlocked()
            result = change(data)
            self._write_unlocked(data)
            return result

    def record_answer(self, qid: str, chosen, correct: bool, source: str = "quiz", at: str | None = None) -> dict:
        record = {"at": at or now_iso(), "chosen": sorted(chosen), "correct": bool(correct), "source": source}
        self.update(lambda data: data["answers"].setdefault(qid, []).append(record))
        return record

    def answers(self, qid: str | None = None):
        data = self.read()["answers"]
        return list(data.get(qid, [])) if qid is not None else data

    def add_exam(self, attempt: dict[str, Any]) -> None:
        def change(data):
            if not any(a.get("id") == attempt["id"] for a in data["exams"]):
                data["exams"].append(attempt)

        self.update(change)

    def exams(self) -> list[dict[str, Any]]:
        return sorted(self.read()["exams"], key=lambda a: a.get("finished", ""))

    def card_states(self) -> dict[str, dict[str, Any]]:
        return self.read()["flashcards"]

    def set_card_state(self, card_id: str, state: dict[str, Any]) -> None:
        self.update(lambda data: data["flashcards"].__setitem__(card_id, state))

    def learner_seed(self) -> int:
        """This learner's seed for the flashcard order: made once from ``created`` and saved."""
        data = self.read()
        if isinstance(data.get("learner_seed"), int):
            return data["learner_seed"]
        return self.update(_ensure_seed)

    def record_drill(self, drill_id: str, chosen: str | None, correct: bool) -> None:
        record = {"at": now_iso(), "chosen": chosen, "correct": bool(correct)}
        self.update(lambda data: data["drills"].setdefault(drill_id, []).append(record))

    def export(self, path: str | os.PathLike) -> Path:
        """Write a copy of the store to ``path`` (atomically) and return it."""
        target = Path(path).expanduser()
        snapshot = self.read()
        ProgressStore(target)._write_unlocked(snapshot)
        return target

    def import_(self, path: str | os.PathLike) -> dict[str, int]:
        """Merge the progress file at ``path`` into this store (see the module's merge rules)."""
        source = Path(path).expanduser()
        try:
            incoming = json.loads(source.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{source}: not a readable progress file ({exc})") from exc
        if not _well_formed(incoming):
            raise ValueError(f"{source}: not a progress file of this course (or from a newer version)")
        return self.update(lambda data: merge(data, _normalise(incoming)))


def _ensure_seed(data: dict[str, Any]) -> int:
    if not isinstance(data.get("learner_seed"), int):
        import hashlib

        created = str(data.get("created") or now_iso())
        data["learner_seed"] = int(hashlib.sha256(created.encode("utf-8")).hexdigest()[:8], 16)
    return data["learner_seed"]


def _recency(state: Any) -> str:
    """When a card state last changed: its review or the miss that made it due (ISO text)."""
    if not isinstance(state, dict):
        return ""
    return max(str(state.get("reviewed") or ""), str(state.get("missed_at") or ""))


def _record_key(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)


def merge(local: dict[str, Any], incoming: dict[str, Any]) -> dict[str, int]:
    """Merge ``incoming`` into ``local`` in place; returns how many items each section gained."""
    added = {"answers": 0, "exams": 0, "flashcards": 0, "drills": 0}
    for card_id, card in incoming.get("miss_cards", {}).items():
        if card_id not in local["miss_cards"]:
            local["miss_cards"][card_id] = card
            added["flashcards"] += 1
    for section in ("answers", "drills"):
        for item_id, records in incoming.get(section, {}).items():
            mine = local[section].setdefault(item_id, [])
            keys = {_record_key(r) for r in mine}
            for record in records:
                if _record_key(record) not in keys:
                    mine.append(record)
                    keys.add(_record_key(record))
                    added[section] += 1
            mine.sort(key=lambda r: r.get("at", ""))
    ids = {a.get("id") for a in local["exams"]}
    for attempt in incoming.get("exams", []):
        if attempt.get("id") not in ids:
            local["exams"].append(attempt)
            ids.add(attempt.get("id"))
            added["exams"] += 1
    local["exams"].sort(key=lambda a: a.get("finished", ""))
    for card_id, state in incoming.get("flashcards", {}).items():
        mine = local["flashcards"].get(card_id)
        if mine is None or _recency(state) > _recency(mine):
            local["flashcards"][card_id] = state
            added["flashcards"] += 1
    return added


def get_store() -> ProgressStore:
    """The learner's store (the path is read from the environment on every call).

    The first call in a process moves a progress file left at the old default location
    (:func:`migrate_legacy_progress`).
    """
    return ProgressStore()


# -- moving the file from the old default location ----------------------------------------------
_legacy_checked = False  # set once migrate_legacy_progress has run in this process
_legacy_lock = threading.Lock()


def _same_file_or_gone(old: Path, new: Path) -> bool:
    """After ``new`` turned out to exist: is it ``old`` linked a moment ago by another process?"""
    try:
        if not os.path.samefile(old, new):
            return False
    except FileNotFoundError:  # ``old`` is gone: another process finished the move
        return True
    with contextlib.suppress(FileNotFoundError):
        os.unlink(old)  # finish the other process's move (it ignores a missing name)
    return True


def _move_without_link(old: Path, new: Path) -> str:
    """The move where hard links fail; the caller holds the new store's lock."""
    if new.exists():
        return "both" if old.exists() else "none"
    if not old.exists():
        return "none"
    try:
        os.replace(old, new)  # atomic on one filesystem; ``new`` was checked free under the lock
    except FileNotFoundError:
        return "none"
    except OSError:  # another device: copy into a file only this call creates, then drop the old name
        data = old.read_bytes()
        try:
            fd = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return "both"
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(new)
            raise
        with contextlib.suppress(FileNotFoundError):
            os.unlink(old)
    return "moved"


def _move_file(old: Path, new: Path) -> str:
    """Move ``old`` to ``new`` as is, never overwriting: ``"moved"``, ``"both"`` (both exist) or ``"none"``."""
    try:
        os.link(old, new)  # atomic, and fails if ``new`` exists
    except FileExistsError:
        return "none" if _same_file_or_gone(old, new) else "both"
    except FileNotFoundError:
        return "none"  # another process moved it a moment ago
    except OSError:  # no hard links here (some filesystems, another device)
        return _move_without_link(old, new)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(old)  # a racing process may have removed it already
    return "moved"


def migrate_legacy_progress() -> Path | None:
    """Move ``~/.dva-c02-course/progress.json`` to ``~/.dva-course/progress.json``, once per process.

    Only when ``DVA_COURSE_PROGRESS`` is unset or empty, the old file exists and the new one does
    not; prints one line and returns the new path when it moved the file, else returns ``None``.
    When both files exist nothing is touched and one line says how to merge the old one. Later
    calls in the same process do nothing; when there is nothing to move it costs one ``stat``.
    """
    global _legacy_checked
    if _legacy_checked:
        return None
    with _legacy_lock:  # a second thread waits until the file is where it belongs
        if _legacy_checked:
            return None
        try:
            return _migrate_legacy()
        finally:
            _legacy_checked = True


def _migrate_legacy() -> Path | None:
    if os.environ.get(ENV_VAR, "").strip():
        return None
    old, new = LEGACY_DEFAULT_PATH.expanduser(), DEFAULT_PATH.expanduser()
    if not old.is_file():  # the usual case: one stat, nothing created
        return None
    try:
        with ProgressStore(new).locked():  # kernels starting at once take turns; readers never see a half file
            outcome = _move_file(old, new)
    except OSError as exc:
        print(f"Your progress file {old} could not be moved to {new} ({exc.strerror or exc}); it is unchanged: "
              f"merge it with quiz.import_progress({str(old)!r}).", flush=True)
        return None
    if outcome == "moved":
        print(f"Moved your progress file from {old} to {new} (the course's new location); nothing was lost.", flush=True)
        return new
    if outcome == "both":
        print(f"An older progress file is still at {old} (your progress is kept in {new}; neither was changed): "
              f"merge it with quiz.import_progress({str(old)!r}), then you may delete it.", flush=True)
    return None


def export_progress(path: str | os.PathLike) -> Path:
    """Copy your progress to ``path`` (for example before a Binder session ends)."""
    return get_store().export(path)


def import_progress(path: str | os.PathLike) -> dict[str, int]:
    """Merge a progress file exported earlier into your progress; returns what was added."""
    return get_store().import_(path)
