"""Real browser: the Domain 2 notebook runs in JupyterLab and its KMS section quiz scores.

The test runs a copy of the real ``02_security.ipynb`` whose first cell points the progress
store at a scratch file (``lab.copy_with_progress``). It runs all
cells, answers one single-answer question of section ``02_security#kms`` (chosen at run time
from the bank) wrongly, then rightly, and checks the feedback and the recorded progress.
"""

from __future__ import annotations

import json

import pytest


pytestmark = [pytest.mark.slow, pytest.mark.browser]

SECTION = "02_security#kms"


def _question():
    from course_utils.quiz import load_bank

    singles = [q for q in load_bank().select(section=SECTION) if q.type == "single"]
    if not singles:
        pytest.skip(f"no single-answer question in the bank for {SECTION}")
    return singles[0]


def test_kms_quiz_wrong_then_right(lab, page, tmp_path):
    q = _question()
    wrong = next(o for o in q.options if o.key not in q.correct)
    right = q.option(q.correct[0])
    progress = tmp_path / "progress.json"
    name = lab.copy_with_progress("02_security.ipynb", progress)
    lab.open(page, name)
    lab.run_all(page, timeout_ms=180_000)

    banner = lab.find(page, ".course-sandbox-banner")
    assert "no request leaves this machine" in banner.text_content()

    try:
        card = lab.find(page, f".course-quiz-q-{q.id}")
        card.wait_for(state="visible", timeout=30_000)
    finally:
        lab.screenshot(page, "02_security-kms-quiz")
    text = lab.answer(page, card, q, [wrong.key], "Not quite")
    assert f"The right answer: {right.key}." in text
    assert all(o.explanation[:40] in text for o in q.options)  # every option explained

    lab.answer(page, card, q, [right.key], "Correct!")
    lab.screenshot(page, "02_security-kms-quiz-answered")

    records = json.loads(progress.read_text())["answers"][q.id]
    assert [(r["chosen"], r["correct"]) for r in records] == [([wrong.key], False), ([right.key], True)]
