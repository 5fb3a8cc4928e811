"""Parallel autograde: N worker processes, each running nbgrader's own Autograde per student.

``python -m course_utils grade autograde <assignment> --jobs N`` grades the students in N worker
processes (default: the CPU count). Each worker loads the course's ``nbgrader_config.py`` the way
``nbgrader`` does and calls nbgrader's ``Autograde`` converter for one student at a time (the
code behind ``nbgrader autograde --student``), so the sandbox kernel, the timeouts and the
gradebook writes are exactly those of the serial command; SQLite's ``?timeout=`` in ``db_url``
makes concurrent writers wait. Each student's nbgrader log is kept in
``logs/<assignment>/<student>.log`` (atomic write), which :mod:`.status` reads for reasons.
Then feedback (hidden tests removed), the CSV export and the summary.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .export import atomic_write_bytes
from .status import log_path

__all__ = ["StudentRun", "autograde", "load_api", "submitted_students", "preflight", "sandbox_problem", "ensure_venv_on_path"]


@dataclass(frozen=True)
class StudentRun:
    student_id: str
    success: bool
    seconds: float
    log: str


def ensure_venv_on_path() -> None:
    """nbgrader runs ``alembic`` from PATH: make this environment's scripts come first."""
    bindir = os.path.dirname(sys.executable)
    parts = os.environ.get("PATH", "").split(os.pathsep)
    if bindir not in parts:
        os.environ["PATH"] = os.pathsep.join([bindir, *parts])


def load_api(root: Path):
    """An ``NbGraderAPI`` configured exactly as ``nbgrader`` run from ``root`` would be."""
    ensure_venv_on_path()
    root = Path(root).resolve()
    if not (root / "nbgrader_config.py").exists():
        raise FileNotFoundError(f"{root} has no nbgrader_config.py: pass the course folder (e.g. grading/)")
    os.chdir(root)  # nbgrader reads nbgrader_config.py from the working directory
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.apps.nbgraderapp import NbGraderApp

    app = NbGraderApp()
    app.initialize([])
    return NbGraderAPI(config=app.config)


def submitted_students(root: Path, assignment: str) -> list[str]:
    folder = Path(root) / "submitted"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())


def sandbox_problem() -> str | None:
    """Why the grading sandbox cannot run here (``None`` when it can)."""
    from . import kernelspec
    from .launcher import ALLOW_UNSANDBOXED_VAR, find_bwrap

    spec = kernelspec.installed_spec()
    if spec is None:
        return (f"the {kernelspec.KERNEL_NAME} kernelspec is not installed: run `python -m course_utils grade install-kernel`")
    if "-I" not in spec["argv"][:3]:
        return (f"the {kernelspec.KERNEL_NAME} kernelspec predates the isolated launcher (a course_utils/ folder in a "
                "submission could replace it): run `python -m course_utils grade install-kernel` again")
    if os.environ.get(ALLOW_UNSANDBOXED_VAR) == "1":
        return None
    bwrap = find_bwrap()
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed: `apt-get install bubblewrap` (see grading/README.md)"
    probe = subprocess.run([bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/usr", "/usr",
                            "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64",
                            "--proc", "/proc", "--dev", "/dev", "/usr/bin/true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return (f"bwrap cannot create namespaces here ({probe.stderr.strip() or probe.returncode}); "
                "unprivileged user namespaces may be disabled (see grading/README.md)")
    return None


def preflight() -> None:
    problem = sandbox_problem()
    if problem:
        raise RuntimeError(f"refusing to grade: {problem}")


# ----------------------------------------------------------------------------- workers
_API = None


def _init_worker(root: str) -> None:
    global _API
    _API = load_api(Path(root))


def _grade_one(assignment: str, student: str) -> StudentRun:
    """One student in this worker; the kernel's stderr (sandbox messages) goes into the log."""
    assert _API is not None
    start = time.monotonic()
    with tempfile.TemporaryFile() as captured:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)  # the launcher and kernel inherit fd 2
        try:
            result = _API.autograde(assignment, student, force=True, create=True)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        kernel_err = captured.read().decode("utf-8", "replace")
    log = (result.get("log") or "") + ("\n" + result["error"] if result.get("error") else "")
    if kernel_err.strip():
        log += "\n--- kernel and sandbox stderr ---\n" + kernel_err
    return StudentRun(student, bool(result.get("success")), time.monotonic() - start, log)


class Progress:
    """A one-line progress bar on a terminal; one line per student otherwise."""

    def __init__(self, total: int, stream=None, enabled: bool = True):
        self.total, self.done, self.start = total, 0, time.monotonic()
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, run: StudentRun) -> None:
        self.done += 1
        if not self.enabled:
            return
        width = 30
        filled = int(width * self.done / max(self.total, 1))
        bar = "#" * filled + "-" * (width - filled)
        elapsed = time.monotonic() - self.start
        line = (f"[{bar}] {self.done}/{self.total} {run.student_id}: {'ok' if run.success else 'FAILED'} "
                f"({run.seconds:.1f}s, {elapsed:.0f}s elapsed)")
        if self.tty:
            self.stream.write("\r" + line[:120].ljust(120))
            if self.done == self.total:
                self.stream.write("\n")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()


def autograde(root: Path, assignment: str, *, jobs: int | None = None, students: list[str] | None = None,
              progress: bool = True, check_sandbox: bool = True) -> list[StudentRun]:
    """Autograde every submitted student of ``assignment`` (or ``students``) in ``jobs`` processes."""
    root = Path(root).resolve()
    jobs = jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1 (got {jobs})")
    if not (root / "nbgrader_config.py").exists():
        raise FileNotFoundError(f"{root} has no nbgrader_config.py: pass the course folder (e.g. grading/)")
    if not (root / "source" / assignment).is_dir():
        known = sorted(p.name for p in (root / "source").iterdir() if p.is_dir()) if (root / "source").is_dir() else []
        raise ValueError(f"unknown assignment {assignment!r} in {root / 'source'} (known: {', '.join(known) or 'none'})")
    everyone = submitted_students(root, assignment)
    chosen = students or everyone
    unknown = sorted(set(chosen) - set(everyone))
    if unknown:
        raise ValueError(f"no submission of {assignment} for: {', '.join(unknown)} (looked in {root / 'submitted'})")
    if check_sandbox:
        preflight()
    ensure_venv_on_path()
    bar = Progress(len(chosen), enabled=progress)
    runs: list[StudentRun] = []
    import multiprocessing

    global _API
    cwd = os.getcwd()
    try:
        # Load nbgrader and the course configuration once, then fork the workers (each inherits
        # it; nothing holds a gradebook connection yet). Without fork, each worker loads its own.
        if "fork" in multiprocessing.get_all_start_methods():
            _API = load_api(root)
            context, init, initargs = multiprocessing.get_context("fork"), None, ()
        else:  # pragma: no cover - not Linux
            context, init, initargs = multiprocessing.get_context("spawn"), _init_worker, (str(root),)
        with ProcessPoolExecutor(max_workers=min(jobs, max(len(chosen), 1)), mp_context=context,
                                 initializer=init, initargs=initargs) as pool:
            futures = {pool.submit(_grade_one, assignment, s): s for s in chosen}
            for future in as_completed(futures):
                student = futures[future]
                try:
                    run = future.result()
                except Exception as exc:  # a worker that crashed: never a silent 0
                    run = StudentRun(student, False, 0.0, f"[ERROR] grading worker crashed: {exc!r}")
                atomic_write_bytes(log_path(root, assignment, student), run.log.encode("utf-8"))
                runs.append(run)
                bar.update(run)
    finally:
        _API = None
        os.chdir(cwd)
    return sorted(runs, key=lambda r: r.student_id)


def generate_feedback(root: Path, assignment: str) -> dict:
    """nbgrader's generate_feedback for every autograded student (hidden tests removed by the config)."""
    import warnings

    cwd = os.getcwd()
    try:
        api = load_api(root)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SQLAlchemy SAWarnings from nbgrader's own queries
            return api.generate_feedback(assignment, force=True)
    finally:
        os.chdir(cwd)


def remove_stale_feedback(root: Path, assignment: str) -> None:
    """No feedback for a student who was not (fully) graded this time: autograde failed, or the
    grader recorded a failure (a dead kernel, the grader's own error) or stopped the student's
    kernel. It is graded by hand first."""
    from . import verdict

    for student_dir in (Path(root) / "feedback").glob("*"):
        if not (student_dir / assignment).is_dir():
            continue
        # failed, or its kernel stopped (later cells never ran): graded by hand first
        failed = any(verdict.KINDS.get(e.kind) == "failed" or e.kind == "student_kernel_killed"
                     for e in verdict.read(root, assignment, student_dir.name))
        if failed or not (Path(root) / "autograded" / student_dir.name / assignment).is_dir():
            shutil.rmtree(student_dir / assignment)
