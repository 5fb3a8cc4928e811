"""The progress view: per task statement questions seen / right, cards by box, sections quizzed, and a
readiness estimate whose method is printed with it."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from course_utils.quiz import misses
from course_utils.quiz.bank import Bank, load_bank
from course_utils.quiz.leitner import Deck
from course_utils.quiz.progress import ProgressStore, ProgressWarning
from course_utils.quiz.progress_view import READINESS_METHOD, TaskProgress, progress_report, readiness

SMALL = Path(__file__).resolve().parent / "data" / "bank_small"
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def bank() -> Bank:
    return load_bank(SMALL, strict=True)


@pytest.fixture
def store(tmp_path) -> ProgressStore:
    return ProgressStore(tmp_path / "progress.json")


def _row(report, task: str) -> TaskProgress:
    return next(r for r in report.rows if r.task == task)


def test_the_table_counts_questions_cards_and_sections_per_task(bank, store):
    store.record_answer("d1-fixture-lambda-timeout", ["A"], False, at="2026-12-01T10:00:00+00:00")
    store.record_answer("d1-fixture-lambda-timeout", ["B"], True, at="2026-12-02T10:00:00+00:00")  # latest: right
    store.record_answer("d1-fixture-sqs-visibility", ["B"], True, at="2026-12-01T10:00:00+00:00")
    store.record_answer("d1-fixture-sqs-visibility", ["A"], False, source="exam", at="2026-12-03T10:00:00+00:00")  # latest: wrong
    store.record_answer("d3-not-in-the-bank", ["A"], True)  # ignored
    Deck(bank.flashcards, store=store, clock=lambda: T0, seed=0).review("fc-d1-fixture-lambda-timeout", knew=True)
    report = progress_report(bank=bank, store=store)
    assert [r.task for r in report.rows] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3"]
    lam, sqs, kms = _row(report, "1.2"), _row(report, "1.1"), _row(report, "2.2")
    assert (lam.questions, lam.seen, lam.right, lam.cards_new, lam.boxes[2], lam.sections_quizzed, lam.sections) == (1, 1, 1, 0, 1, 1, 1)
    assert (sqs.questions, sqs.seen, sqs.right, sqs.cards_new, sqs.sections_quizzed) == (1, 1, 0, 1, 1)
    assert (kms.questions, kms.seen, kms.right, kms.cards_new, kms.sections_quizzed, kms.sections) == (1, 0, 0, 1, 0, 1)
    assert report.totals() == {"questions": 3, "seen": 2, "right": 1, "cards_new": 2, "sections": 3, "sections_quizzed": 2,
                               "box1": 0, "box2": 1, "box3": 0, "box4": 0, "box5": 0}
    text = report.text()
    assert "1.2  seen   1, right   1 of   1 · cards new   0, boxes 0 1 0 0 0 · sections quizzed 1/1 · Develop code for AWS Lambda" in text
    assert READINESS_METHOD in text and "Sections visited are not recorded" in text
    assert "too little data: 2 of at least 65 questions seen" in text
    assert report._repr_mimebundle_()["text/plain"] == text
    assert '<th scope="row" style="text-align:left">1.2 Develop code for AWS Lambda</th><td>1</td><td>1</td><td>1</td><td>0</td>' \
        '<td>0</td><td>1</td>' in report.widget.value
    assert "<caption" in report.widget.value and "course-progress-report" in report.widget._dom_classes


def test_cards_made_from_misses_are_counted(bank, store):
    no_card = Bank(questions=bank.questions, flashcards=[c for c in bank.flashcards if c.id != "fc-d2-fixture-kms-limit"])
    misses.record_misses(["d2-fixture-kms-envelope"], at=T0, bank=no_card, store=store)
    assert _row(progress_report(bank=no_card, store=store), "2.2").cards_new == 1  # made, due, not yet reviewed


def _rows(*pairs: tuple[int, int]) -> list[TaskProgress]:
    return [TaskProgress(f"1.{i}", "t", 1.0, seen=seen, right=right) for i, (seen, right) in enumerate(pairs, 1)]


def test_the_readiness_estimate_follows_its_stated_method():
    # (8 + 1) / (8 + 2) = 0.9 and an unseen task at 0.5, equal weights: 0.7 -> 100 + 70 * 620 / 72 = 702.8
    low = readiness(_rows((8, 8), (0, 0)))
    assert low["share"] == pytest.approx(0.7) and low["scaled"] == 703 and low["seen"] == 8
    assert low["verdict"] == "too little data: 8 of at least 65 questions seen"
    # (98 + 1) / (100 + 2) = 0.9706 -> 720 + (97.06 - 72) * 280 / 28 = 970.6
    high = readiness(_rows((100, 98), (100, 98)))
    assert high["scaled"] == 971 and high["verdict"] == "on track to pass"
    assert readiness(_rows((100, 60), (100, 60)))["verdict"] == "not ready yet"  # 61/102 = 60 % -> 617
    weighted = readiness([TaskProgress("1.1", "t", 3.0, seen=8, right=8), TaskProgress("1.2", "t", 1.0)])
    assert weighted["share"] == pytest.approx((3 * 0.9 + 1 * 0.5) / 4)
    assert "AWS publishes no formula" in READINESS_METHOD


def test_a_corrupt_progress_file_is_kept_aside_and_the_view_still_shows(bank, store):
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_bytes(b"{ half a file")
    with pytest.warns(ProgressWarning, match="fresh progress file"):
        report = progress_report(bank=bank, store=store)
    assert report.totals()["seen"] == 0
    assert [p.read_bytes() for p in store.path.parent.glob("progress.json.corrupt-*")] == [b"{ half a file"]


def test_the_flashcard_widget_and_this_view_count_new_cards_and_boxes_alike(bank, store):
    # issue 21: the view said "New cards" with box 1 = 0 while the widget counted never-reviewed cards in box 1
    from course_utils.quiz import leitner

    deck = Deck(bank.flashcards, store=store, clock=lambda: T0, seed=0)
    deck.review("fc-d1-fixture-lambda-timeout", knew=True)  # box 2
    deck.review("fc-d1-fixture-sqs-visibility", knew=False)  # box 1, reviewed
    misses.record_misses(["d2-fixture-kms-envelope"], at=T0, bank=bank, store=store)  # a never-reviewed card made due
    widget = leitner.flashcards(bank=bank, store=store, clock=lambda: T0, seed=0)
    counts = widget.deck.counts()
    totals = progress_report(bank=bank, store=store).totals()
    assert counts["new"] == totals["cards_new"] >= 1
    assert counts["boxes"] == {b: totals[f"box{b}"] for b in range(1, 6)}
    assert counts["missed"] == 1
    shown = widget.counts.value
    assert f"new: {counts['new']}" in shown and "(1 after a missed question)" in shown
    # the card a miss made due is shown as new, not as "box 1"
    assert widget.current.id == "fc-d2-fixture-kms-limit" and " · new · domain 2" in widget.card.value
