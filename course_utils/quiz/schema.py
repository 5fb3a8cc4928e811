"""The data schema of the question bank, the flashcards and the scenario drills.

Structure and types are checked by pydantic models; the rules that span several fields
(answer sets, "(Choose N.)", option keys in order) are checked by :func:`question_rules`,
:func:`drill_rules` so that every problem names the one field it is about.

Question files ``data/questions/domainN.yaml``::

    domain: 1
    questions:
      - id: d1-lambda-concurrency-01        # ^d[1-4]-[a-z0-9-]+$, unique across the bank
        domain: 1                          # equals the file's domain
        tags: [lambda, concurrency]        # lowercase, at least one
        skills: ['1.2.05', '4.3.02']       # DVA-C03 skill ids (data/syllabus.yaml); the first is the
                                           # primary skill: it belongs to the question's domain and
                                           # decides its task statement in the exam and the scores
        type: single                       # single: 4 options, 1 correct; multiple: 5+ options, 2+ correct
        stem: "..."                        # multiple ends with "(Choose two.)" matching len(correct)
        options:
          - {key: A, text: "...", explanation: "..."}
        correct: [B]
        section: "01_development#lambda-concurrency"
        references: ["https://docs.aws.amazon.com/..."]   # optional

Flashcard files ``data/flashcards/domainN.yaml``: ``domain`` and ``cards`` (id ``^fc-d[1-4]-...``,
front, back, tags, skills). Drill files ``data/drills/*.yaml``: ``domain`` and ``drills`` (see :class:`Drill`).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "Option",
    "Question",
    "Flashcard",
    "DrillOption",
    "Comparison",
    "Blueprint",
    "PracticeNote",
    "Drill",
    "question_rules",
    "drill_rules",
    "QUESTION_ID",
    "CARD_ID",
    "DRILL_ID",
    "SECTION",
    "CHOOSE_WORDS",
    "Skills",
]

QUESTION_ID = r"^d[1-4]-[a-z0-9-]+$"
CARD_ID = r"^fc-d[1-4]-[a-z0-9-]+$"
DRILL_ID = r"^drill-d[1-4]-[a-z0-9-]+$"
SECTION = r"^\d\d_[a-z0-9_]+#[a-z0-9-]+$"
TAG = r"^[a-z0-9][a-z0-9-]*$"
#: "(Choose N.)" words for multiple-response questions.
CHOOSE_WORDS = {2: "two", 3: "three", 4: "four", 5: "five"}
_CHOOSE = re.compile(r"\(Choose (\w+)\.\)\s*$")



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _tags_ok(tags: list[str]) -> list[str]:
    for tag in tags:
        if not re.match(TAG, tag):
            raise ValueError(f"tag {tag!r} must be lowercase letters, digits and dashes")
    return tags


#: Lowercase tags, checked once here for questions, flashcards and drills alike.
Tags = Annotated[list[str], AfterValidator(_tags_ok)]

SKILL = r"^\d\.\d\.\d\d$"


def _skills_ok(skills: list[str]) -> list[str]:
    for skill in skills:
        if not re.match(SKILL, skill):
            raise ValueError(f"skill {skill!r} is not a skill id like '1.2.06' (data/syllabus.yaml)")
    if len(set(skills)) != len(skills):
        raise ValueError("the same skill is listed twice")
    return skills


#: DVA-C03 skill ids, the first being the primary skill. Whether each id exists in the syllabus,
#: and whether the first belongs to the item's domain, is checked by the bank loader.
Skills = Annotated[list[str], AfterValidator(_skills_ok)]


class _Skilled:
    """The primary skill and its task statement, for questions, flashcards and drills."""

    @property
    def primary_skill(self) -> str:
        return self.skills[0]

    @property
    def task(self) -> str:
        """The task statement (``1.2``) of the primary skill."""
        return self.skills[0].rsplit(".", 1)[0]


class Option(_Strict):
    key: str = Field(pattern=r"^[A-Z]$")
    text: str = Field(min_length=1)
    explanation: str = Field(min_length=1)


class Question(_Strict, _Skilled):
    id: str = Field(pattern=QUESTION_ID)
    domain: int = Field(ge=1, le=4)
    tags: Tags = Field(min_length=1)
    skills: Skills = Field(min_length=1)
    type: Literal["single", "multiple"]
    stem: str = Field(min_length=1)
    options: list[Option] = Field(min_length=2)
    correct: list[str] = Field(min_length=1)
    section: str = Field(pattern=SECTION)
    references: list[str] = Field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [o.key for o in self.options]

    @property
    def choose(self) -> int:
        """How many options the learner must pick."""
        return len(self.correct)

    def option(self, key: str) -> Option:
        return next(o for o in self.options if o.key == key)

    def is_correct(self, chosen) -> bool:
        """All-or-nothing: the chosen set equals the correct set exactly."""
        return set(chosen or ()) == set(self.correct)


class Flashcard(_Strict, _Skilled):
    id: str = Field(pattern=CARD_ID)
    front: str = Field(min_length=1)
    back: str = Field(min_length=1)
    tags: Tags = Field(default_factory=list)
    skills: Skills = Field(min_length=1)

    @property
    def domain(self) -> int:
        return int(self.id[4])


class DrillOption(_Strict):
    key: str = Field(pattern=r"^[A-Z]$")
    text: str = Field(min_length=1)
    why: str = Field(min_length=1)


class Comparison(_Strict):
    columns: list[str] = Field(min_length=2)
    rows: list[list[str]] = Field(min_length=1)


class Blueprint(_Strict):
    language: Literal["bash", "python"]
    code: str = Field(min_length=1)


class PracticeNote(_Strict):
    exam_rule: str = Field(min_length=1)
    real_world: str = Field(min_length=1)


class Drill(_Strict, _Skilled):
    """A scenario drill: a question with the full analysis behind its answer."""

    id: str = Field(pattern=DRILL_ID)
    domain: int = Field(ge=1, le=4)
    title: str = Field(min_length=1)
    scenario: str = Field(min_length=1)
    requirement: str = Field(min_length=1)
    options: list[DrillOption] = Field(min_length=2)
    correct: str = Field(pattern=r"^[A-Z]$")
    insight: str = Field(min_length=1)
    comparison: Comparison
    blueprint: Blueprint
    practice_note: PracticeNote
    tags: Tags = Field(default_factory=list)
    skills: Skills = Field(min_length=1)
    #: A notebook cell tag (``01_development#session-store-proof``) or ``module:function``.
    proof: str | None = Field(default=None, pattern=r"^(\d\d_[a-z0-9_]+#[a-z0-9-]+|[A-Za-z_][\w.]*:[A-Za-z_]\w*)$")

    def option(self, key: str) -> DrillOption:
        return next(o for o in self.options if o.key == key)


def _keys_in_order(keys: list[str]) -> str | None:
    expected = [chr(ord("A") + i) for i in range(len(keys))]
    if keys != expected:
        return f"option keys must be {', '.join(expected)} in order, got {', '.join(keys)}"
    return None


def question_rules(q: Question) -> list[tuple[str, str]]:
    """Rules across fields, as ``(field, message)`` pairs; empty when the question is sound."""
    problems: list[tuple[str, str]] = []
    keys = q.keys
    message = _keys_in_order(keys)
    if message:
        problems.append(("options", message))
    unknown = [k for k in q.correct if k not in keys]
    if unknown:
        problems.append(("correct", f"key(s) {', '.join(unknown)} not among the options {', '.join(keys)}"))
    if len(set(q.correct)) != len(q.correct):
        problems.append(("correct", "the same key is listed twice"))
    n = len(set(q.correct))
    match = _CHOOSE.search(q.stem)
    if q.type == "single":
        if len(q.options) != 4:
            problems.append(("options", f"a single-answer question has exactly 4 options, got {len(q.options)}"))
        if n != 1:
            problems.append(("correct", f"a single-answer question has exactly 1 correct key, got {n}"))
        if match:
            problems.append(("stem", "a single-answer question must not say '(Choose N.)'"))
    else:
        if len(q.options) < 5:
            problems.append(("options", f"a multiple-response question has 5 or more options, got {len(q.options)}"))
        if n < 2:
            problems.append(("correct", f"a multiple-response question has 2 or more correct keys, got {n}"))
        elif n >= len(q.options):
            problems.append(("correct", "every option is marked correct: the question would test nothing"))
        word = CHOOSE_WORDS.get(n)
        if not match:
            problems.append(("stem", f"a multiple-response stem ends with '(Choose {word or n}.)'"))
        elif match.group(1).lower() != (word or str(n)):
            problems.append(("stem", f"says '(Choose {match.group(1)}.)' but {n} keys are correct"))
    return problems


def drill_rules(d: Drill) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    keys = [o.key for o in d.options]
    message = _keys_in_order(keys)
    if message:
        problems.append(("options", message))
    if d.correct not in keys:
        problems.append(("correct", f"key {d.correct} not among the options {', '.join(keys)}"))
    width = len(d.comparison.columns)
    for index, row in enumerate(d.comparison.rows):
        if len(row) != width:
            problems.append((f"comparison.rows[{index}]", f"has {len(row)} cells, the table has {width} columns"))
    return problems
