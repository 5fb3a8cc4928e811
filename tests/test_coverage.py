"""Where each DVA-C03 skill is taught and tested: section declarations, the coverage report, its
known-gaps list, the index's generated exam-guide table and the learner's per-task view."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS

from course_utils.quiz import load_bank
from course_utils.quiz.progress import ProgressStore
from course_utils.syllabus import coverage, load_syllabus, skill_link
from course_utils.syllabus.view import guide, index_problems, task_scores

DOMAIN_NOTEBOOKS = sorted(NOTEBOOKS.glob("0[1-4]_*.ipynb"))


def _nb(tmp_path: Path, cells: list) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = tmp_path / "01_sample.ipynb"
    nbformat.write(nb, path)
    return path


def test_parse_sections_declared_skills_and_live_cells(tmp_path):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    path = _nb(tmp_path, [
        code('import boto3\nfrom course_utils.sim import ttl, schedules\nsqs = boto3.client("sqs")\niam, sts = boto3.client("iam"), boto3.client("sts")'),
        md('## Queues <a id="queues"></a>\n\n*Exam guide:* [1.1.09](00_index.ipynb#task-1-1) · [4.3.03](00_index.ipynb#task-4-3)\n\nText.'),
        code('url = sqs.create_queue(QueueName="q")["QueueUrl"]'),  # live: a client made in setup
        code('print("just text")'),  # not live
        code('%aws sqs list-queues'),  # live: the CLI magic
        md("More prose, same section."),
        code("ttl.sweep(table)"),  # live: a simulator
        code('sts.get_caller_identity()'),  # live: a client from a tuple assignment
        md('## Undeclared <a id="bare"></a>\n\nNo guide line.'),
        code("x = 1"),
        md("## Wrap-up\n\nEnds the section before."),
        code('boto3.client("s3")'),  # after Wrap-up: in no section
    ])
    first, second = coverage.parse_notebook(path)
    assert (first.ref, first.title, first.skills) == ("01_sample#queues", "Queues", ["1.1.09", "4.3.03"])
    assert first.links[1] == ("4.3.03", "00_index.ipynb#task-4-3")
    assert (first.code_cells, first.live_cells) == (5, 4)
    assert (second.skills, second.code_cells, second.live_cells) == ([], 1, 0)
    assert coverage.parse_notebook(tmp_path / "missing.ipynb") == []


def test_every_section_declares_skills_that_exist_with_the_right_links():
    known = load_syllabus().skill_ids()
    sections = coverage.section_skills()
    assert {Path(s.notebook).stem for s in sections} == {p.stem for p in DOMAIN_NOTEBOOKS}
    for s in sections:
        assert s.skills, f"{s.ref}: no '*Exam guide:*' line under the heading"
        assert s.skills == sorted(s.skills) and len(set(s.skills)) == len(s.skills), s.ref
        for sid, href in s.links:
            assert sid in known, f"{s.ref}: unknown skill {sid}"
            assert href == skill_link(sid), f"{s.ref}: {sid} links to {href}"


def test_every_question_is_taught_where_it_points():
    """A question's section declares at least one of the question's skills."""
    declared = {s.ref: set(s.skills) for s in coverage.section_skills()}
    wrong = [f"{q.id} -> {q.section} {q.skills}" for q in load_bank().questions if q.section in declared and not declared[q.section] & set(q.skills)]
    assert wrong == []


@pytest.fixture(scope="module")
def report():
    return coverage.coverage_report()


def test_report_shape_and_counts(report):
    assert report["exam"] == "DVA-C03"
    assert report["domains"][2] == {"number": 3, "name": "Testing and Deployment", "weight": 22}
    assert [r["id"] for r in report["skills"]] == [k.id for k in load_syllabus().skills]
    assert set(report["skills"][0]) == {"id", "task", "text", "sections", "live_cells", "questions", "flashcards"}
    bank = load_bank()
    by_id = {r["id"]: r for r in report["skills"]}
    # Counts agree with the bank, skill by skill.
    for sid in ("1.2.07", "2.2.02", "4.2.06"):
        assert by_id[sid]["questions"] == sum(sid in q.skills for q in bank.questions)
        assert by_id[sid]["flashcards"] == sum(sid in c.skills for c in bank.flashcards)
    # Lambda configuration is taught with live cells in Domain 1.
    assert "01_development#lambda-configuration" in by_id["1.2.07"]["sections"] and by_id["1.2.07"]["live_cells"] > 0


def test_gaps_are_exactly_the_known_ones(report):
    """A new gap fails, and so does a listed gap that is covered now: the list only shrinks."""
    found = {g["skill"]: g["reason"] for g in report["gaps"]}
    known = coverage.known_gaps()
    assert sorted(set(found) - set(known)) == [], "gaps not listed in course_utils/data/coverage_gaps.yaml"
    assert sorted(set(known) - set(found)) == [], "covered now: remove from course_utils/data/coverage_gaps.yaml"
    for sid, reason in known.items():
        assert reason, f"{sid}: a known gap needs a reason"


def test_gap_rule(tmp_path):
    # Against the small fixture bank nearly every skill has fewer than 3 questions.
    small = load_bank(Path(__file__).resolve().parent / "data" / "bank_small")
    rep = coverage.coverage_report(bank=small)
    reasons = {g["skill"]: g["reason"] for g in rep["gaps"]}
    assert "1 question(s), 3 needed" in reasons["1.2.07"]
    assert "no section teaches it" not in reasons.get("2.3.01", "")  # taught in 02_security since issue 18
    # With only notebook 02 present, a skill no section declares and no question tests is a gap for both reasons
    import shutil

    from course_utils.meta import notebooks_dir

    shutil.copy(notebooks_dir() / "02_security.ipynb", tmp_path)
    only_02 = coverage.coverage_report(notebooks=tmp_path, bank=small)
    reasons_02 = {g["skill"]: g["reason"] for g in only_02["gaps"]}
    taught = {sid for sec in coverage.section_skills(tmp_path) for sid in sec.skills}
    untaught = [sid for sid, why in reasons_02.items() if sid not in taught and "0 question(s)" in why]
    assert untaught, reasons_02
    assert all(reasons_02[sid] == "no section teaches it; 0 question(s), 3 needed" for sid in untaught)
    assert "no section teaches it" not in reasons_02.get("2.3.01", "")


def test_known_gaps_file_problems(tmp_path):
    bad = tmp_path / "gaps.yaml"
    bad.write_text("gaps:\n  - skill: '1.1.01'\n", encoding="utf-8")
    with pytest.raises(ValueError, match="needs 'skill' and 'reason'"):
        coverage.known_gaps(bad)
    bad.write_text("gaps:\n  - {skill: '1.1.01', reason: a}\n  - {skill: '1.1.01', reason: b}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="listed twice"):
        coverage.known_gaps(bad)
    assert coverage.known_gaps(tmp_path / "none.yaml") == {}


def test_cli_coverage_json_and_exit_codes(capsys):
    from course_utils.cli import main

    code = main(["syllabus", "coverage", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert data["exam"] == "DVA-C03" and len(data["skills"]) == 121
    assert code == (1 if data["gaps"] else 0)
    assert main(["syllabus", "coverage", "--known"]) == 0
    text = capsys.readouterr().out
    for gap in data["gaps"]:
        assert f"  {gap['skill']}: {gap['reason']} [known" in text


def test_cli_known_fails_on_a_stale_or_new_gap(capsys, tmp_path, monkeypatch):
    from course_utils.cli import main

    known = coverage.known_gaps()
    covered = next(r["id"] for r in coverage.coverage_report()["skills"] if r["id"] not in known)
    stale = tmp_path / "gaps.yaml"
    entries = [{"skill": covered, "reason": "pretend"}] + [{"skill": k, "reason": v} for k, v in list(known.items())[1:]]
    stale.write_text(json.dumps({"gaps": entries}), encoding="utf-8")
    monkeypatch.setattr(coverage, "gaps_path", lambda: stale)
    assert main(["syllabus", "coverage", "--known"]) == 1
    out = capsys.readouterr().out
    assert f"stale entry in data/coverage_gaps.yaml: {covered}" in out
    if known:
        assert f"gap not in data/coverage_gaps.yaml: {next(iter(known))}" in out


def test_index_tables_are_current():
    assert index_problems() == [], "run: python -m course_utils syllabus index --fix"


def test_index_rewrites_a_stale_table(tmp_path):
    path = tmp_path / "00_index.ipynb"
    nb = json.loads((NOTEBOOKS / "00_index.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["id"] == "exam-guide-table")
    cell["source"] = ["stale"]
    path.write_text(json.dumps(nb), encoding="utf-8")
    assert index_problems(notebook=path) == ["00_index.ipynb: cell 'exam-guide-table' is out of date with the syllabus or the notebooks"]
    index_problems(fix=True, notebook=path)
    assert index_problems(notebook=path) == []
    text = "".join(next(c for c in json.loads(path.read_text())["cells"] if c["id"] == "exam-guide-table")["source"])
    for t in load_syllabus().tasks:
        assert f'<a id="{t.anchor}"></a>{t.id}' in text


LINK = re.compile(r"\]\((\d\d_[a-z0-9_]+\.ipynb)(?:#([A-Za-z0-9-]+))?\)")


def test_every_link_between_notebooks_lands():
    anchors = {}
    for path in NOTEBOOKS.glob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        found = set(re.findall(r'<a\s+id="([a-z0-9-]+)"', "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")))
        found |= {line[3:].strip().replace(" ", "-") for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("## ")}
        anchors[path.name] = found
    broken = []
    for path in NOTEBOOKS.glob("*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for target, anchor in LINK.findall(cell.source):
                if target not in anchors or (anchor and anchor not in anchors[target]):
                    broken.append(f"{path.name}: {target}#{anchor}")
    assert broken == []


def test_guide_shows_where_each_task_is_taught_and_the_learners_score(tmp_path):
    store = ProgressStore(tmp_path / "progress.json")
    bank = load_bank()
    lambda_q = [q for q in bank.questions if q.task == "1.2"][:3]
    store.record_answer(lambda_q[0].id, ["A"], False, at="2026-12-01T10:00:00+00:00")
    store.record_answer(lambda_q[0].id, lambda_q[0].correct, True, at="2026-12-02T10:00:00+00:00")  # latest counts
    store.record_answer(lambda_q[1].id, ["A"], False)
    scores = task_scores(store=store, bank=bank)
    assert scores["1.2"]["answered"] == 2 and scores["1.2"]["right"] == 1
    assert scores["1.2"]["questions"] == sum(q.task == "1.2" for q in bank.questions)
    g = guide(store=store, bank=bank)
    text = g.text()
    assert f"Task 1.2 Develop code for AWS Lambda: 1 of 2 answered right (50 %); {scores['1.2']['questions']} questions in the bank" in text
    assert "1.2.07" in text and "01_development#lambda-configuration" in text
    html = g._repr_mimebundle_()["text/html"]
    assert html.count('class="course-syllabus-task"') == 12
    assert 'href="01_development.ipynb#lambda-configuration"' in html
