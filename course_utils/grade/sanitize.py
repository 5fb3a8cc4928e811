"""Sanitize preprocessors: a notebook's grading metadata comes from the gradebook, never from the submission.

Honest mistakes that made stock nbgrader fail the whole student (measured with nbgrader 0.9.6):

* a duplicated answer or test cell (copy and paste in Jupyter keeps the nbgrader metadata, same
  ``grade_id``): nbgrader's ``DeduplicateIds`` leaves ``nbgrader: {}`` on the other copy, then
  ``OverwriteCells.add_missing_task_cells`` fails with ``KeyError: 'grade_id'``;
* a cell claiming nbgrader metadata whose ``grade_id`` the gradebook does not know (a student-added
  "grade cell"): ``OverwriteCells`` deletes only its ``grade_id`` and ``add_missing_grade_cells``
  fails with ``KeyError: 'grade_id'``; an old ``schema_version`` on any cell raises
  ``SchemaTooOldError`` in ``CheckCellMetadata``, which stops a plain ``nbgrader autograde`` for
  every student after this one.

``DeduplicateGradeCells``
    keeps exactly one cell per ``grade_id``: for an answer cell the *last* copy (both copies run
    in order, so the last definition is the one the tests see; nbgrader's ``DeduplicateIds`` also
    keeps the last), for a test or read-only cell the *first* (where the instructor put it; its
    source comes back from the gradebook anyway). The other copies lose their nbgrader metadata
    and run as ordinary cells. Recorded as ``deduplicated`` in the verdict.
``RestoreCellMetadata``
    a cell whose ``grade_id`` the gradebook does not have loses its nbgrader metadata (recorded as
    ``metadata_stripped`` when it claimed to be a grade, answer, read-only or task cell); a known
    cell gets its nbgrader metadata rebuilt from the gradebook (``metadata_restored`` when the
    student's flags differed; changed points are reported by :mod:`.status` from the submission).

Place both before ``OverwriteCells`` (see ``grading/nbgrader_config.py``), in place of nbgrader's
``DeduplicateIds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from . import verdict

__all__ = ["DeduplicateGradeCells", "RestoreCellMetadata", "GradebookCell", "gradebook_cells"]

_ROLES = ("grade", "solution", "locked", "task")


@dataclass(frozen=True)
class GradebookCell:
    """What the gradebook says about one cell of the master."""

    name: str
    cell_type: str
    grade: bool
    solution: bool
    locked: bool
    task: bool
    points: float | None
    checksum: str | None

    @property
    def is_answer(self) -> bool:
        return self.solution and not self.locked

    def metadata(self) -> dict[str, Any]:
        """The cell's nbgrader metadata (schema 3), from the gradebook only."""
        meta: dict[str, Any] = {"grade": self.grade, "grade_id": self.name, "locked": self.locked, "schema_version": 3,
                                "solution": self.solution, "task": self.task, "cell_type": self.cell_type}
        if (self.grade or self.task) and self.points is not None:
            meta["points"] = self.points
        if self.checksum and len(self.checksum) == 32:
            meta["checksum"] = self.checksum
        return meta


def gradebook_cells(db_url: str, notebook: str, assignment: str) -> dict[str, GradebookCell]:
    """The gradebook's cells of one notebook by ``grade_id`` ({} if the notebook is unknown)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            nb = gb.find_notebook(notebook, assignment)
        except MissingEntry:
            return {}
        grades = {c.name: float(c.max_score) for c in nb.grade_cells}
        tasks = {c.name: float(c.max_score) for c in nb.task_cells}
        solutions = {c.name for c in nb.solution_cells}
        return {c.name: GradebookCell(c.name, c.cell_type, c.name in grades, c.name in solutions, bool(c.locked), c.name in tasks,
                                      grades.get(c.name, tasks.get(c.name)), c.checksum)
                for c in nb.source_cells}


def _nbgrader_meta(cell: NotebookNode) -> Any:
    meta = cell.get("metadata")
    return meta.get("nbgrader") if isinstance(meta, dict) and "nbgrader" in meta else None


def _grade_id(cell: NotebookNode) -> str | None:
    meta = _nbgrader_meta(cell)
    gid = meta.get("grade_id") if isinstance(meta, dict) else None
    return gid if isinstance(gid, str) else None


def _label(cell: NotebookNode, index: int) -> str:
    gid = _grade_id(cell)
    if gid:
        return gid
    cid = cell.get("id")
    return cid if isinstance(cid, str) and cid else f"#{index + 1}"


class _GradebookPreprocessor(NbGraderPreprocessor):
    """Shared context: the gradebook's cells, and where to record verdict events."""

    def _context(self, resources: dict) -> tuple[str, str, str, str, dict[str, GradebookCell]]:
        from nbgrader.coursedir import CourseDirectory

        info = resources["nbgrader"]
        root = CourseDirectory(config=self.config).root
        known = gradebook_cells(info["db_url"], info["notebook"], info["assignment"])
        return root, info["assignment"], info["student"], info["notebook"], known

    def _record(self, where: tuple[str, str, str, str], kind: str, cell: str, detail: str) -> None:
        root, assignment, student, notebook = where
        self.log.warning("%s: %s", notebook, detail)
        verdict.record(root, assignment, student, notebook, kind, cell=cell, detail=detail)


class DeduplicateGradeCells(_GradebookPreprocessor):
    """One cell per ``grade_id``: the last copy of an answer, the first of a test or read-only cell."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        root, assignment, student, notebook, known = self._context(resources)
        copies: dict[str, list[int]] = {}
        for index, cell in enumerate(nb.cells):
            gid = _grade_id(cell)
            if gid in known:
                copies.setdefault(gid, []).append(index)
        for gid, indexes in copies.items():
            if len(indexes) < 2:
                continue
            info = known[gid]
            keep = indexes[-1] if info.is_answer else indexes[0]
            for index in indexes:
                if index != keep:
                    del nb.cells[index].metadata["nbgrader"]
            times = "twice" if len(indexes) == 2 else f"{len(indexes)} times"
            role = "answer" if info.is_answer else ("test" if info.grade else "read-only cell")
            others = "the other copy ran as an ordinary cell" if len(indexes) == 2 else "the other copies ran as ordinary cells"
            detail = (f"cell {gid} appeared {times}: the {'last' if info.is_answer else 'first'} copy was graded as the {role}, "
                      f"{others}")
            self._record((root, assignment, student, notebook), "deduplicated", gid, detail)
        return nb, resources


class RestoreCellMetadata(_GradebookPreprocessor):
    """nbgrader metadata from the gradebook only: unknown ``grade_id``s stripped, known ones rebuilt."""

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        root, assignment, student, notebook, known = self._context(resources)
        where = (root, assignment, student, notebook)
        for index, cell in enumerate(nb.cells):
            meta = _nbgrader_meta(cell)
            if meta is None:
                continue
            gid = _grade_id(cell)
            if gid is None or gid not in known:
                label = _label(cell, index)
                del cell.metadata["nbgrader"]
                if isinstance(meta, dict):
                    claimed = [k for k in _ROLES if meta.get(k)]
                    what = ", ".join(claimed)
                else:
                    claimed, what = ["?"], f"not a mapping but {type(meta).__name__}"
                if claimed:  # metadata claiming no role changes nothing: removed without a word
                    name = f"grade_id {gid!r}" if gid is not None else "no valid grade_id"
                    self._record(where, "metadata_stripped", label,
                                 f"cell {label} claimed nbgrader metadata ({what}) with {name}, which the gradebook does not "
                                 "have: its metadata was removed and it ran as an ordinary cell")
                continue
            info = known[gid]
            new = info.metadata()
            changed = [f"{k}: {meta.get(k)!r}" for k in _ROLES if bool(meta.get(k, False)) != bool(new[k])]
            if changed:
                self._record(where, "metadata_restored", gid,
                             f"cell {gid}'s nbgrader metadata was edited ({', '.join(changed)}): the gradebook's was used")
            cell.metadata["nbgrader"] = NotebookNode(new)
        return nb, resources
