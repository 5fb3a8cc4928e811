"""bank lint: the cues that give an answer away by its form, measured and held to limits."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from course_utils.quiz import load_bank
from course_utils.quiz.lint import THRESHOLDS, format_report, lint_bank, question_cues
from course_utils.quiz.schema import Question

DATA = Path(__file__).resolve().parent / "data"


def _q(qid: str, texts: list[str], correct: list[str], stem: str = "", kind: str = "single") -> Question:
    keys = "ABCDEFG"[: len(texts)]
    return Question.model_validate({
        "id": qid, "domain": int(qid[1]), "tags": ["t"], "skills": [f"{qid[1]}.1.01"], "type": kind,
        "stem": stem or f"Stem of {qid}, which is different from every other stem here {qid * 3}?",
        "options": [{"key": k, "text": t, "explanation": "x"} for k, t in zip(keys, texts)],
        "correct": correct, "section": "01_development#sqs",
    })


def _bank(*questions) -> SimpleNamespace:
    return SimpleNamespace(questions=list(questions))


LONG = "Use a dead-letter queue with a redrive policy and a maxReceiveCount of five receives"


def test_single_answer_cues():
    giveaway = question_cues(_q("d1-a", [LONG, "Use SNS", "Use Kinesis", "Use S3"], ["A"]))
    assert giveaway["key_longest"] and giveaway["ratio"] == round(len(LONG) / len("Use Kinesis"), 3)
    fair = question_cues(_q("d1-b", ["Use SQS", "Use Amazon SNS", "Use Kinesis", "Use S3"], ["A"]))
    assert not fair["key_longest"] and fair["ratio"] == round(7 / 14, 3)
    assert not fair["key_shortest"]  # "Use S3" is shorter than the key
    assert question_cues(_q("d1-s", ["SQS", "Amazon SNS topic", "Kinesis stream", "S3 bucket"], ["A"]))["key_shortest"]
    equal = question_cues(_q("d1-c", ["aaaa", "bbbb", "cccc", "dddd"], ["D"]))
    assert not equal["key_longest"] and not equal["key_shortest"]  # nothing to tell apart when every option is as long


def test_multiple_response_cues_and_absolute_words():
    q = _q("d1-m", [LONG, LONG + " again", "Never retry", "No", "All of them always"], ["A", "B"], "Which two? (Choose two.)", "multiple")
    cues = question_cues(q)
    assert cues["key_longest"] and cues["longest"] == ["A", "B"]
    assert cues["absolute_in_key"] == 0 and cues["absolute_in_distractors"] == 2


def test_a_bank_that_gives_answers_away_fails_and_names_the_questions(capsys):
    bad = [_q(f"d1-bad-{i}", [LONG, "Use SNS", "Use Kinesis", "Use S3"], ["A"]) for i in range(4)]
    good = [_q(f"d2-good-{i}", ["Use SQS", "Use Amazon SNS", "Use Kinesis", "Use Amazon S3"], ["A"]) for i in range(6)]
    report = lint_bank(_bank(*bad, *good))
    assert report["figures"]["single_key_longest"] == 0.4 and "single_key_longest" in report["over"]
    assert report["flagged"]["ratio_1_5"] == [f"d1-bad-{i}" for i in range(4)]
    text = format_report(report)
    assert "OVER single answer: key is the longest option: 0.4 (limit 0.35" in text
    assert "ratio_1_5 (4): d1-bad-0, d1-bad-1" in text


def test_near_duplicates_across_domains_and_repeated_options():
    stem = "A developer must process orders from an SQS queue exactly once in order. What should they use?"
    a = _q("d1-dup", ["FIFO queue", "Standard queue", "SNS topic", "Kinesis stream"], ["A"], stem)
    b = _q("d3-dup", ["FIFO queues", "Standard queue", "SNS topic", "Kinesis stream"], ["A"], stem.replace("developer", "team"))
    c = _q("d2-rep", ["Use KMS.", "use  kms", "Use ACM", "Use STS"], ["C"])
    cron = _q("d4-cron", ["cron(30 6 ? * MON-FRI *)", "cron(30 6 * * MON-FRI *)", "rate(1 day)", "cron(6 30 ? * * *)"], ["A"])
    report = lint_bank(_bank(a, b, c, cron))
    assert [pair[:2] for pair in report["flagged"]["near_duplicates"]] == [["d1-dup", "d3-dup"]]
    assert report["flagged"]["repeated_options"] == [["d2-rep", "A", "B"]]  # parallel cron options are not repeats


def test_choose_n_missing_is_reported():
    q = Question.model_construct(
        id="d1-x", domain=1, tags=["t"], skills=["1.1.01"], type="multiple", stem="Which ones apply?",
        options=[SimpleNamespace(key=k, text=f"Option {k}") for k in "ABCDE"], correct=["A", "B"], section="01_development#sqs",
    )
    assert lint_bank(_bank(q))["flagged"]["choose_missing"] == ["d1-x"]


def test_longest_strategy_score():
    bad = [_q(f"d1-bad-{i}", [LONG, "Use SNS", "Use Kinesis", "Use S3"], ["A"]) for i in range(8)]
    fair = [_q(f"d1-fair-{i}", ["Use SQS", "Use Amazon SNS", "Use Kinesis", "Use S3"], ["A"]) for i in range(2)]
    report = lint_bank(_bank(*bad, *fair))
    assert report["longest_strategy"] == {"share_right": 0.8, "scaled": 800}  # 40 of 50: 720 + 8 x 10
    assert report["figures"]["longest_strategy_pass"] == 1.0 and "longest_strategy_pass" in report["over"]


def test_cli_lint_exit_codes_and_json(capsys, tmp_path):
    import yaml

    from course_utils.cli import main

    stems = ["Which service queues work?", "Where do large files go?", "What streams clickstream records in order?", "Which service fans out a message to many subscribers at once?"]
    fair = [_q(f"d1-fair-{i}", ["Use SQS", "Use Amazon SNS", "Use Kinesis", "Use Amazon S3"], ["ABCD"[i % 4]], stems[i]) for i in range(4)]
    folder = tmp_path / "questions"
    folder.mkdir()
    (folder / "domain1.yaml").write_text(yaml.safe_dump({"domain": 1, "questions": [q.model_dump() for q in fair]}), encoding="utf-8")
    assert main(["bank", "lint", "--data", str(tmp_path)]) == 0
    assert "bank lint: all figures within their limits" in capsys.readouterr().out
    assert main(["bank", "lint", "--data", str(DATA / "bank_small")]) == 1  # 1 of its 2 single-answer keys is the longest
    assert "OVER single answer: key is the longest option: 0.5 (limit 0.35" in capsys.readouterr().out
    assert main(["bank", "lint", "--json", "--data", str(DATA / "bank_exam")]) == 1  # synthetic stems are near-duplicates
    report = json.loads(capsys.readouterr().out)
    assert report["over"] == ["near_duplicates"] and set(report["thresholds"]) == set(THRESHOLDS)
    main(["bank", "lint", "--json", "--domain", "3", "--data", str(DATA / "bank_exam")])
    assert json.loads(capsys.readouterr().out)["questions"] == 18  # domain 3 of the synthetic bank


def test_the_course_bank_passes_lint(capsys):
    """Issue 15: the bank gives no answer away by its form (every figure within its limit)."""
    from course_utils.cli import main

    report = lint_bank(load_bank())
    assert report["over"] == [], format_report(report)
    assert report["exam_strategy"]["passed"] == 0
    assert main(["bank", "lint"]) == 0
    assert capsys.readouterr().out.rstrip().endswith("bank lint: all figures within their limits")


def test_always_longest_over_practice_exams():
    from course_utils.quiz.lint import exam_strategy

    bank = load_bank(DATA / "bank_exam")
    report = lint_bank(bank)
    # Equal-length options: "longest" falls back to key order (A first), right only when the key is A.
    assert report["exam_strategy"]["exams"] == 30 and report["exam_strategy"]["passed"] == 0
    assert report["exam_strategy"]["mean_scaled"] < 720
    assert exam_strategy(load_bank(DATA / "bank_small"), lint_bank(load_bank(DATA / "bank_small"))["per_question"]) is None
    assert "always-longest on 30 practice exams" in format_report(report)
