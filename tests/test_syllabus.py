"""The DVA-C03 syllabus as data: schema, numbering, facts, and precise problems for a bad file."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from course_utils.syllabus import SyllabusError, load_syllabus, skill_link, syllabus_path, task_link

SYLLABUS = Path(__file__).resolve().parent.parent / "course_utils" / "data" / "syllabus.yaml"


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(SYLLABUS.read_text(encoding="utf-8"))


def test_the_course_syllabus_is_dva_c03():
    s = load_syllabus()
    assert s.exam.code == "DVA-C03" and s.exam.predecessor == "DVA-C02"
    assert s.exam.in_use_from == "2026-12-01" and s.exam.predecessor_until == "2026-11-30"
    assert [(d.number, d.name, d.weight) for d in s.domains] == [
        (1, "Development with AWS Services", 30),
        (2, "Security", 26),
        (3, "Testing and Deployment", 22),
        (4, "Troubleshooting and Optimization", 22),
    ]
    assert [d.c02_weight for d in s.domains] == [32, 26, 24, 18] and s.domain(3).c02_name == "Deployment"
    assert [t.id for t in s.tasks] == ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "3.1", "3.2", "3.3", "4.1", "4.2", "4.3"]
    assert len(s.skills) == 121 and len(s.skill_ids()) == 121


def test_task_2_3_is_new_and_titled_as_aws_publishes_it():
    t = load_syllabus().task("2.3")
    assert t.title_published and t.title.startswith("Identify and mitigate security risks")
    assert [k.origin for k in t.skills] == ["new"] * 5 and not any(k.reconstructed for k in t.skills)


def test_origins_record_the_c02_to_c03_moves():
    s = load_syllabus()
    moved = {k.id: k.from_task for k in s.skills if k.origin == "moved"}
    # AWS's recategorisations: serialization 1.3 -> 1.1, SAM unit tests 1.1 -> 3.2, stages 3.4 -> 3.1,
    # IaC templates 3.3 -> 3.3, Lambda tuning 1.2 -> 4.3.
    assert moved == {"1.1.12": "1.3", "3.2.01": "1.1", "3.1.09": "3.4", "3.3.08": "3.3", "4.3.06": "1.2"}
    assert s.skill("4.3.06").origin_text() == "moved from C02 task 1.2"
    assert s.skill("1.3.03").origin == "merged" and s.skill("1.3.03").from_tasks == ["1.3"]
    assert s.skill("1.1.14").origin_text() == "new in DVA-C03"
    assert sum(k.origin == "new" for k in s.skills) == 14


def test_format_facts_say_what_is_confirmed_for_c03():
    s = load_syllabus()
    confirmed = {f.id: f.confirmed_c03 for f in s.facts}
    assert confirmed == {"domain-weights": True, "questions": False, "duration": False, "scoring": False, "question-types": False}
    assert "not published it for DVA-C03" in s.fact("duration").note


def test_links_point_at_the_task_anchor_in_the_index():
    assert task_link("1.2") == "00_index.ipynb#task-1-2"
    assert skill_link("4.3.06") == "00_index.ipynb#task-4-3"
    assert load_syllabus().task("2.3").anchor == "task-2-3"


def _write(tmp_path: Path, data) -> Path:
    path = tmp_path / "syllabus.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


BROKEN = {
    "weights-not-100": (lambda d: d["domains"][3].update(weight=18), "domains: the domain weights add up to 96, not 100"),
    "skill-out-of-order": (
        lambda d: d["domains"][0]["tasks"][1]["skills"][2].update(id="1.2.09"),
        "domains[0].tasks[1].skills[2].id: expected skill 1.2.03",
    ),
    "task-misnumbered": (lambda d: d["domains"][2]["tasks"][2].update(id="3.4"), "domains[2].tasks[2].id: expected task 3.3, got 3.4"),
    "moved-without-source": (
        lambda d: d["domains"][3]["tasks"][2]["skills"][5].pop("from_task"),
        "domains[3].tasks[2].skills[5]: Value error, a moved skill names the task it moved from",
    ),
    "unknown-origin": (lambda d: d["domains"][0]["tasks"][0]["skills"][0].update(origin="renamed"), "domains[0].tasks[0].skills[0].origin"),
    "fact-without-flag": (lambda d: d["facts"][1].pop("confirmed_c03"), "facts[1].confirmed_c03: Field required"),
    "bad-skill-id": (lambda d: d["domains"][1]["tasks"][0]["skills"][0].update(id="2.1-01"), "domains[1].tasks[0].skills[0].id"),
    "extra-key": (lambda d: d["domains"][0].update(colour="blue"), "domains[0].colour: Extra inputs"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_broken_syllabus_names_the_place(tmp_path, raw, case):
    change, fragment = BROKEN[case]
    data = copy.deepcopy(raw)
    change(data)
    path = _write(tmp_path, data)
    with pytest.raises(SyllabusError) as info:
        load_syllabus(path)
    assert any(fragment in p for p in info.value.problems), info.value.problems
    assert str(path) in str(info.value)


def test_unreadable_and_non_yaml_files(tmp_path):
    with pytest.raises(SyllabusError, match="cannot be read"):
        load_syllabus(tmp_path / "missing.yaml")
    bad = tmp_path / "syllabus.yaml"
    bad.write_text("domains: [unclosed\n", encoding="utf-8")
    with pytest.raises(SyllabusError, match="not valid YAML"):
        load_syllabus(bad)
    bad.write_text("- a list\n", encoding="utf-8")
    with pytest.raises(SyllabusError, match="must be a mapping"):
        load_syllabus(bad)


def test_syllabus_path_prefers_a_data_dir_copy(tmp_path):
    assert syllabus_path() == SYLLABUS.resolve()
    assert syllabus_path(tmp_path) == SYLLABUS.resolve()  # no copy there
    (tmp_path / "syllabus.yaml").write_text("x: 1\n", encoding="utf-8")
    assert syllabus_path(tmp_path) == tmp_path / "syllabus.yaml"


def test_cache_sees_an_edit(tmp_path, raw):
    path = _write(tmp_path, raw)
    assert load_syllabus(path).domain(1).weight == 30
    data = copy.deepcopy(raw)
    data["domains"][0]["weight"], data["domains"][1]["weight"] = 29, 27
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "\n# edited\n", encoding="utf-8")
    assert load_syllabus(path).domain(1).weight == 29


def test_cli_validate(capsys):
    from course_utils.cli import main

    assert main(["syllabus", "validate"]) == 0
    assert "syllabus OK: DVA-C03, 4 domains, 12 task statements, 121 skills" in capsys.readouterr().out
