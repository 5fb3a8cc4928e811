"""Real browser: the Domain 3 notebook runs in JupyterLab and one section quiz scores.

The test copies the real ``03_testing_and_deployment`` notebook into the lab's temporary folder with one cell
in front that points the progress store at a scratch file, runs all cells, then answers one
``03_testing_and_deployment#codedeploy`` question (chosen at runtime from the bank) wrongly and then rightly.
"""

from __future__ import annotations

import json

import pytest

from course_utils.quiz import load_bank

pytestmark = [pytest.mark.slow, pytest.mark.browser]
SECTION = "03_testing_and_deployment#codedeploy"


def _question():
    questions = [q for q in load_bank().select(section=SECTION) if q.type == "single"]
    assert questions, f"no single-answer question for {SECTION}"
    return questions[0]


def test_deployment_notebook_quiz_wrong_then_right(lab, page, tmp_path):
    q = _question()
    wrong = next(k for k in q.keys if k not in q.correct)
    right = q.correct[0]
    progress = tmp_path / "progress.json"
    name = lab.copy_with_progress("03_testing_and_deployment.ipynb", progress)

    lab.open(page, name)
    lab.run_all(page, timeout_ms=240_000)
    question = lab.find(page, f".course-quiz-q-{q.id}")
    text = lab.answer(page, question, q, [wrong], "Not quite")
    assert f"The right answer: {', '.join(q.correct)}." in text
    assert q.option(wrong).explanation[:40] in text  # the chosen option is explained

    text = lab.answer(page, question, q, [right], "Correct!")
    assert q.option(right).explanation[:40] in text
    lab.screenshot(page, "quiz_03_testing_and_deployment")

    records = json.loads(progress.read_text())["answers"][q.id]
    assert [(r["chosen"], r["correct"]) for r in records] == [([wrong], False), ([right], True)]
