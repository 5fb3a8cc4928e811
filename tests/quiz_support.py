"""Shared pieces of the quiz, exam and flashcard tests: a clock the test moves, scratch notebooks for the browser."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import nbformat

__all__ = ["FakeClock", "scratch_notebook", "start_exam"]


class FakeClock:
    """A clock the test moves by hand (``advance(minutes=5)``); ``clock()`` returns the current time."""

    def __init__(self, start: datetime = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs) -> None:
        self.now += timedelta(**kwargs)


def scratch_notebook(lab, name: str, bank: Path, progress: Path, code: str) -> str:
    """A two-cell notebook in the lab's folder: point the course at ``bank`` and ``progress``, then run ``code``."""
    setup = (
        "import os\n"
        f"os.environ['DVA_COURSE_PROGRESS'] = {str(progress)!r}\n"
        f"os.environ['DVA_COURSE_BANK'] = {str(bank)!r}\n"
        "from course_utils import quiz"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, Path(lab.root) / name)
    return name


def start_exam(lab, page, name: str, ready: str = ".course-exam"):
    """Open notebook ``name`` in the lab, run it, press *Start exam*; returns (the exam's locator, its position line)."""
    lab.open(page, name)
    lab.run_all(page)
    exam = page.locator(ready)
    exam.wait_for(timeout=60_000)
    exam.locator("button.course-exam-start").click()
    position = exam.locator(".course-exam-position")
    position.wait_for(timeout=30_000)
    return exam, position


def scratch_notebook_cells(lab, name: str, bank: Path, progress: Path, *codes: str) -> str:
    """Like :func:`scratch_notebook`, with one cell per entry of ``codes`` (several widgets in one notebook)."""
    scratch_notebook(lab, name, bank, progress, codes[0])
    path = Path(lab.root) / name
    nb = nbformat.read(path, as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(code) for code in codes[1:]]
    nbformat.write(nb, path)
    return name


def choose(widget, question, keys) -> None:
    """Click the options ``keys`` ("A", "C") of ``question`` in an exam widget, as a learner does.

    The labels are found by the question's own option texts, so a click waits until that question
    is on screen (not the one the widget showed a moment before)."""
    for option in question.options:
        if option.key in keys:
            widget.locator(".course-exam-choices label", has_text=f"{option.key}. {option.text}").first.click()


__all__ += ["scratch_notebook_cells", "choose"]
