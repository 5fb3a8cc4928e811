"""Load ``data/syllabus.yaml`` once per kernel and report every problem with its place."""

from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["SyllabusError", "load_syllabus", "syllabus_path", "skill_link", "task_link", "error_location", "INDEX_NOTEBOOK"]

#: The notebook whose markdown holds one anchor per task statement (``task-1-2``).
INDEX_NOTEBOOK = "00_index.ipynb"


class SyllabusError(ValueError):
    """The syllabus file is missing, not YAML, or breaks the schema (every problem is listed)."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path, self.problems = path, list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{path}: {len(self.problems)} problem(s) in the syllabus:\n{lines}")


def syllabus_path(data_dir: str | os.PathLike | None = None) -> Path:
    """``<data_dir>/syllabus.yaml`` when that file exists, else the package's own syllabus."""
    package = Path(__file__).resolve().parent.parent / "data" / "syllabus.yaml"
    if data_dir is not None:
        candidate = Path(data_dir) / "syllabus.yaml"
        if candidate.exists():
            return candidate
    return package


_cache: dict[Path, tuple[tuple[int, int], object]] = {}
_lock = threading.Lock()


def error_location(loc: tuple) -> str:
    """A pydantic error location as one path: ``domains[0].tasks[1].id``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_syllabus(path: str | os.PathLike | None = None):
    """The :class:`~course_utils.syllabus.schema.Syllabus` at ``path`` (default: the package's).

    Raises :class:`SyllabusError` naming each problem's place (``domains[1].tasks[0].skills[3].id``).
    Cached until the file changes.
    """
    import yaml
    from pydantic import ValidationError

    from .schema import Syllabus, syllabus_rules

    file = Path(path) if path is not None else syllabus_path()
    try:
        st = file.stat()
        signature = (st.st_mtime_ns, st.st_size)
    except OSError as exc:
        raise SyllabusError(file, [f"cannot be read: {exc.strerror or exc}"]) from None
    with _lock:
        cached = _cache.get(file)
        if cached and cached[0] == signature:
            return cached[1]
    try:
        # libyaml's safe loader when it is there: the same data, a notebook's first quiz 35 ms sooner
        data = yaml.load(file.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except (OSError, UnicodeDecodeError) as exc:
        raise SyllabusError(file, [f"cannot be read: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise SyllabusError(file, [f"is not valid YAML: {exc}".replace("\n", " ")]) from None
    if not isinstance(data, dict):
        raise SyllabusError(file, ["must be a mapping with 'exam', 'facts' and 'domains'"])
    try:
        syllabus = Syllabus.model_validate(data)
    except ValidationError as exc:
        raise SyllabusError(file, [f"{error_location(e['loc']) or '(top)'}: {e['msg']}" for e in exc.errors()]) from None
    problems = [f"{where}: {message}" for where, message in syllabus_rules(syllabus)]
    if problems:
        raise SyllabusError(file, problems)
    with _lock:
        _cache[file] = (signature, syllabus)
    return syllabus


def task_link(task_id: str) -> str:
    """Relative link from a notebook to the task's entry in the index (``00_index.ipynb#task-1-2``)."""
    return f"{INDEX_NOTEBOOK}#task-{task_id.replace('.', '-')}"


def skill_link(skill_id: str) -> str:
    """Relative link from a notebook to the task statement a skill belongs to."""
    return task_link(skill_id.rsplit(".", 1)[0])
