"""nbgrader preprocessors the course's ``grading/nbgrader_config.py`` plugs in.

``OverwriteCellsScoreMissing``
    nbgrader's ``OverwriteCells`` with ``add_missing_cells``: a grade cell the student deleted is
    put back from the gradebook. Stock nbgrader puts back the *whole* test (only its first line
    commented), so a deleted test cell could still pass. Here a restored test cell raises instead:
    it scores 0 and its output says why. nbgrader logs a warning for it; the course's export
    (:mod:`course_utils.grade.status`) reports it per student.

``ClearHiddenTestsAndTracebacks``
    nbgrader's ``ClearHiddenTests`` for feedback: it removes the hidden test lines from the
    source *and* replaces the tracebacks of those cells, which IPython prints with the failing
    line and its neighbours (hidden test code) quoted.
"""

from __future__ import annotations

from typing import Any

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

__all__ = ["OverwriteCellsScoreMissing", "ClearHiddenTestsAndTracebacks", "RESTORED_MARK", "HIDDEN_TRACEBACK_NOTE"]

RESTORED_MARK = "deleted from the submission: restored by the grader and scored 0"
HIDDEN_TRACEBACK_NOTE = "(traceback not shown: this test cell contains hidden tests)"


class OverwriteCellsScoreMissing(OverwriteCells):
    """``OverwriteCells`` where a restored (deleted) autograded test cell always fails."""

    def missing_cell_transform(self, source_cell: Any, max_score: float, is_solution: bool = False, is_task: bool = False) -> NotebookNode:
        cell = super().missing_cell_transform(source_cell, max_score, is_solution=is_solution, is_task=is_task)
        if cell.cell_type == "code" and not is_solution and not is_task:
            self.log.warning("Grade cell %s was deleted: it is restored and scores 0", source_cell.name)
            # Never run the original test code: a restored test must not earn points.
            cell.source = (
                f"# Grade cell {source_cell.name}: {RESTORED_MARK}.\n"
                f'raise AssertionError("grade cell {source_cell.name} was {RESTORED_MARK}")\n'
            )
        return cell


class ClearHiddenTestsAndTracebacks(ClearHiddenTests):
    """Remove hidden tests from feedback, including from the tracebacks of their cells."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    evalue = str(output.get("evalue", ""))
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {evalue}".rstrip(": "), HIDDEN_TRACEBACK_NOTE]
        return super().preprocess_cell(cell, resources, cell_index)
