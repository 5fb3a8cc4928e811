"""Flashcards: Leitner boxes and due dates, flip, knew/missed, domain filter, counts, chart."""

from __future__ import annotations

import html
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


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("DVA_COURSE_PROGRESS", str(tmp_path / "progress.json"))
    return ProgressStore(tmp_path / "progress.json")


def test_intervals():
    assert LEITNER_INTERVALS == (0, 1, 3, 7, 14)


def test_boxes_and_due_dates(cards, store):
    clock = Clock()
    deck = Deck(cards, store=store, clock=clock)
    assert deck.counts() == {"total": 3, "due": 3, "boxes": {1: 3, 2: 0, 3: 0, 4: 0, 5: 0}}
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
    assert "image/png" in chart and "box 1: 2 · box 2: 1" in chart["text/plain"]


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


def test_box_chart_png():
    png = leitner.box_chart({"total": 3, "due": 1, "boxes": {1: 1, 2: 2, 3: 0, 4: 0, 5: 0}})
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 2000
