"""Accessibility of the practice exam (every mode), the scenario drills and the flashcards (no browser).

The classes the script of :mod:`course_utils.quiz.a11y` reads, and the buttons' accessible names
(their tooltips). Keys and the accessibility tree in a real browser: test_browser_exam_modes.py.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from course_utils import quiz as quiz_pkg
from course_utils.quiz import a11y, exam, leitner
from course_utils.quiz.bank import load_bank

DATA = Path(__file__).resolve().parent / "data"
SMALL = DATA / "bank_small"


@pytest.fixture(scope="module")
def bank():
    return load_bank(DATA / "bank_exam", strict=True)


def _clock() -> datetime:
    return datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def _with_class(root, css: str) -> list:
    return [x for x in _walk(root) if css in getattr(x, "_dom_classes", ())]


def _enhanced_root(root) -> None:
    """The root has the class and, among its children, the enhancer that runs the script."""
    assert a11y.ROOT in root._dom_classes
    enhancers = [c for c in root.children if a11y.ENHANCER in c._dom_classes]
    assert len(enhancers) == 1
    assert enhancers[0].outputs[0]["data"]["application/javascript"] == a11y.enhancer_js()


def _question_parts(question) -> tuple[list, list, list]:
    """(stems, choices, live regions) shown inside one question box."""
    return _with_class(question, a11y.STEM), _with_class(question, a11y.CHOICES), _with_class(question, a11y.LIVE)


def test_exam_question_is_a_labelled_group_with_named_buttons(bank, store):
    w = exam.practice_exam(seed=2, bank=bank, clock=_clock, timer=False)
    _enhanced_root(w.widget)
    assert w.body in w.widget.children and a11y.QUESTION in w.body._dom_classes
    # Start screen: the time allowed is a radio group labelled "Time".
    stems, choices, _live = _question_parts(w.body)
    assert [s.value for s in stems] == ["<b>Time</b>"] and choices == [w.time_choice]

    w.start_button.click()
    stems, choices, _live = _question_parts(w.body)
    assert stems == [w.stem] and w.session.items[0].question.stem in w.stem.value
    assert len(choices) == 1 and choices[0].options[0][1] == "A"  # the RadioButtons themselves
    assert (w.prev_button.tooltip, w.next_button.tooltip, w.flag_button.tooltip) == (
        "Previous question (this is the first)", "Next question (2 of 65)", "Flag question 1 for review")
    assert w.next_button.description == "Next"  # the visible label stays short

    w.jump.value = 11
    assert (w.prev_button.tooltip, w.next_button.tooltip, w.flag_button.tooltip) == (
        "Previous question (11 of 65)", "Next question (13 of 65)", "Flag question 12 for review")
    w.flag_button.value = True
    assert w.flag_button.tooltip == "Remove the flag from question 12"
    w.jump.value = 64
    assert w.next_button.tooltip == "Next question (this is the last)"


def test_exam_choose_two_is_a_group_labelled_by_stem_and_note(bank, store):
    w = exam.practice_exam(seed=2, bank=bank, clock=_clock, timer=False)
    w.start_button.click()
    multi = next(i for i, item in enumerate(w.session.items) if item.question.type == "multiple")
    w.jump.value = multi
    (choices,) = _question_parts(w.body)[1]
    note = choices.children[0].value  # "Choose 2" joins the stem in the group's label
    assert note.startswith(f'<b class="{a11y.NOTE}">') and "Choose 2" in note
    assert len(w._selector(multi)[1]) == len(choices.children) - 1  # the checkboxes follow the note


def test_exam_review_screen_buttons_say_which_list(bank, store):
    w = exam.practice_exam(seed=2, bank=bank, clock=_clock, timer=False)
    w.start_button.click()
    w.jump.value = 1
    w.flag_button.value = True
    w.review_button.click()
    q2 = [b.tooltip for b in _with_class(w.review_box, "course-exam-review-item") if b.description == "Q2"]
    assert q2 == ["Go to question 2 (unanswered)", "Go to question 2 (flagged for review)"]


def test_practice_feedback_is_announced_from_the_same_node(bank, store):
    w = exam.practice(domain=1, size=3, seed=4, bank=bank, clock=_clock, timer=False)
    w.start_button.click()
    _stems, _choices, live = _question_parts(w.body)
    assert live == [w.feedback] and w.feedback.value == ""
    assert w.check_button.tooltip == "Check answer to question 1" and w.check_button.description == "Check answer"
    before = list(w.body.children)
    w.check_button.click()  # nothing chosen: said in the live region
    assert "course-result-wrong" in w.feedback.value
    w.select(w.session.items[0].question.correct)
    w.check_button.click()
    assert "Right." in w.feedback.value
    # The rows are the same widgets as before the verdict: the browser keeps the live region's node.
    assert list(w.body.children) == before
    w.next_button.click()
    assert w.feedback.value == "" and w.check_button.tooltip == "Check answer to question 2"
    assert list(w.body.children) == before


def test_drill_is_a_labelled_group_with_a_named_button(store):
    d = quiz_pkg.drill("drill-d1-fixture-cache", data_dir=SMALL)
    _enhanced_root(d.widget)
    (question,) = _with_class(d.widget, a11y.QUESTION)
    stems, choices, live = _question_parts(question)
    assert stems == [d.header] and d.drill.requirement.split()[0] in d.header.value and "<style>" not in d.header.value
    assert choices == [d.selector] and live == [d.feedback]
    assert d.reveal_button.tooltip == f"Reveal the answer to the drill '{d.drill.title}'"
    assert d.reveal_button.tooltip != quiz_pkg.drill("drill-d1-session-state", store=store).reveal_button.tooltip


def test_flashcards_buttons_say_what_they_do_and_the_card_is_announced(store):
    w = leitner.flashcards(data_dir=SMALL, clock=_clock)
    _enhanced_root(w.widget)
    assert _with_class(w.widget, a11y.LIVE) == [w.card]
    assert (w.flip_button.tooltip, w.knew_button.tooltip, w.missed_button.tooltip) == (
        "Flip the card to see the answer", "Knew it: the card goes to box 2, due in 1 day",
        "Missed it: the card goes to box 1, due again now")
    w.flip_button.click()
    assert w.flip_button.tooltip == "Flip the card back to the question"
    w.knew_button.click()  # the first card goes to box 2; the next card is shown, front up
    assert w.flip_button.tooltip == "Flip the card to see the answer"
