"""Cues that give an answer away by its form, measured over the question bank.

A learner who knows no AWS but knows how tests are written looks for the longest option, the
one with the most detail, the absolute word ("always", "never") in a distractor. This module
measures those cues, per question and bank-wide, so that the bank can be held to thresholds:

single answer
    ``key_longest``: the share of questions whose correct option is the longest (chance: 1 in 4);
    ``key_shortest``, the same for the shortest (the cue a rewrite that trims every key creates).
    ``ratio``: the key's length over the longest distractor's (1.0 = as long as the longest).
multiple response
    ``key_longest``: the share whose correct options are exactly the N longest (chance for 2 of 5:
    1 in 10), and ``ratio``: mean correct length over mean distractor length.
absolute words
    how often keys and distractors use "always", "never", "only", "all", "none", "must",
    "cannot" (a bank where only distractors say "never" teaches the learner to drop them).
the longest-option strategy
    the score of always picking the longest option(s), on the exam's own scale: over the whole
    bank, and over 30 practice exams drawn as the notebook draws them.
housekeeping
    near-duplicate stems (90 % alike, across the whole bank, so across domains too), options of
    one question that repeat each other (the same text once case, spacing and a closing full stop
    are ignored: parallel options such as two cron expressions are good practice, not repeats), and
    multiple-response stems without "(Choose N.)".

:data:`THRESHOLDS` holds the limits and why; :func:`lint_bank` returns the report and
``python -m course_utils bank lint`` prints it and exits 1 over a threshold.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from itertools import combinations
from statistics import mean
from typing import Any

from .bank import Bank

__all__ = ["THRESHOLDS", "ABSOLUTE_WORDS", "question_cues", "lint_bank", "format_report"]

ABSOLUTE_WORDS = ("always", "never", "only", "all", "none", "must", "cannot")
_ABSOLUTE = re.compile(r"\b(" + "|".join(ABSOLUTE_WORDS) + r")\b", re.I)
_CHOOSE = re.compile(r"\(Choose (\w+)\.\)\s*$")

#: Limit -> (value, why). A measured figure above its limit fails the lint.
THRESHOLDS: dict[str, tuple[float, str]] = {
    "single_key_longest": (0.35, "chance is 25 % with 4 options; 35 % leaves room for keys that must name more"),
    "single_ratio_1_5": (0.05, "a key 1.5x as long as every distractor is a giveaway: at most 1 question in 20"),
    "single_mean_ratio": (1.10, "on average the key is no more than 10 % longer than the longest distractor"),
    "multiple_key_longest": (0.25, "chance is 10 % for 2 of 5; the correct set is rarely exactly the longest options"),
    "multiple_mean_ratio": (1.15, "correct options are on average no more than 15 % longer than distractors"),
    "single_key_shortest": (0.35, "the reverse cue: a rewrite that always trims the key makes the shortest option the answer"),
    "multiple_key_shortest": (0.25, "the reverse cue for multiple response: the correct set is rarely exactly the shortest options"),
    "absolute_gap": (0.10, "the share of distractors with an absolute word exceeds the keys' share by at most 10 points"),
    "longest_strategy_pass": (0.0, "always choosing the longest option must not pass (scaled < 720)"),
    "near_duplicates": (0, "no two stems 90 % alike"),
    "repeated_options": (0, "no two options of one question say the same thing"),
    "choose_missing": (0, "every multiple-response stem ends with '(Choose N.)'"),
}
SIMILAR = 0.90


def _length(text: str) -> int:
    return len(text.strip())


def question_cues(q) -> dict[str, Any]:
    """The form cues of one question: is the key the longest, its length ratio, absolute words."""
    keys = set(q.correct)
    right = [o for o in q.options if o.key in keys]
    wrong = [o for o in q.options if o.key not in keys]
    lengths = {o.key: _length(o.text) for o in q.options}
    longest = sorted(lengths, key=lambda k: (-lengths[k], k))[: len(keys)]
    shortest = sorted(lengths, key=lambda k: (lengths[k], k))[: len(keys)]
    if q.type == "single":
        ratio = lengths[q.correct[0]] / max(lengths[o.key] for o in wrong)
    else:
        ratio = mean(lengths[o.key] for o in right) / mean(lengths[o.key] for o in wrong)
    return {
        "id": q.id,
        "type": q.type,
        "key_longest": set(longest) == keys and len(set(lengths.values())) > 1,
        "key_shortest": set(shortest) == keys and len(set(lengths.values())) > 1,
        "ratio": round(ratio, 3),
        "absolute_in_key": sum(bool(_ABSOLUTE.search(o.text)) for o in right),
        "absolute_in_distractors": sum(bool(_ABSOLUTE.search(o.text)) for o in wrong),
        "keys": len(right),
        "distractors": len(wrong),
        "longest": sorted(longest),
    }


def _words(text: str) -> str:
    """Text as compared for repeats: lowercase, single spaces, no closing full stop."""
    return " ".join(text.lower().split()).rstrip(".")


def _near_duplicates(questions) -> list[tuple[str, str, float]]:
    out = []
    stems = [(q.id, " ".join(q.stem.split())) for q in questions]
    for (ia, a), (ib, b) in combinations(stems, 2):
        if abs(len(a) - len(b)) > 0.2 * max(len(a), len(b)):
            continue  # too different in length to be 90 % alike
        matcher = SequenceMatcher(None, a.lower(), b.lower(), autojunk=False)
        if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR and matcher.ratio() >= SIMILAR:
            out.append((ia, ib, round(matcher.ratio(), 3)))
    return out


def _longest_right(questions, cues: dict[str, dict]) -> int:
    """How many of ``questions`` choosing the longest option(s) answers right."""
    return sum(set(cues[q.id]["longest"]) == set(q.correct) for q in questions)


def _longest_strategy(questions, cues: dict[str, dict]) -> dict[str, float]:
    """Share right and scaled score of always choosing the longest option(s)."""
    from .exam import scale_score

    share = _longest_right(questions, cues) / len(questions) if questions else 0.0
    return {"share_right": round(share, 3), "scaled": scale_score(round(share * 50))}


def exam_strategy(bank, cues: dict[str, dict], seeds: range = range(1, 31)) -> dict[str, Any] | None:
    """Always-longest on practice exams drawn by ``seeds``: mean scaled score and passes (None without a full exam)."""
    from .exam import PASS_SCALED, ExamUnavailable, draw_exam, scale_score

    scores = []
    for seed in seeds:
        try:
            items = draw_exam(bank, seed)
        except ExamUnavailable:
            return None
        scored = [i.question for i in items if i.scored]
        scores.append(scale_score(_longest_right(scored, cues), len(scored)))
    return {"exams": len(scores), "mean_scaled": round(mean(scores)), "passed": sum(s >= PASS_SCALED for s in scores)}


def lint_bank(bank) -> dict[str, Any]:
    """Bank-wide figures, the limits they are held to, and the questions that carry each cue."""
    questions = list(bank.questions)
    cues = {q.id: question_cues(q) for q in questions}
    single = [cues[q.id] for q in questions if q.type == "single"]
    multiple = [cues[q.id] for q in questions if q.type == "multiple"]

    def share(rows, test) -> float:
        return round(sum(1 for r in rows if test(r)) / len(rows), 3) if rows else 0.0

    keys = sum(c["keys"] for c in cues.values()) or 1
    distractors = sum(c["distractors"] for c in cues.values()) or 1
    absolute_keys = sum(c["absolute_in_key"] for c in cues.values()) / keys
    absolute_distractors = sum(c["absolute_in_distractors"] for c in cues.values()) / distractors
    strategy = _longest_strategy(questions, cues)
    repeated = [
        (q.id, a.key, b.key) for q in questions for a, b in combinations(q.options, 2) if _words(a.text) == _words(b.text)
    ]
    choose_missing = [q.id for q in questions if q.type == "multiple" and not _CHOOSE.search(q.stem)]
    figures = {
        "single_key_longest": share(single, lambda r: r["key_longest"]),
        "single_ratio_1_5": share(single, lambda r: r["ratio"] >= 1.5),
        "single_mean_ratio": round(mean(r["ratio"] for r in single), 3) if single else 0.0,
        "multiple_key_longest": share(multiple, lambda r: r["key_longest"]),
        "multiple_mean_ratio": round(mean(r["ratio"] for r in multiple), 3) if multiple else 0.0,
        "single_key_shortest": share(single, lambda r: r["key_shortest"]),
        "multiple_key_shortest": share(multiple, lambda r: r["key_shortest"]),
        "absolute_gap": round(absolute_distractors - absolute_keys, 3),
        "longest_strategy_pass": 1.0 if strategy["scaled"] >= 720 else 0.0,
        "near_duplicates": len(near := _near_duplicates(questions)),
        "repeated_options": len(repeated),
        "choose_missing": len(choose_missing),
    }
    over = {name: value for name, value in figures.items() if value > THRESHOLDS[name][0]}
    return {
        "questions": len(questions),
        "single": len(single),
        "multiple": len(multiple),
        "figures": figures,
        "thresholds": {name: limit for name, (limit, _why) in THRESHOLDS.items()},
        "over": sorted(over),
        "absolute_words": {"keys": round(absolute_keys, 3), "distractors": round(absolute_distractors, 3)},
        "longest_strategy": strategy,
        "exam_strategy": exam_strategy(bank, cues) if isinstance(bank, Bank) else None,
        "flagged": {
            "key_longest": sorted(c["id"] for c in cues.values() if c["key_longest"]),
            "ratio_1_5": sorted(c["id"] for c in single if c["ratio"] >= 1.5),
            "near_duplicates": [list(pair) for pair in near],
            "repeated_options": [list(r) for r in repeated],
            "choose_missing": choose_missing,
        },
        "per_question": cues,
    }


def format_report(report: dict[str, Any], verbose: bool = False) -> str:
    """The lint report as text: one line per figure with its limit, then the flagged questions."""
    f = report["figures"]
    lines = [f"bank lint: {report['questions']} questions ({report['single']} single answer, {report['multiple']} multiple response)"]
    labels = {
        "single_key_longest": "single answer: key is the longest option",
        "single_ratio_1_5": "single answer: key >= 1.5x the longest distractor",
        "single_mean_ratio": "single answer: mean key / longest-distractor length",
        "multiple_key_longest": "multiple response: correct set = the longest options",
        "multiple_mean_ratio": "multiple response: mean correct / distractor length",
        "single_key_shortest": "single answer: key is the shortest option",
        "multiple_key_shortest": "multiple response: correct set = the shortest options",
        "absolute_gap": "absolute words: distractors minus keys",
        "longest_strategy_pass": "always-longest strategy passes the practice exam",
        "near_duplicates": "near-duplicate stems",
        "repeated_options": "options repeating each other",
        "choose_missing": "multiple-response stems without (Choose N.)",
    }
    for name, label in labels.items():
        limit, why = THRESHOLDS[name]
        mark = "OVER" if name in report["over"] else "ok"
        lines.append(f"  {mark:4} {label}: {f[name]:g} (limit {limit:g}: {why})")
    s = report["longest_strategy"]
    lines.append(f"  always-longest strategy: {s['share_right']:.0%} right, scaled {s['scaled']}")
    e = report.get("exam_strategy")
    if e:
        lines.append(f"  always-longest on {e['exams']} practice exams: mean scaled {e['mean_scaled']}, {e['passed']} passed")
    a = report["absolute_words"]
    lines.append(f"  absolute words in keys {a['keys']:.0%}, in distractors {a['distractors']:.0%}")
    flagged = report["flagged"]
    for name in ("ratio_1_5", "near_duplicates", "repeated_options", "choose_missing") + (("key_longest",) if verbose else ()):
        items = flagged[name]
        if items:
            shown = ", ".join(i if isinstance(i, str) else "/".join(map(str, i)) for i in items[:40])
            lines.append(f"  {name} ({len(items)}): {shown}{' ...' if len(items) > 40 else ''}")
    lines.append("bank lint: " + ("OVER a threshold: " + ", ".join(report["over"]) if report["over"] else "all figures within their limits"))
    return "\n".join(lines)
