"""Serial stock ``nbgrader autograde`` against ``python -m course_utils grade autograde --jobs N``.

    .venv/bin/python benchmarks/bench_autograde.py [--submissions 40] [--jobs N] [--assignment NAME]

Two temporary copies of ``grading/`` get the same generated submissions (correct, wrong and
partially right answers in turn). Both commands use the course configuration, hence the same
sandboxed kernel. Prints both wall times, the speed-up, and whether every student's per-cell
scores in the two gradebooks are identical (exit status 1 if not). Needs bubblewrap and the
``dva-course-sandbox`` kernelspec (``python -m course_utils grade install-kernel``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRADING = ROOT / "grading"
KINDS = ("correct", "wrong", "partial")

def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _prepare(base: Path, assignment: str, count: int) -> Path:
    from course_utils.grade import synthetic

    root = base / "grading"
    shutil.copytree(GRADING / "source", root / "source")
    shutil.copy(GRADING / "nbgrader_config.py", root)
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", assignment, "--force"],
                   cwd=root, env=_env(), check=True, capture_output=True)
    for i in range(count):
        synthetic.make_submission(KINDS[i % len(KINDS)], root / "release" / assignment / f"{assignment}.ipynb",
                                  root / "source" / assignment / f"{assignment}.ipynb", root, f"s{i + 1:03d}")
    return root


def _timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def _scores(root: Path, assignment: str) -> list[tuple]:
    from course_utils.grade.export import gradebook_scores

    return gradebook_scores(f"sqlite:///{root / 'gradebook.db'}", assignment)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--repeat", type=int, default=1, help="alternate the two commands this many times; report the best of each")
    parser.add_argument("--assignment", default=sorted(p.name for p in (GRADING / "source").iterdir() if p.is_dir())[0])
    args = parser.parse_args(argv)
    if args.submissions < 1 or args.jobs < 1 or args.repeat < 1:
        parser.error("--submissions, --jobs and --repeat must be at least 1")

    from course_utils.grade.autograde import sandbox_problem

    problem = sandbox_problem()
    if problem:
        sys.exit(f"cannot benchmark: {problem}")
    with tempfile.TemporaryDirectory(prefix="bench-autograde-") as tmp:
        print(f"{args.submissions} submissions of {args.assignment}, {os.cpu_count()} CPUs, "
              f"load average {os.getloadavg()[0]:.1f} (other processes slow both runs)")
        serial_times, parallel_times, same = [], [], True
        for rep in range(args.repeat):
            serial = _prepare(Path(tmp) / f"serial{rep}", args.assignment, args.submissions)
            parallel = _prepare(Path(tmp) / f"parallel{rep}", args.assignment, args.submissions)
            t_serial = _timed([str(Path(sys.executable).parent / "nbgrader"), "autograde", args.assignment, "--force"], serial)
            t_par = _timed([sys.executable, "-m", "course_utils", "grade", "autograde", args.assignment, "--course", str(parallel),
                            "--jobs", str(args.jobs), "--no-feedback", "--quiet"], parallel)
            a, b = _scores(serial, args.assignment), _scores(parallel, args.assignment)
            same = same and a == b and len(a) > 0
            serial_times.append(t_serial)
            parallel_times.append(t_par)
            print(f"  run {rep + 1}: serial nbgrader autograde {t_serial:6.1f} s | grade autograde --jobs {args.jobs} {t_par:6.1f} s "
                  f"(with CSV export and figure) | {t_serial / t_par:.2f}x | per-cell scores identical: {'yes' if a == b else 'NO'} "
                  f"({len(a)} grades)")
        best = min(serial_times) / min(parallel_times)
        print(f"  speed-up (best of {args.repeat} each): {best:.2f}x; scores identical in every run: {'yes' if same else 'NO'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
