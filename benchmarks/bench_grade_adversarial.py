"""The adversarial corpus (issue 17) against this checkout's grader: per attack, score / status / reason.

    .venv/bin/python benchmarks/bench_grade_adversarial.py [--jobs 2] [--only a,b] [--assignments ...]
                                                          [--timing-submissions 20] [--no-timing] [--keep DIR]

Part 1 builds a temporary course from this checkout's ``grading/``, writes every attack of
:mod:`course_utils.grade.adversary` (all of them on the first assignment, those that depend on the
tests on all four, an empty and a correct control), grades it with ``python -m course_utils grade
autograde --jobs N`` (a few also with the plain ``nbgrader autograde``), and prints one line per
submission: score, status, whether it beat the empty submission, whether the grader did what it
must (see :class:`~course_utils.grade.adversary.Expectation`), and the reason or the problems
(leaks included) and what the student code managed (evidence). Then totals.

Part 2 times the serial ``nbgrader autograde`` against ``grade autograde --jobs N`` on
``--timing-submissions`` submissions of the first assignment (synthetic correct/wrong/partial and a
few attacks, in turn) and compares the two gradebooks cell by cell (``bench_autograde``'s helpers).

To measure another checkout (e.g. an older commit in a ``git worktree``), copy this script and
``course_utils/grade/adversary.py`` into it and run it with that checkout's ``.venv``: the kernel
and the grader are then that checkout's. Needs bubblewrap and the ``dva-course-sandbox``
kernelspec (``python -m course_utils grade install-kernel``). Exit status 0 whatever the table says.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_autograde, beside this file

from bench_autograde import GRADING, _env, _scores  # noqa: E402 (reused: environment and gradebook comparison)

SECRET = "instructor-secret-bench-5d2e"  # in the instructor's environment: must never reach a student
PRIVATE_MARKER = "aws_secret_access_key = PRIVATE-instructor-bench-77aa"
TIMING_ATTACKS = ("tag_skip_execution", "displayhook_debug", "input_transformer", "post_run_cell_clear", "botocore_always_equal",
                  "raw_cell_leak", "html_display", "fake_cell_timeout")
SYNTHETIC_KINDS = ("correct", "wrong", "partial")


def _bench_env(cell_timeout: int, notebook_timeout: int) -> dict[str, str]:
    env = _env()
    env.setdefault("DVA_GRADE_CELL_TIMEOUT", str(cell_timeout))
    env.setdefault("DVA_GRADE_NOTEBOOK_TIMEOUT", str(notebook_timeout))
    env.update({"AWS_SECRET_ACCESS_KEY": SECRET, "AWS_ACCESS_KEY_ID": "AKIA" + SECRET.upper().replace("-", "")[:16],
                "INSTRUCTOR_API_TOKEN": SECRET})
    return env


def _totals(outcomes: list) -> str:
    from course_utils.grade import adversary as adv

    attacks = [o for o in outcomes if o.attack not in adv.BASELINES and o.technique != adv.HONEST]
    honest = [o for o in outcomes if o.technique == adv.HONEST]
    beat = [o for o in attacks if o.beat_empty]
    beat_unflagged = [o for o in beat if o.status == "graded"]
    techniques = sorted({o.technique for o in beat})
    leaked = [o for o in outcomes if any(p.startswith("leak:") for p in o.problems)]
    escaped = [o for o in outcomes if any("OUTSIDE the sandbox" in e for e in o.evidence)]
    wrong = [o for o in outcomes if o.problems]
    statuses = Counter(o.status for o in attacks)
    lines = [
        f"attack submissions: {len(attacks)} ({len({o.attack for o in attacks})} attacks, techniques 1-9); statuses: "
        + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())),
        f"beat the empty submission: {len(beat)} submissions, {len({o.attack for o in beat})} attacks, techniques {techniques}; "
        f"of them status `graded` (no warning): {len(beat_unflagged)}",
        f"leaking into feedback/ or autograded/: {len(leaked)} submissions ({', '.join(sorted({o.attack for o in leaked})) or 'none'})",
        f"student code ran outside the sandbox: {len(escaped)} submissions ({', '.join(sorted({o.attack for o in escaped})) or 'none'})",
        f"honest mistakes graded normally with a note: {sum(1 for o in honest if not o.problems)}/{len(honest)}",
        f"expectations met: {len(outcomes) - len(wrong)}/{len(outcomes)} submissions",
    ]
    return "\n".join(lines)


def _timing(base: Path, assignment: str, count: int, jobs: int, env: dict[str, str]) -> None:
    from course_utils.grade import adversary as adv
    from course_utils.grade import synthetic

    roots = {}
    for mode in ("serial", "parallel"):
        root = adv.prepare_course(base / mode, GRADING, [assignment], python=sys.executable, env=env)
        released = root / "release" / assignment / f"{assignment}.ipynb"
        master = root / "source" / assignment / f"{assignment}.ipynb"
        for i in range(count):  # the same students in both folders: synthetic kinds and attacks in turn
            kind = SYNTHETIC_KINDS[(i // 2) % len(SYNTHETIC_KINDS)] if i % 2 == 0 else TIMING_ATTACKS[(i // 2) % len(TIMING_ATTACKS)]
            student = f"s{i + 1:03d}-{kind}"
            if kind in SYNTHETIC_KINDS:
                synthetic.make_submission(kind, released, master, root, student)
            else:
                adv.make_attack(kind, released, master, root, student)
        roots[mode] = root
    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    t_serial = adv.run_bounded([nbgrader, "autograde", assignment, "--force"], roots["serial"], env, 3600)
    t_par = adv.run_bounded([sys.executable, "-m", "course_utils", "grade", "autograde", assignment, "--course", str(roots["parallel"]),
                      "--jobs", str(jobs), "--no-feedback", "--quiet"], roots["parallel"], env, 3600)
    a, b = _scores(roots["serial"], assignment), _scores(roots["parallel"], assignment)
    kinds = Counter(p.name.split("-", 1)[1] for p in (roots["serial"] / "submitted").iterdir())
    print(f"\n{count} submissions of {assignment} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"  serial nbgrader autograde:      {t_serial[2]:6.1f} s (exit {t_serial[0]})")
    print(f"  grade autograde --jobs {jobs}:        {t_par[2]:6.1f} s (exit {t_par[0]}; CSV export and figure included) "
          f"-> {t_serial[2] / max(t_par[2], 1e-9):.2f}x")
    same = a == b and len(a) > 0
    print(f"  per-cell scores identical: {'yes' if same else 'NO'} ({len(a)} grades serial, {len(b)} parallel)")
    if not same:
        differ = sorted(set(a) ^ set(b))[:10]
        print("  first differences (serial ^ parallel):", *differ, sep="\n    ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", help="comma-separated attack names (default: all)")
    parser.add_argument("--assignments", nargs="*", help="default: every assignment in grading/source")
    parser.add_argument("--cell-timeout", type=int, default=30, help="DVA_GRADE_CELL_TIMEOUT unless set (default 30 s)")
    parser.add_argument("--notebook-timeout", type=int, default=300, help="DVA_GRADE_NOTEBOOK_TIMEOUT unless set (default 300 s)")
    parser.add_argument("--timing-submissions", type=int, default=20)
    parser.add_argument("--no-timing", action="store_true", help="skip part 2")
    parser.add_argument("--no-corpus", action="store_true", help="skip part 1")
    parser.add_argument("--keep", help="build in this folder (kept) instead of a temporary one")
    parser.add_argument("--width", type=int, default=160, help="reason column width")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.timing_submissions < 1:
        parser.error("--jobs and --timing-submissions must be at least 1")

    from course_utils.grade import adversary as adv
    from course_utils.grade.autograde import sandbox_problem

    problem = sandbox_problem()
    if problem:
        sys.exit(f"cannot benchmark: {problem}")
    assignments = sorted(args.assignments or [p.name for p in (GRADING / "source").iterdir() if p.is_dir()])
    env = _bench_env(args.cell_timeout, args.notebook_timeout)
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-adversarial-"))
    base.mkdir(parents=True, exist_ok=True)
    for sub in ("corpus", "timing"):  # ours, from an earlier --keep run
        shutil.rmtree(base / sub, ignore_errors=True)
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()
        print(f"checkout {ROOT} ({head[:80]}); python {sys.executable}; cell timeout {env['DVA_GRADE_CELL_TIMEOUT']} s")
        if not args.no_corpus:
            plan = adv.CorpusPlan.default(assignments, only=args.only.split(",") if args.only else None, jobs=args.jobs)
            private = base / "instructor-home" / "credentials"
            private.parent.mkdir(exist_ok=True)
            private.write_text(PRIVATE_MARKER + "\n")
            private.chmod(0o600)
            start = time.monotonic()
            outcomes = adv.run_corpus(base / "corpus", plan, grading=GRADING, python=sys.executable, env=env,
                                      ctx={"secrets": [SECRET], "secret_file": private}, log=lambda line: print("  " + line, flush=True))
            print(f"corpus graded in {time.monotonic() - start:.0f} s\n")
            print(adv.format_table(outcomes, width=args.width))
            print()
            print(_totals(outcomes))
        if not args.no_timing:
            _timing(base / "timing", assignments[0], args.timing_submissions, args.jobs, env)
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
