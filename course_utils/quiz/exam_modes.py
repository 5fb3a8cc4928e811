"""Which questions the study modes of notebook 05 ask (no widgets, no clock).

Practice by domain or task statement (:func:`draw_practice`)
    The questions of one domain (``2``), one task statement (``"2.1"``) or several task
    statements (``["1.2", "4.3"]``), as many as the learner asks for (all of them when fewer are
    available), chosen and ordered by ``seed``.

Retake missed (:func:`retake_status`, :func:`draw_retake`)
    A question is *missed* when an answer to it was wrong or flagged for review, in any mode
    (its records in the progress file's ``answers``), or when it was flagged in a practice
    exam and left unanswered (the attempt's ``flagged`` list). It stays in the retake pool until
    it has been answered right twice since its latest miss; a new wrong answer starts the count
    again. Questions left unanswered (and not flagged) are not misses. Everything is derived
    from what the progress store already keeps, so importing progress from another machine
    brings the pool along.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

__all__ = ["RIGHTS_TO_CLEAR", "RetakeEntry", "draw_practice", "retake_status", "draw_retake"]

#: Right answers since the latest miss that take a question out of the retake pool.
RIGHTS_TO_CLEAR = 2


def _selects(q, domain: int | None, tasks: set[str] | None) -> bool:
    if domain is not None and q.domain != domain:
        return False
    return tasks is None or q.task in tasks


def draw_practice(
    questions: Iterable,
    *,
    domain: int | None = None,
    tasks: str | Iterable[str] | None = None,
    size: int = 10,
    seed: int = 0,
) -> list:
    """Up to ``size`` questions of ``domain`` and/or ``tasks`` (task ids like ``"2.1"``), in a seeded order."""
    if size < 1:
        raise ValueError("size must be at least 1")
    wanted = {tasks} if isinstance(tasks, str) else (set(tasks) if tasks is not None else None)
    pool = sorted((q for q in questions if _selects(q, domain, wanted)), key=lambda q: q.id)
    rng = random.Random(seed)
    return rng.sample(pool, min(size, len(pool)))


@dataclass(frozen=True)
class RetakeEntry:
    """A question in the retake pool: when it was last missed and how many right answers since."""

    id: str
    missed_at: datetime
    rights_since: int


def _when(value: Any) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def retake_status(data: dict[str, Any]) -> list[RetakeEntry]:
    """The retake pool from a progress snapshot (``store.read()``), longest-missed first."""
    events: dict[str, list[tuple[datetime, int]]] = {}  # (time, 0 = right / 1 = miss): a miss sorts after a right at the same time
    for qid, records in data.get("answers", {}).items():
        for r in records:
            miss = (not r.get("correct")) or bool(r.get("flagged"))
            events.setdefault(qid, []).append((_when(r.get("at")), 1 if miss else 0))
    for attempt in data.get("exams", []):
        for qid in attempt.get("flagged", []):
            events.setdefault(qid, []).append((_when(attempt.get("finished")), 1))
    pool = []
    for qid, seq in events.items():
        seq.sort()
        misses = [i for i, (_t, kind) in enumerate(seq) if kind == 1]
        if not misses:
            continue
        last = misses[-1]
        rights = sum(1 for _t, kind in seq[last + 1:] if kind == 0)
        if rights < RIGHTS_TO_CLEAR:
            pool.append(RetakeEntry(qid, seq[last][0], rights))
    pool.sort(key=lambda e: (e.missed_at, e.id))
    return pool


def draw_retake(questions: Iterable, data: dict[str, Any]) -> tuple[list, dict[str, RetakeEntry]]:
    """The bank's questions in the retake pool (longest-missed first) and the pool by id."""
    pool = {e.id: e for e in retake_status(data)}
    by_id = {q.id: q for q in questions}
    return [by_id[qid] for qid in pool if qid in by_id], pool
