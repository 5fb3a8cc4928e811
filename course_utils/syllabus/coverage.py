"""Where the course teaches and tests each skill of the syllabus.

Sections declare what they teach
    Every section of a domain notebook is a markdown cell opening with ``## Title <a id="anchor"></a>``;
    right under the heading one line names its skills, each linking to its task statement in the
    index::

        *Exam guide:* [1.2.07](00_index.ipynb#task-1-2) · [4.3.06](00_index.ipynb#task-4-3)

    A section runs until the next ``## `` heading. Its *live* cells are the code cells that call the
    sandbox: a boto3 client or resource, the ``%aws`` magic, the course runtime or a simulator.

The report
    :func:`coverage_report` gives, per skill, the sections that teach it, the live cells in those
    sections, and how many questions and flashcards name it. A skill is a *gap* when no section
    teaches it or fewer than :data:`MIN_QUESTIONS` questions test it. Gaps the course knows about
    are listed, with a reason, in ``data/coverage_gaps.yaml``; that list only shrinks.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "GUIDE_LINE",
    "MIN_QUESTIONS",
    "Section",
    "parse_notebook",
    "section_skills",
    "coverage_report",
    "known_gaps",
    "gaps_path",
    "skill_sections",
    "task_sections",
    "cell_source",
]

#: The line under a section heading that names its skills.
GUIDE_LINE = re.compile(r"^\*Exam guide:\*\s+(?P<links>.+)$", re.M)
_GUIDE_LINK = re.compile(r"\[(?P<id>\d\.\d\.\d\d)\]\((?P<href>[^)\s]+)\)")
_HEADING = re.compile(r"^##\s+(?P<title>.+?)\s*<a\s+id=\"(?P<anchor>[a-z0-9-]+)\"\s*>\s*</a>\s*$", re.M)
_NEXT_SECTION = re.compile(r"^##\s", re.M)
#: A code cell is live when it calls the sandbox: boto3, the %aws magic, the runtime or a simulator.
_CLIENT_ASSIGN = re.compile(r"^\s*([\w\s,]+?)\s*=(?!=)[^\n]*\b(?:boto3|\w*session\w*)\.(?:client|resource)\(", re.M | re.I)
_LIVE_MARKERS = re.compile(r"\bboto3\.|^\s*%%?aws\b|\bruntime\.|\bsim\.|\bsandbox\.", re.M)
_SIM_IMPORT = re.compile(r"from\s+course_utils\.sim\s+import\s+([\w ,]+)")
MIN_QUESTIONS = 3
DOMAIN_NOTEBOOKS = "0[1-9]_*.ipynb"


@dataclass
class Section:
    """One ``## `` section of a notebook: its anchor, title, declared skills and live cells."""

    notebook: str
    anchor: str
    title: str
    skills: list[str] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    live_cells: int = 0
    code_cells: int = 0

    @property
    def ref(self) -> str:
        """``01_development#lambda-basics``: the form questions use in their ``section`` field."""
        return f"{Path(self.notebook).stem}#{self.anchor}"


def cell_source(cell: dict) -> str:
    """A notebook cell's source as one string (nbformat stores a string or a list of lines)."""
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _live_names(cells: list[dict]) -> set[str]:
    names: set[str] = set()
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        text = cell_source(cell)
        for lhs in _CLIENT_ASSIGN.findall(text):  # "sqs = boto3.client(...)", "iam, sts = boto3.client(...), ..."
            names.update(n for n in re.findall(r"\w+", lhs) if n.isidentifier())
        for group in _SIM_IMPORT.findall(text):
            names.update(n.strip() for n in group.split(",") if n.strip())
    return names


def _is_live(text: str, names: set[str]) -> bool:
    if _LIVE_MARKERS.search(text):
        return True
    return any(re.search(rf"\b{re.escape(n)}\.\w+", text) for n in names)


def parse_notebook(path: Path) -> list[Section]:
    """The sections of one notebook, in order (a missing or unreadable file has none)."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = list(nb.get("cells", []))
    except (OSError, ValueError, AttributeError):
        return []
    names = _live_names(cells)
    sections: list[Section] = []
    current: Section | None = None
    for cell in cells:
        text = cell_source(cell)
        if cell.get("cell_type") == "markdown":
            heading = _HEADING.search(text)
            if heading:
                current = Section(Path(path).name, heading["anchor"], heading["title"].strip())
                guide = GUIDE_LINE.search(text)
                if guide:
                    current.links = [(m["id"], m["href"]) for m in _GUIDE_LINK.finditer(guide["links"])]
                    current.skills = [sid for sid, _href in current.links]
                sections.append(current)
                continue
            if _NEXT_SECTION.search(text):
                current = None  # "## Wrap-up" and other unanchored sections end the one before
            continue
        if current is not None and cell.get("cell_type") == "code":
            current.code_cells += 1
            if _is_live(text, names):
                current.live_cells += 1
    return sections


def section_skills(folder: Path | None = None) -> list[Section]:
    """Every anchored section of the domain notebooks (``01_``-``09_``), in notebook order."""
    from ..meta import notebooks_dir

    folder = Path(folder) if folder is not None else notebooks_dir()
    return [s for path in sorted(folder.glob(DOMAIN_NOTEBOOKS)) for s in parse_notebook(path)]


def skill_sections(sections: list[Section]) -> dict[str, list[Section]]:
    """Skill id (``1.2.07``) -> the sections that declare it, in course order."""
    out: dict[str, list[Section]] = {}
    for s in sections:
        for sid in s.skills:
            out.setdefault(sid, []).append(s)
    return out


def task_sections(sections: list[Section]) -> dict[str, list[Section]]:
    """Task id (``1.2``) -> the sections that teach at least one of its skills, in course order."""
    out: dict[str, list[Section]] = {}
    for s in sections:
        for task in dict.fromkeys(sid.rsplit(".", 1)[0] for sid in s.skills):
            out.setdefault(task, []).append(s)
    return out


def gaps_path() -> Path:
    return Path(__file__).resolve().parent.parent / "data" / "coverage_gaps.yaml"


def known_gaps(path: Path | None = None) -> dict[str, str]:
    """Skill id -> reason, from ``data/coverage_gaps.yaml`` (the gaps the course knows about)."""
    import yaml

    file = Path(path) if path is not None else gaps_path()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{file}: cannot be read as YAML: {exc}") from None
    entries = data.get("gaps") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{file}: expected a mapping with a 'gaps' list")
    out: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not (isinstance(entry, dict) and isinstance(entry.get("skill"), str) and isinstance(entry.get("reason"), str)):
            raise ValueError(f"{file}: gaps[{index}] needs 'skill' and 'reason' strings")
        if entry["skill"] in out:
            raise ValueError(f"{file}: gaps[{index}]: skill {entry['skill']} is listed twice")
        out[entry["skill"]] = entry["reason"].strip()
    return out


def coverage_report(*, notebooks: Path | None = None, bank=None, syllabus=None) -> dict[str, Any]:
    """Per skill: sections, live cells, questions and flashcards; plus the gaps found.

    Shape: ``{"exam", "domains": [{"number", "name", "weight"}], "skills": [{"id", "task", "text",
    "sections", "live_cells", "questions", "flashcards"}], "gaps": [{"skill", "reason"}]}``.
    """
    from ..quiz.bank import load_bank
    from .loader import load_syllabus

    syllabus = syllabus or load_syllabus()
    bank = bank if bank is not None else load_bank()
    by_skill = skill_sections(section_skills(notebooks))
    questions: dict[str, int] = {}
    for q in bank.questions:
        for sid in q.skills:
            questions[sid] = questions.get(sid, 0) + 1
    cards: dict[str, int] = {}
    for c in bank.flashcards:
        for sid in c.skills:
            cards[sid] = cards.get(sid, 0) + 1
    rows, gaps = [], []
    for skill in syllabus.skills:
        taught = by_skill.get(skill.id, [])
        n = questions.get(skill.id, 0)
        rows.append({
            "id": skill.id,
            "task": skill.task,
            "text": skill.text,
            "sections": [s.ref for s in taught],
            "live_cells": sum(s.live_cells for s in taught),
            "questions": n,
            "flashcards": cards.get(skill.id, 0),
        })
        reasons = []
        if not taught:
            reasons.append("no section teaches it")
        if n < MIN_QUESTIONS:
            reasons.append(f"{n} question(s), {MIN_QUESTIONS} needed")
        if reasons:
            gaps.append({"skill": skill.id, "reason": "; ".join(reasons)})
    return {
        "exam": syllabus.exam.code,
        "domains": [{"number": d.number, "name": d.name, "weight": d.weight} for d in syllabus.domains],
        "skills": rows,
        "gaps": gaps,
    }
