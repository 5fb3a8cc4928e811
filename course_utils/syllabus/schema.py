"""The schema of ``data/syllabus.yaml``: the exam, its format facts, domains, task statements and skills.

Structure and types are checked by pydantic; :func:`syllabus_rules` checks what spans several
entries (weights add up to 100, numbering is sequential and each id sits under its parent), so
that every problem names the one place it is about.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["SKILL_ID", "TASK_ID", "Exam", "Fact", "Skill", "Task", "Domain", "Syllabus", "syllabus_rules"]

#: A skill id: domain, task and a two-digit number (``1.2.06``). The course's own, stable ids.
SKILL_ID = r"^[1-9]\.[1-9]\.\d\d$"
TASK_ID = r"^[1-9]\.[1-9]$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class Exam(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3}-C\d\d$")
    name: str = Field(min_length=1)
    in_use_from: str = Field(pattern=r"^\d{4}-\d\d-\d\d$")
    predecessor: str = Field(pattern=r"^[A-Z]{3}-C\d\d$")
    predecessor_until: str = Field(pattern=r"^\d{4}-\d\d-\d\d$")
    source: str = Field(min_length=1)
    reference: str = Field(pattern=r"^https://")


class Fact(_Strict):
    """One exam-format fact and whether AWS has confirmed it for this exam version."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    label: str = Field(min_length=1)
    value: str = Field(min_length=1)
    confirmed_c03: bool
    note: str = Field(min_length=1)


class Skill(_Strict):
    id: str = Field(pattern=SKILL_ID)
    text: str = Field(min_length=1, max_length=200)
    #: unchanged from the predecessor, new in this version, moved from another task, or merged items.
    origin: Literal["unchanged", "new", "moved", "merged"]
    from_task: str | None = Field(default=None, pattern=TASK_ID)
    from_tasks: list[str] | None = None
    #: True when AWS has not published this version's wording (the predecessor's item, placed by AWS's rules).
    reconstructed: bool

    @model_validator(mode="after")
    def _origin_fields(self) -> "Skill":
        if self.origin == "moved" and not self.from_task:
            raise ValueError("a moved skill names the task it moved from (from_task)")
        if self.origin == "merged" and not self.from_tasks:
            raise ValueError("a merged skill names the tasks its items came from (from_tasks)")
        if self.origin != "moved" and self.from_task:
            raise ValueError(f"from_task is only for moved skills, this one is {self.origin}")
        if self.origin != "merged" and self.from_tasks:
            raise ValueError(f"from_tasks is only for merged skills, this one is {self.origin}")
        return self

    @property
    def task(self) -> str:
        return self.id.rsplit(".", 1)[0]

    @property
    def domain(self) -> int:
        return int(self.id.split(".")[0])

    def origin_text(self) -> str:
        """The origin in words: 'unchanged from DVA-C02', 'moved from C02 task 1.2', ..."""
        if self.origin == "moved":
            return f"moved from C02 task {self.from_task}"
        if self.origin == "merged":
            return f"merged from C02 task(s) {', '.join(self.from_tasks or [])}"
        return "new in DVA-C03" if self.origin == "new" else "unchanged from DVA-C02"


class Task(_Strict):
    id: str = Field(pattern=TASK_ID)
    title: str = Field(min_length=1)
    #: False when AWS has not published the title for this version (the predecessor's title is used).
    title_published: bool
    c02_tasks: list[str] = Field(default_factory=list)
    skills: list[Skill] = Field(min_length=1)

    @property
    def domain(self) -> int:
        return int(self.id.split(".")[0])

    @property
    def anchor(self) -> str:
        """The anchor of this task in the index notebook (``task-1-2``)."""
        return "task-" + self.id.replace(".", "-")


class Domain(_Strict):
    number: int = Field(ge=1, le=9)
    name: str = Field(min_length=1)
    weight: int = Field(ge=1, le=100)
    c02_name: str = Field(min_length=1)
    c02_weight: int = Field(ge=1, le=100)
    tasks: list[Task] = Field(min_length=1)


class Syllabus(_Strict):
    exam: Exam
    facts: list[Fact] = Field(min_length=1)
    domains: list[Domain] = Field(min_length=1)

    # -- lookups --------------------------------------------------------------------------
    @property
    def tasks(self) -> list[Task]:
        return [t for d in self.domains for t in d.tasks]

    @property
    def skills(self) -> list[Skill]:
        return [s for t in self.tasks for s in t.skills]

    def domain(self, number: int) -> Domain:
        for d in self.domains:
            if d.number == number:
                return d
        raise KeyError(number)

    def task(self, task_id: str) -> Task:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

    def skill(self, skill_id: str) -> Skill:
        for s in self.skills:
            if s.id == skill_id:
                return s
        raise KeyError(skill_id)

    def skill_ids(self) -> set[str]:
        return {s.id for s in self.skills}

    def weights(self) -> dict[int, int]:
        """Domain number -> weight in percent of the scored questions."""
        return {d.number: d.weight for d in self.domains}

    def fact(self, fact_id: str) -> Fact:
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(fact_id)


def syllabus_rules(s: Syllabus) -> list[tuple[str, str]]:
    """Rules across entries, as ``(where, message)`` pairs; empty when the syllabus is sound."""
    problems: list[tuple[str, str]] = []
    total = sum(d.weight for d in s.domains)
    if total != 100:
        problems.append(("domains", f"the domain weights add up to {total}, not 100"))
    seen_facts: set[str] = set()
    for i, f in enumerate(s.facts):
        if f.id in seen_facts:
            problems.append((f"facts[{i}].id", f"duplicate fact id {f.id!r}"))
        seen_facts.add(f.id)
    for di, d in enumerate(s.domains):
        if d.number != di + 1:
            problems.append((f"domains[{di}].number", f"domains are numbered 1, 2, ... in order: expected {di + 1}, got {d.number}"))
        for ti, t in enumerate(d.tasks):
            where = f"domains[{di}].tasks[{ti}]"
            expected = f"{d.number}.{ti + 1}"
            if t.id != expected:
                problems.append((f"{where}.id", f"expected task {expected}, got {t.id}"))
            for si, skill in enumerate(t.skills):
                want = f"{t.id}.{si + 1:02d}"
                if skill.id != want:
                    problems.append((f"{where}.skills[{si}].id", f"expected skill {want} (numbered in order under task {t.id}), got {skill.id}"))
    return problems
