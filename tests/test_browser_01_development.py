"""Real browser: the Domain 1 notebook runs in JupyterLab and its lambda-concurrency quiz scores.

The notebook itself is opened (from the lab's temporary copy of notebooks/) and run with Run All.
The question is picked at run time from the real bank, so the test follows the bank's content.
Progress goes to a scratch file (``lab.copy_with_progress``).
"""

from __future__ import annotations

import json
import re

import pytest


pytestmark = [pytest.mark.slow, pytest.mark.browser]

SECTION = "01_development#lambda-concurrency"


def _question():
    from course_utils.quiz import load_bank

    questions = load_bank().select(section=SECTION)
    if not questions:
        pytest.skip(f"no bank question links to {SECTION} yet")
    singles = [q for q in questions if q.type == "single"]
    return (singles or questions)[0]


def test_lambda_concurrency_quiz_wrong_then_right(lab, page, tmp_path):
    q = _question()
    progress = tmp_path / "progress.json"
    name = lab.copy_with_progress("01_development.ipynb", progress)
    lab.open(page, name, timeout_ms=120_000)
    lab.run_all(page, timeout_ms=240_000)

    box = lab.find(page, f".course-quiz-q-{q.id}")

    wrong = [k for k in (o.key for o in q.options) if k not in q.correct][: max(1, len(q.correct))]
    text = lab.answer(page, box, q, wrong, "Not quite")
    assert f"The right answer: {', '.join(q.correct)}." in text
    for o in q.options:  # every option is explained
        assert o.explanation[:60] in text, (o.key, o.explanation[:60])

    text = lab.answer(page, box, q, q.correct, "Correct!")
    assert "Not quite" not in text
    lab.screenshot(page, "quiz_01_development_concurrency")

    records = json.loads(progress.read_text())["answers"][q.id]
    assert [(sorted(r["chosen"]), r["correct"]) for r in records] == [(sorted(wrong), False), (sorted(q.correct), True)]
    # no cell of the notebook ended in an error (cells still attached to the page)
    assert not re.search(r"Traceback \(most recent call last\)", page.locator(".jp-Notebook").text_content() or "")
