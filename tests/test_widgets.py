"""Quiz, drill and progress widgets driven from Python: set values, click, read the Output."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from course_utils import quiz as quiz_pkg
from course_utils.quiz.bank import load_bank
from course_utils.quiz.progress import ProgressStore
from course_utils.quiz.widgets import output_text

SMALL = Path(__file__).resolve().parent / "data" / "bank_small"


@pytest.fixture
def bank():
    return load_bank(SMALL, strict=True)


def test_single_question_wrong_then_right(bank, store):
    q = quiz_pkg.quiz(ids=["d1-fixture-lambda-timeout"], bank=bank)
    card = q.cards[0]
    assert "course-quiz" in q.widget._dom_classes and "course-quiz-feedback" in card.feedback._dom_classes
    assert card.selector.options[1] == ("B. Raise the function's timeout setting.", "B")

    card.selector.value = "A"
    card.check_button.click()
    text = output_text(card.feedback)
    assert text.startswith("Not quite. The right answer: B. You chose A.")
    # Every option's explanation is shown, marked right or wrong.
    for option in card.question.options:
        assert option.explanation in text
    assert "A. [wrong] (your choice)" in text and "B. [correct]" in text
    assert "01_development#lambda-configuration" in text
    html = card.feedback.outputs[0]["data"]["text/html"]
    assert "course-result-wrong" in html and "configuration-timeout.html" in html

    card.selector.value = "B"
    card.check_button.click()
    assert output_text(card.feedback).startswith("Correct! You chose B.")
    assert [(r["chosen"], r["correct"], r["source"]) for r in store.answers("d1-fixture-lambda-timeout")] == [
        (["A"], False, "quiz"),
        (["B"], True, "quiz"),
    ]


def test_check_with_nothing_selected_records_nothing(bank, store):
    card = quiz_pkg.quiz(ids=["d1-fixture-lambda-timeout"], bank=bank).cards[0]
    card.check_button.click()
    assert output_text(card.feedback) == "Select an answer first: nothing was recorded."
    assert store.answers() == {}
    assert not store.path.exists() or store.read()["answers"] == {}


def test_multiple_response_needs_exactly_n(bank, store):
    card = quiz_pkg.quiz(ids=["d1-fixture-sqs-visibility"], bank=bank).cards[0]
    assert card.selector is None and len(card.checkboxes) == 5
    card.checkboxes[0].value = True
    card.check_button.click()
    assert "asks you to choose 2; you selected 1" in output_text(card.feedback)
    card.checkboxes[2].value = True
    card.checkboxes[3].value = True
    card.check_button.click()
    assert "you selected 3" in output_text(card.feedback)
    assert store.answers() == {}

    card.checkboxes[3].value = False
    card.check_button.click()  # A + C: one right, one wrong -> no partial credit
    assert output_text(card.feedback).startswith("Not quite. The right answer: A, B. You chose A, C.")
    card.choose(["B", "A"])
    card.check_button.click()
    assert output_text(card.feedback).startswith("Correct!")
    assert [r["correct"] for r in store.answers("d1-fixture-sqs-visibility")] == [False, True]


def test_select_by_tag_and_headless_text(bank, store):
    q = quiz_pkg.quiz(tags="lambda", bank=bank)
    assert [c.question.id for c in q.cards] == ["d1-fixture-lambda-timeout", "d1-fixture-sqs-visibility"]
    bundle = q._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    plain = bundle["text/plain"]
    assert "Q1. A Lambda function stops after 3 seconds" in plain and "B. Raise the function's timeout setting." in plain
    assert "(Choose two.)" in plain and "VBox(" not in plain
    assert "- **B.** Raise the function's timeout setting." in bundle["text/markdown"]
    # The answers are not given away in the headless rendering.
    assert "default timeout is 3 seconds" not in plain


def test_unknown_id_raises_and_malformed_id_is_a_note(tmp_path, store):
    with pytest.raises(KeyError, match="d1-does-not-exist"):
        quiz_pkg.quiz(ids=["d1-does-not-exist"], data_dir=SMALL)
    import shutil

    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    text = (data / "questions" / "domain2.yaml").read_text().replace("correct: [B]", "correct: [Q]")
    (data / "questions" / "domain2.yaml").write_text(text)
    q = quiz_pkg.quiz(ids=["d2-fixture-kms-envelope", "d1-fixture-lambda-timeout"], data_dir=data)
    assert [c.question.id for c in q.cards] == ["d1-fixture-lambda-timeout"]
    assert "Question d2-fixture-kms-envelope is unavailable: correct:" in q.text()


def test_select_by_section_and_link_to_its_anchor(bank, store):
    q = quiz_pkg.quiz(section="01_development#sqs-visibility", bank=bank)
    assert [c.question.id for c in q.cards] == ["d1-fixture-sqs-visibility"]
    card = q.cards[0]
    card.choose(["A", "B"])  # a multiple-response question: choose two
    card.check_button.click()
    html = "".join(o.get("data", {}).get("text/html", "") for o in card.feedback.outputs)
    assert 'href="01_development.ipynb#sqs-visibility"' in html
    empty = quiz_pkg.quiz(section="01_development#no-such-section", bank=bank)
    assert empty.cards == [] and "section '01_development#no-such-section'" in empty.text()


def test_no_match_says_so(bank, store):
    q = quiz_pkg.quiz(tags=["nonexistent-tag"], bank=bank)
    assert q.cards == [] and "No questions in the bank match" in q.text()


def test_drill_reveal(store):
    d = quiz_pkg.drill("drill-d1-fixture-cache", data_dir=SMALL)
    assert "course-drill" in d.widget._dom_classes
    plain = d._repr_mimebundle_()["text/plain"]
    assert "read thousands of times a second" in plain and "A. DynamoDB Accelerator (DAX)" in plain
    assert "Microseconds plus DynamoDB" not in plain  # the insight stays hidden until revealed

    d.selector.value = "B"
    d.reveal_button.click()
    text = output_text(d.feedback)
    assert text.startswith("Not quite. You chose B.")
    assert "Answer: A. DynamoDB Accelerator (DAX)" in text and "Insight: Microseconds plus DynamoDB means DAX." in text
    assert "B. [wrong] A global secondary index -- An index changes the access pattern" in text
    assert "Option | Latency | Code change" in text and "Blueprint (python):" in text
    assert "Exam rule: Microsecond reads on DynamoDB: DAX." in text
    assert "Proof: run course_utils.quiz.schema:drill_rules()" in text
    html = d.feedback.outputs[0]["data"]["text/html"]
    assert "<table" in html and "<th>Latency</th>" in html and "language-python" in html
    assert [r["correct"] for r in store.read()["drills"]["drill-d1-fixture-cache"]] == [False]


def test_drill_reveal_without_choice_records_nothing(store):
    d = quiz_pkg.drill("drill-d1-fixture-cache", data_dir=SMALL)
    d.reveal_button.click()
    assert output_text(d.feedback).startswith("Answer: A.")
    assert store.read()["drills"] == {}


def test_package_session_state_drill(tmp_path):
    d = quiz_pkg.drill("drill-d1-session-state", store=ProgressStore(tmp_path / "p.json"))
    assert d.drill.correct == "C" and d.drill.blueprint.language == "bash"
    d.selector.value = "A"
    d.reveal_button.click()
    text = output_text(d.feedback)
    assert text.startswith("Not quite. You chose A.")
    assert "Answer: C. Store sessions in an Amazon DynamoDB table" in text
    for o in d.drill.options:
        assert o.why in text
    assert "aws dynamodb create-table --table-name Sessions" in text


def test_unknown_drill():
    with pytest.raises(KeyError, match="known drills: drill-d1-fixture-cache"):
        quiz_pkg.drill("drill-d1-nope", data_dir=SMALL)


def test_progress_widget_download_and_upload(store, tmp_path):
    store.record_answer("d1-fixture-lambda-timeout", ["B"], True)
    pw = quiz_pkg.progress_widget()
    b64 = pw.prepare_download()
    assert json.loads(base64.b64decode(b64))["answers"]["d1-fixture-lambda-timeout"][0]["correct"] is True
    assert "download=\"dva-course-progress.json\"" in pw.output.outputs[0]["data"]["text/html"]

    other = ProgressStore(tmp_path / "other.json")
    other.record_answer("d2-fixture-kms-envelope", ["A"], False)
    payload = other.path.read_bytes()
    pw.upload.value = ({"name": "from-binder.json", "type": "application/json", "size": len(payload), "content": memoryview(payload), "last_modified": datetime.now(timezone.utc)},)
    assert "Imported from-binder.json: added 1 answers" in output_text(pw.output)
    assert set(store.read()["answers"]) == {"d1-fixture-lambda-timeout", "d2-fixture-kms-envelope"}

    junk = b"not json"
    pw.upload.value = ({"name": "junk.json", "type": "application/json", "size": len(junk), "content": memoryview(junk), "last_modified": datetime.now(timezone.utc)},)
    assert output_text(pw.output).startswith("Not imported: junk.json is not a progress file")


def test_public_surface_is_lazy():
    import subprocess
    import sys

    code = (
        "import sys, course_utils, course_utils.quiz as q; "
        "heavy = [m for m in ('ipywidgets', 'matplotlib', 'pydantic', 'yaml') if m in sys.modules]; "
        "assert not heavy, heavy; assert callable(q.quiz) and callable(q.drill) and callable(q.flashcards); "
        "assert 'practice_exam' in q.__all__"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_progress_widget_buttons_fit_their_labels(store):
    # ipywidgets' default button is 148 px: "Prepare download" (154 px) and "Import progress (0)" (163 px) were cut
    pw = quiz_pkg.progress_widget()
    for control in (pw.download_button, pw.upload):
        assert control.layout.width == "auto", (control.description, control.layout.width)
    assert pw.download_button in pw.widget.children[1].children  # in a row (HBox), an auto width is the label's width
