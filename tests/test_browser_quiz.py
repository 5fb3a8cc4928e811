"""Real browser: a section quiz answered wrongly then rightly; an exam started, flagged, reviewed.

Each test writes a small scratch notebook into the lab's temporary copy of notebooks/. It points
the progress store at a scratch file and the bank at a fixture bank, so the tests depend neither
on the course content nor on the tester's own progress.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quiz_support import scratch_notebook, start_exam

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DATA = Path(__file__).resolve().parent / "data"




def test_section_quiz_wrong_then_right(lab, page, tmp_path):
    progress = tmp_path / "progress.json"
    name = scratch_notebook(lab, "scratch_quiz.ipynb", DATA / "bank_small", progress, 'quiz.quiz(ids=["d1-fixture-lambda-timeout"])')
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
    name = scratch_notebook(lab, "scratch_exam.ipynb", DATA / "bank_exam", progress, "quiz.practice_exam(seed=2)")  # Q1-Q3 single answer
    exam, position = start_exam(lab, page, name)
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


# The open notebook's cell count and the type of its cell ``index`` (JupyterLab's model).
_CELLS = """([name, index]) => { for (const w of window.jupyterapp.shell.widgets('main')) {
    if (w.context && w.content && w.context.path === name) { const cells = w.content.model.cells;
        return {count: cells.length, type: index < cells.length ? cells.get(index).type : null}; } }
    return null; }"""
_ACTIVE = """() => { const a = document.activeElement; const s = getComputedStyle(a);
    return {tag: a.tagName, type: a.type || '', label: a.getAttribute('aria-label') || '', checked: !!a.checked,
            text: (a.closest('label') || a).textContent.trim(), role: (a.closest('[role]') || {getAttribute: () => ''}).getAttribute('role'),
            outline: parseFloat(s.outlineWidth) || 0, outlineStyle: s.outlineStyle}; }"""


def test_quiz_keyboard_only_and_accessibility_tree(lab, page, tmp_path):
    """Tab to the options, arrows choose, Enter checks, Space tries again; shortcut keys typed on an
    option change nothing in the notebook; the accessibility tree has one named radiogroup."""
    progress = tmp_path / "progress.json"
    name = scratch_notebook(lab, "scratch_quiz_a11y.ipynb", DATA / "bank_small", progress,
                    'quiz.quiz(tags="lambda", title="Fixture quiz")')  # Q1 single answer, Q2 choose two
    lab.open(page, name)
    lab.run_all(page)
    root = page.locator(".course-quiz[data-course-a11y='on']")
    root.wait_for(timeout=60_000)
    q1 = root.locator(".course-quiz-q-d1-fixture-lambda-timeout")
    page.wait_for_function("el => el.querySelector('[role=radiogroup] input[name]')", arg=q1.element_handle(), timeout=30_000)

    tree = root.aria_snapshot()
    assert len(re.findall(r"- radiogroup ", tree)) == 1, tree
    group = q1.get_by_role("radiogroup", name=re.compile("A Lambda function stops after 3 seconds"))
    assert [r.get_attribute("value") for r in group.get_by_role("radio").all()] == ["0", "1", "2", "3"]
    assert group.get_by_role("radio", name="B. Raise the function's timeout setting.").count() == 1
    assert root.get_by_role("group", name=re.compile("processed twice by slow consumers")).get_by_role("checkbox").count() == 5
    names = [b.get_attribute("aria-label") for b in root.get_by_role("button").all()]
    assert names == ["Check answer to question 1 of 'Fixture quiz'", "Check answer to question 2 of 'Fixture quiz'"], names
    assert q1.locator(".course-quiz-feedback").get_attribute("aria-live") == "polite"
    # Each control sits at the start of its option's first line, the text beside it (it used to follow the text).
    for control in ("[role=radiogroup] input", "[role=group] .widget-checkbox input"):
        box = root.locator(control).first
        label = box.locator("xpath=ancestor::label[1]")
        b, l = box.bounding_box(), label.bounding_box()
        assert b["x"] - l["x"] < 8 and b["y"] - l["y"] < 12 and l["width"] > b["width"] * 4, (control, b, l)

    # Tab from the question's text lands on the option group (one tab stop). A click on the text would
    # focus the notebook (Lab's command mode), so the reading position is put on the stem by script.
    q1.locator(".course-quiz-stem").evaluate("el => { el.tabIndex = -1; el.focus(); el.removeAttribute('tabindex'); }")
    page.keyboard.press("Tab")
    active = page.evaluate(_ACTIVE)
    assert (active["type"], active["role"], active["text"]) == ("radio", "radiogroup", "A. Raise the function's memory to 10 GB."), active
    assert active["outline"] >= 2 and active["outlineStyle"] != "none", active  # visible focus ring
    assert page.evaluate(_CELLS, [name, 1]) == {"count": 2, "type": "code"}
    for keys in (["d", "d"], ["m"], ["a"], ["b"], ["x"]):  # delete, to Markdown, insert above/below, cut
        for key in keys:
            page.keyboard.press(key)
        page.wait_for_timeout(150)
        assert page.evaluate(_CELLS, [name, 1]) == {"count": 2, "type": "code"}, keys
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    active = page.evaluate(_ACTIVE)  # ArrowUp then ArrowDown: from A round to D and back to A
    assert (active["type"], active["text"], active["checked"]) == ("radio", "A. Raise the function's memory to 10 GB.", True), active

    page.keyboard.press("ArrowDown")  # B
    page.keyboard.press("Tab")
    active = page.evaluate(_ACTIVE)
    assert (active["tag"], active["label"]) == ("BUTTON", "Check answer to question 1 of 'Fixture quiz'"), active
    feedback = q1.locator(".course-quiz-feedback")
    live = feedback.element_handle()  # the live region must be the node that was there before the verdict
    page.keyboard.press("Enter")
    page.wait_for_function("el => el.isConnected && el.innerText.includes('Correct!')", arg=live, timeout=30_000)
    assert "[wrong]" in feedback.inner_text()  # every option says right or wrong in words, not only in colour

    page.keyboard.press("Tab")
    active = page.evaluate(_ACTIVE)
    assert active["label"] == "Try question 1 of 'Fixture quiz' again", active
    page.keyboard.press(" ")
    page.wait_for_function("el => el.innerText.trim() === ''", arg=feedback.element_handle(), timeout=30_000)
    assert group.get_by_role("radio", checked=True).count() == 0
    active = page.evaluate(_ACTIVE)  # the keyboard is back on the question, not lost
    assert (active["type"], active["text"]) == ("radio", "A. Raise the function's memory to 10 GB."), active
    assert page.evaluate(_CELLS, [name, 1]) == {"count": 2, "type": "code"}
    records = json.loads(progress.read_text())["answers"]["d1-fixture-lambda-timeout"]
    assert [(r["chosen"], r["correct"]) for r in records] == [(["B"], True)]
    lab.screenshot(page, "quiz_keyboard")
