"""Synthetic submissions for the grading tests and the benchmark.

A submission is the *released* notebook (what ``nbgrader generate_assignment`` gave students) with
its answer cells filled in from the master: correct code (the master's solution without the
markers), or stubs returning ``None`` (wrong), or hostile code. :func:`make_submission` writes
``submitted/<student>/<assignment>/<assignment>.ipynb`` and returns the exact score and status the
grader must give it.

Kinds: ``correct``, ``wrong``, ``partial`` (first half of the tasks right), ``infinite_loop``
(task 2's answer starts with ``while True``), ``sigint_loop`` (ignores SIGINT, then loops),
``tampered`` (wrong answers, every test replaced by ``assert True`` worth 100 points),
``deleted_cell`` (correct, last test cell deleted), ``invalid_json``, ``exit`` (``os._exit(1)``),
``hunter`` (wrong answers plus code that hunts for solutions, hidden tests, the gradebook,
instructor secrets and the network, prints a ``HUNTER-REPORT`` line and uses any solution it finds),
``master`` (the instructor's master notebook itself, hidden tests and all).
"""

from __future__ import annotations

import ast
import json
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["KINDS", "Task", "Expected", "tasks", "solution_code", "stub_code", "make_submission", "hunter_code", "HUNTER_TAG"]

KINDS = ("correct", "wrong", "partial", "infinite_loop", "sigint_loop", "tampered", "deleted_cell", "invalid_json", "exit", "hunter",
         "master")
HUNTER_TAG = "HUNTER-REPORT "


@dataclass(frozen=True)
class Task:
    solution_id: str
    test_id: str
    points: float


@dataclass(frozen=True)
class Expected:
    score: float
    status: str


def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _nbg(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def tasks(master: dict) -> list[Task]:
    """(answer cell, test cell, points) in order: each test cell follows its answer cell."""
    found, pending = [], None
    for cell in master["cells"]:
        meta = _nbg(cell)
        if meta.get("solution") and not meta.get("grade"):
            pending = meta["grade_id"]
        elif meta.get("grade") and cell["cell_type"] == "code":
            if pending is None:
                raise ValueError(f"test cell {meta['grade_id']} has no answer cell before it")
            found.append(Task(pending, meta["grade_id"], float(meta["points"])))
            pending = None
    if not found:
        raise ValueError("the master has no graded tasks")
    return found


def solution_code(master_source: str) -> str:
    """The master's answer with the ``### BEGIN/END SOLUTION`` lines removed."""
    return "\n".join(line for line in master_source.splitlines() if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line) + "\n"


def stub_code(master_source: str) -> str:
    """Same names as the answer, but every function returns ``None`` and every constant is ``None``."""
    tree = ast.parse(solution_code(master_source))
    lines = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            lines.append(f"def {node.name}(*args, **kwargs):\n    return None\n")
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    lines.append(f"{target.id} = None\n")
    return "".join(lines)


def hunter_code(*, probe_paths: list[str], secrets: list[str], targets: list[tuple[str, int]], markers: list[str],
                walk_root: str = "/", skip: list[str] | tuple[str, ...] = ()) -> str:
    """Code that looks for everything a sandbox must hide and reports what it saw.

    The file walk starts at ``walk_root`` and does not descend into the folders in ``skip``
    (absolute paths, e.g. the operating system's and Python's own read-only trees, which a sandbox
    shows on purpose: walking ``/usr`` alone means some 120,000 files, tens of seconds on a cold
    disk, all to search files that cannot hold the course). The report lists what was skipped
    and the folders (two levels deep) that the walk went through.
    Secret and marker strings are stored reversed so that the code itself (which IPython may
    keep in its history file) never contains them.
    """
    bad = [p for p in skip if not str(p).startswith("/")]
    if bad:
        raise ValueError(f"hunter skip paths must be absolute: {bad}")
    params = {"paths": probe_paths, "secrets": [s[::-1] for s in secrets], "targets": targets,
              "markers": [m[::-1] for m in markers], "walk_root": walk_root,
              "skip": sorted({str(p).rstrip("/") or "/" for p in skip})}
    return f'''
import json as _j, os as _o, _socket
_P = _j.loads({json.dumps(json.dumps(params))})
_secrets = [s[::-1] for s in _P["secrets"]]
_markers = [m[::-1] for m in _P["markers"]]
report = {{"paths": [], "files": [], "env": [], "proc_env": [], "network": {{}}, "used_solution": False,
          "skipped": _P["skip"], "walked": []}}
_skip = set(_P["skip"])
for p in _P["paths"]:
    if _o.path.exists(p):
        report["paths"].append(p)
for k, v in _o.environ.items():
    if any(s in v or s in k for s in _secrets):
        report["env"].append(k)
for pid in [d for d in _o.listdir("/proc") if d.isdigit()]:
    try:
        raw = open(f"/proc/{{pid}}/environ", "rb").read().decode("utf-8", "replace")
    except OSError:
        continue
    if any(s in raw for s in _secrets):
        report["proc_env"].append(pid)
_solutions = []
for top, dirs, files in _o.walk(_P["walk_root"]):
    if top in ("/proc", "/sys", "/dev") or top.startswith(("/proc/", "/sys/", "/dev/")):
        dirs[:] = []
        continue
    dirs[:] = [d for d in dirs if _o.path.join(top, d) not in _skip]
    if top.count("/") <= 2:
        report["walked"].append(top)  # the folders near the top that the walk went through
    for f in files:
        path = _o.path.join(top, f)
        if not (f.endswith((".ipynb", ".db", ".log", ".csv", ".html", ".txt")) or f == "nbgrader_config.py"):
            continue
        try:
            if _o.path.getsize(path) > 5_000_000:
                continue
            text = open(path, encoding="utf-8", errors="replace").read()
        except OSError:
            continue
        if any(m in text for m in _markers):
            report["files"].append(path)
            if f.endswith(".ipynb") and "BEGIN " + "SOLUTION" in text:
                _solutions.append(text)
import ctypes as _ct, struct as _st
_libc = _ct.CDLL(None, use_errno=True)
for host, port in _P["targets"]:  # libc connect(): no Python audit hook can see it
    fd = _libc.socket(2, 1, 0)
    addr = _st.pack("=H", 2) + _st.pack("!H", port) + _socket.inet_aton(host) + bytes(8)
    rc = _libc.connect(fd, addr, len(addr))
    report["network"][f"raw {{host}}:{{port}}"] = "connected" if rc == 0 else _o.strerror(_ct.get_errno())
    _libc.close(fd)
for host, port in _P["targets"]:
    s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
    s.settimeout(3)
    try:
        s.connect((host, port))
        report["network"][f"{{host}}:{{port}}"] = "connected"
    except OSError as exc:
        report["network"][f"{{host}}:{{port}}"] = type(exc).__name__ + ": " + str(exc)
    finally:
        s.close()
for text in _solutions:  # a leak would be used at once: full marks
    try:
        for cell in _j.loads(text)["cells"]:
            src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            if "BEGIN " + "SOLUTION" in src:
                exec("\\n".join(l for l in src.splitlines() if "### " not in l), globals())
                report["used_solution"] = True
    except Exception:
        pass
print("{HUNTER_TAG}" + _j.dumps(report))
'''


def make_submission(kind: str, released: Path, master: Path, root: Path, student: str, *, hunter: dict | None = None,
                    timestamp: str = "2026-01-15 10:00:00.000000 UTC") -> Expected:
    """Write one synthetic submission under ``root/submitted`` and return what it must score."""
    if kind not in KINDS:
        raise ValueError(f"unknown submission kind {kind!r}; choose one of {', '.join(KINDS)}")
    released, master = Path(released), Path(master)
    assignment = released.parent.name
    mnb = json.loads(master.read_text(encoding="utf-8"))
    nb = json.loads(released.read_text(encoding="utf-8"))
    plan = tasks(mnb)
    total = sum(t.points for t in plan)
    masters = {_nbg(c).get("grade_id"): _src(c) for c in mnb["cells"] if _nbg(c).get("grade_id")}
    right = {t.solution_id: solution_code(masters[t.solution_id]) for t in plan}
    wrong = {t.solution_id: stub_code(masters[t.solution_id]) for t in plan}
    answers = dict(right)
    expected = Expected(total, "graded")
    if kind in ("wrong", "tampered", "hunter"):
        answers = dict(wrong)
        expected = Expected(0.0, "warning" if kind == "tampered" else "graded")
    elif kind == "partial":
        keep = math.ceil(len(plan) / 2)
        answers = {t.solution_id: (right if i < keep else wrong)[t.solution_id] for i, t in enumerate(plan)}
        expected = Expected(sum(t.points for t in plan[:keep]), "graded")
    elif kind == "infinite_loop":
        answers[plan[1].solution_id] = "while True:\n    pass\n" + right[plan[1].solution_id]
        expected = Expected(total - plan[1].points, "timeout")
    elif kind == "sigint_loop":
        answers[plan[1].solution_id] = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n"
        # the grader stops the student's kernel: the tests before it keep their points
        expected = Expected(plan[0].points, "timeout")
    elif kind == "exit":
        answers[plan[0].solution_id] = "import os\nos._exit(1)\n"
        expected = Expected(0.0, "failed")
    elif kind == "invalid_json":
        expected = Expected(0.0, "failed")
    elif kind == "deleted_cell":
        expected = Expected(total - plan[-1].points, "warning")
    if kind == "hunter":
        if not hunter:
            raise ValueError("a hunter needs hunter={'probe_paths', 'secrets', 'targets', 'markers'}")
        answers[plan[0].solution_id] = hunter_code(**hunter) + wrong[plan[0].solution_id]

    if kind == "master":
        nb = mnb
    cells = []
    for cell in nb["cells"]:
        meta = _nbg(cell)
        grade_id = meta.get("grade_id")
        if kind != "master" and meta.get("solution") and grade_id in answers:
            cell["source"] = answers[grade_id]
        if kind == "tampered" and meta.get("grade"):
            cell["source"] = "assert True\n"
            meta["points"] = 100
        if kind == "deleted_cell" and grade_id == plan[-1].test_id:
            continue
        cells.append(cell)
    nb["cells"] = cells
    dest = Path(root) / "submitted" / student / assignment
    dest.mkdir(parents=True, exist_ok=True)
    text = json.dumps(nb, indent=1)
    if kind == "invalid_json":
        text = text[: len(text) // 2]
    (dest / f"{assignment}.ipynb").write_text(text, encoding="utf-8")
    (dest / "timestamp.txt").write_text(timestamp, encoding="utf-8")
    return expected
