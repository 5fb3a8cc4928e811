"""``python -m course_utils grade ...``: the instructor's grading commands.

    grade install-kernel [--user] [--max-seconds N]   install the sandboxed kernelspec nbgrader uses
    grade check [--course DIR]                        is the sandbox usable here? (runs a probe kernel)
    grade autograde ASSIGNMENT [--jobs N]             parallel autograde, then feedback, CSV, summary, figure
    grade export [ASSIGNMENT ...]                     CSV with status and reason per student, summary, figure
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

__all__ = ["register", "find_course"]


def find_course(given: str | None) -> Path:
    """The nbgrader course folder: ``--course``, else the working directory or its ``grading/``."""
    candidates = [Path(given)] if given else [Path.cwd(), Path.cwd() / "grading"]
    for folder in candidates:
        if (folder / "nbgrader_config.py").is_file():
            return folder.resolve()
    where = given or f"{Path.cwd()} or {Path.cwd() / 'grading'}"
    raise SystemExit(f"error: no nbgrader_config.py in {where}: pass --course path/to/grading")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {value:g}")
    return value


def _cmd_install(args: argparse.Namespace) -> int:
    from . import kernelspec

    dest = kernelspec.install(user=args.user, prefix=args.prefix, max_seconds=args.max_seconds)
    print(f"installed the {kernelspec.KERNEL_NAME} kernelspec in {dest} (notebook bound {args.max_seconds:g} s)")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from .autograde import sandbox_problem
    from .probe import run_probe

    problem = sandbox_problem()
    if problem:
        print(f"sandbox: NOT usable: {problem}")
        return 1
    course = find_course(args.course) if args.course or (Path.cwd() / "nbgrader_config.py").exists() or (Path.cwd() / "grading").is_dir() else None
    report = run_probe(course)
    for line in report.lines():
        print(line)
    print("sandbox check: OK" if report.ok else "sandbox check: FAILED")
    return 0 if report.ok else 1


def _export(course: Path, assignments: list[str] | None, output: str | None, figure: str | None) -> int:
    from .autograde import load_api
    from .export import export_rows, grade_distribution, summary, write_csv

    cwd = os.getcwd()
    try:
        api = load_api(course)
        db_url = api.coursedir.db_url
        timeout = f"{api.config.Execute.timeout} s" if "timeout" in api.config.Execute else "per-cell"
    finally:
        os.chdir(cwd)
    try:
        rows = export_rows(course, db_url, assignments or None, cell_timeout=timeout)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    tag = "_".join(assignments) if assignments else "all"
    csv_path = write_csv(rows, Path(output) if output else course / "reports" / f"grades_{tag}.csv")
    print(summary(rows))
    print(f"grades: {csv_path}")
    if rows:
        fig_path = grade_distribution(rows, Path(figure) if figure else course / "reports" / f"grades_{tag}.png")
        print(f"grade distribution: {fig_path}")
    return 0


def _cmd_autograde(args: argparse.Namespace) -> int:
    from . import autograde as ag

    course = find_course(args.course)
    try:
        runs = ag.autograde(course, args.assignment, jobs=args.jobs, students=args.student or None, progress=not args.quiet)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    failed = [r.student_id for r in runs if not r.success]
    print(f"autograded {len(runs) - len(failed)}/{len(runs)} submissions of {args.assignment}"
          + (f"; not graded: {', '.join(failed)} (reasons below)" if failed else ""))
    if not args.no_feedback:
        ag.generate_feedback(course, args.assignment)
        ag.remove_stale_feedback(course, args.assignment)
        print(f"feedback: {course / 'feedback'}")
    return _export(course, [args.assignment], args.output, args.figure)


def _cmd_export(args: argparse.Namespace) -> int:
    return _export(find_course(args.course), args.assignment, args.output, args.figure)


def register(sub: argparse._SubParsersAction) -> None:
    grade = sub.add_parser("grade", help="instructors: sandboxed, parallel nbgrader grading (see grading/README.md)",
                           description=__doc__.split("\n")[0])
    gsub = grade.add_subparsers(dest="grade_command", required=True)

    p = gsub.add_parser("install-kernel", help="install the dva-course-sandbox kernelspec nbgrader grades with")
    p.add_argument("--user", action="store_true", help="install for this user (~/.local/share/jupyter) instead of this environment")
    p.add_argument("--prefix", help="install under this prefix instead of this environment's")
    p.add_argument("--max-seconds", type=_positive_float, default=900.0, help="bound on each graded notebook's whole run (default 900)")
    p.set_defaults(func=_cmd_install)

    p = gsub.add_parser("check", help="check that the grading sandbox works here (runs a probe kernel)")
    p.add_argument("--course", help="course folder (default: ./ or ./grading)")
    p.set_defaults(func=_cmd_check)

    p = gsub.add_parser("autograde", help="autograde every submission in N parallel workers, then feedback and export")
    p.add_argument("assignment")
    p.add_argument("--course", help="course folder (default: ./ or ./grading)")
    p.add_argument("--jobs", "-j", type=_positive_int, default=None, help="worker processes (default: CPU count)")
    p.add_argument("--student", action="append", help="grade only this student (repeatable)")
    p.add_argument("--no-feedback", action="store_true", help="skip feedback generation")
    p.add_argument("--output", help="CSV path (default: <course>/reports/grades_<assignment>.csv)")
    p.add_argument("--figure", help="PNG path for the grade distribution")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_autograde)

    p = gsub.add_parser("export", help="CSV of grades with status and reason per student, summary, figure")
    p.add_argument("assignment", nargs="*", help="assignments (default: all in the gradebook)")
    p.add_argument("--course", help="course folder (default: ./ or ./grading)")
    p.add_argument("--output", help="CSV path (default: <course>/reports/grades_<assignments>.csv)")
    p.add_argument("--figure", help="PNG path for the grade distribution")
    p.set_defaults(func=_cmd_export)
