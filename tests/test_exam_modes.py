"""Exam modes of notebook 05, driven through the ipywidgets as a learner would (no browser).

Timed exam with 130 / 160 minutes or untimed (pause only there), the submit confirmation, the
answer filter, review mode, practice by domain or task, retake missed, "practise these".
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from course_utils.quiz import exam
from course_utils.quiz.bank import load_bank
from course_utils.quiz.exam_modes import draw_practice, retake_status
from course_utils.quiz.widgets import output_text
from quiz_support import FakeClock

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def bank():
    return load_bank(DATA / "bank_exam", strict=True)


START = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)  # where this file's clocks start


def _clock() -> FakeClock:
    return FakeClock(START)


def _wrong(q) -> list[str]:
    return [k for k in q.keys if k not in q.correct][: q.choose]


def _buttons(box) -> list:
    out = []
    for child in getattr(box, "children", ()):
        if hasattr(child, "on_click"):
            out.append(child)
        out += _buttons(child)
    return out


# -- timing ---------------------------------------------------------------------------------
def test_start_screen_offers_130_160_or_untimed(bank, store):
    w = exam.practice_exam(seed=2, bank=bank, clock=_clock(), timer=False)
    assert w.time_choice in w.body.children
    assert [v for _label, v in w.time_choice.options] == ["standard", "extended", "untimed"]
    assert "130 minutes (or 160 with the extra 30 minutes AWS grants on request, or untimed)" in w.intro_text()


def test_extra_time_gives_160_minutes(bank, store):
    clock = _clock()
    w = exam.practice_exam(seed=2, bank=bank, clock=clock, timer=False)
    w.time_choice.value = "extended"
    w.start_button.click()
    s = w.session
    assert s.deadline - s.started == timedelta(minutes=160)
    clock.advance(minutes=150)
    w.tick()
    assert s.result is None and "0:10:00" in w.timer_label.value
    clock.advance(minutes=10)
    w.tick()
    assert s.result.auto_submitted


def test_timed_exam_cannot_pause(bank, store):
    w = exam.practice_exam(seed=2, bank=bank, clock=_clock(), timer=False)
    w.start_button.click()
    assert w.pause_button not in _buttons(w.body)
    with pytest.raises(RuntimeError, match="cannot be paused"):
        w.session.pause()


def test_untimed_run_pauses_and_never_submits_itself(bank, store):
    clock = _clock()
    w = exam.practice_exam(seed=2, bank=bank, clock=clock, timer=False)
    w.time_choice.value = "untimed"
    w.start_button.click()
    s = w.session
    assert s.deadline is None and w.pause_button in _buttons(w.body)
    clock.advance(minutes=20)
    w.pause_button.click()
    assert s.paused and "Paused" in w.body.children[0].value and w.choices not in w.body.children  # questions hidden
    with pytest.raises(RuntimeError, match="paused"):
        s.answer(0, ["A"])
    clock.advance(hours=5)
    w.pause_button.click()
    assert not s.paused and w.choices in w.body.children
    clock.advance(minutes=10)
    w.tick()
    assert s.result is None and "Time used:</b> 0:30:00 (untimed)" in w.timer_label.value  # the pause does not count
    w.submit_button.click()
    w.confirm_button.click()
    assert s.result is not None and not s.result.auto_submitted and s.result.mode == "exam"
    assert store.exams()[0]["scaled"] == s.result.scaled  # an untimed exam is still an attempt


# -- submit confirmation ----------------------------------------------------------------------
def test_submit_asks_first_with_unanswered_and_flagged_counts(bank, store):
    w = exam.practice_exam(seed=21, bank=bank, clock=_clock(), timer=False)
    s = w.session
    w.start_button.click()
    for _ in range(5):
        w.select(s.items[s.current].question.correct)
        w.next_button.click()
    w.flag_button.value = True
    w.submit_button.click()
    assert s.result is None and w.confirm_box in w.body.children
    text = w.confirm_text.value
    assert "60 of 65 questions are unanswered and 1 flagged for review." in text
    assert "Unanswered questions count as wrong" in text
    w.cancel_button.click()  # keep working: nothing submitted, the question is still there
    assert s.result is None and w.confirm_box not in w.body.children and w.choices in w.body.children
    w.select(s.items[s.current].question.correct)
    w.review_button.click()
    w.submit_button.click()  # the review screen's submit asks too
    assert "59 of 65 questions are unanswered and 1 flagged" in w.confirm_text.value
    w.confirm_button.click()
    assert s.result is not None and s.result.answered == 6
    assert store.exams()[0]["flagged"] == [s.items[5].question.id]


def test_submit_prompt_when_everything_is_answered(bank, store):
    s = exam.ExamSession(exam.draw_exam(bank, 3), 3, clock=_clock(), store=store)
    s.start()
    for i, item in enumerate(s.items):
        s.answer(i, item.question.correct)
    assert s.submit_prompt() == "Submit the exam now? All 65 questions are answered and none is flagged. After submitting you cannot change any answer."


# -- results: filter, labels, practise these ------------------------------------------------
def _finished_exam(bank, store, seed=5):
    w = exam.practice_exam(seed=seed, bank=bank, clock=_clock(), timer=False)
    s = w.session
    w.start_button.click()
    for i, item in enumerate(s.items):
        q = item.question
        s.answer(i, _wrong(q) if q.task == "2.3" or i in (3, 4) else q.correct)
    s.flag(3)
    s.flag(7)
    w.submit_button.click()
    w.confirm_button.click()
    return w, s


def test_answer_review_filter_wrong_flagged_all(bank, store):
    w, s = _finished_exam(bank, store)
    wrong = [i for i, item in enumerate(s.items) if not item.question.is_correct(s.answers[i])]
    assert [label for label, _v in w.answer_filter.options] == [f"Wrong ({len(wrong)})", "Flagged (2)", "All (65)"]
    assert w.answer_filter.value == "wrong" and not w.answers_review.outputs  # nothing printed until asked (no 21,000 px page)
    w.review_answers_button.click()
    text = output_text(w.answers_review)
    assert text.startswith(f"{len(wrong)} of 65 questions shown (wrong or unanswered).")
    assert text.count("\nQ") == len(wrong) and f"Q{wrong[0] + 1} [wrong]" in text and "[right]" not in text
    w.answer_filter.value = "flagged"
    text = output_text(w.answers_review)
    assert text.startswith("2 of 65 questions shown (flagged for review).")
    assert "Q4 [wrong] [flagged]" in text and "Q8 [right] [flagged]" in text
    w.answer_filter.value = "all"
    assert output_text(w.answers_review).count("\nQ") == 65


def test_buttons_size_to_their_labels(bank, store):
    w, _s = _finished_exam(bank, store)
    buttons = [w.review_answers_button, w.practise_button, w.retake_button, w.submit_button, w.confirm_button,
               w.cancel_button, w.start_button, w.check_button, w.pause_button, w.review_button, w.flag_button]
    assert all(b.layout.width == "auto" for b in buttons)
    assert w.answer_filter.style.button_width == "auto"


def test_result_names_weakest_tasks_and_practise_these_starts_a_run(bank, store):
    w, s = _finished_exam(bank, store)
    weakest = exam.weakest_tasks(s.result.per_task)
    assert weakest[0] == "2.3"
    texts = [o["data"].get("text/plain", "") for o in w.results.outputs]
    assert any(t.startswith("Study next") and "Task 2.3" in t for t in texts)
    assert w.practise_button in _buttons(w.body) and w.practise_button.description == "Practise these 3 task statements"
    w.practise_button.click()
    p = w.session
    assert p is not s and p.mode == "practice" and not p.timed and p.feedback and p.started is not None
    assert {item.question.task for item in p.items} <= set(weakest) and len(p) == 10
    assert "on task statements " + ", ".join(weakest) in w.intro_text()
    assert w.submit_button.description == "Finish" and w.choices in w.body.children


# -- review mode -----------------------------------------------------------------------------
def test_review_mode_untimed_with_feedback_after_each_question(bank, store):
    clock = _clock()
    w = exam.review_exam(seed=4, bank=bank, clock=clock, timer=False)
    s = w.session
    assert s.mode == "review" and len(s) == 65 and all(i.scored for i in s.items)
    assert "Review mode: 65 questions" in w.text()
    w.start_button.click()
    assert s.deadline is None and w.check_button in _buttons(w.body)
    w.check_button.click()  # nothing chosen yet
    assert "Choose" in w.feedback.value and 0 not in s.checked
    q = s.items[0].question
    w.select(_wrong(q))
    w.check_button.click()
    assert s.checked == {0: False}
    assert "✘ Wrong. The right answer: " + ", ".join(q.correct) in w.feedback.value
    assert all(o.explanation.replace("'", "&#x27;") in w.feedback.value for o in q.options)
    widget, boxes = w._selector(0)
    assert all(c.disabled for c in (boxes or [widget])) and w.check_button.disabled
    w.select(q.correct)  # locked: the checked answer stays
    assert s.answers[0] == sorted(_wrong(q))
    records = store.answers(q.id)
    assert records[-1]["source"] == "review" and records[-1]["correct"] is False  # saved when checked
    w.next_button.click()
    assert w.feedback.value == "" and not w.check_button.disabled
    clock.advance(hours=4)
    w.tick()
    assert s.result is None  # untimed
    w.submit_button.click()
    w.confirm_button.click()
    assert "Review mode: 0 of 65 right" in output_text(w.results) and "No scaled score" in output_text(w.results)
    assert store.exams() == [] and len(store.answers(q.id)) == 1  # not an exam attempt; the checked answer saved once


# -- practice by domain or task ----------------------------------------------------------------
def test_practice_by_domain_or_task_sized_by_the_learner(bank, store):
    w = exam.practice(domain=2, size=7, seed=1, bank=bank, clock=_clock(), timer=False)
    assert len(w.session) == 7 and {i.question.domain for i in w.session.items} == {2}
    assert "Practice: 7 questions of domain 2 (Security)" in w.text()
    w2 = exam.practice(task="3.2", size=50, seed=1, bank=bank, clock=_clock(), timer=False)
    pool = [q for q in bank.questions if q.task == "3.2"]
    assert len(w2.session) == len(pool) and "(all there are; you asked for 50)" in w2.text()
    assert [q.id for q in draw_practice(bank.questions, tasks=["1.1", "4.2"], size=5, seed=9)] == [
        q.id for q in draw_practice(bank.questions, tasks=["4.2", "1.1"], size=5, seed=9)]
    none = exam.practice(task="9.9", bank=bank, timer=False)
    assert none.session is None and "no question on task statement 9.9" in none.text()


def test_practice_run_checks_and_finishes(bank, store):
    w = exam.practice(domain=1, size=3, seed=2, bank=bank, clock=_clock(), timer=False)
    s = w.session
    w.start_button.click()
    w.select(s.items[0].question.correct)
    w.check_button.click()
    assert "✔ Right." in w.feedback.value
    w.next_button.click()
    w.select(_wrong(s.items[1].question))  # answered, not checked: saved at the end
    w.submit_button.click()
    assert "Finish this run now? 1 of 3 questions is unanswered and 0 flagged" in w.confirm_text.value
    assert w.confirm_button.description == "Yes, finish now"
    w.confirm_button.click()
    assert "Practice: 1 of 3 right" in output_text(w.results)
    assert store.answers(s.items[1].question.id)[-1]["source"] == "practice"


# -- retake missed ------------------------------------------------------------------------------
def test_retake_pool_wrong_or_flagged_until_right_twice():
    def rec(at, correct, **extra):
        return {"at": f"2026-12-0{at}T10:00:00+00:00", "chosen": ["A"], "correct": correct, "source": "quiz", **extra}

    data = {
        "answers": {
            "q-right": [rec(1, True)],
            "q-wrong": [rec(1, False)],
            "q-cleared": [rec(1, False), rec(2, True), rec(3, True)],
            "q-relapse": [rec(1, False), rec(2, True), rec(3, False), rec(4, True)],
            "q-flagged": [rec(1, True, flagged=True)],
        },
        "exams": [{"finished": "2026-12-02T09:00:00+00:00", "flagged": ["q-unanswered-flag"]}],
    }
    pool = {e.id: e.rights_since for e in retake_status(data)}
    assert pool == {"q-wrong": 0, "q-relapse": 1, "q-flagged": 0, "q-unanswered-flag": 0}


def test_retake_missed_widget_until_each_is_right_twice(bank, store):
    assert exam.retake_missed(bank=bank, timer=False).session is None  # nothing missed yet
    _w, s = _finished_exam(bank, store)
    missed = {s.items[i].question.id for i, item in enumerate(s.items) if not item.question.is_correct(s.answers[i]) or i in s.flags}
    w = exam.retake_missed(bank=bank, clock=_clock(), timer=False)
    r = w.session
    assert r.mode == "retake" and {i.question.id for i in r.items} == missed
    assert "Retake missed: " in w.text() and "after 2 right answers" in w.text()
    for rnd in (1, 2):
        w.start_button.click() if rnd == 1 else None
        r = w.session
        for i, item in enumerate(r.items):
            w._go(i)
            w.select(item.question.correct)
            w.check_button.click()
        assert ("Right answers since your last miss: 1 of 2." if rnd == 1 else "it leaves your retake list") in w.feedback.value
        w.submit_button.click()
        w.confirm_button.click()
        left = {e.id for e in retake_status(store.read())}
        assert left == (missed if rnd == 1 else set())
        if rnd == 1:
            w.retake_button.click() if w.retake_button in _buttons(w.body) else w.retake_again()
            assert w.session is not r and w.session.mode == "retake" and w.session.started is not None
    assert exam.retake_missed(bank=bank, timer=False).session is None


def test_a_wrong_retake_answer_starts_the_count_again(bank, store):
    q = bank.questions[0]
    store.record_answer(q.id, _wrong(q), False)
    store.record_answer(q.id, q.correct, True)
    w = exam.retake_missed(bank=bank, clock=_clock(), timer=False)
    w.start_button.click()
    w.select(_wrong(q))
    w.check_button.click()
    assert "Right answers since your last miss: 0 of 2." in w.feedback.value
    assert [(e.id, e.rights_since) for e in retake_status(store.read())] == [(q.id, 0)]


def test_a_new_widget_abandons_only_the_previous_one_of_its_mode(bank, store):
    clock = _clock()
    full = exam.practice_exam(seed=2, bank=bank, clock=clock, timer=False)
    old_practice = exam.practice(domain=1, size=2, bank=bank, clock=clock, timer=False)
    exam.review_exam(seed=2, bank=bank, clock=clock, timer=False)  # the notebook's next cells
    exam.practice(domain=2, size=2, bank=bank, clock=clock, timer=False)
    assert not full.session.abandoned and old_practice.session.abandoned
    full.start_button.click()
    clock.advance(minutes=131)
    full.tick()
    assert full.session.result is not None and full.session.result.auto_submitted  # its clock still runs


def test_cli_lists_the_retake_list(store, capsys):
    from course_utils.cli import main

    assert main(["exam", "retake", "--progress", str(store.path)]) == 0
    assert "Your retake list is empty" in capsys.readouterr().out
    store.record_answer("d1-synthetic-01", ["A"], False)
    store.record_answer("d1-synthetic-01", ["B"], True)
    assert main(["exam", "retake", "--json", "--progress", str(store.path)]) == 0
    assert [(e["id"], e["rights_since"]) for e in __import__("json").loads(capsys.readouterr().out)] == [("d1-synthetic-01", 1)]
    assert main(["exam", "retake", "--progress", str(store.path)]) == 0
    assert "1 question(s) to retake" in capsys.readouterr().out


def test_retake_missed_stays_offered_until_the_list_is_empty(bank, store):
    """A retake run answered all right once leaves its questions on the list: the result screen still
    offers "Retake missed" (it used to appear only when the run itself had a wrong or flagged answer)."""
    w = exam.practice_exam(seed=2, bank=bank, clock=_clock(), timer=False)
    w.start_button.click()
    w.select(_wrong(w.session.items[0].question))
    w.submit_button.click()
    w.confirm_button.click()
    for rnd in (1, 2):
        w.retake_button.click()
        r = w.session
        assert r.mode == "retake" and len(r) == 1
        assert w.timer_label.value == "<b>Time used:</b> 0:00:00 (untimed)"  # this run's clock, not the last one's
        w.select(r.items[0].question.correct)
        w.check_button.click()
        w.submit_button.click()
        w.confirm_button.click()
        assert (w.retake_button in _buttons(w.body)) == (rnd == 1)  # on the list after one right answer, off after two
    assert retake_status(store.read()) == []


def test_an_exam_with_only_unanswered_questions_offers_no_retake(bank, store):
    """Unanswered (unflagged) questions are not misses: no "Retake missed" button that would find nothing."""
    w = exam.practice_exam(seed=2, bank=bank, clock=_clock(), timer=False)
    w.start_button.click()
    w.submit_button.click()
    w.confirm_button.click()
    assert "Scaled score" in output_text(w.results) and w.retake_button not in _buttons(w.body)
    assert retake_status(store.read()) == []


def test_nothing_to_retake_leaves_the_exam_above_running(bank, store):
    """Notebook 05 on Run All for a new learner: the retake cell (nothing to retake) comes after the
    practice exam; it must not abandon that exam, whose clock then runs and submits at the deadline."""
    clock = _clock()
    w = exam.practice_exam(seed=2, bank=bank, clock=clock, timer=False)
    empty = exam.retake_missed(bank=bank, store=store, clock=clock, timer=False)
    assert empty.session is None and "Nothing to retake" in empty.text()
    w.start_button.click()
    assert not w.session.abandoned
    clock.advance(minutes=1)
    w.tick()
    assert w.timer_label.value == "<b>Time left:</b> 2:09:00"
    clock.advance(minutes=130)
    w.tick()
    assert w.session.result is not None and "Scaled score" in output_text(w.results)  # submitted at the deadline
