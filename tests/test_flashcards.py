"""Flashcards: Leitner boxes and due dates, flip, knew/missed, domain filter, counts, chart."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from course_utils.quiz import leitner
from course_utils.quiz.bank import load_bank
from course_utils.quiz.leitner import LEITNER_INTERVALS, Deck
from course_utils.quiz.progress import ProgressStore
from course_utils.quiz.widgets import output_text

SMALL = Path(__file__).resolve().parent / "data" / "bank_small"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 10, 8, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


@pytest.fixture
def cards():
    return load_bank(SMALL, strict=True).flashcards


def test_intervals():
    assert LEITNER_INTERVALS == (0, 1, 3, 7, 14)


def test_boxes_and_due_dates(cards, store):
    clock = Clock()
    deck = Deck(cards, store=store, clock=clock)
    # never reviewed: new, in no box yet (the progress view's words too)
    assert deck.counts() == {"total": 3, "due": 3, "missed": 0, "new": 3, "boxes": {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}}
    card = "fc-d1-fixture-lambda-timeout"
    boxes, dues = [], []
    for _ in range(6):  # knew it six times: up to box 5 and it stays there
        state = deck.review(card, knew=True)
        boxes.append(state["box"])
        dues.append(datetime.fromisoformat(state["due"]) - clock.now)
    assert boxes == [2, 3, 4, 5, 5, 5]
    assert dues[:4] == [timedelta(days=1), timedelta(days=3), timedelta(days=7), timedelta(days=14)]
    assert card not in [c.id for c in deck.due()]
    clock.now += timedelta(days=13, hours=23)
    assert card not in [c.id for c in deck.due()]
    clock.now += timedelta(hours=1)
    assert card in [c.id for c in deck.due()]
    state = deck.review(card, knew=False)
    assert state["box"] == 1 and state["due"] == clock.now.isoformat() and state["seen"] == 7 and state["knew"] == 6
    # Saved in the progress file: a new deck (new kernel) sees the same state.
    assert Deck(cards, store=store, clock=clock).state(card)["box"] == 1


def test_domain_filter(cards, store):
    deck = Deck(cards, store=store, clock=Clock(), domain=2)
    assert [c.id for c in deck.due()] == ["fc-d2-fixture-kms-limit"] and deck.counts()["total"] == 1


def test_widget_flip_knew_missed(cards, store):
    clock = Clock()
    w = leitner.flashcards(data_dir=SMALL, clock=clock)
    assert "course-flash" in w.widget._dom_classes
    first = w.current
    assert first is not None and html.escape(first.front) in w.card.value
    assert w.knew_button.disabled and w.missed_button.disabled  # flip first
    w.knew_button.click()
    assert w.current is first and store.read()["flashcards"] == {}
    w.flip_button.click()
    assert html.escape(first.back) in w.card.value and html.escape(first.front) not in w.card.value
    assert "[Back]" in w.card_text()
    w.knew_button.click()
    assert store.read()["flashcards"][first.id]["box"] == 2
    assert w.current is not None and w.current.id != first.id
    assert "2 due now" in w.counts.value and "box 2: 1" in w.counts.value
    second = w.current
    w.flip_button.click()
    w.missed_button.click()
    assert store.read()["flashcards"][second.id]["box"] == 1
    # A missed card is due again at once; the known one is not.
    assert second.id in [c.id for c in w.deck.due()] and first.id not in [c.id for c in w.deck.due()]
    chart = w.chart.outputs[0]["data"]
    assert "new: 1 · box 1: 1 · box 2: 1" in chart["text/plain"]
    assert 'aria-label="3 cards, 2 due now · new: 1 · box 1: 1 · box 2: 1 · box 3: 0' in chart["text/html"]


def test_widget_domain_dropdown_and_empty_deck(cards, store):
    clock = Clock()
    w = leitner.flashcards(data_dir=SMALL, clock=clock)
    w.domain.value = 2
    assert w.current.id == "fc-d2-fixture-kms-limit" and "1 cards" in w.counts.value
    w.flip_button.click()
    w.knew_button.click()
    assert w.current is None and "Nothing due now. The next card is due 2025-01-11 08:00 UTC." in w.text()
    w.domain.value = 3
    assert "No flashcards in this deck yet." in w.text()
    w.domain.value = 0
    assert w.deck.counts()["total"] == 3


def test_headless_text(cards, store):
    w = leitner.flashcards(data_dir=SMALL, clock=Clock())
    plain = w._repr_mimebundle_()["text/plain"]
    assert plain.startswith("Flashcards: 3 cards, 3 due now") and "[Front]" in plain and "VBox" not in plain


def test_box_chart_is_html_with_a_name_and_bars_to_scale():
    chart = leitner.box_chart({"total": 4, "due": 2, "new": 1, "boxes": {1: 1, 2: 2, 3: 0, 4: 0, 5: 0}})
    # One accessible name for the whole chart, saying what a screen reader cannot see in the bars.
    assert re.search(r'role="img" aria-label="4 cards, 2 due now · new: 1 · box 1: 1 · box 2: 2 · box 3: 0 · box 4: 0 · box 5: 0"', chart)
    # Bars to scale (the fullest box is 96 px), each with its count and box written under it; new cards first.
    assert re.findall(r"height:(\d+)px;background", chart) == ["48", "48", "96", "0", "0", "0"]
    assert "new<br>now" in chart and "box 5<br>14 d" in chart and chart.count("<span") == 12
    # An empty deck draws no bars taller than zero and does not divide by zero.
    empty = leitner.box_chart({"total": 0, "due": 0, "boxes": {b: 0 for b in range(1, 6)}})
    assert re.findall(r"height:(\d+)px;background", empty) == ["0"] * 6


# --------------------------------------------------------------------------- the interleaved order (issue 21)
def test_new_cards_come_interleaved_not_in_id_order(tmp_path):
    bank = load_bank()
    by_id = sorted(bank.flashcards, key=lambda c: c.id)
    assert len({c.task for c in by_id[:6]}) == 1  # id order: the first six share one task statement
    for seed in range(10):
        store = ProgressStore(tmp_path / f"p{seed}.json")
        due = Deck(bank.flashcards, store=store, clock=Clock(), seed=seed).due()
        assert len(due) == len(bank.flashcards)
        first = due[:6]
        assert {c.domain for c in first} == {1, 2, 3, 4} and len({c.task for c in first}) >= 5, [c.id for c in first]
        assert sum(a.task == b.task for a, b in zip(due, due[1:])) <= 1  # one task twice in a row at most once
        assert sum(a.domain == b.domain for a, b in zip(due, due[1:])) <= 3
        # domains spread by their number of cards: in the first 20, none takes more than 7
        assert max(sum(c.domain == d for c in due[:20]) for d in (1, 2, 3, 4)) <= 7


def test_the_order_is_the_learners_own_and_survives_a_restart(tmp_path):
    bank = load_bank()
    one, other = ProgressStore(tmp_path / "one.json"), ProgressStore(tmp_path / "other.json")
    one.update(lambda d: d.__setitem__("created", "2026-12-01T10:00:00+00:00"))
    other.update(lambda d: d.__setitem__("created", "2026-12-02T11:00:00+00:00"))
    first = [c.id for c in Deck(bank.flashcards, store=one, clock=Clock()).due()]
    assert isinstance(one.read()["learner_seed"], int)  # saved in the progress file
    assert [c.id for c in Deck(bank.flashcards, store=one, clock=Clock()).due()] == first  # a new kernel: the same order
    assert [c.id for c in Deck(bank.flashcards, store=other, clock=Clock()).due()] != first  # another learner: another


def test_answering_walks_the_interleaved_order(tmp_path):
    """Knew it / Missed it never pull the next card out of turn: the widget follows the order."""
    bank = load_bank()
    store = ProgressStore(tmp_path / "p.json")
    w = leitner.FlashcardsWidget(Deck(bank.flashcards, store=store, clock=Clock(), seed=3))
    planned = [c.id for c in w.deck.due()[:8]]
    shown = []
    for i in range(8):
        shown.append(w.current.id)
        w.flip_button.click()
        (w.knew_button if i % 2 else w.missed_button).click()
    assert shown == planned
    # the missed ones (due again at once) wait behind the new cards
    assert [c.id for c in w.deck.due()][-4:] == [planned[i] for i in (0, 2, 4, 6)]
