"""From a missed question to the flashcards that fix it.

What a miss does (:func:`record_misses`)
    The flashcards that list the missed question's *primary* skill (its first skill: the one the
    exam scores it under) become due at the time of the miss, and come first in the deck until
    they are reviewed. When no card of the bank lists that skill, a card is made from the
    question's key point: the front is the question (its first and last sentence when it is
    long), the back the correct option(s) with their explanations and the section to read. The
    made card is kept in the progress file (``miss_cards``), so it survives restarts and exports.

Atomic and idempotent
    All the changes of one call are one locked read-modify-write of the progress file. A miss is
    identified by its question and its time (``at``): recording it again changes nothing, a card
    reviewed after the miss is not made due again by it, and a made card is made once (its id is
    ``fc-dN-miss-`` and the question id).

Misses already in the progress file (:func:`sync_misses`)
    Any answer saved as wrong (an option chosen and the answer not right) or flagged for review,
    by a section quiz or an exam mode, is a miss at the time it was saved. ``quiz.flashcards()``
    records them all when it opens, so the path works even where the quiz never called
    :func:`record_misses` itself. Unanswered exam questions are not misses (as in the retake pool).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

__all__ = ["MISS_CARD_PREFIX", "record_misses", "sync_misses", "misses_in", "miss_card", "miss_card_id", "stem_summary"]

MISS_CARD_PREFIX = "miss-"
_EPOCH = "1970-01-01T00:00:00+00:00"
_CORRECT = re.compile(r"^(?:Correct|Right|Yes)\s*[.!:,-]\s*", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z0-9\"'(])")


def _iso(moment: datetime | str | None) -> str:
    if moment is None:
        moment = datetime.now(timezone.utc)
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat()


def miss_card_id(question) -> str:
    """``fc-d2-miss-kms-grants-01`` for question ``d2-kms-grants-01``."""
    return f"fc-d{question.domain}-{MISS_CARD_PREFIX}{question.id.split('-', 1)[1]}"


def stem_summary(stem: str, limit: int = 280) -> str:
    """The stem when short; else its first sentence, an ellipsis and its last sentence (the ask)."""
    text = " ".join(stem.split())
    if len(text) <= limit:
        return text
    sentences = _SENTENCE.split(text)
    if len(sentences) < 2:
        return text[: limit - 1].rstrip() + "…"
    return f"{sentences[0]} … {sentences[-1]}"


def miss_card(question, created: str) -> dict[str, Any]:
    """The stored form of the card made from ``question``'s key point."""
    right = [question.option(k) for k in question.correct]
    answer = " · ".join(f"{o.key}. {o.text}" for o in right)
    why = " ".join(_CORRECT.sub("", o.explanation) for o in right)
    return {
        "front": stem_summary(question.stem),
        "back": f"{answer} Why: {why} Read: {question.section}.",
        "skills": list(question.skills),
        "tags": sorted(set(question.tags) | {"missed"}),
        "question": question.id,
        "created": created,
    }


def _covering(cards: Iterable, skill: str) -> list:
    return [c for c in cards if skill in c.skills]


def _apply(data: dict[str, Any], misses: list[tuple[Any, str]], cards: list) -> dict[str, list[str]]:
    """Apply ``(question, at)`` misses to a progress snapshot in place; what changed."""
    report: dict[str, list[str]] = {"due": [], "made": []}
    states, made = data["flashcards"], data.setdefault("miss_cards", {})
    for question, at in misses:
        targets = [c.id for c in _covering(cards, question.primary_skill)]
        if not targets:
            cid = miss_card_id(question)
            if cid not in made:
                made[cid] = miss_card(question, at)
                report["made"].append(cid)
            targets = [cid]
        for cid in targets:
            state = dict(states.get(cid) or {"box": 1, "due": _EPOCH, "reviewed": None, "seen": 0, "knew": 0})
            if str(state.get("reviewed") or "") >= at or str(state.get("missed_at") or "") >= at:
                continue  # reviewed since this miss, or this miss (or a later one) is already recorded
            state["due"] = min(str(state.get("due") or _EPOCH), at)
            state["missed_at"] = at
            state["missed_by"] = sorted(set(state.get("missed_by", [])) | {question.id})
            states[cid] = state
            if cid not in report["due"]:
                report["due"].append(cid)
    return report


def _bank(bank, data_dir):
    if bank is not None:
        return bank
    from .bank import load_bank

    return load_bank(data_dir)


def _store(store):
    if store is not None:
        return store
    from .progress import get_store

    return get_store()


def record_misses(
    question_ids: Iterable[str],
    *,
    at: datetime | str | None = None,
    bank=None,
    store=None,
    data_dir=None,
) -> dict[str, list[str]]:
    """Make the flashcards of the missed questions due (see the module text); one atomic write.

    Returns ``{"due": card ids made due, "made": card ids made from questions, "unknown":
    question ids not in the bank}``. ``at`` is the time of the miss (default: now).
    """
    bank, store, when = _bank(bank, data_dir), _store(store), _iso(at)
    by_id = {q.id: q for q in bank.questions}
    ids = list(dict.fromkeys(question_ids))
    misses = [(by_id[qid], when) for qid in ids if qid in by_id]
    report = store.update(lambda data: _apply(data, misses, bank.flashcards))
    report["unknown"] = [qid for qid in ids if qid not in by_id]
    return report


def misses_in(data: dict[str, Any]) -> list[tuple[str, str]]:
    """``(question id, at)`` of every miss saved in a progress snapshot, in time order."""
    found = []
    for qid, records in data.get("answers", {}).items():
        for r in records:
            if r.get("flagged") or (r.get("chosen") and not r.get("correct")):
                try:
                    found.append((qid, _iso(r.get("at"))))
                except (TypeError, ValueError):
                    continue
    return sorted(found, key=lambda m: (m[1], m[0]))


def sync_misses(*, bank=None, store=None, data_dir=None) -> dict[str, list[str]]:
    """Record every miss saved in the progress file (idempotent; one atomic write)."""
    bank, store = _bank(bank, data_dir), _store(store)
    by_id = {q.id: q for q in bank.questions}

    def change(data: dict[str, Any]) -> dict[str, list[str]]:
        misses = [(by_id[qid], at) for qid, at in misses_in(data) if qid in by_id]
        return _apply(data, misses, bank.flashcards)

    import copy

    if not any(change(copy.deepcopy(store.read())).values()):
        return {"due": [], "made": []}  # nothing new: no write
    return store.update(change)


def pending_miss(state: dict[str, Any]) -> bool:
    """Was the card made due by a miss and not reviewed since?"""
    return str(state.get("missed_at") or "") > str(state.get("reviewed") or "")


def made_cards(data: dict[str, Any], known: Callable[[str], bool] = lambda _cid: False) -> list:
    """The cards made from missed questions, as :class:`~course_utils.quiz.schema.Flashcard` objects."""
    from .schema import Flashcard

    cards = []
    for cid, card in sorted(data.get("miss_cards", {}).items()):
        if known(cid):
            continue
        try:
            cards.append(Flashcard(id=cid, front=card["front"], back=card["back"], tags=card.get("tags", []), skills=card["skills"]))
        except (KeyError, TypeError, ValueError):
            continue  # a damaged entry is skipped, the rest still load
    return cards
