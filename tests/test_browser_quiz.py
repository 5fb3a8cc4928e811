"""Real browser: a section quiz answered wrongly then rightly; an exam started, flagged, reviewed.

Each test writes a small scratch notebook into the lab's temporary copy of notebooks/. It points
the progress store at a scratch file and the bank at a fixture bank, so the tests depend neither
on the course content nor on the tester's own progress.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DATA = Path(__file__).resolve().parent / "data"


def _scratch(lab, name: str, bank: Path, progress: Path, code: str) -> str:
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


def test_section_quiz_wrong_then_right(lab, page, tmp_path):
    progress = tmp_path / "progress.json"
    name = _scratch(lab, "scratch_quiz.ipynb", DATA / "bank_small", progress, 'quiz.quiz(ids=["d1-fixture-lambda-timeout"])')
    lab.open(page, name)
    lab.run_all(page)
    question = page.locator(".course-quiz-q-d1-fixture-lambda-timeout")
    question.wait_for(timeout=60_000)
    feedback = question.locator(".course-quiz-feedback")
    check = question.locator("button.course-quiz-check")

    check.click()
    page.wait_for_function(
        "el => el.innerText.includes('Select an answer first')", arg=feedback.element_handle(), timeout=30_000
    )

    question.locator("label", has_text="A. Raise the function's memory to 10 GB.").click()
    check.click()
    page.wait_for_function("el => el.innerText.includes('Not quite')", arg=feedback.element_handle(), timeout=30_000)
    text = feedback.inner_text()
    assert "The right answer: B." in text
    assert "Memory adds CPU but does not lift the time limit." in text  # every option explained
    assert "A DLQ keeps failed async events" in text

    question.locator("label", has_text="B. Raise the function's timeout setting.").click()
    check.click()
    page.wait_for_function("el => el.innerText.includes('Correct!')", arg=feedback.element_handle(), timeout=30_000)
    assert "default timeout is 3 seconds" in feedback.inner_text()
    lab.screenshot(page, "quiz_section")

    records = json.loads(progress.read_text())["answers"]["d1-fixture-lambda-timeout"]
    assert [(r["chosen"], r["correct"]) for r in records] == [(["A"], False), (["B"], True)]


def test_exam_flag_shows_on_review_screen(lab, page, tmp_path):
    progress = tmp_path / "progress.json"
    name = _scratch(lab, "scratch_exam.ipynb", DATA / "bank_exam", progress, "quiz.practice_exam(seed=2)")  # Q1-Q3 single answer
    lab.open(page, name)
    lab.run_all(page)
    exam = page.locator(".course-exam")
    exam.wait_for(timeout=60_000)
    exam.locator("button.course-exam-start").click()
    position = exam.locator(".course-exam-position")
    position.wait_for(timeout=30_000)
    assert "Question 1 of 65" in position.inner_text()

    exam.locator(".course-exam-choices label", has_text="A. Statement A").first.click()  # answer Q1
    exam.locator("button.course-exam-next").click()
    page.wait_for_function("el => el.innerText.includes('Question 2 of 65')", arg=position.element_handle(), timeout=30_000)
    exam.locator("button.course-exam-flag").click()
    page.wait_for_function("el => el.innerText.includes('1 flagged')", arg=position.element_handle(), timeout=30_000)

    # The countdown runs in the kernel and updates the page.
    timer = exam.locator(".course-exam-timer")
    page.wait_for_function("el => /Time left:\\s*2:09:/.test(el.innerText)", arg=timer.element_handle(), timeout=30_000)

    exam.locator("button.course-exam-review-button").click()
    review = exam.locator(".course-exam-review")
    review.wait_for(timeout=30_000)
    text = review.inner_text()
    assert re.search(r"Flagged for review: Q2\b", text), text
    assert re.search(r"Unanswered: Q2, Q3,", text), text  # Q1 was answered
    assert review.locator("button.course-exam-review-item", has_text=re.compile(r"^Q2$")).count() == 2  # in both lists
    lab.screenshot(page, "exam_review")
