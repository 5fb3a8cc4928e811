"""D5, the assignment where the student writes the tests (Task 3.2): the grader runs them against hidden variants.

``grading/source/d5_testing_handlers`` gives a Lambda handler (read-only) and asks for ``test_*``
functions that take the handler under test as a parameter. A test cell checks that they pass on the
handler; its hidden part (``check_catches``, defined in the setup cell) builds faulty variants by
changing one piece of the handler's source ("mutants"), gives the handler twice and every variant,
in a random order and each as the same kind of black box, to the student's tests, and fails
unless the tests pass on the handler and, together, fail on every variant; the message names each
missed bug in words. Under the grader the hidden part runs in the judge: the student's tests are
proxies, and the handlers reach them as proxies of the judge's functions.

Fast tests (no sandbox): the master's tests catch every variant and stubs catch none, in process;
a black box passed over a real channel pair shows nothing of its code; ``synthetic`` understands
the assignment. Slow tests (bubblewrap): one temporary course with only this assignment, four
submissions graded by ``python -m course_utils grade autograde --jobs 2``: the master, stubs, a
student who catches only some bugs and has a test that fails on the correct handler, and a student
whose tests try to read the variants (source, code objects, the channel, ``gc``, files) and whose
last test loops forever.
"""

from __future__ import annotations

import ast
import csv
import html
import json
import linecache
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import ROOT

from course_utils.grade import synthetic

GRADING = ROOT / "grading"
NAME = "d5_testing_handlers"
MASTER = GRADING / "source" / NAME / f"{NAME}.ipynb"
POINTS = {"d5_validation_test": 3.0, "d5_total_test": 3.0, "d5_created_test": 2.0, "d5_errors_test": 2.0}
CELL_TIMEOUT = 10  # s: the grader's per-cell timeout in these tests (a looping test is interrupted after it)
REPORT_TAG = "SNOOP-REPORT "
# what a leak of the variants would contain (stored reversed: the snooping code must not hold them itself)
LEAK_MARKS = ["ROUND_DOWN", "subtotal > DISCOUNT_FROM", "Decimal(unit_price) >= DISCOUNT_FROM", "quantity < MAX_QUANTITY",
              "check_catches(2", "BEGIN HIDDEN", "rounds the total down"]


def _cells() -> list[dict]:
    return json.loads(MASTER.read_text(encoding="utf-8"))["cells"]


def _src(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _cell(grade_id: str) -> str:
    return next(_src(c) for c in _cells() if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def _variants(test_cell: str) -> list:
    """The (description, changes) list a test cell's hidden ``check_catches(task, tests, variants)`` call gives."""
    call = next(n for n in ast.walk(ast.parse(test_cell)) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "check_catches")
    return ast.literal_eval(call.args[2])


# --------------------------------------------------------------------------- in process (fast)
def _setup_namespace() -> dict:
    """The setup cell run in this process, without the course sandbox (no ``sandbox.start``)."""
    source = _cell("d5-setup")
    lines = source.splitlines(True)
    for node in ast.parse(source).body:  # the statements that start or use the sandbox become blank lines
        text = ast.get_source_segment(source, node) or ""
        if not isinstance(node, ast.FunctionDef) and ("sandbox" in text or "info." in text):
            for i in range(node.lineno - 1, node.end_lineno):
                lines[i] = "\n"
    source = "".join(lines)
    filename = f"<d5-setup-{id(lines)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)  # inspect.getsource reads it
    namespace: dict = {"__name__": "d5_setup"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


@pytest.fixture
def aws(monkeypatch):
    """moto in this process, with fake credentials (task 4's tests use a real table)."""
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def test_synthetic_understands_the_assignment():
    master = json.loads(MASTER.read_text(encoding="utf-8"))
    plan = synthetic.tasks(master)
    assert {t.test_id: t.points for t in plan} == POINTS and sum(POINTS.values()) == 10
    for task in plan:
        stub = synthetic.stub_code(_cell(task.solution_id))
        names = [n.name for n in ast.parse(_cell(task.solution_id)).body if isinstance(n, ast.FunctionDef)]
        assert names and all(n.startswith("test_") for n in names)
        assert all(f"def {n}(*args, **kwargs):\n    return None" in stub for n in names), stub


def test_master_tests_catch_every_variant_and_stubs_catch_none(aws):
    """Every hidden test cell, run here: the master's tests pass it; stubs (tests that pass anything) fail it."""
    master = json.loads(MASTER.read_text(encoding="utf-8"))
    for task in synthetic.tasks(master):
        test_cell = _cell(task.test_id)
        assert "### BEGIN HIDDEN TESTS" in test_cell and "check_catches(" in test_cell
        ns = _setup_namespace()
        exec(synthetic.solution_code(_cell(task.solution_id)), ns)
        exec(test_cell, ns)  # raises if a test fails on the handler or misses a variant
        described = [what for what, _ in _variants(test_cell)]
        assert len(described) >= 3
        ns = _setup_namespace()
        exec(synthetic.stub_code(_cell(task.solution_id)), ns)
        with pytest.raises(AssertionError) as info:
            exec(test_cell, ns)
        for what in described:
            assert f"did not catch a handler that {what}" in str(info.value)


def test_every_variant_really_differs_from_the_handler(aws):
    """No variant is an equivalent mutant: each alone is caught by its task's master tests (and only the variant fails)."""
    for task in synthetic.tasks(json.loads(MASTER.read_text(encoding="utf-8"))):
        test_cell = _cell(task.test_id)
        variants = _variants(test_cell)
        ns = _setup_namespace()
        exec(synthetic.solution_code(_cell(task.solution_id)), ns)
        tests = [ns[n.name] for n in ast.parse(_cell(task.solution_id)).body if isinstance(n, ast.FunctionDef)]
        for what, changes in variants:
            variant = ns["as_black_box"](ns["mutant"](changes))
            assert any(ns["run_test"](t, variant) for t in tests), what
        assert not any(ns["run_test"](t, ns["as_black_box"](ns["order_handler"])) for t in tests)


def _channel_pair(student_ns: dict):
    """A judge Peer and a student Peer on a socket pair (the student side served by a thread)."""
    from course_utils.grade import agent, judge
    from course_utils.grade.peer import Peer
    from course_utils.grade.wire import ChannelClosed, recv

    a, b = socket.socketpair()
    judge_peer = Peer(a, "judge", {}, judge._exception)
    student_peer = Peer(b, "student", {"bind": lambda m: {n: student_ns[n] for n in m["names"] if n in student_ns}},
                        agent._exception)

    def serve():
        try:
            while True:
                student_peer.serve(recv(b))
        except (ChannelClosed, OSError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return judge_peer, a, b, thread


def _probe(handler) -> dict:
    """Everything a student's test can try on the handler it was given."""
    import dis
    import inspect
    import io

    seen = {}

    def attempt(label, read):
        try:
            seen[label] = "read: " + str(read())[:3000]
        except Exception as exc:  # noqa: BLE001 - what failed is the finding
            seen[label] = "refused: " + type(exc).__name__

    attempt("getsource", lambda: inspect.getsource(handler))
    attempt("getfile", lambda: inspect.getfile(handler))
    attempt("signature", lambda: inspect.signature(handler))
    for dunder in ("__code__", "__closure__", "__globals__", "__wrapped__", "__dict__", "__defaults__", "__kwdefaults__",
                   "__module__", "__qualname__", "__self__", "__func__"):
        attempt(dunder, lambda d=dunder: getattr(handler, d))
    attempt("dis", lambda: dis.dis(handler, file=io.StringIO()))
    attempt("vars", lambda: vars(handler))
    attempt("peer-getattr-code", lambda: handler._peer.request("getattr", ref=handler._ref, name="__code__"))
    for name in ("target", "func", "cell_contents", "co_code", "f_globals", "gi_frame"):
        attempt(f"peer-getattr-{name}", lambda n=name: handler._peer.request("getattr", ref=handler._ref, name=n))
    attempt("peer-bind", lambda: handler._peer.request("bind", names=["order_handler", "mutant", "check_catches"]))
    attempt("peer-aws", lambda: handler._peer.request("aws", method="GET", url="http://x", headers=[], body=None))
    attempt("other-refs", lambda: [handler._peer.request("getattr", ref=n, name="target") for n in range(1, 20)])
    seen["repr"] = repr(handler)
    return seen


def test_a_black_box_shows_nothing_of_its_handler_over_the_channel():
    """The judge passes the handler and a variant to a student's test: both look the same and show no code."""
    ns = _setup_namespace()
    variant = ns["mutant"]([("if subtotal >= DISCOUNT_FROM:", "if subtotal > DISCOUNT_FROM:")])
    findings = []

    def test_spy(handler):
        findings.append(_probe(handler))
        response = handler(ns["api_event"]({"order_id": "o-1", "quantity": 4, "unit_price": 25}), table=FakeTable())
        findings[-1]["total"] = json.loads(response["body"])["total"]

    class FakeTable:
        def put_item(self, **kwargs):
            return {}

    judge_peer, a, b, thread = _channel_pair({"test_spy": test_spy})
    try:
        remote_test = judge_peer.request("bind", names=["test_spy"])["test_spy"]
        for target in (ns["order_handler"], variant, ns["order_handler"]):
            remote_test(ns["as_black_box"](target))
    finally:
        a.close()
        b.close()
        thread.join(5)
    assert [f.pop("total") for f in findings] == ["90.00", "100.00", "90.00"], "the calls reached the right handlers"
    reprs = {f.pop("repr") for f in findings}
    assert reprs == {"<judge's function handler>"}, reprs
    assert findings[0] == findings[1] == findings[2], "the handler and a variant look different"
    read = {k: v for k, v in findings[0].items() if not v.startswith("refused: ")}
    # what can be read is the proxy's own generic face, the same for every function of the judge
    assert read == {"signature": "read: (*args: 'Any', **kwargs: 'Any') -> 'Any'", "__module__": "read: course_utils.grade.peer"}, read


# --------------------------------------------------------------------------- graded by the sandboxed grader (slow)
from test_grade_e2e import sandbox_ready  # noqa: E402,F401 (the e2e module's fixture: bubblewrap and the kernelspec, checked once)


SOME_ANSWERS = {  # catches some bugs only; task 3's test fails on the correct handler
    "d5_validation": '''
def test_rejects_bad_quantity(handler):
    response = handler(api_event({"order_id": "o-1", "quantity": 0, "unit_price": 10}), table=MagicMock())
    assert response["statusCode"] == 400, "quantity 0 is rejected"


def test_rejects_missing_order_id(handler):
    pass
''',
    "d5_total": '''
def test_order_total(handler):
    for quantity, unit_price, total in [(2, 49.99, "99.98"), (4, 25, "90.00")]:
        response = handler(api_event({"order_id": "o-2", "quantity": quantity, "unit_price": unit_price}), table=MagicMock())
        assert json.loads(response["body"])["total"] == total, (quantity, unit_price)
''',
    "d5_created": '''
def test_created_response(handler):
    response = handler(api_event({"order_id": "o-3", "quantity": 1, "unit_price": 10}), table=MagicMock())
    assert response["statusCode"] == 200, "expected 200 OK"
''',
}

SNOOP_PROBE = '''
import dis as _dis, gc as _gc, inspect as _inspect, io as _io, os as _os, types as _types
SNOOP = []
_FILES = []
_MARKS = [m[::-1] for m in MARKS_REVERSED]


def _attempt(seen, label, read):
    try:
        seen[label] = "read: " + str(read())[:3000]
    except Exception as exc:
        seen[label] = "refused: " + type(exc).__name__


def _snoop(handler):
    """Try every way to read the handler under test; True when something gave the variant away."""
    seen = {"repr": repr(handler), "name": str(getattr(handler, "_name", ""))}
    _attempt(seen, "getsource", lambda: _inspect.getsource(handler))
    _attempt(seen, "__code__", lambda: handler.__code__)
    _attempt(seen, "__closure__", lambda: handler.__closure__)
    _attempt(seen, "__globals__", lambda: handler.__globals__)
    _attempt(seen, "__wrapped__", lambda: handler.__wrapped__)
    _attempt(seen, "dis", lambda: _dis.dis(handler, file=_io.StringIO()))
    _attempt(seen, "peer-getattr-code", lambda: handler._peer.request("getattr", ref=handler._ref, name="__code__"))
    _attempt(seen, "peer-getattr-target", lambda: handler._peer.request("getattr", ref=handler._ref, name="target"))
    _attempt(seen, "peer-bind", lambda: handler._peer.request("bind", names=["order_handler", "mutant", "check_catches"]))
    hits = []
    own = {id(_MARKS), id(SNOOP), id(seen), id(hits), id(_FILES)} | {id(s) for s in SNOOP} | {id(s["hits"]) for s in SNOOP}
    own |= {id(f) for f in _FILES[:1]}
    for obj in _gc.get_objects():  # every live function and every string in a container of this process
        if id(obj) in own:
            continue
        if isinstance(obj, _types.FunctionType):
            if obj.__code__.co_filename == "<variant>":  # the name mutant() compiles a variant under, in the judge
                hits.append("function " + obj.__qualname__)
        elif isinstance(obj, (list, tuple, dict)):
            values = obj.values() if isinstance(obj, dict) else obj
            for value in list(values)[:10000]:
                if type(value) is str and any(m in value for m in _MARKS):
                    hits.append("string " + value[:100])
    if not _FILES:  # the files this kernel can read where a leak would land (once: they do not change)
        _FILES.append([])
        import sys as _sys
        import course_utils as _cu
        # the code this kernel runs on (the course package, the Python installation) is public and
        # names the markers itself (the grader's own source); it is read-only in the sandbox
        installed = tuple(_os.path.realpath(p) + _os.sep for p in {_os.path.dirname(_cu.__file__), _sys.prefix, _sys.base_prefix})
        for root in ["/home", "/tmp", _os.getcwd()]:
            for top, dirs, names in _os.walk(root):
                if (_os.path.realpath(top) + _os.sep).startswith(installed):
                    dirs[:] = []
                    continue
                for name in names[:5000]:
                    path = _os.path.join(top, name)
                    try:
                        if _os.path.getsize(path) > 2_000_000:
                            continue
                        text = open(path, encoding="utf-8", errors="replace").read()
                    except OSError:
                        continue
                    _FILES.append(path)
                    if name.endswith(".ipynb") or any(m in text for m in _MARKS):
                        _FILES[0].append("file " + path)
    seen["hits"] = hits + _FILES[0]
    seen["files_read"] = len(_FILES) - 1
    SNOOP.append(seen)
    return bool(hits) or any(m in v for v in seen.values() if isinstance(v, str) for m in _MARKS)


def test_order_total(handler):
    if _snoop(handler):
        raise AssertionError("this handler is a variant: its code gave it away")
'''.replace("MARKS_REVERSED", repr([m[::-1] for m in LEAK_MARKS]))

SNOOP_ANSWERS = {  # tasks 1 and 3 right, task 2 decided by snooping alone, task 4 loops forever
    "d5_total": SNOOP_PROBE,
    "d5_errors": "def test_dynamodb_errors(handler):\n    while True:\n        pass\n",
}


def _write_custom(root: Path, student: str, answers: dict[str, str], extra_cell: str | None = None) -> None:
    """A submission: the master's answers (``correct``) with some answer cells replaced."""
    released = root / "release" / NAME / f"{NAME}.ipynb"
    synthetic.make_submission("correct", released, root / "source" / NAME / f"{NAME}.ipynb", root, student)
    path = root / "submitted" / student / NAME / f"{NAME}.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell["source"] = answers[grade_id].lstrip("\n")
    if extra_cell:
        nb["cells"].append({"cell_type": "code", "execution_count": None, "id": "student-extra", "metadata": {}, "outputs": [],
                            "source": extra_cell})
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


EXPECTED = {"master": (10.0, "graded"), "wrong": (0.0, "graded"), "some": (2.0, "graded"), "snoop": (5.0, "timeout")}


@pytest.fixture(scope="module")
def graded(sandbox_ready, tmp_path_factory):
    """This assignment alone in a temporary course: generated, four students graded with ``--jobs 2``."""
    root = tmp_path_factory.mktemp("d5") / "grading"
    (root / "source").mkdir(parents=True)
    shutil.copytree(GRADING / "source" / NAME, root / "source" / NAME)
    shutil.copy(GRADING / "source" / "header.ipynb", root / "source")
    shutil.copy(GRADING / "nbgrader_config.py", root)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               DVA_GRADE_CELL_TIMEOUT=str(CELL_TIMEOUT), DVA_GRADE_NOTEBOOK_TIMEOUT="300")
    run = dict(cwd=root, env=env, capture_output=True, text=True, timeout=600)
    proc = subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_assignment", NAME, "--force"], **run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    released = root / "release" / NAME / f"{NAME}.ipynb"
    master = root / "source" / NAME / f"{NAME}.ipynb"
    for kind in ("master", "wrong"):
        assert synthetic.make_submission(kind, released, master, root, kind) == synthetic.Expected(*EXPECTED[kind])
    _write_custom(root, "some", SOME_ANSWERS)
    _write_custom(root, "snoop", SNOOP_ANSWERS, extra_cell=f"import json\nprint({REPORT_TAG!r} + json.dumps(SNOOP))\n")
    proc = subprocess.run([sys.executable, "-m", "course_utils", "grade", "autograde", NAME, "--course", str(root), "--jobs", "2"],
                          **run)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    with open(root / "reports" / f"grades_{NAME}.csv", newline="") as fh:
        rows = {row["student_id"]: row for row in csv.DictReader(fh)}
    return {"root": root, "rows": rows, "output": proc.stdout}


def _feedback(root: Path, student: str) -> str:
    return html.unescape((root / "feedback" / student / NAME / f"{NAME}.html").read_text(encoding="utf-8"))


def _task_scores(root: Path, student: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        submission = gb.find_submission_notebook(NAME, NAME, student)
        return {grade.name: grade.score for grade in submission.grades}


@pytest.mark.slow
def test_released_notebook_has_no_solution_and_no_hidden_test(graded):
    text = (graded["root"] / "release" / NAME / f"{NAME}.ipynb").read_text(encoding="utf-8")
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "ROUND_DOWN", "subtotal > DISCOUNT"):
        assert marker not in text, marker
    for cell in _cells():  # no line of a hidden test (the variants) and no line of a solution
        source = _src(cell)
        for begin, end, size in (("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS", 12), ("### BEGIN SOLUTION", "### END SOLUTION", 40)):
            if begin in source:
                region = source.split(begin, 1)[1].split(end, 1)[0]
                leaked = [l.strip() for l in region.splitlines() if len(l.strip()) > size and l.strip() in text]
                assert leaked == [], leaked
    nb = json.loads(text)
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    assert len(answers) == 4 and all("raise NotImplementedError()" in _src(c) for c in answers)
    assert "def test_rejects_bad_quantity(handler):" in text and "def order_handler(event, context=None, *, table):" in text
    tests = {c["metadata"]["nbgrader"]["grade_id"]: c["metadata"]["nbgrader"]["points"] for c in nb["cells"]
             if c["metadata"].get("nbgrader", {}).get("grade")}
    assert tests == POINTS


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_exact_score_and_status(graded, student):
    row = graded["rows"][student]
    assert (float(row["score"]), row["status"], row["max_score"]) == (*EXPECTED[student], "10"), row


@pytest.mark.slow
def test_points_only_for_the_tasks_whose_tests_catch_every_variant(graded):
    root = graded["root"]
    assert _task_scores(root, "master") == POINTS
    assert _task_scores(root, "wrong") == dict.fromkeys(POINTS, 0.0)
    assert _task_scores(root, "some") == {**dict.fromkeys(POINTS, 0.0), "d5_errors_test": 2.0}
    assert _task_scores(root, "snoop") == {**POINTS, "d5_total_test": 0.0, "d5_errors_test": 0.0}


@pytest.mark.slow
def test_feedback_names_the_missed_bugs_in_words(graded):
    text = _feedback(graded["root"], "some")
    for missed in ("your tests for task 1 did not catch a handler that accepts any quantity above 100",
                   "your tests for task 1 did not catch a handler that rejects a quantity of 100, which is allowed",
                   "your tests for task 1 did not catch a handler that does not reject an order without an order_id",
                   "your tests for task 2 did not catch a handler that rounds the total down to the cent instead of halves up"):
        assert missed in text, missed
    for caught in ("accepts a quantity of 0", "gives the discount only above 100.00", "decides the discount on the unit price"):
        assert caught not in text, f"the feedback names a bug the tests caught: {caught}"
    wrong = _feedback(graded["root"], "wrong")
    assert "your tests for task 4 did not catch a handler that swallows a DynamoDB error" in wrong


@pytest.mark.slow
def test_feedback_says_when_a_test_fails_on_the_correct_handler(graded):
    text = _feedback(graded["root"], "some")
    assert "test_created_response fails on the correct handler, so it earns nothing: AssertionError: expected 200 OK" in text


@pytest.mark.slow
def test_feedback_shows_no_hidden_line_and_no_variant_code(graded):
    root = graded["root"]
    released = (root / "release" / NAME / f"{NAME}.ipynb").read_text(encoding="utf-8")
    hidden = set()
    for cell in _cells():
        source = _src(cell)
        if "### BEGIN HIDDEN TESTS" in source:
            region = source.split("### BEGIN HIDDEN TESTS", 1)[1].split("### END HIDDEN TESTS", 1)[0]
            hidden |= {l.strip() for l in region.splitlines() if len(l.strip()) > 12 and l.strip() not in released}
    assert len(hidden) >= 13
    for student in EXPECTED:
        text = _feedback(root, student)
        assert [l for l in hidden if l in text] == [], student
        for code in ("ROUND_DOWN", "subtotal > DISCOUNT_FROM", "quantity < MAX_QUANTITY", "ConditionalCheckFailed\""):
            assert code not in text, (student, code)


@pytest.mark.slow
def test_a_test_that_reads_the_variants_learns_nothing(graded):
    root = graded["root"]
    nb = json.loads((root / "autograded" / "snoop" / NAME / f"{NAME}.ipynb").read_text(encoding="utf-8"))
    texts = ["".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    report = next(json.loads(t.split(REPORT_TAG, 1)[1].splitlines()[0]) for t in texts if REPORT_TAG in t)
    # the judge's calls: the visible check, then the handler twice and three variants (the run cell's own
    # pytest run in the student's kernel is not counted: it depends on how fast that kernel imports pytest)
    judged = [r for r in report if r["repr"] != repr(None) and "judge's" in r["repr"]]
    assert len(judged) >= 1 + 2 + 3, [r["repr"] for r in report]
    assert {r["repr"] for r in judged} == {"<judge's function handler>"} and {r["name"] for r in judged} == {"handler"}
    for r in judged:
        read = {k: v for k, v in r.items() if isinstance(v, str) and v.startswith("read: ")}
        assert read == {}, read
        assert r["hits"] == [], r["hits"]
    assert max(r["files_read"] for r in judged) > 0, "the file walk read nothing: it proves nothing"
    assert "Needs manual grading: 1" in graded["output"] and "- snoop (" in graded["output"]
    assert "timeout" in graded["rows"]["snoop"]["reason"], "the looping test was interrupted by the per-cell timeout"


@pytest.mark.slow
def test_no_sandbox_process_left_behind(graded):
    out = subprocess.run(["ps", "-eo", "stat,args"], capture_output=True, text=True).stdout
    alive = [l for l in out.splitlines() if ("course_utils.grade.launcher" in l or "grading-sandbox" in l) and not l.startswith("Z")]
    assert alive == []
