"""Real browser: "Submit exam" asks first, saying how many questions are unanswered and flagged.

One scratch notebook (fixture bank, scratch progress file) runs the practice exam; the test answers
one question, flags one, presses Submit, reads the confirmation, keeps working, then confirms and
checks that the result and the filtered answer review appear with labels that are not cut off.

Each exam mode of notebook 05 as a learner clicks it (the logic is tested without a browser in
tests/test_exam_modes.py): the full exam's 130 / 160 minutes / untimed choice, Pause only untimed,
arrow keys inside the options, "Retake missed" until each miss is right twice; review mode's
feedback after each question; practice by task statement and by domain, sized by the learner.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from course_utils.quiz.bank import load_bank
from course_utils.quiz.exam import draw_exam
from course_utils.quiz.exam_modes import draw_practice, draw_retake, retake_status
from playwright.sync_api import expect
from quiz_support import choose, scratch_notebook, scratch_notebook_cells, start_exam

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


# -- each exam mode of notebook 05, as a learner clicks it (the logic: tests/test_exam_modes.py) ----------------
_ACTIVE_CELL = """(name) => { for (const w of window.jupyterapp.shell.widgets('main')) {
    if (w.context && w.content && w.context.path === name) { return w.content.activeCellIndex; } } return null; }"""


def _bank():
    return load_bank(DATA / "bank_exam", strict=True)


def _wrong(question) -> list[str]:
    return [k for k in question.keys if k not in question.correct][: question.choose]


def _finish(exam):
    """Finish / Submit, confirm, and return the results once they are on screen."""
    exam.locator("button.course-exam-submit").click()
    exam.locator("button.course-exam-confirm-submit").click()
    results = exam.locator(".course-exam-results")
    expect(exam.locator(".course-exam-choices")).to_have_count(0, timeout=30_000)
    expect(results).to_be_visible(timeout=30_000)
    return results


def test_review_mode_and_practice_by_task_or_domain(lab, page, tmp_path):
    """Review mode checks each answer (verdict in words, every option explained, then locked);
    practice runs show exactly the number of questions asked for, from the task or domain asked for."""
    bank = _bank()
    progress = tmp_path / "progress.json"
    name = scratch_notebook_cells(lab, "scratch_exam_review.ipynb", DATA / "bank_exam", progress, "quiz.review_exam(seed=4)",
                                  'quiz.practice(task="4.1", size=2, seed=3)', "quiz.practice(domain=2, size=3, seed=1)")
    lab.open(page, name)
    lab.run_all(page)
    page.locator(".course-exam[data-course-a11y='on']").nth(2).wait_for(timeout=60_000)
    review, by_task, by_domain = (page.locator(".course-exam").nth(i) for i in range(3))

    # Review mode: a full draw, untimed, feedback after each checked question.
    expect(review.locator(".course-exam-intro")).to_contain_text("Review mode: 65 questions on the DVA-C03 blueprint (seed 4)")
    review.locator("button.course-exam-start").click()
    items = [i.question for i in draw_exam(bank, 4)]
    q1, q2 = items[0], items[1]  # single answer, then "Choose two"
    feedback = review.locator(".course-exam-feedback")
    choose(review, q1, _wrong(q1))
    review.locator("button.course-exam-check").click()
    expect(feedback).to_contain_text(f"Wrong. The right answer: {', '.join(q1.correct)}.", timeout=30_000)
    text = feedback.inner_text()
    assert all(o.explanation in text for o in q1.options) and "(your choice)" in text, text
    assert all(r.is_disabled() for r in review.locator(".course-exam-choices").get_by_role("radio").all())  # locked
    assert review.locator("button.course-exam-check").is_disabled()
    review.locator("button.course-exam-next").click()
    expect(review.locator(".course-exam-stem")).to_have_text(q2.stem, timeout=30_000)
    expect(review.locator(".course-exam-position")).to_contain_text("Question 2 of 65")
    expect(feedback).to_have_text(re.compile(r"^\s*$"))  # no feedback before the check
    choose(review, q2, q2.correct)
    review.locator("button.course-exam-check").click()
    expect(feedback).to_contain_text("✔ Right.", timeout=30_000)
    assert feedback.inner_text().count("(your choice)") == 2  # both boxes of the "Choose two" answer
    expect(review.locator(".course-exam-position")).to_contain_text("2 answered · 0 flagged · 1 of 2 checked right")
    records = json.loads(progress.read_text())["answers"]
    assert [(r["source"], r["correct"]) for r in records[q1.id]] == [("review", False)]
    assert [(r["source"], r["correct"]) for r in records[q2.id]] == [("review", True)]
    lab.screenshot(page, "exam_mode_review")

    # Practice by task statement, then by domain: the size asked for is the size shown.
    for widget, size, expected, scope in (
        (by_task, 2, draw_practice(bank.questions, tasks="4.1", size=2, seed=3), "on task statement 4.1"),
        (by_domain, 3, draw_practice(bank.questions, domain=2, size=3, seed=1), "of domain 2 (Security)"),
    ):
        expect(widget.locator(".course-exam-intro")).to_contain_text(f"Practice: {size} questions {scope}.")
        widget.locator("button.course-exam-start").click()
        position, stem = widget.locator(".course-exam-position"), widget.locator(".course-exam-stem")
        assert all(q.task == "4.1" if scope.startswith("on") else q.domain == 2 for q in expected)
        for n, question in enumerate(expected, 1):
            expect(stem).to_have_text(question.stem, timeout=30_000)
            expect(position).to_contain_text(f"Question {n} of {size}")
            if n < size:
                widget.locator("button.course-exam-next").click()
        expect(widget.locator("button.course-exam-next")).to_be_disabled()  # the last one
        assert widget.locator(".course-exam-jump option").count() == size
    choose(by_domain, expected[-1], expected[-1].correct)
    by_domain.locator("button.course-exam-check").click()
    expect(by_domain.locator(".course-exam-feedback")).to_contain_text("Right.", timeout=30_000)
    lab.screenshot(page, "exam_mode_practice")


def test_full_exam_time_choice_pause_keyboard_then_retake_missed(lab, page, tmp_path):
    """The full exam as a learner takes it, then "Retake missed".

    The start screen offers 130 / 160 minutes / untimed; the timer counts down from the chosen length
    and a timed exam has no Pause. Run again untimed: arrow keys move the choice inside the options'
    radiogroup (the notebook's active cell stays put), Pause hides the questions, Resume brings them
    back. After submitting with one wrong, one flagged (unanswered) and one right answer, "Retake
    missed" asks exactly the wrong and the flagged question; one right answer each keeps them on
    the list (the button is offered again), a second clears them (no button)."""
    bank = _bank()
    items = [i.question for i in draw_exam(bank, 2)]  # Q1-Q3 single answer
    progress = tmp_path / "progress.json"
    name = _scratch(lab, "scratch_exam_time.ipynb", progress, "quiz.practice_exam(seed=2)")
    lab.open(page, name)
    lab.run_all(page)
    exam = page.locator(".course-exam[data-course-a11y='on']")
    exam.wait_for(timeout=60_000)
    times = exam.locator(".course-exam-time-choice").get_by_role("radio")
    labels = [r.evaluate("el => el.closest('label').textContent.trim()") for r in times.all()]
    assert labels == ["130 minutes, as on the real exam", "160 minutes: with the 30 extra minutes AWS grants on request",
                      "Untimed: you may pause"], labels
    assert times.nth(0).is_checked()
    timer = exam.locator(".course-exam-timer")
    expect(timer).to_contain_text("Time: 2:10:00")

    # Timed, with the extra 30 minutes: the countdown starts at 2:40:00; no Pause.
    times.nth(1).check()
    exam.locator("button.course-exam-start").click()
    expect(timer).to_contain_text(re.compile(r"Time left:\s*2:39:\d\d"), timeout=30_000)
    actions = [b.inner_text().strip() for b in exam.locator(".course-exam-body button:visible").all()]
    assert "Submit exam" in actions and "Pause" not in actions, actions
    assert exam.locator("button.course-exam-pause").count() == 0
    lab.screenshot(page, "exam_mode_timed_160")

    # Untimed (the cell run again: a fresh exam).
    lab.run_all(page)
    exam.locator("button.course-exam-start").wait_for(timeout=30_000)
    exam.locator(".course-exam-time-choice").get_by_role("radio").nth(2).check()
    exam.locator("button.course-exam-start").click()
    expect(timer).to_contain_text(re.compile(r"Time used:\s*0:00:\d\d \(untimed\)"), timeout=30_000)
    position = exam.locator(".course-exam-position")

    # The keyboard: arrows move the choice inside the option group; the notebook's active cell stays put.
    group = exam.locator(".course-exam-choices").get_by_role("radiogroup")
    page.wait_for_function("el => el.querySelector('input[name]')", arg=group.element_handle(), timeout=30_000)
    cell = page.evaluate(_ACTIVE_CELL, name)
    radios = group.get_by_role("radio")
    radios.nth(0).focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowDown", "ArrowUp"):  # A -> B -> C -> D -> C
        page.keyboard.press(key)
    expect(position).to_contain_text("1 answered", timeout=30_000)  # the kernel got the keyboard's answer
    expect(radios.nth(2)).to_be_checked()
    assert [r.is_checked() for r in radios.all()] == [False, False, True, False]
    assert page.evaluate("() => document.activeElement.closest('label').textContent.trim()").startswith("C. ")
    assert page.evaluate(_ACTIVE_CELL, name) == cell and page.evaluate(_CELLS, [name, 1]) == {"count": 2, "type": "code"}
    assert items[0].correct != ["C"]  # so Q1 is the wrong answer of this exam

    exam.locator("button.course-exam-pause").click()
    paused = exam.locator(".course-exam-paused")
    expect(paused).to_contain_text("Paused after 0:00:", timeout=30_000)
    expect(paused).to_contain_text("The questions are hidden until you resume.")
    expect(timer).to_contain_text("Paused:")
    assert exam.locator(".course-exam-choices").count() == 0
    lab.screenshot(page, "exam_mode_untimed_paused")
    exam.locator("button.course-exam-pause", has_text="Resume").click()
    expect(position).to_contain_text("Question 1 of 65 · 1 answered", timeout=30_000)
    assert radios.nth(2).is_checked()  # the answer survived the pause

    exam.locator("button.course-exam-next").click()
    expect(position).to_contain_text("Question 2 of 65", timeout=30_000)
    exam.locator("button.course-exam-flag").click()  # Q2 flagged, left unanswered
    expect(position).to_contain_text("1 flagged", timeout=30_000)
    exam.locator("button.course-exam-next").click()
    expect(position).to_contain_text("Question 3 of 65", timeout=30_000)
    choose(exam, items[2], items[2].correct)  # Q3 right: not a miss
    expect(position).to_contain_text("2 answered", timeout=30_000)
    expect(_finish(exam)).to_contain_text("Scaled score", timeout=30_000)
    attempts = json.loads(progress.read_text())["exams"]
    assert len(attempts) == 1 and attempts[0]["flagged"] == [items[1].id]  # an untimed exam is still an attempt
    assert [q["chosen"] for q in attempts[0]["questions"][:3]] == [["C"], [], items[2].correct]  # C: the keyboard's choice

    for rnd, note in ((1, "Right answers since your last miss: 1 of 2."),
                      (2, "Answered right twice since your last miss: it leaves your retake list.")):
        retake = draw_retake(bank.questions, json.loads(progress.read_text()))[0]  # the list's order
        assert {q.id for q in retake} == {items[0].id, items[1].id}  # the wrong and the flagged, not the right one
        exam.locator("button.course-exam-retake").click()
        for n, question in enumerate(retake, 1):
            expect(exam.locator(".course-exam-stem")).to_have_text(question.stem, timeout=30_000)
            expect(position).to_contain_text(f"Question {n} of 2")
            choose(exam, question, question.correct)
            exam.locator("button.course-exam-check").click()
            feedback = exam.locator(".course-exam-feedback")
            expect(feedback).to_contain_text(f"for {question.id}.", timeout=30_000)  # this question's explanations
            expect(feedback).to_contain_text(note)
            if n == 1:
                exam.locator("button.course-exam-next").click()
        if rnd == 1:
            lab.screenshot(page, "exam_mode_retake")
        results = _finish(exam)
        expect(results).to_contain_text("Retake missed: 2 of 2 right", timeout=30_000)
        pool = {e.id: e.rights_since for e in retake_status(json.loads(progress.read_text()))}
        assert pool == ({items[0].id: 1, items[1].id: 1} if rnd == 1 else {}), pool
        expect(exam.locator("button.course-exam-retake")).to_have_count(1 if rnd == 1 else 0)  # offered while any is left
