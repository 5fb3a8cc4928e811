"""Real browser: "Submit exam" asks first, saying how many questions are unanswered and flagged.

One scratch notebook (fixture bank, scratch progress file) runs the practice exam; the test answers
one question, flags one, presses Submit, reads the confirmation, keeps working, then confirms and
checks that the result and the filtered answer review appear with labels that are not cut off.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DATA = Path(__file__).resolve().parent / "data"


def _scratch(lab, name: str, progress: Path, code: str) -> str:
    setup = (
        "import os\n"
        f"os.environ['DVA_COURSE_PROGRESS'] = {str(progress)!r}\n"
        f"os.environ['DVA_COURSE_BANK'] = {str(DATA / 'bank_exam')!r}\n"
        "from course_utils import quiz"
    )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, Path(lab.root) / name)
    return name


def test_submit_asks_for_confirmation_with_counts(lab, page, tmp_path):
    progress = tmp_path / "progress.json"
    name = _scratch(lab, "scratch_exam_submit.ipynb", progress, "quiz.practice_exam(seed=2)")  # Q1-Q3 single answer
    lab.open(page, name)
    lab.run_all(page)
    exam = page.locator(".course-exam")
    exam.wait_for(timeout=60_000)
    exam.locator("button.course-exam-start").click()
    position = exam.locator(".course-exam-position")
    position.wait_for(timeout=30_000)
    exam.locator(".course-exam-choices label", has_text="A. Statement A").first.click()  # answer Q1
    page.wait_for_function("el => el.innerText.includes('1 answered')", arg=position.element_handle(), timeout=30_000)
    exam.locator("button.course-exam-flag").click()
    page.wait_for_function("el => el.innerText.includes('1 flagged')", arg=position.element_handle(), timeout=30_000)

    exam.locator("button.course-exam-submit").click()
    confirm = exam.locator(".course-exam-confirm")
    confirm.wait_for(timeout=30_000)
    text = confirm.inner_text()
    assert "64 of 65 questions are unanswered and 1 flagged for review." in text, text
    assert not progress.exists() or json.loads(progress.read_text())["exams"] == []  # nothing submitted yet
    lab.screenshot(page, "exam_submit_confirm")

    exam.locator("button.course-exam-cancel-submit").click()
    confirm.wait_for(state="detached", timeout=30_000)
    assert exam.locator(".course-exam-choices").is_visible()  # still on the question

    exam.locator("button.course-exam-submit").click()
    exam.locator("button.course-exam-confirm-submit").click()
    results = exam.locator(".course-exam-results")
    page.wait_for_function("el => el.innerText.includes('Scaled score')", arg=results.element_handle(), timeout=30_000)
    assert len(json.loads(progress.read_text())["exams"]) == 1

    review = exam.locator("button.course-exam-review-answers")
    review.click()
    answers = exam.locator(".course-exam-answers")
    page.wait_for_function("el => el.innerText.includes('questions shown (wrong or unanswered)')",
                           arg=answers.element_handle(), timeout=30_000)
    # Labels fit their buttons: nothing is cut off with an ellipsis.
    for button in (review, exam.locator("button.course-exam-retake")):
        assert button.evaluate("b => b.scrollWidth <= b.clientWidth"), button.inner_text()
    lab.screenshot(page, "exam_answers_wrong_only")
