"""Real browser: the Domain 4 notebook runs in JupyterLab and a section quiz scores and records."""

from __future__ import annotations

import json

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SECTION = "04_troubleshooting#cloudwatch-alarms"
NOTEBOOK = "04_troubleshooting.ipynb"


def test_alarm_quiz_wrong_then_right_in_the_real_notebook(lab, page, tmp_path):
    from course_utils.quiz import load_bank

    questions = load_bank().select(section=SECTION)
    assert questions, f"no bank questions for {SECTION}"
    q = next((x for x in questions if x.type == "single"), questions[0])
    wrong = next(o for o in q.options if o.key not in q.correct)

    progress = tmp_path / "progress.json"
    name = lab.copy_with_progress(NOTEBOOK, progress)
    lab.open(page, name)
    lab.run_all(page, timeout_ms=180_000)
    try:
        banner = lab.find(page, ".course-sandbox-banner")
    finally:
        lab.screenshot(page, "04_troubleshooting-after-run-all")
    assert "no request leaves this machine" in banner.text_content()

    question = lab.find(page, f".course-quiz-q-{q.id}")
    text = lab.answer(page, question, q, [wrong.key], "Not quite")
    assert f"The right answer: {', '.join(q.correct)}." in text
    assert wrong.explanation[:40] in text  # every option is explained

    lab.answer(page, question, q, q.correct, "Correct!")  # unticks the wrong one of a multiple answer
    lab.screenshot(page, "quiz_04_troubleshooting")

    records = json.loads(progress.read_text())["answers"][q.id]
    assert [(sorted(r["chosen"]), r["correct"]) for r in records] == [([wrong.key], False), (sorted(q.correct), True)]
