"""The syllabus for learners: the index's generated tables and a live guide with their scores.

The index notebook holds two generated markdown cells (cell ids ``exam-facts`` and
``exam-guide-table``): the exam facts, each marked confirmed or not for DVA-C03, and one row per
task statement with its anchor (``task-1-2``, what the notebooks' *Exam guide* lines link to)
and links to the sections that teach it. ``python -m course_utils syllabus index --fix``
rewrites them; a test fails when they drift from the syllabus or the notebooks.

:func:`guide` is the code cell under that table: per task statement, its skills, where each is
taught, and how the learner has scored on its questions (from the progress file).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

__all__ = ["facts_markdown", "index_markdown", "index_problems", "task_scores", "guide", "Guide", "GENERATED_CELLS"]

_NOTE = "<!-- generated from course_utils/data/syllabus.yaml: python -m course_utils syllabus index --fix -->"


def facts_markdown(syllabus=None) -> str:
    """The exam's format facts as a Markdown table, each marked confirmed for the exam or not."""
    from .loader import load_syllabus

    s = syllabus or load_syllabus()
    rows = [
        "## The exam",
        "",
        f"{s.exam.code} is the {s.exam.name} exam in use since {s.exam.in_use_from}; "
        f"{s.exam.predecessor} was in use until {s.exam.predecessor_until}. It checks that you can build, "
        "secure, test, deploy and debug applications on AWS as a developer.",
        "",
        f"| | | Confirmed for {s.exam.code}? |",
        "|---|---|---|",
    ]
    for f in s.facts:
        mark = "yes" if f.confirmed_c03 else f"**no**: {f.note}"
        rows.append(f"| {f.label} | {f.value} | {mark} |")
    rows += [
        "",
        f"AWS's only published text on {s.exam.code} so far is its comparison with {s.exam.predecessor}: domain "
        "names and weights, the new task 2.3 and the skills added, moved and merged. Where AWS has not confirmed "
        f"a {s.exam.predecessor} figure for {s.exam.code}, this course uses the {s.exam.predecessor} figure and says so. "
        f"Check [the certification page]({s.exam.reference}) before you book.",
        "",
        _NOTE,
    ]
    return "\n".join(rows)


def index_markdown(syllabus=None, sections=None) -> str:
    """One row per task statement: its anchor, title, skills and the sections that teach it."""
    from .coverage import section_skills, task_sections
    from .loader import load_syllabus

    s = syllabus or load_syllabus()
    by_task = task_sections(sections if sections is not None else section_skills())
    rows = [
        f"## The {s.exam.code} exam guide <a id=\"exam-guide\"></a>",
        "",
        f"The exam has {len(s.domains)} domains and {len(s.tasks)} task statements. Every section of the domain "
        "notebooks names the skills it teaches in an *Exam guide* line under its heading, which links here. "
        "Titles marked † are the DVA-C02 wording (AWS has not published the DVA-C03 title yet).",
        "",
        "| Task | Statement | Skills | Where it is taught |",
        "|---|---|---|---|",
    ]
    for d in s.domains:
        rows.append(f"| **Domain {d.number}** | **{d.name}** | **{d.weight} %** of scored questions | |")
        for t in d.tasks:
            new = sum(1 for k in t.skills if k.origin == "new")
            skills = f"{t.skills[0].id}–{t.skills[-1].id}" + (f" ({new} new)" if new else "")
            links = ", ".join(f"[{sec.title}]({sec.notebook}#{sec.anchor})" for sec in by_task.get(t.id, [])) or "*not yet in the course*"
            dagger = "" if t.title_published else " †"
            rows.append(f"| <a id=\"{t.anchor}\"></a>{t.id} | {t.title}{dagger} | {skills} | {links} |")
    rows += ["", _NOTE]
    return "\n".join(rows)


#: Cell id in 00_index.ipynb -> the function that generates its source.
GENERATED_CELLS = {"exam-facts": facts_markdown, "exam-guide-table": index_markdown}


def index_problems(fix: bool = False, notebook: Path | None = None) -> list[str]:
    """Generated cells of the index that are missing or out of date (rewritten when ``fix``)."""
    from ..meta import notebooks_dir
    from .coverage import cell_source

    path = Path(notebook) if notebook is not None else notebooks_dir() / "00_index.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    problems, changed = [], False
    for cell_id, make in GENERATED_CELLS.items():
        cell = next((c for c in nb["cells"] if c.get("id") == cell_id), None)
        if cell is None:
            problems.append(f"{path.name}: no markdown cell with id {cell_id!r} (add one where the table belongs)")
            continue
        want = make()
        have = cell_source(cell)
        if have != want:
            problems.append(f"{path.name}: cell {cell_id!r} is out of date with the syllabus or the notebooks")
            if fix:
                lines = want.split("\n")
                cell["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
                changed = True
    if changed:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return problems


def task_scores(store=None, bank=None) -> dict[str, dict[str, int]]:
    """Per task statement: questions in the bank, answered by you, right at your latest answer.

    Answers from section quizzes and practice exams both count; a question counts once, by its
    most recent answer.
    """
    from ..quiz.bank import load_bank
    from ..quiz.progress import get_store

    bank = bank if bank is not None else load_bank()
    store = store if store is not None else get_store()
    answers = store.answers()
    out: dict[str, dict[str, int]] = {}
    for q in bank.questions:
        row = out.setdefault(q.task, {"questions": 0, "answered": 0, "right": 0})
        row["questions"] += 1
        history = answers.get(q.id) or []
        if history:
            latest = max(history, key=lambda r: r.get("at", ""))
            row["answered"] += 1
            row["right"] += bool(latest.get("correct"))
    return out


class Guide:
    """The exam guide with the learner's scores: rich HTML in Jupyter, readable text elsewhere."""

    def __init__(self, syllabus, sections, scores) -> None:
        self.syllabus, self.sections, self.scores = syllabus, sections, scores

    def _by_skill(self) -> dict[str, list]:
        from .coverage import skill_sections

        return skill_sections(self.sections)

    @staticmethod
    def _score(row: dict[str, int] | None) -> str:
        if not row or not row["questions"]:
            return "no questions yet"
        if not row["answered"]:
            return f"{row['questions']} questions, none answered yet"
        pct = 100 * row["right"] / row["answered"]
        return f"{row['right']} of {row['answered']} answered right ({pct:.0f} %); {row['questions']} questions in the bank"

    def text(self) -> str:
        by_skill = self._by_skill()
        lines = [f"{self.syllabus.exam.code} exam guide: where each task is taught, and your score"]
        for d in self.syllabus.domains:
            lines.append(f"Domain {d.number} {d.name} ({d.weight} %)")
            for t in d.tasks:
                lines.append(f"  Task {t.id} {t.title}: {self._score(self.scores.get(t.id))}")
                for k in t.skills:
                    where = ", ".join(sec.ref for sec in by_skill.get(k.id, [])) or "not yet in the course"
                    lines.append(f"    {k.id} {k.text} [{k.origin_text()}] -> {where}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from ..quiz.section_links import SCRIPT_TAG, section_anchor  # links that open the section in Lab

        esc = html.escape
        by_skill = self._by_skill()
        parts = [f'<div class="course-syllabus"><p><b>{esc(self.syllabus.exam.code)} exam guide</b>: open a task to see its skills and where each is taught. Your score counts your latest answer to each question (section quizzes and practice exams).</p>']
        for d in self.syllabus.domains:
            parts.append(f"<h4>Domain {d.number}: {esc(d.name)} ({d.weight} %)</h4>")
            for t in d.tasks:
                rows = []
                for k in t.skills:
                    links = ", ".join(section_anchor(Path(sec.notebook).stem, sec.anchor, esc(sec.title), "_self", script=False)
                                      for sec in by_skill.get(k.id, [])) or "<i>not yet in the course</i>"
                    rows.append(f"<tr><td>{esc(k.id)}</td><td>{esc(k.text)}<br><small>{esc(k.origin_text())}</small></td><td>{links}</td></tr>")
                parts.append(
                    f'<details class="course-syllabus-task" data-task="{esc(t.id)}"><summary><b>Task {esc(t.id)}</b> {esc(t.title)} '
                    f"· <span class=\"course-syllabus-score\">{esc(self._score(self.scores.get(t.id)))}</span></summary>"
                    f'<table class="course-table"><tr><th>Skill</th><th>What it asks</th><th>Taught in</th></tr>{"".join(rows)}</table></details>'
                )
        parts.append(f"{SCRIPT_TAG}</div>")  # the section links' click handler (quiz/section_links.py), once
        return "".join(parts)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        return {"text/plain": self.text(), "text/html": self._repr_html_()}


def guide(store=None, bank=None, notebooks: Path | None = None) -> Guide:
    """Per task statement: its skills, the sections that teach them, and your score on its questions."""
    from .coverage import section_skills
    from .loader import load_syllabus

    return Guide(load_syllabus(), section_skills(notebooks), task_scores(store=store, bank=bank))
