"""Where you stand: per task statement, questions seen and right, cards by box, sections quizzed,
and a readiness estimate whose method is stated (``quiz.progress_report()``, notebook 06).

The numbers, per task statement of the DVA-C03 syllabus (a question or card counts under the
task of its primary skill):

- *questions*: in the bank; *seen*: with at least one saved answer (quiz or any exam mode);
  *right*: whose latest answer was right.
- *cards*: never reviewed (*new*) and per Leitner box; cards made from missed questions included.
- *sections quizzed*: the sections (of this task's questions) with at least one answered
  question, of all such sections. Which sections you opened is not recorded by the course.

:data:`READINESS_METHOD` states how the estimate is made; AWS publishes no such formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .widgets import Readable, esc

__all__ = ["READINESS_METHOD", "TaskProgress", "ProgressReport", "progress_report", "readiness"]

READINESS_METHOD = (
    "How the readiness estimate is made (the course's own rule of thumb: AWS publishes no formula). "
    "For each task statement, your share right is (right + 1) / (seen + 2), counting the latest answer to each "
    "question you have seen, so a task you have not practised counts as 50 %. Each task weighs its domain's "
    "DVA-C03 weight split by the task's number of skills. The weighted average is the share of an exam you "
    "might answer right, converted to the practice exam's scale (72 % -> 720, the pass mark). It ignores how "
    "the real exam scales scores and which questions it asks; with fewer than 65 questions seen it is rough."
)
#: Questions seen below which the estimate is called rough (one full practice exam).
ROUGH_BELOW = 65


@dataclass
class TaskProgress:
    """One row of the report."""

    task: str
    title: str
    weight: float
    questions: int = 0
    seen: int = 0
    right: int = 0
    cards_new: int = 0
    boxes: dict[int, int] = field(default_factory=dict)
    sections: int = 0
    sections_quizzed: int = 0

    @property
    def share(self) -> float:
        """The smoothed share right, (right + 1) / (seen + 2)."""
        return (self.right + 1) / (self.seen + 2)


def readiness(rows: list[TaskProgress]) -> dict[str, Any]:
    """The estimate of :data:`READINESS_METHOD`: share (0-1), scaled score, questions seen, a verdict."""
    from .exam import PASS_SCALED, scale_score

    total_weight = sum(r.weight for r in rows) or 1.0
    share = sum(r.weight * r.share for r in rows) / total_weight
    scaled = scale_score(share * 1000, 1000)
    seen = sum(r.seen for r in rows)
    if seen < ROUGH_BELOW:
        verdict = f"too little data: {seen} of at least {ROUGH_BELOW} questions seen"
    elif scaled >= PASS_SCALED:
        verdict = "on track to pass"
    else:
        verdict = "not ready yet"
    return {"share": share, "scaled": scaled, "seen": seen, "verdict": verdict}


class ProgressReport(Readable):
    """The progress table (an ipywidgets HTML table, and the same as text)."""

    def __init__(self, rows: list[TaskProgress]) -> None:
        import ipywidgets as w

        self.rows = rows
        self.estimate = readiness(rows)
        self.widget = w.HTML(self.html())
        self.widget.add_class("course-progress-report")

    def totals(self) -> dict[str, int]:
        keys = ("questions", "seen", "right", "cards_new", "sections", "sections_quizzed")
        out = {k: sum(getattr(r, k) for r in self.rows) for k in keys}
        for box in range(1, 6):
            out[f"box{box}"] = sum(r.boxes.get(box, 0) for r in self.rows)
        return out

    def headline(self) -> str:
        e = self.estimate
        return f"Readiness estimate: {e['scaled']} of 1000 ({100 * e['share']:.0f} % right expected): {e['verdict']}."

    def text(self) -> str:
        lines = ["Per task statement: questions seen, right (latest answer), in the bank; cards new and in boxes 1-5; sections quizzed."]
        for r in self.rows:
            boxes = " ".join(str(r.boxes.get(b, 0)) for b in range(1, 6))
            lines.append(f"  {r.task}  seen {r.seen:>3}, right {r.right:>3} of {r.questions:>3} · cards new {r.cards_new:>3}, "
                         f"boxes {boxes} · sections quizzed {r.sections_quizzed}/{r.sections} · {r.title}")
        lines += ["", self.headline(), READINESS_METHOD, "Sections visited are not recorded: 'sections quizzed' counts the "
                  "sections with an answered quiz question."]
        return "\n".join(lines)

    def html(self) -> str:
        head = "".join(f'<th scope="col">{h}</th>' for h in
                       ("Task", "Questions seen", "Right (latest)", "In bank", "New cards", "Box 1", "Box 2", "Box 3",
                        "Box 4", "Box 5", "Sections quizzed"))
        body = []
        for r in self.rows:
            cells = [r.seen, r.right, r.questions, r.cards_new] + [r.boxes.get(b, 0) for b in range(1, 6)]
            body.append(f'<tr><th scope="row" style="text-align:left">{esc(r.task)} {esc(r.title)}</th>'
                        + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{r.sections_quizzed} of {r.sections}</td></tr>")
        return (f'<table class="course-progress-table"><caption style="text-align:left"><b>{esc(self.headline())}</b>'
                f"</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
                f"<p><small>{esc(READINESS_METHOD)} Sections visited are not recorded: <i>sections quizzed</i> counts "
                "the sections with an answered quiz question.</small></p>")


def _rows(bank, data: dict[str, Any]) -> list[TaskProgress]:
    from .bank import DOMAINS
    from .misses import made_cards
    from ..syllabus.loader import load_syllabus

    rows: dict[str, TaskProgress] = {}
    for domain in load_syllabus().domains:
        skills = sum(len(t.skills) for t in domain.tasks)
        for t in domain.tasks:
            rows[t.id] = TaskProgress(t.id, t.title, DOMAINS[domain.number][1] * len(t.skills) / skills,
                                      boxes={b: 0 for b in range(1, 6)})
    answers = data.get("answers", {})
    sections: dict[str, set[str]] = {}
    quizzed: dict[str, set[str]] = {}
    for q in bank.questions:
        row = rows.get(q.task)
        if row is None:
            continue
        row.questions += 1
        sections.setdefault(q.task, set()).add(q.section)
        records = [r for r in answers.get(q.id, []) if isinstance(r, dict)]
        if records:
            row.seen += 1
            row.right += bool(max(records, key=lambda r: str(r.get("at", ""))).get("correct"))
            quizzed.setdefault(q.task, set()).add(q.section)
    states = data.get("flashcards", {})
    known = {c.id for c in bank.flashcards}
    for card in list(bank.flashcards) + made_cards(data, known.__contains__):
        row = rows.get(card.task)
        if row is None:
            continue
        state = states.get(card.id)
        if not isinstance(state, dict) or not state.get("reviewed"):
            row.cards_new += 1  # never reviewed (a card a miss made due included)
        else:
            box = state.get("box", 1)
            row.boxes[box] = row.boxes.get(box, 0) + 1
    for task, row in rows.items():
        row.sections, row.sections_quizzed = len(sections.get(task, ())), len(quizzed.get(task, ()))
    return list(rows.values())


def progress_report(*, bank=None, store=None, data_dir=None) -> ProgressReport:
    """Your progress per task statement, with a readiness estimate (the method is printed with it)."""
    from .bank import load_bank
    from .progress import get_store

    bank = bank if bank is not None else load_bank(data_dir)
    store = store if store is not None else get_store()
    return ProgressReport(_rows(bank, store.read()))
