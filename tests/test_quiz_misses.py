"""From a miss to the fix: missed questions make their flashcards due (first in the deck), a card is
made from the question when no card covers its skill, atomically and idempotently."""

from __future__ import annotations

import html
import json
import multiprocessing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from course_utils.quiz import leitner, misses
from course_utils.quiz.bank import Bank, load_bank
from course_utils.quiz.leitner import Deck
from course_utils.quiz.progress import ProgressStore

SMALL = Path(__file__).resolve().parent / "data" / "bank_small"
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def bank() -> Bank:
    return load_bank(SMALL, strict=True)


@pytest.fixture
def no_kms_card(bank) -> Bank:
    """The small bank without the card on skill 2.2.02: question d2-fixture-kms-envelope is uncovered."""
    return Bank(questions=bank.questions, flashcards=[c for c in bank.flashcards if c.id != "fc-d2-fixture-kms-limit"])


def test_a_miss_makes_the_cards_of_its_primary_skill_due_and_first(bank, store):
    clock = Clock()
    deck = Deck(bank.flashcards, store=store, clock=clock, seed=1)
    for card in list(deck.due()):  # review every card: none is due for a day
        deck.review(card.id, knew=True)
    assert deck.due() == []
    clock.now += timedelta(hours=2)
    # d1-fixture-sqs-visibility has skills 1.1.09 (primary) and 1.1.02: only the 1.1.09 card is due
    report = misses.record_misses(["d1-fixture-sqs-visibility", "d9-not-a-question"], at=clock.now, bank=bank, store=store)
    assert report == {"due": ["fc-d1-fixture-sqs-visibility"], "made": [], "unknown": ["d9-not-a-question"]}
    deck = Deck(bank.flashcards, store=store, clock=clock, seed=1)
    assert [c.id for c in deck.due()] == ["fc-d1-fixture-sqs-visibility"]
    state = deck.state("fc-d1-fixture-sqs-visibility")
    assert state["box"] == 2 and state["missed_by"] == ["d1-fixture-sqs-visibility"]  # the box is the card's own
    # the widget shows it first and says why it is due
    w = leitner.FlashcardsWidget(deck)
    assert w.current.id == "fc-d1-fixture-sqs-visibility"
    assert "due because you missed d1-fixture-sqs-visibility" in w.text()


def test_cards_a_miss_made_due_come_before_other_due_cards(bank, store):
    clock = Clock()
    misses.record_misses(["d2-fixture-kms-envelope"], at=clock.now, bank=bank, store=store)
    for seed in range(5):  # whatever the interleaved order of the new cards
        due = Deck(bank.flashcards, store=store, clock=clock, seed=seed).due()
        assert due[0].id == "fc-d2-fixture-kms-limit" and len(due) == 3
    deck = Deck(bank.flashcards, store=store, clock=clock, seed=0)
    deck.review("fc-d2-fixture-kms-limit", knew=False)  # reviewed: no longer first, due again at once (box 1)
    assert deck.due()[-1].id == "fc-d2-fixture-kms-limit"


def test_recording_twice_changes_nothing(bank, no_kms_card, store):
    first = misses.record_misses(["d2-fixture-kms-envelope", "d1-fixture-lambda-timeout"], at=T0, bank=no_kms_card, store=store)
    assert first["made"] == ["fc-d2-miss-fixture-kms-envelope"]
    snapshot = store.path.read_bytes()
    again = misses.record_misses(["d2-fixture-kms-envelope", "d1-fixture-lambda-timeout"], at=T0, bank=no_kms_card, store=store)
    assert again == {"due": [], "made": [], "unknown": []}
    data = json.loads(store.path.read_bytes())
    assert data == json.loads(snapshot) and list(data["miss_cards"]) == ["fc-d2-miss-fixture-kms-envelope"]
    # a later miss of the same question makes the same card due again, still without a second card
    later = misses.record_misses(["d2-fixture-kms-envelope"], at=T0 + timedelta(days=1), bank=no_kms_card, store=store)
    assert later == {"due": ["fc-d2-miss-fixture-kms-envelope"], "made": [], "unknown": []}
    assert len(store.read()["miss_cards"]) == 1


def test_a_card_reviewed_after_the_miss_is_not_made_due_by_it_again(bank, store):
    clock = Clock()
    misses.record_misses(["d1-fixture-lambda-timeout"], at=T0, bank=bank, store=store)
    clock.now = T0 + timedelta(minutes=5)
    Deck(bank.flashcards, store=store, clock=clock, seed=0).review("fc-d1-fixture-lambda-timeout", knew=True)
    assert misses.record_misses(["d1-fixture-lambda-timeout"], at=T0, bank=bank, store=store)["due"] == []
    assert "fc-d1-fixture-lambda-timeout" not in [c.id for c in Deck(bank.flashcards, store=store, clock=clock, seed=0).due()]


def test_a_card_is_made_from_the_key_point_when_no_card_covers_the_skill(no_kms_card, store):
    clock = Clock()
    report = misses.record_misses(["d2-fixture-kms-envelope"], at=clock.now, bank=no_kms_card, store=store)
    assert report["made"] == report["due"] == ["fc-d2-miss-fixture-kms-envelope"]
    deck = Deck(no_kms_card.flashcards, store=store, clock=clock, seed=0)
    card = deck.due()[0]
    assert card.id == "fc-d2-miss-fixture-kms-envelope" and card.domain == 2 and card.skills == ["2.2.02"]
    assert card.front == "An application must encrypt 50 MB files with a KMS key. What should it do?"
    assert card.back == ("B. Call kms:GenerateDataKey and encrypt locally with the data key. Why: envelope encryption, "
                         "the data key is stored encrypted beside the file. Read: 02_security#kms-envelope-encryption.")
    assert "missed" in card.tags
    w = leitner.FlashcardsWidget(deck)
    w.flip_button.click()
    assert html.escape("kms:GenerateDataKey") in w.card.value
    w.knew_button.click()
    assert store.read()["flashcards"][card.id]["box"] == 2  # a made card has boxes like any other


def test_a_long_stem_is_summarised_by_its_first_and_last_sentence():
    stem = "A company runs a web shop on Lambda. " + "It has many details here. " * 20 + "Which change meets the need?"
    assert misses.stem_summary(stem) == "A company runs a web shop on Lambda. … Which change meets the need?"
    assert misses.stem_summary("Short stem?") == "Short stem?"


def test_flashcards_picks_up_misses_saved_by_quizzes_and_exams(bank, store):
    clock = Clock()
    store.record_answer("d1-fixture-sqs-visibility", ["A"], False, at=T0.isoformat())  # a wrong quiz answer
    store.record_answer("d1-fixture-lambda-timeout", [], False, source="exam", at=T0.isoformat())  # unanswered: no miss
    store.update(lambda d: d["answers"].setdefault("d2-fixture-kms-envelope", []).append(
        {"at": T0.isoformat(), "chosen": ["B"], "correct": True, "source": "review", "flagged": True}))  # flagged: a miss
    assert [m[0] for m in misses.misses_in(store.read())] == ["d1-fixture-sqs-visibility", "d2-fixture-kms-envelope"]
    w = leitner.flashcards(bank=bank, store=store, clock=clock, seed=0)
    first_two = {c.id for c in w.deck.due()[:2]}
    assert first_two == {"fc-d1-fixture-sqs-visibility", "fc-d2-fixture-kms-limit"}
    assert "due because you missed" in w.text()
    before = store.path.read_bytes()
    assert misses.sync_misses(bank=bank, store=store) == {"due": [], "made": []}  # idempotent, and no write
    assert store.path.read_bytes() == before


def test_made_cards_survive_export_and_import(no_kms_card, tmp_path):
    a, b = ProgressStore(tmp_path / "a.json"), ProgressStore(tmp_path / "b.json")
    misses.record_misses(["d2-fixture-kms-envelope"], at=T0, bank=no_kms_card, store=a)
    added = b.import_(a.export(tmp_path / "export.json"))
    assert added["flashcards"] == 2  # the made card and its state
    deck = Deck(no_kms_card.flashcards, store=b, clock=Clock(), seed=0)
    assert deck.due()[0].id == "fc-d2-miss-fixture-kms-envelope"
    assert b.import_(tmp_path / "export.json")["flashcards"] == 0


def test_a_damaged_made_card_is_skipped(no_kms_card, store):
    misses.record_misses(["d2-fixture-kms-envelope"], at=T0, bank=no_kms_card, store=store)
    store.update(lambda d: d["miss_cards"].__setitem__("fc-d1-miss-broken", {"front": "no back"}))
    ids = [c.id for c in Deck(no_kms_card.flashcards, store=store, clock=Clock(), seed=0).cards]
    assert "fc-d2-miss-fixture-kms-envelope" in ids and "fc-d1-miss-broken" not in ids


def _record_in_child(path: str, qid: str) -> None:
    bank = load_bank(SMALL, strict=True)
    misses.record_misses([qid], at=T0, bank=Bank(questions=bank.questions, flashcards=[]), store=ProgressStore(path))


def test_two_kernels_recording_misses_at_once_lose_nothing(tmp_path):
    path = tmp_path / "progress.json"
    ctx = multiprocessing.get_context("spawn")
    qids = ["d1-fixture-lambda-timeout", "d1-fixture-sqs-visibility", "d2-fixture-kms-envelope"]
    children = [ctx.Process(target=_record_in_child, args=(str(path), q)) for q in qids]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
        assert child.exitcode == 0
    data = ProgressStore(path).read()
    assert sorted(data["miss_cards"]) == ["fc-d1-miss-fixture-lambda-timeout", "fc-d1-miss-fixture-sqs-visibility",
                                          "fc-d2-miss-fixture-kms-envelope"]
    assert sorted(data["flashcards"]) == sorted(data["miss_cards"])
