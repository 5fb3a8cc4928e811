"""Section quizzes, accessibility and saved answers: driven from Python (no browser).

What only a browser shows (keys, focus, the accessibility tree) is in test_browser_quiz.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from course_utils import quiz as quiz_pkg
from course_utils.quiz import a11y
from course_utils.quiz.bank import load_bank
from course_utils.quiz.progress import ProgressWarning
from course_utils.quiz.widgets import STYLE, output_text

SMALL = Path(__file__).resolve().parent / "data" / "bank_small"
TIMEOUT, SQS = "d1-fixture-lambda-timeout", "d1-fixture-sqs-visibility"


@pytest.fixture
def bank():
    return load_bank(SMALL, strict=True)


def _buttons(q) -> list[str]:
    return [b.tooltip for c in q.cards for b in (c.check_button, c.try_again_button)]


def test_every_button_has_a_distinct_name(bank, store):
    q = quiz_pkg.quiz(tags="lambda", title="Fixture quiz", bank=bank)
    assert _buttons(q) == [
        "Check answer to question 1 of 'Fixture quiz'", "Try question 1 of 'Fixture quiz' again",
        "Check answer to question 2 of 'Fixture quiz'", "Try question 2 of 'Fixture quiz' again",
    ]
    assert [c.check_button.description for c in q.cards] == ["Check", "Check"]  # the visible label stays short
    other = quiz_pkg.quiz(ids=[TIMEOUT], title="Another quiz", bank=bank)
    assert not set(_buttons(q)) & set(_buttons(other))


def _notebooks(tmp_path: Path) -> Path:
    folder = tmp_path / "course" / "notebooks"
    folder.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Index")]), folder / "00_index.ipynb")
    cells = [
        nbformat.v4.new_markdown_cell("# Development"),
        nbformat.v4.new_markdown_cell('## Lambda configuration: memory and timeout <a id="lambda-configuration"></a>\n\nText.'),
        nbformat.v4.new_markdown_cell('### SQS visibility <a id="sqs-visibility"></a>'),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "01_development.ipynb")
    return folder


def test_a_section_quiz_is_named_by_its_section_heading(bank, store, tmp_path, monkeypatch):
    folder = _notebooks(tmp_path)
    assert a11y.section_title("01_development#sqs-visibility", folder) == "SQS visibility"
    assert a11y.section_title("01_development#nope", folder) is None
    assert a11y.section_title("09_missing#x", folder) is None
    monkeypatch.chdir(folder.parent)
    q = quiz_pkg.quiz(section="01_development#lambda-configuration", bank=bank)
    assert q.cards[0].check_button.tooltip == "Check answer to question 1 of 'Lambda configuration: memory and timeout'"
    assert q.title == "Quick check"  # what the learner sees is unchanged
    unknown = quiz_pkg.quiz(section="01_development#sqs-visibility", bank=bank, title=None)
    assert unknown.cards[0].check_button.tooltip.endswith("of 'SQS visibility'")


def test_widgets_carry_the_hooks_the_browser_script_reads(bank, store):
    q = quiz_pkg.quiz(tags="lambda", bank=bank)
    assert a11y.ROOT in q.widget._dom_classes
    single, multiple = q.cards
    assert a11y.CHOICES in single.selector._dom_classes and a11y.QUESTION in single.widget._dom_classes
    assert f'class="course-quiz-stem {a11y.STEM}"' in single.header.value
    choices = multiple.widget.children[1]
    assert a11y.CHOICES in choices._dom_classes and a11y.NOTE in choices.children[0].value
    assert all(a11y.LIVE in c.feedback._dom_classes for c in q.cards)
    enhancer = q.widget.children[-1]
    js = enhancer.outputs[0]["data"]["application/javascript"]
    assert a11y.ENHANCER in enhancer._dom_classes and js == a11y.enhancer_js()
    for hook in (a11y.ROOT, a11y.QUESTION, a11y.STEM, a11y.CHOICES, a11y.NOTE, a11y.LIVE, "radiogroup", "aria-live",
                 "stopPropagation"):
        assert hook in js, hook
    # A visible focus ring of at least 2 px, and hidden helpers stay hidden.
    assert int(re.search(r":focus-visible[^{]*\{outline: (\d+)px solid", STYLE).group(1)) >= 2
    assert ".course-hidden" in STYLE and ".course-a11y-enhancer" in STYLE


def test_verdicts_are_words_not_only_colours(bank, store):
    card = quiz_pkg.quiz(ids=[TIMEOUT], bank=bank).cards[0]
    card.choose(["A"])
    card.check()
    html = card.feedback.outputs[0]["data"]["text/html"]
    assert "Not quite. The right answer: B." in html
    assert '<span class="course-verdict-word">[wrong]</span>' in html and '<span class="course-verdict-word">[correct]</span>' in html
    assert '<span aria-hidden="true">✘</span>' in html  # icons are decoration for screen readers


def test_last_answer_is_shown_again_after_a_restart(bank, store):
    store.record_answer(TIMEOUT, ["A"], False, at="2026-12-01T10:00:00Z")
    store.record_answer(TIMEOUT, ["B"], True, at="2026-12-02T10:00:00Z")
    store.record_answer(TIMEOUT, ["C"], False, source="exam", at="2026-12-03T10:00:00Z")  # an exam answer is not this quiz's
    store.record_answer(SQS, ["A", "C"], False, at="2026-12-02T11:00:00Z")
    saved = json.loads(store.path.read_text())

    q = quiz_pkg.quiz(tags="lambda", bank=bank)  # a new kernel builds the quiz again
    single, multiple = q.cards
    assert single.chosen() == ["B"] and multiple.chosen() == ["A", "C"]
    assert output_text(single.feedback).startswith("Your last answer (saved 2026-12-02): Correct! You chose B.")
    assert output_text(multiple.feedback).startswith("Your last answer (saved 2026-12-02): Not quite. The right answer: A, B.")
    assert single.try_again_shown and multiple.try_again_shown and single.restored["at"] == "2026-12-02T10:00:00Z"
    assert json.loads(store.path.read_text()) == saved  # showing an answer records nothing

    fresh = quiz_pkg.quiz(ids=["d2-fixture-kms-envelope"], bank=bank).cards[0]
    assert fresh.chosen() == [] and fresh.feedback.outputs == () and not fresh.try_again_shown


def test_try_again_clears_the_question_and_keeps_the_record(bank, store):
    store.record_answer(TIMEOUT, ["A"], False)
    card = quiz_pkg.quiz(ids=[TIMEOUT], bank=bank).cards[0]
    assert card.chosen() == ["A"] and card.try_again_shown
    card.try_again_button.click()
    assert card.chosen() == [] and card.feedback.outputs == () and not card.try_again_shown
    assert card.selector.value is None
    card.choose(["B"])
    card.check_button.click()
    assert output_text(card.feedback).startswith("Correct! You chose B.") and card.try_again_shown
    assert [r["chosen"] for r in store.answers(TIMEOUT)] == [["A"], ["B"]]

    multi = quiz_pkg.quiz(ids=[SQS], bank=bank).cards[0]
    multi.choose(["A", "B"])
    multi.check_button.click()
    multi.try_again_button.click()
    assert [box.value for box in multi.checkboxes] == [False] * 5 and not multi.try_again_shown


def test_a_saved_answer_that_no_longer_fits_is_ignored(bank, store):
    store.record_answer(TIMEOUT, ["Q"], False)  # the question's options changed since
    store.record_answer(SQS, ["A"], False)
    q = quiz_pkg.quiz(tags="lambda", bank=bank)
    single, multiple = q.cards
    assert single.chosen() == [] and not single.try_again_shown
    assert multiple.chosen() == ["A"]  # a multiple-response answer with too few keys is still the learner's answer
    assert "Not quite" in output_text(multiple.feedback)


def test_an_unreadable_progress_file_never_stops_a_quiz(bank, store):
    store.path.write_text("{not json")
    with pytest.warns(ProgressWarning, match="could not be read"):  # progress.py says so and keeps the file aside
        q = quiz_pkg.quiz(tags="lambda", bank=bank)
    assert [c.chosen() for c in q.cards] == [[], []] and not any(c.try_again_shown for c in q.cards)
