"""The DVA-C03 syllabus as data: exam facts, domains, task statements and skills, and where the
course teaches and tests each skill.

    from course_utils import syllabus

    s = syllabus.load_syllabus()        # validated data/syllabus.yaml
    s.skill("1.2.06").text
    syllabus.coverage_report()          # per skill: sections, live cells, questions, flashcards
    syllabus.guide()                    # the index's view: per task, where it is taught and your score

``python -m course_utils syllabus validate|coverage|index`` is the command line. Importing this
package is cheap: pydantic, YAML and the notebooks load on first use.
"""

from __future__ import annotations

from ..lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "SKILL_ID": "schema",
    "Syllabus": "schema",
    "Skill": "schema",
    "Task": "schema",
    "Domain": "schema",
    "Fact": "schema",
    "load_syllabus": "loader",
    "syllabus_path": "loader",
    "SyllabusError": "loader",
    "skill_link": "loader",
    "task_link": "loader",
    "section_skills": "coverage",
    "coverage_report": "coverage",
    "known_gaps": "coverage",
    "GUIDE_LINE": "coverage",
    "guide": "view",
    "facts_markdown": "view",
    "index_markdown": "view",
    "task_scores": "view",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
