"""``python -m course_utils exam blueprint``: show which questions a practice exam would draw.

    python -m course_utils exam blueprint --seed 7          # counts per domain and task statement
    python -m course_utils exam blueprint --seed 7 --json   # {"exam", "seed", "questions": [{"id", "domain", "task", "scored"}]}
    python -m course_utils exam retake [--json]              # your retake list: missed or flagged, not yet right twice
"""

from __future__ import annotations

import argparse
import json
from collections import Counter

__all__ = ["register", "run", "run_retake"]


def register(sub) -> None:
    """Add the ``exam`` subcommand to the course CLI's subparsers."""
    p = sub.add_parser("exam", help="the practice exam's blueprint (which questions a seed draws)")
    exam_sub = p.add_subparsers(dest="exam_command", required=True)
    b = exam_sub.add_parser("blueprint", help="the draw for one seed: domain, task and scored flag of every question")
    b.add_argument("--seed", type=int, required=True, help="the exam seed (the notebook shows it on the start screen)")
    b.add_argument("--json", action="store_true", help="print JSON")
    b.add_argument("--data", help="data folder (default: the package's)")
    r = exam_sub.add_parser("retake", help="your retake list: questions missed or flagged and not yet answered right twice since")
    r.add_argument("--json", action="store_true", help="print JSON")
    r.add_argument("--progress", help="progress file (default: yours)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.exam_command == "retake":
        return run_retake(args)
    from .bank import DOMAINS, load_bank
    from .exam import ExamUnavailable, blueprint

    bank = load_bank(args.data)
    try:
        draw = blueprint(bank, args.seed)
    except ExamUnavailable as exc:
        print(str(exc))
        return 1
    if args.json:
        print(json.dumps(draw, indent=1))
        return 0
    questions = draw["questions"]
    scored = Counter(q["domain"] for q in questions if q["scored"])
    unscored = Counter(q["domain"] for q in questions if not q["scored"])
    tasks = Counter(q["task"] for q in questions if q["scored"])
    print(f"{draw['exam']} practice exam, seed {args.seed}: {len(questions)} questions, {sum(scored.values())} scored")
    for d, (name, weight) in DOMAINS.items():
        per_task = ", ".join(f"{t} {n}" for t, n in sorted(tasks.items()) if t.startswith(f"{d}."))
        print(f"  Domain {d} {name} ({weight:.0%}): {scored[d]} scored ({per_task}), {unscored[d]} unscored")
    return 0


def run_retake(args: argparse.Namespace) -> int:
    """Print the retake list (:func:`course_utils.quiz.exam_modes.retake_status`) of a progress file."""
    from .exam_modes import RIGHTS_TO_CLEAR, retake_status
    from .progress import ProgressStore, get_store

    store = ProgressStore(args.progress) if args.progress else get_store()
    pool = retake_status(store.read())
    if args.json:
        print(json.dumps([{"id": e.id, "missed_at": e.missed_at.isoformat(), "rights_since": e.rights_since} for e in pool], indent=1))
        return 0
    if not pool:
        print("Your retake list is empty: no question missed or flagged, or each was answered right twice since.")
        return 0
    print(f"{len(pool)} question(s) to retake (each leaves the list after {RIGHTS_TO_CLEAR} right answers since its latest miss):")
    for e in pool:
        print(f"  {e.id}  missed {e.missed_at.isoformat()[:16]}  right since: {e.rights_since}")
    return 0
