"""Real browser: "Submit exam" asks first, saying how many questions are unanswered and flagged.

One scratch notebook (fixture bank, scratch progress file) runs the practice exam; the test answers
one question, flags one, presses Submit, reads the confirmation, keeps working, then confirms and
checks that the result and the filtered answer review appear with labels that are not cut off.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quiz_support import scratch_notebook, start_exam

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DATA = Path(__file__).resolve().parent / "data"


def _scratch(lab, name: str, progress: Path, code: str) -> str:
    return scratch_notebook(lab, name, DATA / "bank_exam", progress, code)


def test_submit_asks_for_confirmation_with_counts(lab, page, tmp_path):
    progress = tmp_path / "progress.json"
    name = _scratch(lab, "scratch_exam_submit.ipynb", progress, "quiz.practice_exam(seed=2)")  # Q1-Q3 single answer
    exam, position = start_exam(lab, page, name)
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


# The open notebook's cell count and the type of its cell ``index`` (JupyterLab's model).
_CELLS = """([name, index]) => { for (const w of window.jupyterapp.shell.widgets('main')) {
    if (w.context && w.content && w.context.path === name) { const cells = w.content.model.cells;
        return {count: cells.length, type: index < cells.length ? cells.get(index).type : null}; } }
    return null; }"""


def test_exam_keys_stay_in_the_exam_and_controls_are_named(lab, page, tmp_path):
    """`d d` and `m` typed on an exam option change nothing in the notebook; the options are one
    radiogroup labelled by the stem; the buttons are named after the question they act on."""
    name = _scratch(lab, "scratch_exam_a11y.ipynb", tmp_path / "progress.json", "quiz.practice_exam(seed=2)")
    exam, _ = start_exam(lab, page, name, ready=".course-exam[data-course-a11y='on']")
    group = exam.get_by_role("radiogroup", name=re.compile(r"\S"))
    group.wait_for(timeout=30_000)
    page.wait_for_function("el => el.querySelector('input[name]')", arg=group.element_handle(), timeout=30_000)
    assert group.get_attribute("aria-labelledby") == exam.locator(".course-exam-stem").get_attribute("id")
    assert exam.get_by_role("button", name="Next question (2 of 65)").count() == 1
    assert exam.get_by_role("button", name="Flag question 1 for review").count() == 1

    group.get_by_role("radio").first.focus()
    assert page.evaluate(_CELLS, [name, 1]) == {"count": 2, "type": "code"}
    for keys in (["d", "d"], ["m"]):  # delete the cell, make it Markdown
        for key in keys:
            page.keyboard.press(key)
        page.wait_for_timeout(150)
        assert page.evaluate(_CELLS, [name, 1]) == {"count": 2, "type": "code"}, keys
    assert page.evaluate("() => document.activeElement.type") == "radio"  # the keyboard is still on the option
    lab.screenshot(page, "exam_keyboard")
