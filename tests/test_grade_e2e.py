"""End to end: the four graded assignments through nbgrader and the sandboxed, parallel grader.

All four assignments are generated once per test session (:func:`generated`, one ``nbgrader
generate_assignment``); every course a test grades is a copy of that folder, gradebook included.
One course per module gets synthetic students (the full hostile set on D1; on D2-D4 the correct
answers and two of wrong, partial and the master itself, so each of those kinds is graded on two of
them), graded with ``python -m course_utils grade autograde --jobs 2``: D1 first, then the D2-D4
commands two at a time. Each student's exact score and status are asserted; the hunter's report
must show it saw nothing; feedback must not contain hidden tests. Three small courses (the plain serial ``nbgrader autograde``, the notebook bound, the
exchange round trip) are graded at the same time, each checked by its own test (:func:`side`).
Needs bubblewrap (`apt-get install bubblewrap`): without it these tests skip, and fail under CI.

Time limits scale with a baseline measured once per module (:func:`limits`): a sandboxed kernel's
start and the D1 setup cell (imports and ``sandbox.start``), timed on this machine under its
current load. On an idle machine the per-cell timeout stays at its floor of 10 s.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT

from course_utils.grade import synthetic
from course_utils.grade.export import gradebook_scores

# the first test also grades the whole course (module fixture): 4 assignments, 23 students
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

GRADING = ROOT / "grading"
ASSIGNMENTS = sorted(p.name for p in (GRADING / "source").iterdir() if p.is_dir())
D1 = ASSIGNMENTS[0]
D1_KINDS = [k for k in synthetic.KINDS]
# D2-D4: the correct answers on each (every assignment can be fully scored in the sandbox), and two of these
# three in turn, so each is graded on two of them; D2 gets wrong and partial, which the plain serial
# nbgrader grades again (test_parallel_gradebook_equals_serial_nbgrader). D1 has every kind, and the
# adversarial corpus grades an empty (wrong) submission on all four.
SPREAD_KINDS = ("wrong", "partial", "master")
OTHER_KINDS = {a: ["correct", SPREAD_KINDS[i % 3], SPREAD_KINDS[(i + 1) % 3]] for i, a in enumerate(ASSIGNMENTS[1:])}
SERIAL_KINDS = ("correct", "wrong", "partial")  # on ASSIGNMENTS[1], graded both ways
SECRET = "instructor-secret-7f3a"
CELL_TIMEOUT_FLOOR = 10  # s: the per-cell timeout on a machine where the baseline is short
CELL_TIMEOUT_CAP = 120  # s: past this the machine is too loaded for these tests to mean anything
BASELINE_FACTOR = 10  # the slowest honest cell (the setup cell) is given 10x its measured time
SLEEP_UNDER_CELL_TIMEOUT = 8  # s: test_notebook_bound_through_autograde, with a notebook bound of 6 s


@dataclass(frozen=True)
class Limits:
    """Grading time limits for this run, from a baseline measured on this machine."""

    kernel_start: float  # s: a sandboxed kernel from launch to ready (measured)
    setup_cell: float  # s: the D1 setup cell in that kernel (measured)
    cell: int  # s: DVA_GRADE_CELL_TIMEOUT
    notebook: int  # s: DVA_GRADE_NOTEBOOK_TIMEOUT

    @classmethod
    def from_baseline(cls, kernel_start: float, setup_cell: float) -> "Limits":
        cell = min(CELL_TIMEOUT_CAP, max(CELL_TIMEOUT_FLOOR, math.ceil(BASELINE_FACTOR * setup_cell)))
        # a notebook that hits the cell timeout twice (a loop, then its interrupt) still ends inside its bound
        notebook = max(150, 4 * cell + math.ceil(10 * kernel_start))
        return cls(kernel_start, setup_cell, cell, notebook)


def _env(limits: Limits, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "DVA_GRADE_CELL_TIMEOUT": str(limits.cell),
        "DVA_GRADE_NOTEBOOK_TIMEOUT": str(limits.notebook),
        # the instructor's shell holds real-looking credentials: student code must never see them
        "AWS_ACCESS_KEY_ID": "AKIA" + SECRET.upper().replace("-", ""),
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "INSTRUCTOR_API_TOKEN": SECRET,
    })
    env.update(extra)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{args} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _nbgrader(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return _run([str(Path(sys.executable).parent / "nbgrader"), *args], cwd, env)


def _host_ip() -> str | None:
    """A non-loopback address of this machine (the route a student's code would use to get out)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent for UDP connect
            ip = s.getsockname()[0]
        return None if ip.startswith("127.") else ip
    except OSError:
        return None


class Listener:
    """TCP listeners on loopback and on the host's address; records whether anyone connected."""

    def __init__(self) -> None:
        self.connections: list[str] = []
        self.sockets = []
        self.targets: list[tuple[str, int]] = []
        for host in ["127.0.0.1", _host_ip()]:
            if host is None:
                continue
            s = socket.socket()
            s.bind((host, 0))
            s.listen(5)
            s.settimeout(0.2)
            self.sockets.append(s)
            self.targets.append((host, s.getsockname()[1]))
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self._stop:
            for s in self.sockets:
                try:
                    conn, addr = s.accept()
                    self.connections.append(f"{addr}")
                    conn.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._stop = True
        self.thread.join(2)
        for s in self.sockets:
            s.close()


@pytest.fixture(scope="module")
def sandbox_ready(in_ci):
    from course_utils.grade.autograde import sandbox_problem
    from course_utils.grade.kernelspec import install, installed_spec

    if installed_spec() is None:
        install()
    problem = sandbox_problem()
    if problem:
        if in_ci:
            pytest.fail(f"grading sandbox unavailable under CI: {problem}")
        pytest.skip(f"grading sandbox unavailable: {problem}")


def _setup_cell(master: Path) -> str:
    """The first code cell of a master notebook (imports and ``sandbox.start``)."""
    cell = next(c for c in json.loads(master.read_text())["cells"] if c["cell_type"] == "code")
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


@pytest.fixture(scope="module")
def limits(sandbox_ready, tmp_path_factory) -> Limits:
    """Time limits scaled from a baseline measured now: a sandboxed kernel starts, runs D1's setup cell.

    The run also warms the disk cache for the grading that follows (the imports every notebook makes).
    """
    from jupyter_client.manager import KernelManager

    code = _setup_cell(GRADING / "source" / D1 / f"{D1}.ipynb")
    km = KernelManager(kernel_name="dva-course-sandbox")
    start = time.monotonic()
    # the launcher copies the kernel's working folder into the sandbox: an empty one
    km.start_kernel(cwd=str(tmp_path_factory.mktemp("baseline")))
    try:
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=120)
            ready = time.monotonic()
            reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)["content"]
            done = time.monotonic()
        finally:
            kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
    if reply["status"] != "ok":
        pytest.fail(f"the {D1} setup cell fails in the sandboxed kernel, so no student can score: "
                    f"{reply.get('ename')}: {reply.get('evalue')}")
    result = Limits.from_baseline(ready - start, done - ready)
    print(f"grading limits from the baseline: {result}")
    return result


_GENERATED: dict[str, Path] = {}  # the session's generated course (shared by both grading modules)


def _ignored() -> list[str]:
    return [l.strip().rstrip("/") for l in (GRADING / ".gitignore").read_text().splitlines() if l.strip() and not l.startswith("#")]


@pytest.fixture(scope="module")
def generated(tmp_path_factory, limits) -> Path:
    """``grading/`` copied (without what .gitignore lists) with every assignment generated, once per session.

    One ``nbgrader generate_assignment '*'`` (release/ and the gradebook); each course a test grades is a
    :func:`_course_copy` of it. Module scope, so test_grade_adversarial.py can use it: the folder is made once.
    """
    if "root" not in _GENERATED:
        root = tmp_path_factory.mktemp("generated") / "grading"
        shutil.copytree(GRADING, root, ignore=shutil.ignore_patterns(*_ignored()))
        _nbgrader("generate_assignment", "*", "--force", cwd=root, env=_env(limits))
        missing = [a for a in ASSIGNMENTS if not (root / "release" / a / f"{a}.ipynb").is_file()]
        assert missing == [], f"nbgrader generate_assignment '*' did not generate {missing}"
        _GENERATED["root"] = root
    return _GENERATED["root"]


def _course_copy(generated: Path, dest: Path) -> Path:
    """A course folder of its own: the generated one copied (source, release, gradebook, configuration)."""
    shutil.copytree(generated, dest, symlinks=True)
    return dest


def test_limits_scale_with_the_baseline():
    quick = Limits.from_baseline(kernel_start=0.7, setup_cell=0.5)
    assert (quick.cell, quick.notebook) == (CELL_TIMEOUT_FLOOR, 150), "an idle machine keeps the floor"
    slow = Limits.from_baseline(kernel_start=3.0, setup_cell=4.5)
    assert slow.cell == 45 and slow.notebook >= 2 * slow.cell + 3.0 + 4.5
    assert Limits.from_baseline(kernel_start=60, setup_cell=60).cell == CELL_TIMEOUT_CAP


@pytest.fixture(scope="module")
def course(tmp_path_factory, limits, generated):
    """A graded course: every assignment generated, synthetic students autograded in parallel."""
    env = _env(limits)
    root = _course_copy(generated, tmp_path_factory.mktemp("course") / "grading")
    listener = Listener()
    expected: dict[tuple[str, str], synthetic.Expected] = {}
    for name in ASSIGNMENTS:
        master = root / "source" / name / f"{name}.ipynb"
        released = root / "release" / name / f"{name}.ipynb"
        grade_ids = [t.test_id for t in synthetic.tasks(json.loads(master.read_text()))]
        for kind in (D1_KINDS if name == D1 else OTHER_KINDS[name]):
            hunter = None
            if kind == "hunter":
                # ROOT itself exists inside (the venv and course_utils are mounted below it), its other content must not
                hunter = {"probe_paths": [str(root), str(root / "gradebook.db"), str(root / "source"), str(root / "submitted"),
                                          str(ROOT / ".git"), str(ROOT / "grading"), str(ROOT / "notebooks"), str(ROOT / "tests"),
                                          str(ROOT / "README.md"), str(ROOT / "Makefile")],
                          "secrets": [SECRET, SECRET.upper().replace("-", "")], "targets": listener.targets,
                          "markers": grade_ids + ["dva-course"], "skip": _hunter_skip(root)}
            expected[(name, kind)] = synthetic.make_submission(kind, released, master, root, kind, hunter=hunter)
    def grade(name: str) -> str:
        proc = _run([sys.executable, "-m", "course_utils", "grade", "autograde", name, "--course", str(root), "--jobs", "2"], root, env)
        return proc.stdout + proc.stderr

    start = time.monotonic()
    # D1 alone (its timeouts, the hunter's walk); it adds every student to the gradebook, so the other
    # assignments' commands, two at a time (their longest cell takes under 2 s), only update them
    outputs = {D1: grade(D1)}
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="grade") as pool:
        runs = {name: pool.submit(grade, name) for name in ASSIGNMENTS[1:]}
    outputs.update({name: run.result() for name, run in runs.items()})
    elapsed = time.monotonic() - start
    listener.close()
    yield {"root": root, "expected": expected, "outputs": outputs, "listener": listener, "elapsed": elapsed, "env": env}


def _hunter_skip(course_root: Path) -> list[str]:
    """Folders the hunter's file walk need not enter: the system's and Python's own read-only trees.

    The sandbox shows them on purpose and the course cannot be inside them; any that holds the
    course folder or the repository is walked after all. ``/usr`` alone is some 120,000 files:
    on a cold disk the walk took longer than the per-cell timeout.
    """
    from course_utils.grade.launcher import SYSTEM_DIRS

    keep = [Path(course_root).resolve(), ROOT.resolve()]
    trees = [Path(d) for d in SYSTEM_DIRS if os.path.isdir(d) and not os.path.islink(d)]
    trees += [Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()]
    return sorted({str(t) for t in trees if not any(k == t or t in k.parents for k in keep)})


def _rows(root: Path, name: str) -> dict[str, dict]:
    with open(root / "reports" / f"grades_{name}.csv", newline="") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


CASES = [(D1, k) for k in D1_KINDS] + [(a, k) for a in ASSIGNMENTS[1:] for k in OTHER_KINDS[a]]


@pytest.mark.parametrize("assignment,kind", CASES, ids=[f"{a[:2]}-{k}" for a, k in CASES])
def test_exact_score_and_status(course, assignment, kind):
    row = _rows(course["root"], assignment)[kind]
    want = course["expected"][(assignment, kind)]
    assert (float(row["score"]), row["status"]) == (want.score, want.status), row
    assert row["max_score"] == "10"
    assert row["needs_manual_grading"] == ("yes" if want.status in ("failed", "timeout") else "no")
    if want.status != "graded":
        assert row["reason"], "every student who is not plainly graded has a reason"


def test_reasons_name_the_problem(course):
    rows = _rows(course["root"], D1)
    assert "not valid JSON" in rows["invalid_json"]["reason"]
    assert "kernel died" in rows["exit"]["reason"]
    assert "did not stop within" in rows["sigint_loop"]["reason"] and "kernel was stopped" in rows["sigint_loop"]["reason"]
    assert "timeout" in rows["infinite_loop"]["reason"] and "interrupted" in rows["infinite_loop"]["reason"]
    assert "deleted" in rows["deleted_cell"]["reason"]
    assert "points changed" in rows["tampered"]["reason"] and "edited" in rows["tampered"]["reason"]


def test_summary_lists_who_needs_manual_grading(course):
    out = course["outputs"][D1]
    manual = out.split("Needs manual grading:", 1)[1].split("Scored, but check", 1)[0]
    for kind in ("invalid_json", "exit", "sigint_loop", "infinite_loop"):
        assert f"- {kind} (" in manual
    for kind in ("correct", "wrong", "partial", "hunter", "tampered", "deleted_cell"):
        assert f"- {kind} (" not in manual
    assert "[" in out and f"{len(D1_KINDS)}/{len(D1_KINDS)}" in out, "the progress bar reached the end"


def test_tampered_points_and_sqlite_timeout(course):
    root = course["root"]
    assert "?timeout=" in (root / "nbgrader_config.py").read_text()
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        points = sorted(c.max_score for c in gb.find_notebook(D1, D1).grade_cells)
        tampered = gb.find_submission(D1, "tampered")
        assert (tampered.score, tampered.max_score) == (0, 10)
    assert points == [2.0] * 5, "the gradebook keeps the master's points, whatever a submission claims"
    assert _rows(root, D1)["tampered"]["max_score"] == "10"


def _hunter_report(root: Path) -> dict:
    nb = json.loads((root / "autograded" / "hunter" / D1 / f"{D1}.ipynb").read_text())
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            text = "".join(out.get("text", ""))
            if synthetic.HUNTER_TAG in text:
                return json.loads(text.split(synthetic.HUNTER_TAG, 1)[1].splitlines()[0])
    raise AssertionError("the hunter printed no report")


def test_hunter_saw_nothing(course):
    report = _hunter_report(course["root"])
    assert report["paths"] == [], "course folder, gradebook, repository or .git visible"
    assert report["files"] == [], "a file holding solutions, hidden tests or grades was readable"
    assert report["env"] == [] and report["proc_env"] == [], "instructor environment visible"
    assert report["used_solution"] is False
    assert any(k.startswith("raw ") for k in report["network"]), "libc connect() was tried too (past any audit hook)"
    assert report["network"] and all(v != "connected" for v in report["network"].values()), report["network"]
    assert course["listener"].connections == []
    # the walk went through the folders a leak would land in (only the system's own trees were skipped)
    assert {"/", "/home/student", "/tmp", "/etc"} <= set(report["walked"]), report["walked"]
    assert "/usr" in report["skipped"] and not any(p in ("/", "/tmp", "/home") for p in report["skipped"])


def test_hunter_finds_everything_without_the_sandbox(course, tmp_path):
    """Control: the same hunter code, run outside the sandbox, does find the leaks (the test has teeth)."""
    root = course["root"]
    master = json.loads((root / "source" / D1 / f"{D1}.ipynb").read_text())
    ids = [t.test_id for t in synthetic.tasks(master)]
    listener = Listener()
    code = synthetic.hunter_code(probe_paths=[str(root), str(root / "gradebook.db")], secrets=[SECRET], targets=listener.targets,
                                 markers=ids, walk_root=str(root))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=course["env"], timeout=120, cwd=tmp_path)
    listener.close()
    report = json.loads(proc.stdout.split(synthetic.HUNTER_TAG, 1)[1].splitlines()[0])
    assert report["paths"] and report["env"] and report["used_solution"]
    assert any(p.endswith("gradebook.db") for p in report["files"])
    assert "connected" in report["network"].values()


def test_feedback_has_no_hidden_tests(course):
    root = course["root"]
    for name in ASSIGNMENTS:
        master = json.loads((root / "source" / name / f"{name}.ipynb").read_text())
        released = (root / "release" / name / f"{name}.ipynb").read_text()
        hidden_lines = set()
        for cell in master["cells"]:
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if "BEGIN HIDDEN TESTS" in src:
                region = src.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
                hidden_lines |= {l.strip() for l in region.splitlines() if len(l.strip()) > 12 and l.strip() not in released}
        assert hidden_lines
        files = list((root / "feedback").glob(f"*/{name}/*.html"))
        assert len(files) >= 3, files
        import html

        for path in files:
            text = html.unescape(path.read_text())
            assert "BEGIN HIDDEN TESTS" not in text
            leaked = [l for l in hidden_lines if l in text]
            assert leaked == [], f"{path.parent.parent.name}: hidden test lines in feedback: {leaked[:3]}"
    wrong = (root / "feedback" / "wrong" / D1 / f"{D1}.html").read_text()
    assert "traceback not shown" in wrong, "a failing hidden-test cell shows a replaced traceback"


def test_no_feedback_for_students_who_were_not_graded(course):
    for kind in ("invalid_json", "exit", "sigint_loop"):
        assert not (course["root"] / "feedback" / kind / D1).exists()


def test_released_notebooks_have_no_solution_and_no_hidden_test(course):
    for name in ASSIGNMENTS:
        text = (course["root"] / "release" / name / f"{name}.ipynb").read_text()
        master = (course["root"] / "source" / name / f"{name}.ipynb").read_text()
        assert "BEGIN SOLUTION" in master and "BEGIN HIDDEN TESTS" in master
        for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{name}: {marker}"
        nb = json.loads(text)
        answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
        assert len(answers) >= 4 and all("raise NotImplementedError()" in "".join(c["source"]) for c in answers)
        tests = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade")]
        assert len(tests) >= 4 and all(c["metadata"]["nbgrader"]["points"] > 0 for c in tests)
        assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


def test_grade_distribution_figure_written(course):
    for name in ASSIGNMENTS:
        png = course["root"] / "reports" / f"grades_{name}.png"
        data = png.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


def test_no_sandbox_process_left_behind(course):
    out = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True, text=True).stdout
    alive = [l for l in out.splitlines() if ("course_utils.grade.launcher" in l or "grading-sandbox" in l) and not l.startswith("Z")]
    assert alive == []


def test_export_command_rebuilds_the_csv(course, tmp_path):
    root = course["root"]
    out = tmp_path / "all.csv"
    proc = _run([sys.executable, "-m", "course_utils", "grade", "export", "--course", str(root), "--output", str(out),
                 "--figure", str(tmp_path / "all.png")], root, course["env"])
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(CASES)
    assert {r["assignment"] for r in rows} == set(ASSIGNMENTS)
    assert "Needs manual grading: 4:" in proc.stdout
    assert (tmp_path / "all.png").exists()


# --------------------------------------------------------------------------- the notebook bound
def test_whole_notebook_bound_kills_code_that_ignores_sigint(tmp_path, limits, monkeypatch):
    from jupyter_client.manager import KernelManager

    bound = max(4, math.ceil(4 * limits.kernel_start))  # the kernel must be ready well before its bound
    monkeypatch.setenv("DVA_GRADE_NOTEBOOK_TIMEOUT", str(bound))
    monkeypatch.chdir(tmp_path)
    km = KernelManager(kernel_name="dva-course-sandbox")
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=30)
        kc.execute("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n")
        km.interrupt_kernel()  # ignored by the code
        deadline = time.monotonic() + bound + 20
        while km.is_alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not km.is_alive(), "the kernel outlived the notebook bound"
        assert km.provisioner.process.returncode == 124
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


# --------------------------------------------------------------------------- three small courses, graded at once
def _serial_course(root: Path, env: dict[str, str]) -> list[tuple]:
    """ASSIGNMENTS[1]'s correct, wrong and partial students graded by the plain, serial ``nbgrader autograde``."""
    name = ASSIGNMENTS[1]
    for kind in SERIAL_KINDS:
        synthetic.make_submission(kind, root / "release" / name / f"{name}.ipynb", root / "source" / name / f"{name}.ipynb", root, kind)
    _nbgrader("autograde", name, "--force", cwd=root, env=env)
    return gradebook_scores(f"sqlite:///{root / 'gradebook.db'}", name)


def _bound_course(root: Path, limits: Limits) -> tuple[dict, str]:
    """A correct student whose first answer sleeps past a 6 s notebook bound (under the cell timeout): its row and log."""
    name = ASSIGNMENTS[-1]
    synthetic.make_submission("correct", root / "release" / name / f"{name}.ipynb", root / "source" / name / f"{name}.ipynb", root, "slow")
    path = root / "submitted" / "slow" / name / f"{name}.ipynb"
    nb = json.loads(path.read_text())
    answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
    answer["source"] = f"import time\ntime.sleep({SLEEP_UNDER_CELL_TIMEOUT})\n" + "".join(answer["source"])  # under the cell timeout
    path.write_text(json.dumps(nb))
    _run([sys.executable, "-m", "course_utils", "grade", "autograde", name, "--course", str(root), "--jobs", "1"], root,
         _env(limits, DVA_GRADE_NOTEBOOK_TIMEOUT="6"))
    return _rows(root, name)["slow"], (root / "logs" / name / "slow.log").read_text()


def _exchange_course(base: Path, root: Path, limits: Limits) -> dict:
    """Release, fetch, submit (all tasks right), collect, grade, release and fetch the feedback (the student's files)."""
    name = ASSIGNMENTS[-1]
    exchange = base / "exchange"
    exchange.mkdir()
    os.chmod(exchange, 0o777)
    env = _env(limits, DVA_GRADE_EXCHANGE=str(exchange))
    student_home = base / "student"
    student_home.mkdir()
    student_args = ["--Exchange.root=" + str(exchange), "--CourseDirectory.course_id=dva-course"]
    _nbgrader("release_assignment", name, "--force", cwd=root, env=env)
    _nbgrader("fetch_assignment", name, *student_args, cwd=student_home, env=env)
    fetched = student_home / name / f"{name}.ipynb"
    assert fetched.exists()
    # the student answers every task correctly, in the fetched notebook
    work = base / "scratch"
    synthetic.make_submission("correct", fetched, root / "source" / name / f"{name}.ipynb", work, "me")
    shutil.copy(work / "submitted" / "me" / name / f"{name}.ipynb", fetched)
    _nbgrader("submit", name, *student_args, cwd=student_home, env=env)
    _nbgrader("collect", name, cwd=root, env=env)
    students = [p.name for p in (root / "submitted").iterdir()]
    assert len(students) == 1
    _run([sys.executable, "-m", "course_utils", "grade", "autograde", name, "--course", str(root), "--jobs", "1"], root, env)
    rows = _rows(root, name)
    _nbgrader("release_feedback", name, cwd=root, env=env)
    _nbgrader("fetch_feedback", name, *student_args, cwd=student_home, env=env)
    return {"student": students[0], "rows": rows, "feedback": list((student_home / name / "feedback").glob("*/*.html"))}


SIDE_TESTS = {"serial": "test_parallel_gradebook_equals_serial_nbgrader", "bound": "test_notebook_bound_through_autograde",
              "exchange": "test_exchange_round_trip"}


@pytest.fixture(scope="module")
def side(request, tmp_path_factory, limits, generated) -> dict[str, Future]:
    """Three small courses, each a copy of the generated one, graded at the same time: chain name -> Future.

    Each is a chain of single-process commands (one core at most, the bound one mostly waits), so
    they run in threads side by side; each test waits for its own chain and asserts on what it
    returns (a chain that fails fails its own test only). Only the chains of selected tests run.
    """
    selected = {item.originalname for item in request.session.items}
    dirs = {key: tmp_path_factory.mktemp(key) for key in SIDE_TESTS}
    chains = {
        "serial": lambda: _serial_course(_course_copy(generated, dirs["serial"] / "grading"), _env(limits)),
        "bound": lambda: _bound_course(_course_copy(generated, dirs["bound"] / "grading"), limits),
        "exchange": lambda: _exchange_course(dirs["exchange"], _course_copy(generated, dirs["exchange"] / "grading"), limits),
    }
    with ThreadPoolExecutor(max_workers=len(chains), thread_name_prefix="side-course") as pool:
        yield {key: pool.submit(chain) for key, chain in chains.items() if SIDE_TESTS[key] in selected}


def test_parallel_gradebook_equals_serial_nbgrader(course, side):
    """The serial ``nbgrader autograde`` gives the gradebook the course's ``grade autograde --jobs 2`` gave, cell by cell."""
    name = ASSIGNMENTS[1]
    scores = {"serial": side["serial"].result(),
              "parallel": [row for row in gradebook_scores(f"sqlite:///{course['root'] / 'gradebook.db'}", name) if row[0] in SERIAL_KINDS]}
    assert scores["serial"] == scores["parallel"]
    assert len(scores["serial"]) == len(SERIAL_KINDS) * 4


def test_notebook_bound_through_autograde(side, limits):
    """A notebook over its total bound is killed and reported as a timeout with the reason."""
    assert 6 < SLEEP_UNDER_CELL_TIMEOUT < limits.cell, "the sleep must outlast the notebook bound, not the cell timeout"
    row, log = side["bound"].result()
    assert (row["score"], row["status"], row["needs_manual_grading"]) == ("0", "timeout", "yes")
    assert "total time bound" in row["reason"]
    assert "time limit" in log


# --------------------------------------------------------------------------- exchange round trip
def test_exchange_round_trip(side):
    result = side["exchange"].result()
    rows = result["rows"]
    assert (rows[result["student"]]["score"], rows[result["student"]]["status"]) == ("10", "graded")
    feedback = result["feedback"]
    assert feedback, "the student fetched feedback"
    assert "BEGIN HIDDEN TESTS" not in feedback[0].read_text()
