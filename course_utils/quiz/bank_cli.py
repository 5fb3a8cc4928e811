"""``python -m course_utils bank validate|stats``: check the question bank from the command line.

    python -m course_utils bank validate [--data DIR]   # exit 1 and list every problem, 0 when clean
    python -m course_utils bank stats [--json] [--data DIR]
    python -m course_utils bank lint [--json] [--verbose] [--domain N] [--data DIR]   # answers given away by form; exit 1 over a limit
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``bank`` subcommand to the course CLI's subparsers."""
    p = sub.add_parser("bank", help="validate the question bank or show its statistics")
    bank_sub = p.add_subparsers(dest="bank_command", required=True)
    v = bank_sub.add_parser("validate", help="check every question, flashcard and drill file (exit 1 on problems)")
    v.add_argument("--data", help="data folder holding questions/, flashcards/, drills/ (default: the package's)")
    s = bank_sub.add_parser("stats", help="counts per domain, type and tag; flashcards; drills")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.add_argument("--data", help="data folder (default: the package's)")
    lint = bank_sub.add_parser("lint", help="cues that give answers away by their form (exit 1 over a limit)")
    lint.add_argument("--json", action="store_true", help="print JSON (with per-question cues)")
    lint.add_argument("--verbose", action="store_true", help="also list every question whose key is the longest option")
    lint.add_argument("--domain", type=int, choices=[1, 2, 3, 4], help="only this domain's questions")
    lint.add_argument("--data", help="data folder (default: the package's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .bank import load_bank

    bank = load_bank(args.data)
    if args.bank_command == "lint":
        from .lint import format_report, lint_bank

        if args.domain:
            bank = type(bank)(questions=bank.select(domain=args.domain))
        report = lint_bank(bank)
        print(json.dumps(report, indent=1) if args.json else format_report(report, verbose=args.verbose))
        return 1 if report["over"] else 0
    if args.bank_command == "validate":
        for problem in bank.problems:
            print(problem)
        stats = bank.stats()
        summary = f"{stats['questions']} questions, {stats['flashcards']} flashcards, {stats['drills']} drills"
        if bank.problems:
            print(f"bank INVALID: {len(bank.problems)} problem(s); {summary} valid")
            return 1
        print(f"bank OK: {summary}")
        return 0
    stats = bank.stats()
    if args.json:
        print(json.dumps(stats, indent=2))
    else:
        print(f"questions: {stats['questions']}  (per domain {stats['per_domain']}, per type {stats['per_type']})")
        print(f"tags: {', '.join(f'{t} {n}' for t, n in stats['per_tag'].items()) or '-'}")
        print(f"flashcards: {stats['flashcards']}  (per domain {stats['flashcards_per_domain']})")
        print(f"drills: {stats['drills']}  (per domain {stats['drills_per_domain']})")
        if stats["problems"]:
            print(f"problems: {stats['problems']} (run `python -m course_utils bank validate`)")
    return 0
