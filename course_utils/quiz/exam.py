"""The practice exam on the DVA-C03 blueprint: 65 questions, 15 of them unscored, 130 minutes.

Drawing (the blueprint)
    The 50 scored questions are split over the domains by the DVA-C03 weights (30/26/22/22 %)
    with largest-remainder rounding: 15/13/11/11. Inside a domain they are spread over its task
    statements in proportion to each task's number of skills (every task that has questions gets
    at least one; a task with too few questions gives its share to the others). A question
    belongs to the task of its primary skill (the first of its ``skills``). The 15 unscored
    questions are drawn across the exam, 5/4/3/3 by domain from the questions left. Which
    questions are drawn, which are unscored and their order all come from one ``seed``: the same
    seed on the same bank gives the same exam. The learner is never told which are unscored.
    ``python -m course_utils exam blueprint --seed N --json`` prints a draw.

    AWS has published the DVA-C03 weights; the 65 questions (50 scored + 15 unscored), 130
    minutes, the 720 pass mark and the question types are the DVA-C02 figures, which AWS has not
    confirmed for DVA-C03 (``data/syllabus.yaml`` keeps that status).

Scoring
    A question scores only when the chosen set equals the correct set (no partial credit). The
    scaled score is an approximation, because AWS does not publish its method: the percentage
    of the 50 scored questions answered correctly is mapped linearly in two pieces,
    0 % -> 100, 72 % -> 720 (the pass mark) and 100 % -> 1000 (:func:`scale_score`). Scoring is
    compensatory: only the total counts, there is no pass mark per domain. The result also
    scores each task statement and names the three weakest, with links to the sections that
    teach them.

Timing
    :class:`ExamSession` takes a ``clock`` (a function returning an aware ``datetime``; freezegun
    works too). :meth:`ExamSession.tick` submits the exam once the 130 minutes are over; any
    action after the deadline does the same. The widget calls ``tick`` once a second from a
    background thread while the exam runs.

Modes (notebook 05)
    :func:`practice_exam` is the full exam; its start screen offers 130 minutes, 160 minutes (the
    30 extra minutes AWS grants on request, :data:`EXTRA_TIME`) or an untimed run, and only an
    untimed run can be paused. :func:`review_exam` (a full draw), :func:`practice` (a domain or
    task statements, as many questions as asked for) and :func:`retake_missed` (see
    :mod:`course_utils.quiz.exam_modes`) are untimed, with feedback after each checked answer;
    their answers are saved with the mode as ``source`` and they add no exam attempt. "Submit"
    always asks first, saying how many questions are unanswered and flagged. The result screen
    filters the answer review (wrong, flagged, all) and starts a practice run on the weakest
    task statements.

History
    Attempts are stored with ``"exam": "DVA-C03"`` and their per-task scores. Attempts saved
    before the change carry no such key: they were drawn on the DVA-C02 blueprint and are shown
    labelled as such.
"""

from __future__ import annotations

import random
import threading
import uuid
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable

from . import a11y
from .bank import DOMAINS, Bank, load_bank
from .section_links import SCRIPT_TAG
from .widgets import STYLE, Readable, esc, output_item, set_output

__all__ = [
    "EXAM_CODE",
    "LEGACY_EXAM_CODE",
    "EXAM_QUESTIONS",
    "UNSCORED_QUESTIONS",
    "SCORED_QUESTIONS",
    "DURATION",
    "PASS_SCALED",
    "PASS_RAW_PERCENT",
    "SCORING_NOTE",
    "ExamUnavailable",
    "ExamOver",
    "ExamItem",
    "ExamResult",
    "ExamSession",
    "allocate",
    "task_quotas",
    "blueprint_quotas",
    "draw_exam",
    "blueprint",
    "weakest_tasks",
    "scale_score",
    "domain_chart",
    "task_chart",
    "task_figure",
    "task_chart_alt",
    "history_chart",
    "HISTORY_ALT",
    "summary_html",
    "section_link",
    "practice_exam",
    "exam_history",
    "ExamWidget",
    "EXTRA_TIME",
    "MODES",
    "AnswerLocked",
    "review_exam",
    "practice",
    "retake_missed",
]

EXAM_CODE = "DVA-C03"
#: The exam of attempts stored without an ``exam`` key (before the DVA-C03 blueprint).
LEGACY_EXAM_CODE = "DVA-C02"
EXAM_QUESTIONS = 65
UNSCORED_QUESTIONS = 15
SCORED_QUESTIONS = EXAM_QUESTIONS - UNSCORED_QUESTIONS
DURATION = timedelta(minutes=130)
#: The extra time AWS grants on request (the "ESL +30" exam accommodation): 130 -> 160 minutes.
EXTRA_TIME = timedelta(minutes=30)
#: The study modes: a full timed exam, and three untimed modes with feedback after each question.
MODES = {
    "exam": "Practice exam",
    "review": "Review mode",
    "practice": "Practice",
    "retake": "Retake missed",
}
MIN_SCALED, MAX_SCALED = 100, 1000
PASS_SCALED = 720
#: The raw percentage of scored questions that this course maps to 720 (an assumption).
PASS_RAW_PERCENT = 72.0

SCORING_NOTE = (
    "How the score is computed here (an approximation: AWS does not publish its scaling). "
    f"Only the {SCORED_QUESTIONS} scored questions count; the {UNSCORED_QUESTIONS} unscored ones are not identified, "
    "as on the real exam. A multiple-response question counts only when every choice is right (no partial credit). "
    f"Your percentage of scored questions answered correctly is mapped linearly in two pieces: 0 % -> {MIN_SCALED}, "
    f"{PASS_RAW_PERCENT:g} % -> {PASS_SCALED} (the pass mark), 100 % -> {MAX_SCALED}. "
    "Scoring is compensatory: only the total counts, there is no pass mark per domain. "
    "The domain weights are DVA-C03's; the question count, time and pass mark are DVA-C02's, "
    "which AWS has not confirmed for DVA-C03."
)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ExamUnavailable(Exception):
    """The bank cannot supply a full exam (the message says what is missing)."""


class ExamOver(RuntimeError):
    """The exam was submitted (by the learner or by the clock): answers can no longer change."""


class AnswerLocked(RuntimeError):
    """The answer was checked (review, practice and retake modes): it can no longer change."""


def allocate(total: int, weights: dict | None = None) -> dict:
    """Split ``total`` over the keys by weight, largest remainder first (ties: lower key).

    The keys are the domains (default, with their DVA-C03 weights) or task ids.
    """
    weights = weights or {d: w for d, (_name, w) in DOMAINS.items()}
    norm = sum(weights.values())
    exact = {d: total * w / norm for d, w in weights.items()}
    counts = {d: int(v) for d, v in exact.items()}
    left = total - sum(counts.values())
    for d in sorted(exact, key=lambda d: (-(exact[d] - counts[d]), d))[:left]:
        counts[d] += 1
    return counts


def scale_score(correct: int, total: int = SCORED_QUESTIONS) -> int:
    """Scaled score 100-1000 from ``correct`` of ``total`` scored questions (see :data:`SCORING_NOTE`)."""
    if total <= 0:
        raise ValueError("total must be positive")
    pct = 100.0 * max(0, min(correct, total)) / total
    if pct <= PASS_RAW_PERCENT:
        value = MIN_SCALED + pct * (PASS_SCALED - MIN_SCALED) / PASS_RAW_PERCENT
    else:
        value = PASS_SCALED + (pct - PASS_RAW_PERCENT) * (MAX_SCALED - PASS_SCALED) / (100.0 - PASS_RAW_PERCENT)
    return int(value + 0.5 + 1e-9)


@dataclass(frozen=True)
class ExamItem:
    question: Any
    scored: bool


def task_quotas(total: int, weights: dict[str, int], available: dict[str, int]) -> dict[str, int]:
    """Split ``total`` questions over tasks by weight, never more than a task has.

    A task short of questions gives the rest of its share to the others (by their weights); every
    task with questions gets at least one when ``total`` allows. ``sum(available)`` must be at
    least ``total``.
    """
    tasks = [t for t in sorted(weights) if available.get(t, 0) > 0]
    if sum(available.get(t, 0) for t in tasks) < total:
        raise ValueError(f"{total} questions wanted, {sum(available.get(t, 0) for t in tasks)} available")
    counts = {t: 0 for t in sorted(weights)}
    left, open_tasks = total, list(tasks)
    while left > 0 and open_tasks:
        share = allocate(left, {t: weights[t] for t in open_tasks})
        for t in open_tasks:
            counts[t] += share[t]
        left = 0
        for t in open_tasks:
            over = counts[t] - available[t]
            if over > 0:
                counts[t] -= over
                left += over
        open_tasks = [t for t in open_tasks if counts[t] < available[t]]
    if total >= len(tasks):
        for t in tasks:
            if counts[t] == 0:
                donor = max((u for u in tasks if counts[u] > 1), key=lambda u: (counts[u], u))
                counts[donor] -= 1
                counts[t] += 1
    return counts


def _task_weights(domain: int) -> dict[str, int]:
    """Task id -> number of skills, for one domain of the syllabus."""
    from ..syllabus.loader import load_syllabus

    return {t.id: len(t.skills) for t in load_syllabus().domain(domain).tasks}


def blueprint_quotas() -> dict[str, int]:
    """Scored questions per task statement on the DVA-C03 blueprint, for a bank with enough of each."""
    out: dict[str, int] = {}
    for d, n in allocate(SCORED_QUESTIONS).items():
        weights = _task_weights(d)
        out.update(task_quotas(n, weights, {t: SCORED_QUESTIONS for t in weights}))
    return out


def draw_exam(source: Bank | Iterable, seed: int) -> list[ExamItem]:
    """65 questions on the DVA-C03 blueprint (see the module docstring); all determined by ``seed``."""
    questions = list(source.questions if isinstance(source, Bank) else source)
    scored, unscored = allocate(SCORED_QUESTIONS), allocate(UNSCORED_QUESTIONS)
    need = {d: scored[d] + unscored[d] for d in DOMAINS}
    pools = {d: sorted((q for q in questions if q.domain == d), key=lambda q: q.id) for d in DOMAINS}
    short = [f"domain {d} has {len(pools[d])} of the {need[d]} it needs" for d in DOMAINS if len(pools[d]) < need[d]]
    if short:
        raise ExamUnavailable(
            f"The question bank has {len(questions)} usable questions; a full practice exam needs {EXAM_QUESTIONS} "
            f"({'/'.join(str(need[d]) for d in DOMAINS)} for domains 1-4), and " + "; ".join(short) + ". "
            "No shortened exam is given: it would not tell you much about the real one. Use the section quizzes "
            "meanwhile, or check the bank with `python -m course_utils bank stats`."
        )
    rng = random.Random(seed)
    items: list[ExamItem] = []
    for d in DOMAINS:
        by_task: dict[str, list] = {}
        for q in pools[d]:
            by_task.setdefault(q.task, []).append(q)
        weights = _task_weights(d)
        quotas = task_quotas(scored[d], weights, {t: len(by_task.get(t, [])) for t in weights})
        picked: list = []
        for task in sorted(quotas):
            picked += rng.sample(by_task.get(task, []), quotas[task])
        chosen = {q.id for q in picked}
        rest = [q for q in pools[d] if q.id not in chosen]
        items += [ExamItem(q, True) for q in picked]
        items += [ExamItem(q, False) for q in rng.sample(rest, unscored[d])]
    rng.shuffle(items)
    return items


def blueprint(source: Bank | Iterable, seed: int) -> dict[str, Any]:
    """The draw as data: ``{"exam": "DVA-C03", "questions": [{"id", "domain", "task", "scored"}]}``."""
    return {
        "exam": EXAM_CODE,
        "seed": seed,
        "questions": [
            {"id": i.question.id, "domain": i.question.domain, "task": i.question.task, "scored": i.scored}
            for i in draw_exam(source, seed)
        ],
    }


@dataclass
class ExamResult:
    id: str
    seed: int
    started: datetime
    finished: datetime
    auto_submitted: bool
    correct: int
    total: int
    scaled: int
    passed: bool
    per_domain: dict[int, dict[str, int]]
    answered: int
    items: list[dict[str, Any]] = field(default_factory=list)
    #: Task id (``"1.2"``) -> ``{"correct", "total"}`` over the scored questions.
    per_task: dict[str, dict[str, int]] = field(default_factory=dict)
    #: ``"exam"`` or one of the untimed study modes (see :data:`MODES`).
    mode: str = "exam"
    #: Ids of the questions flagged for review when the attempt ended.
    flagged: list[str] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return 100.0 * self.correct / self.total

    def record(self) -> dict[str, Any]:
        """The attempt as stored in the progress file."""
        return {
            "id": self.id,
            "seed": self.seed,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "auto_submitted": self.auto_submitted,
            "correct": self.correct,
            "total": self.total,
            "percent": round(self.percent, 1),
            "scaled": self.scaled,
            "passed": self.passed,
            "per_domain": {str(d): v for d, v in self.per_domain.items()},
            "per_task": dict(sorted(self.per_task.items())),
            "exam": EXAM_CODE,
            "answered": self.answered,
            "questions": [{"id": i["id"], "chosen": i["chosen"], "correct": i["correct"]} for i in self.items],
            "flagged": list(self.flagged),
        }

    def summary(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        how = " (submitted automatically when the time ran out)" if self.auto_submitted else ""
        if self.mode == "exam":
            lines = [
                f"Scaled score {self.scaled} / 1000: {verdict} (pass mark {PASS_SCALED}){how}.",
                f"{self.correct} of {self.total} scored questions right ({self.percent:.0f} %); "
                f"{self.answered} of {len(self.items)} questions answered.",
            ]
        else:
            lines = [
                f"{MODES.get(self.mode, self.mode)}: {self.correct} of {self.total} right ({self.percent:.0f} %); "
                f"{self.answered} of {len(self.items)} answered. No scaled score: only a full practice exam gets one."
            ]
        for d, v in self.per_domain.items():
            if v["total"] or self.mode == "exam":
                lines.append(f"  Domain {d} {DOMAINS[d][0]}: {v['correct']}/{v['total']} ({_percent(v):.0f} %)")
        if self.per_task:
            lines.append("Per task statement:")
            for t, v in sorted(self.per_task.items()):
                lines.append(f"  Task {t} {_task_title(t)}: {v['correct']}/{v['total']} ({_percent(v):.0f} %)")
        weakest = weakest_tasks(self.per_task)
        if weakest:
            lines.append("Weakest task statements: " + "; ".join(f"{t} {_task_title(t)}" for t in weakest))
        return "\n".join(lines)


def _percent(tally: dict[str, int]) -> float:
    """Share right of a ``{"correct", "total"}`` tally, in percent (0 when it is empty)."""
    return 100.0 * tally["correct"] / tally["total"] if tally["total"] else 0.0


def _task_title(task_id: str) -> str:
    from ..syllabus.loader import load_syllabus

    try:
        return load_syllabus().task(task_id).title
    except KeyError:
        return "(not in the syllabus)"


def weakest_tasks(per_task: dict[str, dict[str, int]], n: int = 3) -> list[str]:
    """The ``n`` task statements with the lowest share right (ties: more questions missed, then id)."""
    scored = [(t, v) for t, v in per_task.items() if v.get("total")]
    scored.sort(key=lambda tv: (tv[1]["correct"] / tv[1]["total"], -(tv[1]["total"] - tv[1]["correct"]), tv[0]))
    return [t for t, _v in scored[:n]]


def _sections_by_task() -> dict[str, list]:
    from ..syllabus.coverage import section_skills, task_sections

    try:
        return task_sections(section_skills())
    except FileNotFoundError:
        return {}


def weakest_item(result: ExamResult, questions: Iterable[Any] | None = None) -> dict[str, Any]:
    """An output item naming the three weakest task statements, each with links to study.

    With the attempt's ``questions``: the sections of the questions missed in that task statement
    (wrong or unanswered, scored or not), then the task statement's place in the index, where all its
    sections are listed. Without them: every section of the task statement."""
    weakest = weakest_tasks(result.per_task)
    by_task = _sections_by_task()
    by_ref = {s.ref: s for sections in by_task.values() for s in sections}
    section_of = {q.id: q.section for q in (questions or ()) if getattr(q, "section", None)}
    missed: dict[str, list[str]] = {}
    for row in result.items:
        ref = section_of.get(row["id"])
        if ref and not row["correct"] and ref not in missed.setdefault(row.get("task", ""), []):
            missed[row["task"]].append(ref)
    text_lines, html_rows = ["Study next (your three weakest task statements):"], []
    for t in weakest:
        v = result.per_task[t]
        head = f"<b>Task {esc(t)}</b> {esc(_task_title(t))} ({v['correct']}/{v['total']} right)"
        if questions is None:
            sections = by_task.get(t, [])
            text_lines.append(f"  Task {t} {_task_title(t)} ({v['correct']}/{v['total']}): " + (", ".join(s.ref for s in sections) or "no section yet"))
            links = ", ".join(f'<a href="{esc(s.notebook)}#{esc(s.anchor)}">{esc(s.title)}</a>' for s in sections) or "<i>no section yet</i>"
            html_rows.append(f"<li>{head}: {links}</li>")
            continue
        refs = missed.get(t, [])
        index = f"00_index.ipynb#task-{t.replace('.', '-')}"
        count = len(by_task.get(t, []))
        text_lines.append(f"  Task {t} {_task_title(t)} ({v['correct']}/{v['total']}): where you missed: "
                          + (", ".join(refs) or "-") + f"; all {count} sections: {index}")
        links = ", ".join(section_link(r, "_self", script=False, text=by_ref[r].title if r in by_ref else None)
                          for r in refs) or "<i>no question missed here</i>"
        html_rows.append(f'<li>{head}: where you missed: {links}; <a href="{esc(index)}">all {count} sections of this task '
                         f"statement</a> (in the index)</li>")
    html = (f'<div class="course-exam-weakest"><b>Study next</b>: your three weakest task statements<ul>{"".join(html_rows)}</ul>'
            f"{SCRIPT_TAG}</div>")  # the section links' click handler, once for all of them
    return output_item("\n".join(text_lines), html)


#: Whole words wrap (JupyterLab's output ``<pre>`` has ``word-break: break-all``: "AI se/rvices").
_WRAP = "white-space: normal; word-break: normal; overflow-wrap: anywhere"


def summary_html(summary: str, skip_first: bool = False) -> str:
    """``ExamResult.summary()`` as HTML whose long lines wrap between words: an indented line is a list
    item of the line above it. ``skip_first`` leaves out the first line (shown as the headline)."""
    lines = summary.splitlines()[1:] if skip_first else summary.splitlines()
    parts: list[str] = []
    items: list[str] = []

    def close() -> None:
        if items:
            parts.append(f'<ul style="margin: 0 0 4px 0">{"".join(items)}</ul>')
            items.clear()

    for line in lines:
        if line.startswith("  "):
            items.append(f"<li>{esc(line.strip())}</li>")
        else:
            close()
            parts.append(f'<p style="margin: 4px 0">{esc(line)}</p>')
    close()
    return f'<div class="course-exam-summary" style="{_WRAP}">{"".join(parts)}</div>'


def section_link(section: str, target: str = "_blank", script: bool = True, text: str | None = None) -> str:
    """``"01_development#anchor"`` as a link to that section (its text: ``text``, else the section id).
    ``script=False`` for all but one link of an output that holds many (the handler is defined once)."""
    from .section_links import section_anchor  # opens the section itself in JupyterLab

    notebook, _, anchor = section.partition("#")
    return section_anchor(notebook, anchor, esc(section if text is None else text), target, script=script)


class ExamSession:
    """One attempt: answers, flags, navigation, the clock and scoring (no widgets).

    ``mode`` is ``"exam"`` (the default: scored on the blueprint and saved as an attempt) or a
    study mode (``"review"``, ``"practice"``, ``"retake"``): every question counts, the answers
    are saved with that mode as their ``source`` and no attempt is added to the exam history.
    ``timed=False`` runs without a deadline; only such a run can be paused. ``feedback=True``
    lets the learner check each answer (:meth:`check`), which then cannot change.
    """

    def __init__(
        self,
        items: list[ExamItem],
        seed: int,
        *,
        duration: timedelta = DURATION,
        clock: Callable[[], datetime] = _utcnow,
        store=None,
        on_submit: Callable[[ExamResult], None] | None = None,
        mode: str = "exam",
        timed: bool = True,
        feedback: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.items, self.seed, self.duration, self.clock = list(items), seed, duration, clock
        self.store, self.on_submit = store, on_submit
        self.mode, self.timed, self.feedback = mode, timed, feedback
        self.id = f"{mode}-{uuid.uuid4().hex[:12]}"
        self.answers: dict[int, list[str]] = {}
        self.flags: set[int] = set()
        #: Index -> right? for the answers checked in a feedback mode.
        self.checked: dict[int, bool] = {}
        self.current = 0
        self.started: datetime | None = None
        self.deadline: datetime | None = None
        self.paused_at: datetime | None = None
        self.paused_total = timedelta(0)
        self.result: ExamResult | None = None
        self.abandoned = False
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self.items)

    # -- clock ---------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self.started is None:
                self.started = self.clock()
                self.deadline = self.started + self.duration if self.timed else None

    def remaining(self) -> timedelta:
        if self.deadline is None:
            return self.duration
        if self.result is not None:
            return max(timedelta(0), self.deadline - self.result.finished)
        return max(timedelta(0), self.deadline - self.clock())

    def elapsed(self) -> timedelta:
        """Time spent so far, pauses excluded."""
        if self.started is None:
            return timedelta(0)
        end = self.result.finished if self.result is not None else (self.paused_at or self.clock())
        return max(timedelta(0), end - self.started - self.paused_total)

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def pause(self) -> None:
        """Stop the clock (untimed runs only: a timed exam runs on, as the real one does)."""
        with self._lock:
            if self.timed:
                raise RuntimeError("a timed exam cannot be paused: choose an untimed run to pause")
            self._active()
            self.paused_at = self.clock()

    def resume(self) -> None:
        with self._lock:
            if self.paused_at is not None:
                self.paused_total += self.clock() - self.paused_at
                self.paused_at = None

    def tick(self) -> ExamResult | None:
        """Submit if the time is up; returns the result when this call submitted."""
        with self._lock:
            if self.result is None and not self.abandoned and self.deadline is not None and self.clock() >= self.deadline:
                return self._submit(auto=True)
        return None

    def _active(self) -> None:
        if self.started is None:
            raise RuntimeError("the exam has not started: call start() first")
        self.tick()
        if self.result is not None:
            raise ExamOver("the exam is over" + (": the time ran out" if self.result.auto_submitted else ""))
        if self.paused_at is not None:
            raise RuntimeError("paused: resume() first")

    # -- answering and navigation -------------------------------------------------------
    def answer(self, index: int, keys: Iterable[str]) -> None:
        with self._lock:
            self._active()
            if index in self.checked:
                raise AnswerLocked(f"Q{index + 1} was checked: its answer can no longer change")
            keys = sorted(set(keys))
            if keys:
                self.answers[index] = keys
            else:
                self.answers.pop(index, None)

    def check(self, index: int) -> bool:
        """Feedback modes: lock the answer to ``index``, save it and say whether it is right."""
        with self._lock:
            self._active()
            if not self.feedback:
                raise RuntimeError("answers are checked only in review, practice and retake runs")
            if index in self.checked:
                return self.checked[index]
            q = self.items[index].question
            if not self.complete(index):
                raise ValueError(f"Choose {q.choose} option{'s' if q.choose > 1 else ''} first.")
            right = q.is_correct(self.answers[index])
            self.checked[index] = right
            self._store().update(lambda data: data["answers"].setdefault(q.id, []).append(self._answer_record(index, None)))
            return right

    def flag(self, index: int, on: bool = True) -> None:
        with self._lock:
            self._active()
            (self.flags.add if on else self.flags.discard)(index)

    def goto(self, index: int) -> int:
        with self._lock:
            self._active()
            self.current = max(0, min(index, len(self.items) - 1))
            return self.current

    def next(self) -> int:
        return self.goto(self.current + 1)

    def previous(self) -> int:
        return self.goto(self.current - 1)

    def complete(self, index: int) -> bool:
        chosen = self.answers.get(index, [])
        return len(chosen) == self.items[index].question.choose

    def unanswered(self) -> list[int]:
        """Questions with no answer, or with fewer/more choices than the question asks for."""
        return [i for i in range(len(self.items)) if not self.complete(i)]

    def flagged(self) -> list[int]:
        return sorted(self.flags)

    def submit_prompt(self) -> str:
        """What the learner is asked before submitting: how many questions are unanswered and flagged."""
        n, open_, flagged = len(self.items), len(self.unanswered()), len(self.flags)
        what = "the exam" if self.mode == "exam" else "this run"
        if not open_ and not flagged:
            state = f"All {n} questions are answered and none is flagged."
        else:
            state = f"{open_} of {n} questions {'are' if open_ != 1 else 'is'} unanswered and {flagged} flagged for review."
        after = " Unanswered questions count as wrong." if open_ else ""
        verb, after_verb = ("Submit", "submitting") if self.mode == "exam" else ("Finish", "finishing")
        return f"{verb} {what} now? {state}{after} After {after_verb} you cannot change any answer."

    # -- scoring ------------------------------------------------------------------------
    def submit(self) -> ExamResult:
        with self._lock:
            if self.result is not None:
                return self.result
            if self.started is None:
                raise RuntimeError("the exam has not started")
            self.resume()
            expired = self.tick()
            return expired or self._submit(auto=False)

    def _submit(self, auto: bool) -> ExamResult:
        finished = self.deadline if auto and self.deadline else self.clock()
        per_domain = {d: {"correct": 0, "total": 0} for d in DOMAINS}
        per_task: dict[str, dict[str, int]] = {}
        rows, correct = [], 0
        for i, item in enumerate(self.items):
            q, chosen = item.question, self.answers.get(i, [])
            right = q.is_correct(chosen) if chosen else False
            rows.append({"id": q.id, "chosen": chosen, "correct": right, "scored": item.scored, "domain": q.domain,
                         "task": q.task, "flagged": i in self.flags})
            if item.scored:
                per_domain[q.domain]["total"] += 1
                task = per_task.setdefault(q.task, {"correct": 0, "total": 0})
                task["total"] += 1
                if right:
                    per_domain[q.domain]["correct"] += 1
                    task["correct"] += 1
                    correct += 1
        total = sum(1 for item in self.items if item.scored)
        scaled = scale_score(correct, total) if total else MIN_SCALED
        self.result = ExamResult(
            id=self.id,
            seed=self.seed,
            started=self.started or finished,
            finished=finished,
            auto_submitted=auto,
            correct=correct,
            total=total,
            scaled=scaled,
            passed=scaled >= PASS_SCALED,
            per_domain=per_domain,
            answered=len(self.answers),
            items=rows,
            per_task=per_task,
            mode=self.mode,
            flagged=[self.items[i].question.id for i in sorted(self.flags)],
        )
        self._save(self.result)
        if self.on_submit is not None:
            self.on_submit(self.result)
        return self.result

    def _store(self):
        if self.store is None:
            from .progress import get_store

            return get_store()
        return self.store

    def _answer_record(self, index: int, at: str | None) -> dict[str, Any]:
        from .progress import now_iso

        q, chosen = self.items[index].question, self.answers.get(index, [])
        record = {"at": at or now_iso(), "chosen": chosen, "correct": bool(chosen) and q.is_correct(chosen), "source": self.mode}
        if index in self.flags:
            record["flagged"] = True
        return record

    def _save(self, result: ExamResult) -> None:
        record = result.record()
        at = record["finished"]

        def change(data):
            if self.mode == "exam" and not any(a.get("id") == record["id"] for a in data["exams"]):
                data["exams"].append(record)
            for i, row in enumerate(result.items):
                if row["chosen"] and i not in self.checked:  # checked answers were saved when checked
                    data["answers"].setdefault(row["id"], []).append(self._answer_record(i, at))

        self._store().update(change)


# -- charts ------------------------------------------------------------------------------
def _png(fig) -> bytes:
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    return buffer.getvalue()


def domain_chart(result: ExamResult) -> bytes:
    """PNG: percentage right per domain, with the pass line (the overall mark, not a per-domain one)."""
    from matplotlib.figure import Figure

    # horizontal bars: the four domain names sit on their own lines, they cannot collide
    fig = Figure(figsize=(6.4, 2.9))
    ax = fig.add_subplot()
    labels, values = [], []
    for d, v in result.per_domain.items():
        labels.append(f"D{d} {DOMAINS[d][0].split()[0]} ({v['correct']}/{v['total']})")
        values.append(_percent(v))
    colours = ["#1a7f37" if v >= PASS_RAW_PERCENT else "#cf222e" for v in values]
    ax.barh(labels, values, color=colours)
    ax.invert_yaxis()
    ax.tick_params(labelsize=9)
    ax.axvline(PASS_RAW_PERCENT, color="black", linestyle="--", linewidth=1)
    ax.set_xlim(0, 105)
    ax.set_xlabel(f"% of scored questions right (dashed: {PASS_RAW_PERCENT:g} % = {PASS_SCALED}, the overall pass line)", fontsize=9)
    ax.set_title(f"Scaled {result.scaled}: {'pass' if result.passed else 'fail'} (compensatory, no per-domain pass mark)", fontsize=10)
    fig.tight_layout()
    return _png(fig)


WEAKEST_LABEL = "weakest"


def task_figure(result: ExamResult):
    """The Figure of :func:`task_chart`: a bar per task statement; the weakest three red *and* labelled
    "weakest" (colour is not the only signal); a task at 0 % gets a visible marker at 0 and "0 %"."""
    from matplotlib.figure import Figure

    tasks = sorted(result.per_task)
    weakest = set(weakest_tasks(result.per_task))
    fig = Figure(figsize=(6.4, 0.3 * max(len(tasks), 4) + 0.9))
    ax = fig.add_subplot()
    values = [_percent(result.per_task[t]) for t in tasks]
    labels = [f"{t} ({result.per_task[t]['correct']}/{result.per_task[t]['total']})"
              + (f" {WEAKEST_LABEL}" if t in weakest else "") for t in tasks]
    colours = ["#cf222e" if t in weakest else "#1f6feb" for t in tasks]
    ax.barh(labels, values, color=colours)
    for row, (value, colour) in enumerate(zip(values, colours)):
        if value == 0:  # no bar to see: a marker on the axis and the figure in words
            ax.plot([0], [row], marker="D", markersize=7, color=colour, clip_on=False, zorder=3)
            ax.text(2, row, "0 %", va="center", fontsize=9)
    for tick, t in zip(ax.get_yticklabels(), tasks):
        if t in weakest:
            tick.set_fontweight("bold")
    ax.invert_yaxis()
    ax.axvline(PASS_RAW_PERCENT, color="black", linestyle="--", linewidth=1)
    ax.set_xlim(0, 105)
    ax.set_xlabel("% of scored questions right")
    ax.set_title(f"Per task statement (your {len(weakest)} weakest: red, labelled \"{WEAKEST_LABEL}\")", fontsize=10)
    return fig


def task_chart(result: ExamResult) -> bytes:
    """PNG: percentage right per task statement (horizontal bars), weakest three in red and labelled."""
    return _png(task_figure(result))


def task_chart_alt(result: ExamResult) -> str:
    """The alt text of :func:`task_chart`: what it shows, with the weakest three named."""
    weakest = weakest_tasks(result.per_task)
    named = ", ".join(f"{t} ({_percent(result.per_task[t]):.0f} %)" for t in weakest)
    return "chart: % right per task statement" + (f"; your weakest, in red and labelled: {named}" if named else "")


def _exam_label(attempt: dict[str, Any]) -> str:
    return str(attempt.get("exam") or LEGACY_EXAM_CODE)


#: The alt text of :func:`history_chart`, the same on the result screen and in "Your attempts".
HISTORY_ALT = f"chart: scaled score per attempt with the {PASS_SCALED} pass line"


def history_chart(attempts: list[dict[str, Any]]) -> bytes:
    """PNG: scaled score per attempt over time, with the 720 pass line."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.0))
    ax = fig.add_subplot()
    xs = list(range(1, len(attempts) + 1))
    ys = [a.get("scaled", 0) for a in attempts]
    ax.plot(xs, ys, marker="o", color="#1f6feb")
    ax.axhline(PASS_SCALED, color="black", linestyle="--", linewidth=1)
    ticks = [a.get("finished", "")[:10] + ("" if _exam_label(a) == EXAM_CODE else f"\n({_exam_label(a)})") for a in attempts]
    ax.set_xticks(xs, ticks, rotation=30, fontsize=8)
    ax.set_xlim(0.5, len(xs) + 0.5)
    ax.set_ylim(MIN_SCALED, MAX_SCALED)
    ax.set_ylabel("scaled score", fontsize=9)
    # the pass line is named in the title, not by a legend that could sit on a data point
    ax.set_title(f"Your practice exams (dashed: pass at {PASS_SCALED})", fontsize=10)
    return _png(fig)


def _image_item(png: bytes, alt: str) -> dict[str, Any]:
    import base64

    from ..rules.figures import img_tag

    data = base64.b64encode(png).decode("ascii")
    # JupyterLab renders text/html before image/png: the <img> carries the alt text a bare PNG lacks
    return output_item(alt, img_tag(data, alt), {"image/png": data})


def history_text(attempts: list[dict[str, Any]]) -> str:
    if not attempts:
        return "No practice exam submitted yet: your attempts and a score-over-time chart will appear here."
    lines = [f"{len(attempts)} practice exam(s):"]
    for n, a in enumerate(attempts, 1):
        verdict = "pass" if a.get("passed") else "fail"
        label = _exam_label(a)
        note = "" if label == EXAM_CODE else f"  [{label} blueprint: drawn by the old weights, domain 3 was 'Deployment']"
        lines.append(f"  {n}. {a.get('finished', '')[:16]}  {label}  scaled {a.get('scaled')} ({verdict}), seed {a.get('seed')}{note}")
    return "\n".join(lines)


class _History(Readable):
    def __init__(self, attempts: list[dict[str, Any]]) -> None:
        import ipywidgets as w

        self.attempts = attempts
        self.output = w.Output()
        self.output.add_class("course-exam-history")
        items = [output_item(history_text(attempts))]
        if attempts:
            items.append(_image_item(history_chart(attempts), HISTORY_ALT))
        set_output(self.output, *items)
        self.widget = self.output

    def text(self) -> str:
        return history_text(self.attempts)


def exam_history(store=None) -> _History:
    """Your submitted practice exams and a score-over-time chart."""
    if store is None:
        from .progress import get_store

        store = get_store()
    return _History(store.exams())


# -- the widget --------------------------------------------------------------------------
_live: "weakref.WeakSet[ExamWidget]" = weakref.WeakSet()


def _fmt(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _feedback(q, chosen: list[str], right: bool, note: str = "") -> tuple[str, str]:
    """Text and HTML feedback for one checked answer: the verdict in words, every option explained."""
    verdict = "Right." if right else f"Wrong. The right answer: {', '.join(q.correct)}."
    lines = [f"{verdict} You chose {', '.join(chosen)}." + (f" {note}" if note else "")]
    items = []
    for o in q.options:
        good, mine = o.key in q.correct, o.key in chosen
        lines.append(f"  {o.key}. [{'correct' if good else 'wrong'}]{' (your choice)' if mine else ''} {o.text} -- {o.explanation}")
        items.append(f"<li><b>{'✔' if good else '✘'} {esc(o.key)}.</b> {esc(o.text)}{' <i>(your choice)</i>' if mine else ''}"
                     f"<br><small>{esc(o.explanation)}</small></li>")
    lines.append(f"Learn more: {q.section}")
    css = "course-result-right" if right else "course-result-wrong"
    html = (
        f'<div class="course-exam-feedback-body"><p class="{css}">{"✔ " if right else "✘ "}{esc(verdict)}</p>'
        + (f"<p>{esc(note)}</p>" if note else "")
        + f'<ul class="course-explanations">{"".join(items)}</ul>'
        f'<p><small>Learn more: {section_link(q.section)}</small></p></div>'
    )
    return "\n".join(lines), html


#: Labels of the time options on the start screen of a full exam.
TIME_OPTIONS = (
    ("130 minutes, as on the real exam", "standard"),
    ("160 minutes: with the 30 extra minutes AWS grants on request", "extended"),
    ("Untimed: you may pause", "untimed"),
)


class ExamWidget(Readable):
    """Start screen, question screen, review screen, results and answer review, for every mode."""

    def __init__(
        self,
        session: ExamSession | None,
        message: str | None = None,
        timer: bool = True,
        *,
        bank: Bank | None = None,
        intro: str = "",
        retake_pool: dict[str, Any] | None = None,
        unavailable: str = "Practice exam not available yet.",
    ) -> None:
        import ipywidgets as w

        self.w = w
        self.session, self.message, self.use_timer = session, message, timer
        self.bank, self.intro, self.retake_pool, self.unavailable = bank, intro, dict(retake_pool or {}), unavailable
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._selectors: dict[int, Any] = {}
        self._syncing = False
        if session is not None:  # a widget that only says something ("Nothing to retake") replaces no run
            for other in list(_live):  # Run All again: the previous widget of this mode is abandoned, not submitted
                if other.mode == self.mode:
                    other.abandon()
            _live.add(self)

        self.timer_label = w.HTML()
        self.timer_label.add_class("course-exam-timer")
        self.position = w.HTML()
        self.position.add_class("course-exam-position")
        # Accessibility (see .a11y): the body is the question box, the stem labels the option group,
        # the feedback is a live region, each button's tooltip (its accessible name) says which question.
        self.stem = w.HTML(_dom_classes=["course-exam-stem", a11y.STEM])
        self.choices = w.VBox()
        self.choices.add_class("course-exam-choices")
        self.prev_button = self._button("Previous", "course-exam-prev", lambda: self._go(self.session.current - 1))
        self.next_button = self._button("Next", "course-exam-next", lambda: self._go(self.session.current + 1))
        self.flag_button = w.ToggleButton(description="Flag for review", icon="flag", layout=w.Layout(width="auto"))
        self.flag_button.add_class("course-exam-flag")
        self.flag_button.observe(self._on_flag, names="value")
        self.jump = w.Dropdown(description="Go to", layout=w.Layout(width="240px"))
        self.jump.add_class("course-exam-jump")
        self.jump.observe(self._on_jump, names="value")
        self.check_button = self._button("Check answer", "course-exam-check", self.check, style="info")
        self.feedback = w.HTML(_dom_classes=["course-exam-feedback", a11y.LIVE])
        self.pause_button = self._button("Pause", "course-exam-pause", self.toggle_pause)
        self.review_button = self._button("Review screen", "course-exam-review-button", self.show_review)
        self.submit_button = self._button("Submit exam", "course-exam-submit", self.ask_submit, style="danger")
        self.confirm_text = w.HTML()
        self.confirm_text.add_class("course-exam-confirm-text")
        self.confirm_button = self._button("Yes, submit now", "course-exam-confirm-submit", self.submit, style="danger")
        self.cancel_button = self._button("No, keep working", "course-exam-cancel-submit", self.cancel_submit)
        self.confirm_box = w.VBox([self.confirm_text, w.HBox([self.confirm_button, self.cancel_button])])
        self.confirm_box.add_class("course-exam-confirm")
        self.review_box = w.VBox()
        self.review_box.add_class("course-exam-review")
        self.results = w.Output()
        self.results.add_class("course-exam-results")
        self.answers_review = w.Output()
        self.answers_review.add_class("course-exam-answers")
        self.answer_filter = w.ToggleButtons(description="Show", style={"button_width": "auto"})
        self.answer_filter.add_class("course-exam-answer-filter")
        self.answer_filter.observe(lambda change: self.show_answers(change["new"]), names="value")
        self.review_answers_button = self._button("Review answers", "course-exam-review-answers", lambda: self.show_answers(self.answer_filter.value))
        self.practise_button = self._button("Practise these", "course-exam-practise", self.practise_weakest, style="primary")
        self.retake_button = self._button("Retake missed", "course-exam-retake", self.retake_again, style="primary")
        self.time_label = w.HTML("<b>Time</b>", _dom_classes=["course-exam-time-label", a11y.STEM])
        self.time_choice = w.RadioButtons(options=list(TIME_OPTIONS), value="standard", layout=w.Layout(width="auto"),
                                          _dom_classes=["course-exam-time-choice", a11y.CHOICES])
        self.start_button = self._button("Start exam", "course-exam-start", self.start, style="primary")
        # Rows kept from one question to the next, so the feedback stays the same (announced) node.
        self.check_row, self.nav_row, self.actions_row = w.HBox([self.check_button]), w.HBox(), w.HBox()
        self.body = w.VBox(_dom_classes=["course-exam-body", a11y.QUESTION])
        self.widget = w.VBox([w.HTML(STYLE), self.timer_label, self.body, a11y.enhancer()], _dom_classes=["course-exam", a11y.ROOT])
        if session is not None:
            session.on_submit = lambda result: self.show_results()
        self.show_start()

    def _button(self, label: str, css: str, action: Callable[[], Any], style: str = ""):
        # width "auto": the label decides the width, so no label is cut ("Review every ans...")
        button = self.w.Button(description=label, button_style=style, layout=self.w.Layout(width="auto"))
        button.add_class(css)
        button.on_click(lambda _b: action())
        return button

    @property
    def mode(self) -> str:
        return self.session.mode if self.session is not None else "exam"

    # -- screens ------------------------------------------------------------------------
    def intro_text(self) -> str:
        s = self.session
        if s.mode == "exam":
            return (
                f"Practice exam ({EXAM_CODE} blueprint): {len(s)} questions, {int(s.duration.total_seconds() // 60)} minutes "
                f"(or {int((s.duration + EXTRA_TIME).total_seconds() // 60)} with the extra 30 minutes AWS grants on request, or untimed). "
                f"{UNSCORED_QUESTIONS} questions are unscored and not identified, as on the real exam. "
                "A timed exam cannot be paused; it is submitted when the clock reaches zero."
            )
        return f"{MODES[s.mode]}: {len(s)} question{'s' if len(s) != 1 else ''}{self.intro}. Untimed (pause when you like); check each answer to see right or wrong and every option explained."

    def show_start(self) -> None:
        w = self.w
        if self.session is None:
            note = w.HTML(f'<div class="course-exam-unavailable"><b>{esc(self.unavailable)}</b> {esc(self.message)}</div>')
            self.body.children = [note]
            return
        s = self.session
        self._label_submit()
        self.start_button.description = "Start exam" if s.mode == "exam" else "Start"
        extra = ""
        if s.mode == "exam":
            extra = (f"<br><small>Exam seed <code>{s.seed}</code>: <code>quiz.practice_exam(seed={s.seed})</code> gives you the same exam again."
                     f"<br>{esc(SCORING_NOTE)}</small>")
        title, _, rest = self.intro_text().partition(": ")
        intro = w.HTML(f'<div class="course-exam-intro"><b>{esc(title)}</b>: {esc(rest)}{extra}</div>')
        self.timer_label.value = f"<b>Time:</b> {_fmt(s.duration)}" if s.mode == "exam" else "<b>Untimed</b>"
        start = w.HBox([self.start_button])  # in a row, the button keeps the width of its label
        self.body.children = [intro, self.time_label, self.time_choice, start] if s.mode == "exam" else [intro, start]

    def start(self) -> None:
        s = self.session
        if s.started is None and s.mode == "exam":
            choice = self.time_choice.value
            s.timed = choice != "untimed"
            if choice == "extended":
                s.duration += EXTRA_TIME
        s.start()
        self._refresh_jump()
        self.show_question(s.current)
        if self.use_timer and self._thread is None:
            self._thread = threading.Thread(target=self._run_timer, args=(self._stop,), name=f"{s.id}-timer", daemon=True)
            self._thread.start()

    def _selector(self, index: int):
        if index in self._selectors:
            return self._selectors[index]
        w, q = self.w, self.session.items[index].question
        if q.type == "single":
            widget = w.RadioButtons(options=[(f"{o.key}. {o.text}", o.key) for o in q.options], value=None, layout=w.Layout(width="100%"),
                                    _dom_classes=[a11y.CHOICES])
            widget.observe(lambda change, i=index: self._on_answer(i, [change["new"]] if change["new"] else []), names="value")
            boxes = None
        else:
            boxes = [w.Checkbox(value=False, description=f"{o.key}. {o.text}", indent=False, layout=w.Layout(width="100%")) for o in q.options]
            for box in boxes:
                box.observe(lambda change, i=index: self._on_boxes(i), names="value")
            widget = w.VBox([w.HTML(f'<b class="{a11y.NOTE}">Choose {q.choose}</b>'), *boxes], _dom_classes=[a11y.CHOICES])
        self._selectors[index] = (widget, boxes)
        return self._selectors[index]

    def _update_position(self) -> None:
        s = self.session
        extra = f" · {sum(s.checked.values())} of {len(s.checked)} checked right" if s.feedback else ""
        self.position.value = (
            f"<b>Question {s.current + 1} of {len(s)}</b> · {len(s) - len(s.unanswered())} answered · {len(s.flags)} flagged{extra}"
        )

    def _on_answer(self, index: int, keys: list[str]) -> None:
        if self._syncing:
            return
        try:
            self.session.answer(index, keys)
        except ExamOver:
            return self.show_results()
        except (AnswerLocked, RuntimeError):
            return
        self._refresh_jump()
        self._update_position()

    def _on_boxes(self, index: int) -> None:
        q = self.session.items[index].question
        _widget, boxes = self._selectors[index]
        self._on_answer(index, [o.key for o, b in zip(q.options, boxes) if b.value])

    def select(self, keys: Iterable[str]) -> None:
        """Choose ``keys`` on the current question (what the learner's clicks do)."""
        keys = list(keys)
        widget, boxes = self._selector(self.session.current)
        if boxes is None:
            widget.value = keys[0] if keys else None
        else:
            q = self.session.items[self.session.current].question
            for o, box in zip(q.options, boxes):
                box.value = o.key in keys

    def _lock_selector(self, index: int) -> None:
        widget, boxes = self._selector(index)
        for control in boxes if boxes is not None else [widget]:
            control.disabled = True

    def show_question(self, index: int) -> None:
        s = self.session
        if s.result is not None:
            return self.show_results()
        index = s.goto(index)
        q = s.items[index].question
        self._update_position()
        self.stem.value = f"<p>{esc(q.stem)}</p>"
        widget, _boxes = self._selector(index)
        self.choices.children = [widget]
        self._syncing = True
        self.flag_button.value = index in s.flags
        self.jump.value = index
        self._syncing = False
        self.prev_button.disabled = index == 0
        self.next_button.disabled = index == len(s) - 1
        self._name_buttons(index)
        self.nav_row.children = [self.prev_button, self.next_button, self.flag_button, self.jump]
        rows = [self.position, self.stem, self.choices]
        if s.feedback:
            checked = index in s.checked
            self.check_button.disabled = checked
            self.flag_button.disabled = checked
            self.feedback.value = self._feedback_for(index)[1] if checked else ""
            rows += [self.check_row, self.feedback]
        self.actions_row.children = [self.review_button, self.submit_button] + ([] if s.timed else [self.pause_button])
        self.body.children = rows + [self.nav_row, self.actions_row]

    def _name_buttons(self, index: int) -> None:
        """Tooltips (the buttons' accessible names) that say which question each button acts on."""
        n = len(self.session)
        self.prev_button.tooltip = f"Previous question ({index} of {n})" if index > 0 else "Previous question (this is the first)"
        self.next_button.tooltip = f"Next question ({index + 2} of {n})" if index < n - 1 else "Next question (this is the last)"
        flagged = index in self.session.flags
        self.flag_button.tooltip = f"Remove the flag from question {index + 1}" if flagged else f"Flag question {index + 1} for review"
        self.check_button.tooltip = f"Check answer to question {index + 1}"

    def _feedback_for(self, index: int) -> tuple[str, str]:
        s = self.session
        q, right = s.items[index].question, s.checked[index]
        note = ""
        if s.mode == "retake":
            entry = self.retake_pool.get(q.id)
            rights = (entry.rights_since if entry is not None else 0) + 1 if right else 0
            from .exam_modes import RIGHTS_TO_CLEAR

            note = ("Answered right twice since your last miss: it leaves your retake list." if rights >= RIGHTS_TO_CLEAR
                    else f"Right answers since your last miss: {rights} of {RIGHTS_TO_CLEAR}.")
        return _feedback(q, s.answers[index], right, note)

    def check(self) -> None:
        """Feedback modes: check the current question's answer and show the explanations."""
        s = self.session
        try:
            s.check(s.current)
        except ValueError as exc:
            self.feedback.value = f'<p class="course-result-wrong">{esc(exc)}</p>'
            return
        except ExamOver:
            return self.show_results()
        self._lock_selector(s.current)
        self.show_question(s.current)

    def toggle_pause(self) -> None:
        """Untimed runs: pause (the questions are hidden) or resume."""
        s = self.session
        if s.paused:
            s.resume()
            self.pause_button.description = "Pause"
            self.tick()
            return self.show_question(s.current)
        s.pause()
        self.pause_button.description = "Resume"
        self.tick()
        note = self.w.HTML(f'<p class="course-exam-paused"><b>Paused</b> after {_fmt(s.elapsed())}. The questions are hidden until you resume.</p>')
        self.body.children = [note, self.pause_button]

    def _go(self, index: int) -> None:
        try:
            self.show_question(index)
        except ExamOver:
            self.show_results()

    def _on_flag(self, change) -> None:
        if self._syncing or self.session.result is not None:
            return
        try:
            self.session.flag(self.session.current, bool(change["new"]))
        except ExamOver:
            return self.show_results()
        self._refresh_jump()
        self.show_question(self.session.current)

    def _on_jump(self, change) -> None:
        if self._syncing or change["new"] is None or self.session.result is not None:
            return
        self._go(change["new"])

    def _refresh_jump(self) -> None:
        s = self.session
        labels = []
        for i in range(len(s)):
            marks = ("" if s.complete(i) else " (unanswered)") + (" ⚑" if i in s.flags else "")
            labels.append((f"Q{i + 1}{marks}", i))
        self._syncing = True
        current = s.current
        self.jump.options = labels
        self.jump.value = current
        self._syncing = False

    def review_text(self) -> str:
        s = self.session
        unanswered = ", ".join(f"Q{i + 1}" for i in s.unanswered()) or "none"
        flagged = ", ".join(f"Q{i + 1}" for i in s.flagged()) or "none"
        clock = f"Time left: {_fmt(s.remaining())}" if s.timed else f"Time used: {_fmt(s.elapsed())} (untimed)"
        return f"Unanswered: {unanswered}\nFlagged for review: {flagged}\n{clock}"

    def show_review(self) -> None:
        w, s = self.w, self.session
        if s.tick() is not None or s.result is not None:
            return self.show_results()
        rows = [w.HTML('<h4>Review screen</h4><pre class="course-exam-review-text">' + esc(self.review_text()) + "</pre>")]
        for title, indices in (("Unanswered", s.unanswered()), ("Flagged for review", s.flagged())):
            buttons = []
            for i in indices:
                b = w.Button(description=f"Q{i + 1}", tooltip=f"Go to question {i + 1} ({title.lower()})", layout=w.Layout(width="70px"),
                             _dom_classes=["course-exam-review-item"])
                b.on_click(lambda _b, i=i: self._go(i))
                buttons.append(b)
            rows.append(w.HTML(f"<b>{title}</b> ({len(indices)})"))
            rows.append(w.Box(buttons, layout=w.Layout(flex_flow="row wrap")) if buttons else w.HTML("<i>none</i>"))
        back = self._button("Back to the questions", "course-exam-back", lambda: self._go(s.current))
        rows.append(w.HBox([back, self.submit_button]))
        self.review_box.children = rows
        self.body.children = [self.review_box]

    # -- submitting ---------------------------------------------------------------------
    def _label_submit(self) -> None:
        exam_mode = self.session.mode == "exam"
        self.submit_button.description = "Submit exam" if exam_mode else "Finish"
        self.confirm_button.description = "Yes, submit now" if exam_mode else "Yes, finish now"

    def ask_submit(self) -> None:
        """The Submit button: ask for confirmation, saying how many questions are unanswered and flagged."""
        s = self.session
        if s.tick() is not None or s.result is not None:
            return self.show_results()
        self.confirm_text.value = f'<p role="alert"><b>{esc(s.submit_prompt())}</b></p>'
        if self.confirm_box not in self.body.children:
            self.body.children = [*self.body.children, self.confirm_box]

    def cancel_submit(self) -> None:
        self.body.children = [c for c in self.body.children if c is not self.confirm_box]

    def submit(self) -> ExamResult:
        result = self.session.submit()  # on_submit shows the results
        return result

    def show_results(self) -> None:
        self._stop.set()
        s, w = self.session, self.w
        result = s.result
        if result is None:
            return
        self.timer_label.value = f"<b>Time used:</b> {_fmt(result.finished - result.started - s.paused_total)}"
        if result.mode == "exam":
            verdict = "PASS" if result.passed else "FAIL"
            css = "course-result-right" if result.passed else "course-result-wrong"
            summary = result.summary()
            # the summary's first line is the headline: shown once, the rest of it (pass mark, auto-submit) small
            first = summary.splitlines()[0]
            big = f"Scaled score {result.scaled} / 1000: {verdict}"
            rest = first[len(big):].strip() if first.startswith(big) else first
            headline = f'<p class="{css}" style="font-size:1.3em">{esc(big)} <small>{esc(rest)}</small></p>'
            html = f"{headline}{summary_html(summary, skip_first=True)}<p><small>{esc(SCORING_NOTE)}</small></p>"
            items = [output_item(summary + "\n" + SCORING_NOTE, html)]
            items.append(_image_item(domain_chart(result), "chart: % right per domain with the pass line"))
        else:
            items = [output_item(result.summary(), summary_html(result.summary()))]
        weakest = weakest_tasks(result.per_task) if result.correct < result.total else []
        if result.per_task and result.mode == "exam":
            items.append(_image_item(task_chart(result), task_chart_alt(result)))
        if weakest:
            items.append(weakest_item(result, [item.question for item in self.session.items]))
        if result.mode == "exam":
            attempts = self._attempts()
            if attempts:
                items.append(output_item(history_text(attempts)))
                items.append(_image_item(history_chart(attempts), HISTORY_ALT))
        set_output(self.results, *items)
        counts = self._answer_counts()
        self._syncing = True
        self.answer_filter.options = [(f"Wrong ({counts['wrong']})", "wrong"), (f"Flagged ({counts['flagged']})", "flagged"), (f"All ({counts['all']})", "all")]
        self.answer_filter.value = "wrong"
        self._syncing = False
        actions = [self.review_answers_button]
        if weakest and self.bank is not None:
            self.practise_button.description = (f"Practise these {len(weakest)} task statements" if len(weakest) > 1
                                                else f"Practise task statement {weakest[0]}")
            actions.append(self.practise_button)
        if self.bank is not None and self._retake_left():
            actions.append(self.retake_button)
        self.body.children = [self.results, self.answer_filter, w.HBox(actions), self.answers_review]

    def _retake_left(self) -> bool:
        """Whether the retake list holds questions: this run's wrong or flagged answers, and earlier misses
        not yet answered right twice (a question only left unanswered is not on it)."""
        from .exam_modes import draw_retake

        return bool(draw_retake(self.bank.questions, self.session._store().read())[0])

    def _attempts(self) -> list[dict[str, Any]]:
        return self.session._store().exams()

    def _answer_rows(self, which: str = "all") -> list[int]:
        s = self.session
        if which not in ("wrong", "flagged", "all"):
            raise ValueError("which must be 'wrong', 'flagged' or 'all'")
        rows = []
        for i, item in enumerate(s.items):
            chosen = s.answers.get(i, [])
            right = bool(chosen) and item.question.is_correct(chosen)
            if which == "all" or (which == "wrong" and not right) or (which == "flagged" and i in s.flags):
                rows.append(i)
        return rows

    def _answer_counts(self) -> dict[str, int]:
        return {which: len(self._answer_rows(which)) for which in ("wrong", "flagged", "all")}

    def _filter_title(self, which: str, shown: int) -> str:
        what = {"wrong": "wrong or unanswered", "flagged": "flagged for review", "all": "all"}[which]
        return f"{shown} of {len(self.session)} questions shown ({what})."

    def answers_text(self, which: str = "all") -> str:
        s = self.session
        indices = self._answer_rows(which)
        lines = [self._filter_title(which, len(indices))]
        for i in indices:
            q, chosen = s.items[i].question, s.answers.get(i, [])
            mark = "right" if chosen and q.is_correct(chosen) else "wrong"
            lines.append(f"Q{i + 1} [{mark}]{' [flagged]' if i in s.flags else ''} {q.stem}")
            lines.append(f"  your answer: {', '.join(chosen) or '(none)'}; correct: {', '.join(q.correct)}")
            for o in q.options:
                lines.append(f"  {o.key}. [{'correct' if o.key in q.correct else 'wrong'}] {o.text} -- {o.explanation}")
        return "\n".join(lines)

    def show_answers(self, which: str = "wrong") -> None:
        """Every answer with its explanations: the wrong ones (default), the flagged ones or all."""
        if self._syncing:
            return
        s = self.session
        indices = self._answer_rows(which)
        parts = [f"<p><b>{esc(self._filter_title(which, len(indices)))}</b></p>"]
        for i in indices:
            q, chosen = s.items[i].question, s.answers.get(i, [])
            right = bool(chosen) and q.is_correct(chosen)
            options = "".join(
                f"<li><b>{'✔' if o.key in q.correct else '✘'} {esc(o.key)}.</b> {esc(o.text)}"
                f"{' <i>(your choice)</i>' if o.key in chosen else ''}<br><small>{esc(o.explanation)}</small></li>"
                for o in q.options
            )
            parts.append(
                f'<div class="course-exam-question"><p><b>Q{i + 1}</b> '
                f'<span class="{"course-result-right" if right else "course-result-wrong"}">{"✔ right" if right else "✘ wrong"}</span>'
                f"{' ⚑ flagged' if i in s.flags else ''}"
                f" <small>domain {q.domain} · {section_link(q.section, script=False)}</small><br>{esc(q.stem)}</p>"
                f'<ul class="course-explanations">{options}</ul></div>'
            )
        parts.append(SCRIPT_TAG)  # the section links' click handler, once for all of them
        set_output(self.answers_review, output_item(self.answers_text(which), "".join(parts)))

    # -- the next run from the result screen -------------------------------------------
    def _switch(self, session: ExamSession, intro: str = "", retake_pool: dict[str, Any] | None = None) -> None:
        self._stop.set()
        self._stop, self._thread = threading.Event(), None
        self.session, self.intro, self.retake_pool, self._selectors = session, intro, dict(retake_pool or {}), {}
        session.on_submit = lambda result: self.show_results()
        set_output(self.answers_review)
        self.pause_button.description = "Pause"
        self._label_submit()
        self.start()
        self.tick()  # the new run's clock at once, not the last run's "Time used" until the first tick

    def practise_weakest(self, size: int = 10) -> None:
        """Start a practice run on the weakest task statements of the result shown."""
        from .exam_modes import draw_practice

        s = self.session
        tasks = weakest_tasks(s.result.per_task)
        questions = draw_practice(self.bank.questions, tasks=tasks, size=size, seed=s.seed)
        session = ExamSession([ExamItem(q, True) for q in questions], s.seed, clock=s.clock, store=s.store,
                              mode="practice", timed=False, feedback=True)
        self._switch(session, f" on task statements {', '.join(tasks)}")

    def retake_again(self) -> None:
        """Start a retake run on every question still in the retake list."""
        from .exam_modes import draw_retake

        s = self.session
        questions, pool = draw_retake(self.bank.questions, s._store().read())
        if not questions:
            set_output(self.answers_review, output_item("Nothing to retake: every question you missed was answered right twice since."))
            return
        session = ExamSession([ExamItem(q, True) for q in questions], s.seed, clock=s.clock, store=s.store,
                              mode="retake", timed=False, feedback=True)
        self._switch(session, " you answered wrongly or flagged", pool)

    # -- timer --------------------------------------------------------------------------
    def tick(self) -> None:
        """One timer step: update the countdown (or the time used); at zero a timed exam is submitted."""
        s = self.session
        if s is None or s.started is None or s.result is not None or s.abandoned:
            return
        if not s.timed:
            self.timer_label.value = f"<b>{'Paused' if s.paused else 'Time used'}:</b> {_fmt(s.elapsed())} (untimed)"
        elif s.tick() is None:
            self.timer_label.value = f"<b>Time left:</b> {_fmt(s.remaining())}"

    def _run_timer(self, stop: threading.Event) -> None:
        session = self.session
        while not stop.wait(1.0):
            try:
                self.tick()
            except Exception:  # pragma: no cover - a closed comm must not kill the kernel thread
                break
            if session.result is not None or session.abandoned:
                break

    def abandon(self) -> None:
        """Stop the clock without submitting (the cell was run again)."""
        self._stop.set()
        if self.session is not None and self.session.result is None:
            self.session.abandoned = True

    def text(self) -> str:
        if self.session is None:
            return f"{self.unavailable} {self.message}"
        s = self.session
        if s.mode != "exam":
            return self.intro_text() + " Open this notebook in JupyterLab and press Start."
        return (
            f"Practice exam ({EXAM_CODE} blueprint): {len(s)} questions, {int(s.duration.total_seconds() // 60)} minutes, "
            f"{UNSCORED_QUESTIONS} of them unscored (not identified). Exam seed {s.seed}. "
            "Open this notebook in JupyterLab and press Start exam.\n" + SCORING_NOTE
        )


def _load(bank: Bank | None, data_dir) -> Bank:
    return bank if bank is not None else load_bank(data_dir)


def _seed(seed: int | None) -> int:
    return seed if seed is not None else random.SystemRandom().randrange(1, 1_000_000)


def practice_exam(
    seed: int | None = None,
    *,
    bank: Bank | None = None,
    data_dir=None,
    store=None,
    clock: Callable[[], datetime] = _utcnow,
    duration: timedelta = DURATION,
    timer: bool = True,
) -> ExamWidget:
    """A full practice exam (choose 130 min, 160 min or untimed, press *Start exam*). Without enough questions, a clear message."""
    bank, seed = _load(bank, data_dir), _seed(seed)
    try:
        items = draw_exam(bank, seed)
    except ExamUnavailable as exc:
        return ExamWidget(None, str(exc), timer=timer)
    return ExamWidget(ExamSession(items, seed, duration=duration, clock=clock, store=store), timer=timer, bank=bank)


def review_exam(
    seed: int | None = None,
    *,
    bank: Bank | None = None,
    data_dir=None,
    store=None,
    clock: Callable[[], datetime] = _utcnow,
    timer: bool = True,
) -> ExamWidget:
    """Review mode: a full draw on the blueprint, untimed, with feedback after each question."""
    bank, seed = _load(bank, data_dir), _seed(seed)
    try:
        items = [ExamItem(i.question, True) for i in draw_exam(bank, seed)]
    except ExamUnavailable as exc:
        return ExamWidget(None, str(exc), timer=timer, unavailable="Review mode not available yet.")
    session = ExamSession(items, seed, clock=clock, store=store, mode="review", timed=False, feedback=True)
    return ExamWidget(session, timer=timer, bank=bank, intro=f" on the {EXAM_CODE} blueprint (seed {seed})")


def practice(
    domain: int | None = None,
    task: str | Iterable[str] | None = None,
    size: int = 10,
    seed: int | None = None,
    *,
    bank: Bank | None = None,
    data_dir=None,
    store=None,
    clock: Callable[[], datetime] = _utcnow,
    timer: bool = True,
) -> ExamWidget:
    """Practice on one domain (``domain=2``) or task statement(s) (``task="2.1"``), ``size`` questions, untimed, with feedback."""
    from .exam_modes import draw_practice

    bank, seed = _load(bank, data_dir), _seed(seed)
    questions = draw_practice(bank.questions, domain=domain, tasks=task, size=size, seed=seed)
    tasks = [task] if isinstance(task, str) else list(task or [])
    scope = (f" of domain {domain} ({DOMAINS[domain][0]})" if domain in DOMAINS else "") + (
        f" on task statement{'s' if len(tasks) > 1 else ''} {', '.join(tasks)}" if tasks else "")
    if not questions:
        return ExamWidget(None, f"The question bank has no question{scope or ''}. Check the domain (1-4) and task ids (like 2.1).",
                          timer=timer, unavailable="No practice questions.")
    short = f" (all there are; you asked for {size})" if len(questions) < size else ""
    session = ExamSession([ExamItem(q, True) for q in questions], seed, clock=clock, store=store, mode="practice", timed=False, feedback=True)
    return ExamWidget(session, timer=timer, bank=bank, intro=scope + short)


def retake_missed(
    *,
    bank: Bank | None = None,
    data_dir=None,
    store=None,
    clock: Callable[[], datetime] = _utcnow,
    timer: bool = True,
) -> ExamWidget:
    """Only the questions you answered wrongly or flagged, until each is answered right twice since its latest miss."""
    from .exam_modes import RIGHTS_TO_CLEAR, draw_retake
    from .progress import get_store

    bank = _load(bank, data_dir)
    questions, pool = draw_retake(bank.questions, (store or get_store()).read())
    if not questions:
        return ExamWidget(None, "You have no missed or flagged question to retake: every one was answered right "
                          f"{RIGHTS_TO_CLEAR} times since it was missed. Take a practice exam or a practice run first.",
                          timer=timer, unavailable="Nothing to retake.")
    session = ExamSession([ExamItem(q, True) for q in questions], 0, clock=clock, store=store, mode="retake", timed=False, feedback=True)
    return ExamWidget(session, timer=timer, bank=bank, retake_pool=pool,
                      intro=f" you answered wrongly or flagged; each leaves the list after {RIGHTS_TO_CLEAR} right answers since its latest miss")
