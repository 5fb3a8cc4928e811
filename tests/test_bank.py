"""Question bank: schema validation, precise problems, partial loading, CLI."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course_utils.quiz import bank as bank_mod
from course_utils.quiz.bank import BankError, load_bank

DATA = Path(__file__).resolve().parent / "data"
SMALL = DATA / "bank_small"
ROOT = Path(__file__).resolve().parent.parent

GOOD_SINGLE = {
    "id": "d3-ok-single",
    "domain": 3,
    "tags": ["codedeploy"],
    "skills": ["3.3.07", "3.1.06"],
    "type": "single",
    "stem": "Which CodeDeploy hook runs after the new version is installed?",
    "options": [
        {"key": "A", "text": "ApplicationStop", "explanation": "Runs before the download."},
        {"key": "B", "text": "AfterInstall", "explanation": "Right: it runs after install."},
        {"key": "C", "text": "BeforeInstall", "explanation": "Runs before install."},
        {"key": "D", "text": "DownloadBundle", "explanation": "Reserved for the agent."},
    ],
    "correct": ["B"],
    "section": "03_testing_and_deployment#codedeploy-hooks",
}
GOOD_MULTIPLE = {
    "id": "d3-ok-multiple",
    "domain": 3,
    "tags": ["cloudformation"],
    "skills": ["3.3.08"],
    "type": "multiple",
    "stem": "Which sections can a CloudFormation template contain? (Choose two.)",
    "options": [
        {"key": "A", "text": "Parameters", "explanation": "Right."},
        {"key": "B", "text": "Outputs", "explanation": "Right."},
        {"key": "C", "text": "Variables", "explanation": "Not a template section."},
        {"key": "D", "text": "Functions", "explanation": "Not a template section."},
        {"key": "E", "text": "Secrets", "explanation": "Not a template section."},
    ],
    "correct": ["A", "B"],
    "section": "03_testing_and_deployment#cloudformation-anatomy",
}


def _bank_dir(tmp_path: Path) -> Path:
    """A copy of the small fixture bank that a test may add files to."""
    target = tmp_path / "data"
    shutil.copytree(SMALL, target)
    return target


def _write(path: Path, data) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _mutate(base: dict, change) -> dict:
    q = copy.deepcopy(base)
    change(q)
    return q


def test_small_bank_loads_cleanly():
    bank = load_bank(SMALL, strict=True)
    assert [q.id for q in bank.questions] == ["d1-fixture-lambda-timeout", "d1-fixture-sqs-visibility", "d2-fixture-kms-envelope"]
    assert len(bank.flashcards) == 3 and [d.id for d in bank.drills] == ["drill-d1-fixture-cache"]
    q = bank.question("d1-fixture-sqs-visibility")
    assert q.type == "multiple" and q.choose == 2 and q.is_correct(["B", "A"]) and not q.is_correct(["A"])


def test_select_by_id_tag_and_domain():
    bank = load_bank(SMALL)
    assert [q.id for q in bank.select(ids=["d2-fixture-kms-envelope", "d1-fixture-lambda-timeout"])] == [
        "d2-fixture-kms-envelope",
        "d1-fixture-lambda-timeout",
    ]
    assert {q.id for q in bank.select(tags=["lambda"])} == {"d1-fixture-lambda-timeout", "d1-fixture-sqs-visibility"}
    assert [q.id for q in bank.select(domain=2)] == ["d2-fixture-kms-envelope"]


MALFORMED = {
    "correct-not-an-option": (GOOD_SINGLE, lambda q: q.update(correct=["E"]), "correct", "not among the options"),
    "single-two-correct": (GOOD_SINGLE, lambda q: q.update(correct=["A", "B"]), "correct", "exactly 1 correct"),
    "single-five-options": (
        GOOD_SINGLE,
        lambda q: q["options"].append({"key": "E", "text": "x", "explanation": "y"}),
        "options",
        "exactly 4 options",
    ),
    "multiple-one-correct": (
        GOOD_MULTIPLE,
        lambda q: q.update(correct=["A"], stem="Pick one. (Choose two.)"),
        "correct",
        "2 or more correct",
    ),
    "multiple-four-options": (GOOD_MULTIPLE, lambda q: q["options"].pop(), "options", "5 or more options"),
    "multiple-all-correct": (
        GOOD_MULTIPLE,
        lambda q: q.update(correct=["A", "B", "C", "D", "E"], stem="All? (Choose five.)"),
        "correct",
        "every option is marked correct",
    ),
    "choose-mismatch": (GOOD_MULTIPLE, lambda q: q.update(stem="Which? (Choose three.)"), "stem", "2 keys are correct"),
    "choose-missing": (GOOD_MULTIPLE, lambda q: q.update(stem="Which sections exist?"), "stem", "(Choose two.)"),
    "bad-section": (GOOD_SINGLE, lambda q: q.update(section="deployment#hooks"), "section", "pattern"),
    "bad-section-slug": (GOOD_SINGLE, lambda q: q.update(section="03_testing_and_deployment#Code_Deploy"), "section", "pattern"),
    "no-explanation": (GOOD_SINGLE, lambda q: q["options"][2].pop("explanation"), "options[2].explanation", "Field required"),
    "domain-mismatch": (GOOD_SINGLE, lambda q: q.update(domain=2), "domain", "differs from the file's domain 3"),
    "unknown-field": (GOOD_SINGLE, lambda q: q.update(difficulty="hard"), "difficulty", "Extra inputs"),
    "no-tags": (GOOD_SINGLE, lambda q: q.update(tags=[]), "tags", "at least 1"),
    "uppercase-tag": (GOOD_SINGLE, lambda q: q.update(tags=["Lambda"]), "tags", "lowercase"),
    "keys-out-of-order": (
        GOOD_SINGLE,
        lambda q: q["options"][1].update(key="C") or q["options"][2].update(key="B"),
        "options",
        "in order",
    ),
    "bad-type": (GOOD_SINGLE, lambda q: q.update(type="truefalse"), "type", "'single' or 'multiple'"),
    "single-says-choose": (GOOD_SINGLE, lambda q: q.update(stem="Which hook? (Choose two.)"), "stem", "must not say"),
    "no-skills-field": (GOOD_SINGLE, lambda q: q.pop("skills"), "skills", "Field required"),
    "empty-skills": (GOOD_SINGLE, lambda q: q.update(skills=[]), "skills", "at least 1"),
    "skill-not-an-id": (GOOD_SINGLE, lambda q: q.update(skills=["3.3.7"]), "skills", "not a skill id like '1.2.06'"),
    "skill-twice": (GOOD_SINGLE, lambda q: q.update(skills=["3.3.07", "3.3.07"]), "skills", "listed twice"),
    "unknown-skill": (GOOD_SINGLE, lambda q: q.update(skills=["3.3.07", "3.4.01"]), "skills[1]", "unknown skill id '3.4.01'"),
    "unknown-primary-skill": (GOOD_SINGLE, lambda q: q.update(skills=["3.3.99"]), "skills[0]", "not in the DVA-C03 syllabus"),
    "primary-skill-other-domain": (
        GOOD_SINGLE,
        lambda q: q.update(skills=["4.3.06", "3.3.07"]),
        "skills[0]",
        "must belong to domain 3, got '4.3.06' (domain 4)",
    ),
}


@pytest.mark.parametrize("case", MALFORMED, ids=list(MALFORMED))
def test_malformed_question_names_file_id_field_and_keeps_the_rest(tmp_path, case):
    base, change, field, fragment = MALFORMED[case]
    data = _bank_dir(tmp_path)
    bad = _mutate(base, change)
    other = GOOD_MULTIPLE if base is GOOD_SINGLE else GOOD_SINGLE
    _write(data / "questions" / "domain3.yaml", {"domain": 3, "questions": [bad, other]})

    bank = load_bank(data)
    problems = [p for p in bank.problems if p.id == bad["id"]]
    assert problems, f"no problem reported for {case}: {bank.problems}"
    assert all(p.file.endswith("domain3.yaml") for p in problems)
    assert any(p.field == field and fragment in p.message for p in problems), [str(p) for p in problems]
    text = str(problems[0])
    assert "domain3.yaml" in text and bad["id"] in text and "field '" in text
    # Nothing else is lost: the other question of that file and every fixture question load.
    ids = {q.id for q in bank.questions}
    assert bad["id"] not in ids
    assert {other["id"], "d1-fixture-lambda-timeout", "d1-fixture-sqs-visibility", "d2-fixture-kms-envelope"} <= ids
    with pytest.raises(BankError) as info:
        load_bank(data, strict=True)
    assert bad["id"] in str(info.value) and "domain3.yaml" in str(info.value)


def test_both_sound_questions_load_in_a_file_of_their_own(tmp_path):
    data = _bank_dir(tmp_path)
    _write(data / "questions" / "domain3.yaml", {"domain": 3, "questions": [GOOD_SINGLE, GOOD_MULTIPLE]})
    bank = load_bank(data, strict=True)
    assert len(bank.questions) == 5


def test_duplicate_id_across_files(tmp_path):
    data = _bank_dir(tmp_path)
    dup = dict(GOOD_SINGLE, id="d1-fixture-lambda-timeout", domain=3)
    _write(data / "questions" / "domain3.yaml", {"domain": 3, "questions": [dup, GOOD_MULTIPLE]})
    bank = load_bank(data)
    [problem] = bank.problems
    assert problem.id == "d1-fixture-lambda-timeout" and problem.field == "id"
    assert problem.file.endswith("domain3.yaml") and "domain1.yaml" in problem.message and "duplicate" in problem.message
    assert [q.id for q in bank.questions].count("d1-fixture-lambda-timeout") == 1
    assert "d3-ok-multiple" in {q.id for q in bank.questions}


def test_yaml_syntax_error_loses_only_that_file(tmp_path):
    data = _bank_dir(tmp_path)
    (data / "questions" / "domain4.yaml").write_text("domain: 4\nquestions:\n  - id: [unclosed\n", encoding="utf-8")
    bank = load_bank(data)
    [problem] = bank.problems
    assert problem.file.endswith("domain4.yaml") and "not valid YAML" in problem.message
    assert len(bank.questions) == 3


@pytest.mark.parametrize(
    "content, field",
    [
        ({"domain": 7, "questions": []}, "domain"),
        ({"domain": 3, "questions": {"a": 1}}, "questions"),
        ({"domain": 3, "questions": [], "extra": 1}, "extra"),
    ],
)
def test_file_level_problems(tmp_path, content, field):
    data = _bank_dir(tmp_path)
    _write(data / "questions" / "domain3.yaml", content)
    bank = load_bank(data)
    assert [p.field for p in bank.problems] == [field]
    assert bank.problems[0].file.endswith("domain3.yaml") and bank.problems[0].id is None


def test_entry_without_id_is_named_by_position(tmp_path):
    data = _bank_dir(tmp_path)
    nameless = {k: v for k, v in GOOD_SINGLE.items() if k != "id"}
    _write(data / "questions" / "domain3.yaml", {"domain": 3, "questions": [GOOD_MULTIPLE, nameless]})
    bank = load_bank(data)
    [problem] = bank.problems
    assert problem.id == "entry #2" and problem.field == "id" and "Field required" in problem.message


def test_bad_flashcard_and_drill(tmp_path):
    data = _bank_dir(tmp_path)
    _write(
        data / "flashcards" / "domain3.yaml",
        {
            "domain": 3,
            "cards": [
                {"id": "fc-d3-ok", "front": "f", "back": "b", "tags": ["x"], "skills": ["3.3.07"]},
                {"id": "fc-d1-wrong-file", "front": "f", "back": "b", "skills": ["3.3.07"]},
                {"id": "fc-d3-no-back", "front": "f", "skills": ["3.3.07"]},
                {"id": "fc-d3-no-skills", "front": "f", "back": "b"},
                {"id": "fc-d3-foreign-primary", "front": "f", "back": "b", "skills": ["1.2.07"]},
            ],
        },
    )
    drills = yaml.safe_load((SMALL / "drills" / "domain1.yaml").read_text())
    broken = copy.deepcopy(drills["drills"][0])
    broken.update(id="drill-d1-broken", correct="F", skills=["1.3.10", "9.9.99"])
    broken["comparison"]["rows"][0] = ["only one cell"]
    drills["drills"].append(broken)
    _write(data / "drills" / "domain1.yaml", drills)

    bank = load_bank(data)
    by_id = {(p.id, p.field) for p in bank.problems}
    assert ("fc-d1-wrong-file", "id") in by_id and ("fc-d3-no-back", "back") in by_id
    assert ("fc-d3-no-skills", "skills") in by_id and ("fc-d3-foreign-primary", "skills[0]") in by_id
    assert ("drill-d1-broken", "correct") in by_id and ("drill-d1-broken", "comparison.rows[0]") in by_id
    assert ("drill-d1-broken", "skills[1]") in by_id
    assert "fc-d3-ok" in {c.id for c in bank.flashcards}
    assert [d.id for d in bank.drills] == ["drill-d1-fixture-cache"]


def test_cache_sees_edits(tmp_path):
    data = _bank_dir(tmp_path)
    assert len(load_bank(data).questions) == 3
    _write(data / "questions" / "domain3.yaml", {"domain": 3, "questions": [GOOD_SINGLE]})
    assert len(load_bank(data).questions) == 4


def test_package_data_is_found_and_valid():
    bank = load_bank()
    assert bank.data_dir == bank_mod.default_data_dir()
    assert "drill-d1-session-state" in {d.id for d in bank.drills}
    assert bank.problems == [], "\n".join(map(str, bank.problems))


def test_stats_counts():
    stats = load_bank(SMALL).stats()
    assert stats["questions"] == 3
    assert stats["per_domain"] == {"1": 2, "2": 1, "3": 0, "4": 0}
    assert stats["per_type"] == {"single": 2, "multiple": 1}
    assert stats["per_tag"]["lambda"] == 2 and stats["per_tag"]["kms"] == 1
    assert stats["flashcards_per_domain"] == {"1": 2, "2": 1, "3": 0, "4": 0}
    assert stats["drills"] == 1


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "course_utils", "bank", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_cli_validate_clean_bank_exits_0():
    result = _cli("validate", "--data", str(SMALL))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "bank OK: 3 questions, 3 flashcards, 1 drills" in result.stdout


def test_cli_validate_lists_problems_and_exits_1(tmp_path):
    data = _bank_dir(tmp_path)
    _write(data / "questions" / "domain3.yaml", {"domain": 3, "questions": [_mutate(GOOD_SINGLE, lambda q: q.update(correct=["Z"]))]})
    result = _cli("validate", "--data", str(data))
    assert result.returncode == 1
    assert "domain3.yaml: d3-ok-single: field 'correct'" in result.stdout
    assert "bank INVALID: 1 problem(s)" in result.stdout


def test_cli_stats_json():
    result = _cli("stats", "--json", "--data", str(SMALL))
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["per_domain"]["1"] == 2 and stats["flashcards"] == 3 and stats["drills"] == 1


def test_cli_keeps_existing_commands():
    from course_utils.cli import build_parser

    commands = build_parser()._subparsers._group_actions[0].choices
    assert {"check", "toc", "badges", "bank"} <= set(commands)


def test_data_dir_env_override(monkeypatch):
    monkeypatch.setenv("DVA_COURSE_BANK", str(SMALL))
    assert bank_mod.default_data_dir() == SMALL.resolve()
    assert len(load_bank().questions) == 3
    monkeypatch.delenv("DVA_COURSE_BANK")
    assert bank_mod.default_data_dir() == ROOT / "course_utils" / "data"


def test_parsed_files_are_cached_as_json_and_a_corrupt_cache_is_ignored(tmp_path, monkeypatch):
    import shutil

    from course_utils.quiz import bank as bank_mod

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    data = tmp_path / "data"
    shutil.copytree(SMALL, data)
    first = bank_mod._load(data.resolve())
    cached = sorted(bank_mod.parsed_cache_dir().glob("*.json"))
    assert len(cached) == len(list(data.rglob("*.yaml")))
    for entry in cached:  # a corrupt entry is parsed again from YAML, not trusted
        entry.write_text("{not json")
    again = bank_mod._load(data.resolve())
    assert [q.id for q in again.questions] == [q.id for q in first.questions] and not again.problems
    # An edited file gets a new cache entry: the cache never serves stale content.
    path = data / "questions" / "domain1.yaml"
    path.write_text(path.read_text().replace("Lambda function stops", "Lambda function halts"))
    edited = bank_mod._load(data.resolve())
    assert any("halts" in q.stem for q in edited.questions)


def test_skills_give_the_primary_skill_and_task():
    q = load_bank(SMALL).question("d1-fixture-sqs-visibility")
    assert q.skills == ["1.1.09", "1.1.02"] and q.primary_skill == "1.1.09" and q.task == "1.1"
    assert load_bank(SMALL).stats()["per_task"] == {"1.1": 1, "1.2": 1, "2.2": 1}


def test_a_broken_syllabus_is_reported_and_not_a_crash(tmp_path):
    data = _bank_dir(tmp_path)
    (data / "syllabus.yaml").write_text("exam: [unclosed\n", encoding="utf-8")
    bank = load_bank(data)
    assert any(p.file.endswith("syllabus.yaml") and "not valid YAML" in p.message for p in bank.problems)
    # The questions still load (skill ids cannot be checked without a syllabus).
    assert len(bank.questions) == 3


def test_every_course_item_names_skills_of_the_syllabus():
    from course_utils.syllabus import load_syllabus

    bank = load_bank()
    known = load_syllabus().skill_ids()
    for item in [*bank.questions, *bank.flashcards, *bank.drills]:
        assert item.skills and set(item.skills) <= known, item.id
        assert item.skills[0].startswith(f"{item.domain}."), item.id
