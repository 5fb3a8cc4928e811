"""Real browser: the Domain 4 notebook runs in JupyterLab and a section quiz scores and records."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SECTION = "04_troubleshooting#cloudwatch-alarms"
NOTEBOOK = "04_troubleshooting.ipynb"


def _scroll(page, to_top: bool = False) -> None:
    page.evaluate(
        """(top) => { for (const s of document.querySelectorAll('.jp-WindowedPanel-outer, .jp-NotebookPanel .jp-Notebook')) {
                         if (top) { s.scrollTop = 0; } else { s.scrollTop += 500; } } }""",
        to_top,
    )
    page.wait_for_timeout(120)


def test_alarm_quiz_wrong_then_right_in_the_real_notebook(lab, page, tmp_path):
    from course_utils.quiz import load_bank

    questions = load_bank().select(section=SECTION)
    assert questions, f"no bank questions for {SECTION}"
    q = next((x for x in questions if x.type == "single"), questions[0])
    wrong = next(o for o in q.options if o.key not in q.correct)

    # The lab serves a copy of notebooks/: point this copy's progress store at a scratch file.
    progress = tmp_path / "progress.json"
    path = Path(lab.root) / NOTEBOOK
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = f"import os\nos.environ['DVA_COURSE_PROGRESS'] = {str(progress)!r}\n" + nb.cells[1].source
    nbformat.write(nb, path)

    lab.open(page, NOTEBOOK)
    lab.run_all(page, timeout_ms=180_000)
    # JupyterLab detaches off-screen cells: scroll to the top for the banner, then down to the quiz.
    _scroll(page, to_top=True)
    banner = page.locator(".course-sandbox-banner")
    try:
        banner.first.wait_for(state="attached", timeout=60_000)
    finally:
        lab.screenshot(page, "04_troubleshooting-after-run-all")
    assert "no request leaves this machine" in banner.first.text_content()

    question = page.locator(f".course-quiz-q-{q.id}")
    for _ in range(150):
        if question.count():
            break
        _scroll(page)
    question.wait_for(state="attached", timeout=30_000)
    question.scroll_into_view_if_needed()
    feedback = question.locator(".course-quiz-feedback")
    check = question.locator("button.course-quiz-check")

    def choose(keys):
        for option in q.options:
            if option.key in keys:
                question.locator("label", has_text=f"{option.key}. {option.text[:40]}").first.click()

    choose([wrong.key])
    check.click()
    page.wait_for_function("el => el.textContent.includes('Not quite')", arg=feedback.element_handle(), timeout=30_000)
    text = feedback.text_content()
    assert f"The right answer: {', '.join(q.correct)}." in text
    assert wrong.explanation[:40] in text  # every option is explained

    if q.type == "multiple":
        choose([wrong.key])  # untick the wrong one
    choose(q.correct)
    check.click()
    page.wait_for_function("el => el.textContent.includes('Correct!')", arg=feedback.element_handle(), timeout=30_000)
    lab.screenshot(page, "quiz_04_troubleshooting")

    records = json.loads(progress.read_text())["answers"][q.id]
    assert [(sorted(r["chosen"]), r["correct"]) for r in records] == [([wrong.key], False), (sorted(q.correct), True)]
