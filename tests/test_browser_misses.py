"""Real browser: a question missed in a section quiz makes its flashcard due, first in the deck, with the
reason shown on the card (the miss-to-card path of issue 21, as a learner clicks it).

The logic (which cards, the order, idempotency) is tested without a browser in tests/test_quiz_misses.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from course_utils.quiz.bank import load_bank

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SMALL = Path(__file__).resolve().parent / "data" / "bank_small"
QID = "d2-fixture-kms-envelope"


def test_a_missed_quiz_question_puts_its_card_first(lab, page, tmp_path):
    progress = tmp_path / "progress.json"
    setup = (
        "import os\n"
        f"os.environ['DVA_COURSE_PROGRESS'] = {str(progress)!r}\n"
        f"os.environ['DVA_COURSE_BANK'] = {str(SMALL)!r}\n"
        "from course_utils import quiz"
    )
    cells = [setup, f"quiz.quiz(ids=[{QID!r}])", "quiz.flashcards()"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    name = "scratch_misses.ipynb"
    nbformat.write(nb, Path(lab.root) / name)

    lab.open(page, name)
    lab.run_all(page)
    card = page.locator(f".course-quiz-q-{QID}")
    card.wait_for(timeout=60_000)
    question = load_bank(SMALL, strict=True).question(QID)
    lab.answer(page, card, question, ["A"], "Not quite")  # the miss
    assert json.loads(progress.read_text())["answers"][QID][0]["correct"] is False

    lab.run_all(page)  # the flashcards cell runs again, as after a restart
    flash = page.locator(".course-flash-card")
    page.wait_for_function("el => (el.textContent || '').includes('due because you missed')",
                           arg=flash.element_handle(), timeout=30_000)
    text = flash.text_content() or ""
    assert f"due because you missed {QID}" in text and "Largest plaintext kms:Encrypt accepts?" in text
    lab.screenshot(page, "flashcards_after_miss")
