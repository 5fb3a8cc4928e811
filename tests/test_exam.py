"""Practice exam: sampling by weight, seeds, unscored questions, clock, scoring, widget."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from freezegun import freeze_time

from course_utils.quiz import exam
from course_utils.quiz.bank import load_bank
from course_utils.quiz.exam import ExamOver, ExamSession, allocate, draw_exam, scale_score
from course_utils.quiz.widgets import output_text
from quiz_support import FakeClock

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def bank():
    return load_bank(DATA / "bank_exam", strict=True)




def test_allocation_by_dva_c03_weight_largest_remainder():
    # 50 scored at 30/26/22/22 % is exact: 15/13/11/11.
    assert allocate(50) == {1: 15, 2: 13, 3: 11, 4: 11}
    # 15 unscored: exact 4.5/3.9/3.3/3.3 -> floors 4/3/3/3, the two largest remainders (.9, .5) win.
    assert allocate(15) == {1: 5, 2: 4, 3: 3, 4: 3}
    for total in range(1, 120):
        counts = allocate(total)
        assert sum(counts.values()) == total
        for d, w in {1: 0.30, 2: 0.26, 3: 0.22, 4: 0.22}.items():
            assert abs(counts[d] - total * w) < 1


def test_bank_domains_match_the_syllabus():
    from course_utils.quiz.bank import DOMAINS
    from course_utils.syllabus import load_syllabus

    s = load_syllabus()
    assert {d.number: (d.name, d.weight / 100) for d in s.domains} == DOMAINS
    assert exam.EXAM_CODE == s.exam.code and exam.LEGACY_EXAM_CODE == s.exam.predecessor
    assert DOMAINS[3][0] == "Testing and Deployment"


def test_task_quotas_proportional_capped_and_every_task_served():
    # Domain 2's tasks have 16/7/5 skills: 13 questions -> 7.43/3.25/2.32 -> floors 7/3/2, the largest remainder (.43) wins.
    assert exam.task_quotas(13, {"2.1": 16, "2.2": 7, "2.3": 5}, {"2.1": 40, "2.2": 40, "2.3": 40}) == {"2.1": 8, "2.2": 3, "2.3": 2}
    # A task with no questions gives its share to the others, by their weights.
    assert exam.task_quotas(13, {"2.1": 16, "2.2": 7, "2.3": 5}, {"2.1": 40, "2.2": 40, "2.3": 0}) == {"2.1": 9, "2.2": 4, "2.3": 0}
    # A task with too few gives away only what it lacks.
    assert exam.task_quotas(11, {"3.1": 10, "3.2": 5, "3.3": 17}, {"3.1": 30, "3.2": 1, "3.3": 30}) == {"3.1": 3, "3.2": 1, "3.3": 7}
    # A tiny weight still gets one question when the total allows.
    assert exam.task_quotas(4, {"a": 50, "b": 1, "c": 1}, {"a": 9, "b": 9, "c": 9}) == {"a": 2, "b": 1, "c": 1}
    with pytest.raises(ValueError):
        exam.task_quotas(10, {"a": 1, "b": 1}, {"a": 3, "b": 3})


@pytest.mark.parametrize("seed", [1, 7, 42, 1234, 99999])
def test_draw_on_the_dva_c03_blueprint(bank, seed):
    items = draw_exam(bank, seed=seed)
    assert len(items) == 65 and len({i.question.id for i in items}) == 65
    scored = [i for i in items if i.scored]
    unscored = [i for i in items if not i.scored]
    assert Counter(i.question.domain for i in scored) == {1: 15, 2: 13, 3: 11, 4: 11}
    assert Counter(i.question.domain for i in unscored) == {1: 5, 2: 4, 3: 3, 4: 3}
    per_task = Counter(i.question.task for i in scored)
    # Every one of the 12 task statements has questions in this bank, so every one is drawn.
    assert set(per_task) == {f"{d}.{t}" for d in range(1, 5) for t in range(1, 4)}
    for i in items:
        assert i.question.task == i.question.skills[0].rsplit(".", 1)[0]
        assert i.question.task.startswith(f"{i.question.domain}.")


def test_draw_spreads_each_domain_over_its_tasks_by_skill_count(bank):
    from course_utils.syllabus import load_syllabus

    s = load_syllabus()
    available = Counter(q.task for q in bank.questions)
    for seed in (3, 8):
        per_task = Counter(i.question.task for i in draw_exam(bank, seed) if i.scored)
        for d, n in allocate(50).items():
            weights = {t.id: len(t.skills) for t in s.domain(d).tasks}
            expected = exam.task_quotas(n, weights, {t: available[t] for t in weights})
            assert {t: per_task[t] for t in weights} == expected


def test_blueprint_cli_json_for_several_seeds(capsys):
    from course_utils.cli import main

    seen = []
    for seed in (1, 2, 3):
        assert main(["exam", "blueprint", "--seed", str(seed), "--json", "--data", str(DATA / "bank_exam")]) == 0
        draw = json.loads(capsys.readouterr().out)
        assert draw["exam"] == "DVA-C03" and draw["seed"] == seed
        rows = draw["questions"]
        assert len(rows) == 65 and set(rows[0]) == {"id", "domain", "task", "scored"}
        assert Counter(r["domain"] for r in rows if r["scored"]) == {1: 15, 2: 13, 3: 11, 4: 11}
        seen.append([r["id"] for r in rows])
    assert seen[0] != seen[1] != seen[2]
    assert main(["exam", "blueprint", "--seed", "1", "--data", str(DATA / "bank_exam")]) == 0
    text = capsys.readouterr().out
    assert "DVA-C03 practice exam, seed 1" in text and "Domain 3 Testing and Deployment (22%): 11 scored" in text


def test_blueprint_of_the_course_bank_covers_every_task_it_can(capsys):
    from course_utils.cli import main

    bank = load_bank()
    has_questions = {q.task for q in bank.questions}
    for seed in (11, 12):
        assert main(["exam", "blueprint", "--seed", str(seed), "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)["questions"]
        assert Counter(r["domain"] for r in rows if r["scored"]) == {1: 15, 2: 13, 3: 11, 4: 11}
        assert {r["task"] for r in rows if r["scored"]} == has_questions


def test_same_seed_same_exam_other_seed_other_exam(bank):
    def shape(seed):
        return [(i.question.id, i.scored) for i in draw_exam(bank, seed)]

    assert shape(123) == shape(123)
    assert shape(123) != shape(124)
    assert shape(123) != shape(999)


def test_small_bank_gives_a_clear_message_not_a_short_exam(store):
    small = load_bank(DATA / "bank_small")
    with pytest.raises(exam.ExamUnavailable) as info:
        draw_exam(small, 1)
    message = str(info.value)
    assert "3 usable questions" in message and "needs 65" in message and "domain 3 has 0 of the 14" in message
    widget = exam.practice_exam(seed=1, bank=small, timer=False)
    assert widget.session is None
    assert "Practice exam not available yet" in widget._repr_mimebundle_()["text/plain"]
    assert "course-exam-unavailable" in widget.body.children[0].value


def test_scale_score_anchors_and_monotonic():
    assert scale_score(0) == 100
    assert scale_score(50) == 1000
    assert scale_score(36) == 720  # 72 % is the assumed pass point
    assert scale_score(35) == 703  # 70 %: 100 + 70 * 620 / 72 = 702.8
    assert scale_score(43) == 860  # 86 %: 720 + 14 * 10
    scores = [scale_score(n) for n in range(51)]
    assert scores == sorted(scores) and len(set(scores)) == 51
    assert "does not publish" in exam.SCORING_NOTE and "compensatory" in exam.SCORING_NOTE and "72 %" in exam.SCORING_NOTE


def _answer_all(session, right_scored: int | None = None, skip_scored: int = 0):
    """Answer every question right except the first ``skip_scored`` scored ones (answered wrong)."""
    wrong_left = skip_scored
    for index, item in enumerate(session.items):
        q = item.question
        if item.scored and wrong_left:
            wrong_left -= 1
            bad = [k for k in q.keys if k not in q.correct][: q.choose]
            session.answer(index, bad)
        else:
            session.answer(index, q.correct)


def test_scoring_counts_only_scored_questions(bank, store):
    clock = FakeClock()
    session = ExamSession(draw_exam(bank, 5), 5, clock=clock, store=store)
    session.start()
    _answer_all(session, skip_scored=14)  # 36 of 50 scored right
    # The unscored ones answered wrong do not change the score.
    for index, item in enumerate(session.items):
        if not item.scored:
            q = item.question
            session.answer(index, [k for k in q.keys if k not in q.correct][: q.choose])
    clock.advance(minutes=40)
    result = session.submit()
    assert (result.correct, result.total, result.scaled, result.passed) == (36, 50, 720, True)
    assert result.answered == 65 and not result.auto_submitted
    assert sum(v["total"] for v in result.per_domain.values()) == 50
    saved = store.exams()
    assert len(saved) == 1 and saved[0]["scaled"] == 720 and saved[0]["seed"] == 5
    assert saved[0]["per_domain"]["1"]["total"] == 15
    # Exam answers also land in the per-question history, marked as exam answers.
    qid = session.items[0].question.id
    assert store.answers(qid)[-1]["source"] == "exam"


def test_multiple_response_is_all_or_nothing(bank, store):
    session = ExamSession(draw_exam(bank, 11), 11, clock=FakeClock(), store=store)
    session.start()
    multi = [i for i, item in enumerate(session.items) if item.scored and item.question.type == "multiple"]
    assert multi
    for i in multi:
        q = session.items[i].question
        wrong = next(k for k in q.keys if k not in q.correct)
        session.answer(i, [q.correct[0], wrong])  # one of two right: no credit
    result = session.submit()
    assert result.correct == 0 and result.scaled == 100 and not result.passed


def test_timer_expiry_auto_submits(bank, store):
    clock = FakeClock()
    session = ExamSession(draw_exam(bank, 3), 3, clock=clock, store=store)
    session.start()
    assert session.remaining() == timedelta(minutes=130)
    first = session.items[0].question
    session.answer(0, first.correct)
    clock.advance(minutes=129, seconds=59)
    assert session.tick() is None and session.result is None
    assert session.remaining() == timedelta(seconds=1)
    clock.advance(seconds=1)
    result = session.tick()
    assert result is not None and result.auto_submitted
    assert result.finished == session.deadline and result.answered == 1
    assert store.exams()[0]["auto_submitted"] is True
    with pytest.raises(ExamOver, match="time ran out"):
        session.answer(1, ["A"])
    assert session.tick() is None  # submitted once only
    assert len(store.exams()) == 1


def test_any_action_after_the_deadline_submits(bank, store):
    clock = FakeClock()
    session = ExamSession(draw_exam(bank, 4), 4, clock=clock, store=store)
    session.start()
    clock.advance(hours=3)
    with pytest.raises(ExamOver):
        session.next()
    assert session.result.auto_submitted


def test_timer_with_freezegun(bank, store):
    with freeze_time("2025-05-01 10:00:00") as frozen:
        session = ExamSession(draw_exam(bank, 8), 8, store=store)
        session.start()
        frozen.tick(timedelta(minutes=100))
        assert session.tick() is None
        frozen.tick(timedelta(minutes=31))
        assert session.tick().auto_submitted


def test_navigation_flags_and_unanswered(bank, store):
    session = ExamSession(draw_exam(bank, 9), 9, clock=FakeClock(), store=store)
    session.start()
    assert session.previous() == 0
    assert session.next() == 1 and session.goto(99) == 64
    q = session.items[2].question
    session.answer(2, q.correct)
    session.flag(5)
    session.flag(7)
    session.flag(7, on=False)
    assert session.flagged() == [5]
    assert 2 not in session.unanswered() and len(session.unanswered()) == 64
    multi = next(i for i, item in enumerate(session.items) if item.question.type == "multiple")
    session.answer(multi, session.items[multi].question.correct[:1])
    assert multi in session.unanswered()  # one of two choices: still incomplete


def test_widget_flow_flag_review_submit_results(bank, store):
    clock = FakeClock()
    w = exam.practice_exam(seed=21, bank=bank, clock=clock, timer=False)
    s = w.session
    assert "Exam seed 21" in w.text() and "Start exam" in w.text() and "DVA-C03 blueprint" in w.text()
    assert "course-exam" in w.widget._dom_classes
    w.start_button.click()
    assert "Question 1 of 65" in w.position.value
    w.select(s.items[0].question.correct)
    assert "1 answered" in w.position.value
    w.next_button.click()
    assert s.current == 1 and "Question 2 of 65" in w.position.value
    w.flag_button.value = True
    assert s.flagged() == [1]
    w.jump.value = 10
    assert s.current == 10 and w.flag_button.value is False
    w.prev_button.click()
    assert s.current == 9
    w.review_button.click()
    text = w.review_text()
    assert "Flagged for review: Q2" in text and "Unanswered: Q2, Q3" in text and "Q1," not in text
    shown = w.review_box.children[0].value
    assert "Flagged for review: Q2" in shown
    item_buttons = [b for row in w.review_box.children for b in getattr(row, "children", ()) if "course-exam-review-item" in b._dom_classes]
    assert "Q2" in [b.description for b in item_buttons]
    next(b for b in item_buttons if b.description == "Q2").click()
    assert s.current == 1
    clock.advance(minutes=12)
    w.submit_button.click()  # asks first
    assert s.result is None and w.confirm_box in w.body.children
    w.confirm_button.click()
    assert s.result is not None and not s.result.auto_submitted
    results = output_text(w.results)
    assert results.startswith(f"Scaled score {s.result.scaled} / 1000: FAIL (pass mark 720)")
    assert "does not publish" in results
    assert any("image/png" in o["data"] for o in w.results.outputs)
    w.review_answers_button.click()
    assert output_text(w.answers_review).startswith("64 of 65 questions shown (wrong or unanswered).")
    w.answer_filter.value = "all"
    answers = output_text(w.answers_review)
    first = s.items[0].question
    assert answers.startswith("65 of 65 questions shown (all).\n" + f"Q1 [right] {first.stem}")
    for option in first.options:
        assert option.explanation in answers
    assert "unscored" not in answers.lower()  # the unscored questions stay unidentified
    assert len(store.exams()) == 1


def test_widget_timer_tick_submits_at_zero(bank, store):
    clock = FakeClock()
    w = exam.practice_exam(seed=2, bank=bank, clock=clock, timer=False)
    w.start_button.click()
    clock.advance(minutes=60)
    w.tick()
    assert "1:10:00" in w.timer_label.value and w.session.result is None
    clock.advance(minutes=70)
    w.tick()
    assert w.session.result.auto_submitted
    assert "submitted automatically when the time ran out" in output_text(w.results)


def test_running_the_cell_again_abandons_the_old_exam(bank, store):
    clock = FakeClock()
    old = exam.practice_exam(seed=2, bank=bank, clock=clock, timer=False)
    old.start_button.click()
    exam.practice_exam(seed=3, bank=bank, clock=clock, timer=False)
    clock.advance(hours=3)
    old.tick()
    assert old.session.result is None and store.exams() == []


def test_real_timer_thread_updates_and_stops(bank, store):
    import time

    clock = FakeClock()
    w = exam.practice_exam(seed=2, bank=bank, clock=clock, duration=timedelta(minutes=130))
    w.start_button.click()
    clock.advance(minutes=131)
    deadline = time.monotonic() + 10
    while w.session.result is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert w.session.result is not None and w.session.result.auto_submitted
    w._thread.join(5)
    assert not w._thread.is_alive()


def test_history(store, bank):
    assert "No practice exam submitted yet" in exam.exam_history().text()
    for seed, skip in ((1, 30), (2, 5)):
        session = ExamSession(draw_exam(bank, seed), seed, clock=FakeClock(), store=store)
        session.start()
        _answer_all(session, skip_scored=skip)
        session.submit()
    history = exam.exam_history()
    text = history.text()
    assert "2 practice exam(s)" in text and "scaled 444 (fail)" in text and "scaled 900 (pass)" in text
    assert any("image/png" in o["data"] for o in history.output.outputs)
    png = exam.history_chart(store.exams())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_result_scores_each_task_and_names_the_three_weakest_with_links(bank, store):
    session = ExamSession(draw_exam(bank, 5), 5, clock=FakeClock(), store=store)
    session.start()
    # Miss every scored question of tasks 2.3, 3.2 and 4.2; answer the rest right.
    weak = {"2.3", "3.2", "4.2"}
    for index, item in enumerate(session.items):
        q = item.question
        if item.scored and q.task in weak:
            session.answer(index, [k for k in q.keys if k not in q.correct][: q.choose])
        else:
            session.answer(index, q.correct)
    result = session.submit()
    assert sum(v["total"] for v in result.per_task.values()) == 50
    for t, v in result.per_task.items():
        assert v["correct"] == (0 if t in weak else v["total"])
    assert set(exam.weakest_tasks(result.per_task)) == weak
    record = store.exams()[0]
    assert record["exam"] == "DVA-C03" and record["per_task"] == {t: result.per_task[t] for t in sorted(result.per_task)}
    summary = result.summary()
    assert "Task 2.3 Identify and mitigate security risks" in summary and "Weakest task statements: " in summary
    item = exam.weakest_item(result)
    html = item["data"]["text/html"]
    # Task 4.2 is taught in Domain 4: its sections are linked from the result.
    assert 'href="04_troubleshooting.ipynb#' in html
    assert "Task 4.2" in item["data"]["text/plain"]
    # With the attempt's questions: only the sections of the questions missed, and the task's place in the index.
    questions = [i.question for i in session.items]
    targeted = exam.weakest_item(result, questions)["data"]
    missed_refs = {i.question.section for i in session.items if i.scored and i.question.task in weak}
    for t in sorted(weak):
        assert f'href="00_index.ipynb#task-{t.replace(".", "-")}"' in targeted["text/html"]
    hrefs = re.findall(r'href="(0[1-4]_[^"#]+\.ipynb#[^"]+)"', targeted["text/html"])
    assert {h.replace(".ipynb#", "#") for h in hrefs} == missed_refs  # each missed question's section, once
    assert len(hrefs) == len(missed_refs) < len(re.findall(r'href="0[1-4]_', html))
    assert "where you missed: " in targeted["text/plain"]
    # Each section link opens the section in Lab (a click handler defined once for the whole output).
    assert targeted["text/html"].count('class="course-section-link"') == len(hrefs)
    assert targeted["text/html"].count("<script>") == 1


def test_weakest_tasks_ties_and_empty():
    per_task = {"1.1": {"correct": 1, "total": 2}, "1.2": {"correct": 2, "total": 4}, "4.3": {"correct": 0, "total": 1}, "2.1": {"correct": 5, "total": 5}}
    # 4.3 lowest; 1.1 and 1.2 tie at 50 %, 1.2 missed more questions so it comes first.
    assert exam.weakest_tasks(per_task) == ["4.3", "1.2", "1.1"]
    assert exam.weakest_tasks({}) == []


def test_widget_results_show_task_chart_and_weakest(bank, store):
    w = exam.practice_exam(seed=21, bank=bank, clock=FakeClock(), timer=False)
    w.start_button.click()
    w.submit_button.click()
    w.confirm_button.click()
    texts = [o["data"].get("text/plain", "") for o in w.results.outputs]
    assert any("per task statement" in t for t in texts)
    assert any(t.startswith("Study next (your three weakest task statements)") for t in texts)
    assert sum("image/png" in o["data"] for o in w.results.outputs) >= 2


def test_dva_c02_attempts_stay_readable_and_labelled(store, bank):
    legacy = {
        "id": "exam-legacy", "seed": 4, "started": "2025-02-20T09:00:00+00:00", "finished": "2025-02-20T11:00:00+00:00",
        "auto_submitted": False, "correct": 30, "total": 50, "percent": 60.0, "scaled": 617, "passed": False,
        "per_domain": {"1": {"correct": 10, "total": 16}, "2": {"correct": 8, "total": 13}, "3": {"correct": 7, "total": 12}, "4": {"correct": 5, "total": 9}},
        "answered": 65, "questions": [],
    }
    store.add_exam(legacy)
    session = ExamSession(draw_exam(bank, 6), 6, clock=FakeClock(), store=store)
    session.start()
    _answer_all(session)
    session.submit()
    text = exam.exam_history().text()
    lines = text.splitlines()
    assert lines[0] == "2 practice exam(s):"
    assert "DVA-C02" in lines[1] and "scaled 617 (fail)" in lines[1] and "blueprint" in lines[1]
    assert "DVA-C03" in lines[2] and "DVA-C02" not in lines[2]
    assert exam.history_chart(store.exams())[:4] == b"\x89PNG"


def _submitted_widget(bank, seed=21, skip_scored=10):
    w = exam.practice_exam(seed=seed, bank=bank, clock=FakeClock(), timer=False)
    w.start_button.click()
    _answer_all(w.session, skip_scored=skip_scored)
    w.submit_button.click()
    w.confirm_button.click()
    return w


def test_result_summary_wraps_whole_words_and_shows_the_headline_once(bank, store):
    w = _submitted_widget(bank)
    result = w.session.result
    data = w.results.outputs[0]["data"]
    html, plain = data["text/html"], data["text/plain"]
    # headless readers keep the same text
    assert plain == result.summary() + "\n" + exam.SCORING_NOTE
    # no <pre> (JupyterLab breaks words anywhere in an output <pre>: "AI se/rvices")
    assert "<pre" not in html and "word-break: normal" in html
    headline = f"Scaled score {result.scaled} / 1000: {'PASS' if result.passed else 'FAIL'}"
    assert html.count(headline) == 1 and "(pass mark 720)" in html
    # each task statement is a list item: its wrapped lines stay beside it
    assert "<li>Task 2.3 Identify and mitigate security risks" in html


def test_summary_html_lists_each_indented_line(bank, store):
    result = _submitted_widget(bank).session.result
    html = exam.summary_html(result.summary())
    assert "<pre" not in html and html.count("<li>") == result.summary().count("\n  ")
    assert html.count("Scaled score") == 1 and "Scaled score" not in exam.summary_html(result.summary(), skip_first=True)


def test_task_chart_shows_a_zero_bar_and_labels_the_weakest(bank, store):
    w = _submitted_widget(bank)
    result = w.session.result
    result.per_task["2.3"] = {"correct": 0, "total": 2}  # a task at 0 %: no bar to draw
    fig = exam.task_figure(result)
    ax = fig.axes[0]
    tasks = sorted(result.per_task)
    weakest = exam.weakest_tasks(result.per_task)
    assert "2.3" in weakest
    labels = [t.get_text() for t in ax.get_yticklabels()]
    for task, label in zip(tasks, labels):
        assert label.startswith(task) and (label.endswith(" weakest") == (task in weakest)), label
    row = tasks.index("2.3")
    markers = [line for line in ax.get_lines() if list(line.get_xdata()) == [0] and list(line.get_ydata()) == [row]]
    assert markers and markers[0].get_marker() == "D" and not markers[0].get_clip_on()
    assert any(t.get_text() == "0 %" and t.get_position()[1] == row for t in ax.texts)
    alt = exam.task_chart_alt(result)
    assert alt.startswith("chart: % right per task statement") and "2.3 (0 %)" in alt
    assert all(f"{t} (" in alt for t in weakest)


def test_task_chart_alt_text_is_the_one_on_the_result_screen(bank, store):
    w = _submitted_widget(bank)
    alts = [o["data"]["text/plain"] for o in w.results.outputs if "image/png" in o["data"]]
    assert exam.task_chart_alt(w.session.result) in alts


def test_answer_review_links_each_question_to_its_section(bank, store):
    w = _submitted_widget(bank)
    w.review_answers_button.click()
    html = w.answers_review.outputs[0]["data"]["text/html"]
    wrong = [w.session.items[i].question for i in w._answer_rows("wrong")]
    assert wrong
    for q in wrong:
        notebook, _, anchor = q.section.partition("#")
        assert f'<a href="{notebook}.ipynb#{anchor}" target="_blank">{q.section}</a>' in html


def test_score_per_attempt_chart_has_one_alt_text(bank, store):
    w = _submitted_widget(bank)
    on_result = [o["data"]["text/plain"] for o in w.results.outputs if "image/png" in o["data"]][-1]
    in_history = [o["data"]["text/plain"] for o in exam.exam_history().output.outputs if "image/png" in o["data"]]
    assert on_result == in_history[0] == exam.HISTORY_ALT == "chart: scaled score per attempt with the 720 pass line"
