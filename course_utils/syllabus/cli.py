"""``python -m course_utils syllabus``: the DVA-C03 syllabus and the course's coverage of it.

    python -m course_utils syllabus validate            # check data/syllabus.yaml (exit 1 on problems)
    python -m course_utils syllabus coverage [--json]   # per skill: sections, live cells, questions, flashcards
    python -m course_utils syllabus coverage --known    # exit 0 when every gap is a known one (data/coverage_gaps.yaml)
    python -m course_utils syllabus index [--fix]       # check (or rewrite) the exam-guide table in 00_index.ipynb
"""

from __future__ import annotations

import argparse
import json

__all__ = ["register", "run"]


def register(sub) -> None:
    """Add the ``syllabus`` subcommand to the course CLI's subparsers."""
    p = sub.add_parser("syllabus", help="the DVA-C03 syllabus: validate it, report coverage, refresh the index table")
    ssub = p.add_subparsers(dest="syllabus_command", required=True)
    ssub.add_parser("validate", help="check data/syllabus.yaml (exit 1 and list every problem)")
    c = ssub.add_parser("coverage", help="per skill: sections, live cells, questions, flashcards; exit 1 on a gap")
    c.add_argument("--json", action="store_true", help="print JSON")
    c.add_argument("--known", action="store_true", help="exit 0 when every gap is listed in data/coverage_gaps.yaml and none listed is stale")
    i = ssub.add_parser("index", help="check the exam-guide table in 00_index.ipynb against the syllabus and the notebooks")
    i.add_argument("--fix", action="store_true", help="rewrite the table")
    p.set_defaults(func=run)


def _validate() -> int:
    from .loader import SyllabusError, load_syllabus, syllabus_path

    try:
        s = load_syllabus()
    except SyllabusError as exc:
        print(str(exc))
        return 1
    print(f"syllabus OK: {s.exam.code}, {len(s.domains)} domains, {len(s.tasks)} task statements, {len(s.skills)} skills ({syllabus_path()})")
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from .coverage import MIN_QUESTIONS, coverage_report, known_gaps

    report = coverage_report()
    known = known_gaps()
    found = {g["skill"]: g["reason"] for g in report["gaps"]}
    unknown = sorted(set(found) - set(known))
    stale = sorted(set(known) - set(found))
    if args.json:
        print(json.dumps(report, indent=1, ensure_ascii=False))
    else:
        print(f"{report['exam']}: {len(report['skills'])} skills")
        print(f"{'skill':8} {'sections':>8} {'live':>5} {'quest.':>6} {'cards':>5}  text")
        for row in report["skills"]:
            print(f"{row['id']:8} {len(row['sections']):8d} {row['live_cells']:5d} {row['questions']:6d} {row['flashcards']:5d}  {row['text'][:70]}")
        print(f"\n{len(found)} gap(s) (a skill with no section, or fewer than {MIN_QUESTIONS} questions):")
        for sid, reason in found.items():
            mark = "known" if sid in known else "NEW"
            print(f"  {sid}: {reason} [{mark}{': ' + known[sid] if sid in known else ''}]")
    for sid in stale:
        print(f"stale entry in data/coverage_gaps.yaml: {sid} is covered now; remove it")
    if args.known:
        for sid in unknown:
            print(f"gap not in data/coverage_gaps.yaml: {sid}: {found[sid]}")
        return 1 if unknown or stale else 0
    return 1 if found else 0


def _index(args: argparse.Namespace) -> int:
    from .view import index_problems

    problems = index_problems(fix=args.fix)
    for p in problems:
        print(p if not args.fix else f"{p} (rewritten)")
    if not problems:
        print("00_index.ipynb: the exam-guide table matches the syllabus and the notebooks")
    return 1 if problems and not args.fix else 0


def run(args: argparse.Namespace) -> int:
    if args.syllabus_command == "validate":
        return _validate()
    if args.syllabus_command == "coverage":
        return _coverage(args)
    return _index(args)
