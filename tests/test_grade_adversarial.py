"""Adversarial submissions (issue 17) through the sandboxed grader: none may score above the empty submission unflagged.

One temporary course (a copy of the course ``tests/test_grade_e2e.py`` generates once per session,
with its fixtures: the sandbox check, the time limits measured on this machine, the instructor's
environment holding secrets) gets the corpus of :mod:`course_utils.grade.adversary`: every attack
on the first assignment, the attacks whose effect depends on the tests on all four, an empty
(stubbed) and a correct control. It is graded with ``python -m course_utils grade autograde --jobs 2``
(FIFO and 20 MB output one at a time, each bounded); a few attacks are also graded by the plain
``nbgrader autograde``, in a second copy, while the course command grades D2-D4 (:func:`_run_corpus`).
Each outcome is checked against its :class:`~course_utils.grade.adversary.Expectation` (score from
the gradebook, status and reason from the export ``grade autograde`` ends with, which is the code of
``grade export`` and uses ``status.classify``) and every file under ``feedback/`` and ``autograded/``
is searched for leaks.

On the grader of commit 3e77b03 (the one issue 17 is about) all ten technique tests fail; the
controls pass. A failure message is a table: attack, assignment, mode, score, status, whether it
beat the empty submission, and the reason or the problems found (leaks included).

The first tests (checker) need no sandbox and run in ``make test-fast``: they prove the checks can fail.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import pytest
from test_grade_e2e import SECRET, _course_copy, _env, generated, limits, sandbox_ready  # noqa: F401 (module fixtures, reused)

from course_utils.grade import adversary as adv

GRADING = Path(__file__).resolve().parent.parent / "grading"
ASSIGNMENTS = sorted(p.name for p in (GRADING / "source").iterdir() if p.is_dir())
PLAN = adv.CorpusPlan.default(ASSIGNMENTS, jobs=2)
PRIVATE_MARKER = "aws_secret_access_key = PRIVATE-instructor-4c1e9b"  # a private file outside the course
TECHNIQUES = {1: "metadata", 2: "hooks", 3: "partial-credit", 4: "files", 5: "boto3", 6: "symlinks", 7: "hidden-tests",
              8: "html", 9: "fake-timeout", adv.HONEST: "honest-mistakes"}

slow = [pytest.mark.slow, pytest.mark.timeout(1800)]


# --------------------------------------------------------------------------- the checker itself (fast)
def _mini_assignment(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A two-task master and its released version (what nbgrader generate_assignment would give), no nbgrader needed."""
    def cell(kind: str, source: str, **nbg) -> dict:
        c = {"cell_type": kind, "id": nbg.get("grade_id", f"c{abs(hash(source)) % 10**8}"), "metadata": {}, "source": source}
        if nbg:
            c["metadata"]["nbgrader"] = {"locked": not nbg.get("solution", False), "schema_version": 3, "grade": False,
                                         "solution": False, **nbg}
        if kind == "code":
            c.update(outputs=[], execution_count=None)
        return c

    def notebook(cells: list[dict]) -> dict:
        return {"cells": cells, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}

    answer = "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x  # the doubling solution\n    ### END SOLUTION\n"
    test = "assert double(2) == 4\n### BEGIN HIDDEN TESTS\nassert double(-21) == -42, 'negative numbers double too'\n### END HIDDEN TESTS\n"
    answer2 = "### BEGIN SOLUTION\nGREETING = \"hello, graders of the world\"\n### END SOLUTION\n"
    test2 = "assert GREETING.startswith('hello')\n"
    master = notebook([cell("markdown", "# Mini"), cell("code", "import json\n", grade_id="setup", locked=True),
                       cell("code", answer, grade_id="a1", solution=True),
                       cell("code", test, grade_id="t1", grade=True, points=2),
                       cell("code", answer2, grade_id="a2", solution=True),
                       cell("code", test2, grade_id="t2", grade=True, points=1)])
    released = json.loads(json.dumps(master))
    for c in released["cells"]:
        if "BEGIN SOLUTION" in c["source"]:
            c["source"] = ("def double(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n" if "def" in c["source"]
                           else "# YOUR CODE HERE\nraise NotImplementedError()\n")
        c["source"] = c["source"].split("### BEGIN HIDDEN TESTS")[0]
    root = tmp_path / "course"
    for folder, nb in (("source", master), ("release", released)):
        (root / folder / "mini").mkdir(parents=True)
        (root / folder / "mini" / "mini.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    (root / "gradebook.db").write_bytes(b"SQLite format 3\x00")
    (root / "nbgrader_config.py").write_text('c.CourseDirectory.db_url = f"sqlite:///{HERE / \'gradebook.db\'}?timeout=60"\n')
    (root / "submitted" / "correct" / "mini").mkdir(parents=True)
    (root / "submitted" / "correct" / "mini" / "mini.ipynb").write_text(json.dumps(master), encoding="utf-8")
    return root, root / "release" / "mini" / "mini.ipynb", root / "source" / "mini" / "mini.ipynb"


def test_every_attack_writes_a_submission(tmp_path):
    root, released, master = _mini_assignment(tmp_path)
    secret_file = tmp_path / "private" / "credentials"
    secret_file.parent.mkdir()
    secret_file.write_text(PRIVATE_MARKER + "\n")
    for name, attack in adv.ATTACKS.items():
        exp = adv.make_attack(name, released, master, root, name, secrets=[SECRET], secret_file=secret_file, output_mb=0.01)
        folder = root / "submitted" / name / "mini"
        nb_path = folder / "mini.ipynb"
        assert nb_path.is_symlink() or nb_path.is_file(), name
        assert (exp.attack, exp.assignment, exp.student) == (name, "mini", name)
        assert "assert double(-21) == -42, 'negative numbers double too'" in exp.secrets, f"{name}: hidden lines are secrets"
        assert SECRET in exp.secrets
        if attack.technique == adv.HONEST:
            assert exp.score == 3 and exp.note and exp.max_score is None
        else:
            assert exp.max_score == adv.EMPTY_SCORE and exp.flag and exp.reason
        if name == "symlink_master":
            assert nb_path.resolve() == master.resolve()
            continue
        text = nb_path.read_text()
        nb = json.loads(text)
        if name == "honest_nbformat_v3":
            assert nb["nbformat"] == 3 and "worksheets" in nb
            continue
        assert nb["nbformat"] == 4
        assert "the doubling solution" not in text or attack.technique == adv.HONEST, f"{name}: no solution unless honest"
    assert (root / "submitted" / "fifo_data_csv" / "mini" / "data.csv").is_fifo()
    assert os.readlink(root / "submitted" / "symlink_shadow" / "mini" / "credentials") == str(secret_file)
    assert PRIVATE_MARKER in adv.make_attack("symlink_shadow", released, master, root, "s2", secret_file=secret_file).secrets
    skip = json.loads((root / "submitted" / "tag_skip_execution" / "mini" / "mini.ipynb").read_text())
    assert [c["metadata"]["tags"] for c in skip["cells"] if c["metadata"].get("nbgrader", {}).get("grade")] == [["skip-execution"]] * 2
    dup = json.loads((root / "submitted" / "honest_duplicate_test" / "mini" / "mini.ipynb").read_text())
    ids = [c["metadata"].get("nbgrader", {}).get("grade_id") for c in dup["cells"]]
    assert ids.count("t1") == 2 and len({c["id"] for c in dup["cells"]}) == len(dup["cells"]), "same metadata, new cell id"
    assert adv.make_attack("fake_cell_timeout", released, master, root, "x").forbid == {"timeout"}
    with pytest.raises(ValueError, match="unknown attack"):
        adv.make_attack("nope", released, master, root, "x")


def test_evaluate_can_fail():
    exp = adv.Expectation("input_transformer", "a", "s", reason=adv.FLAG_REASONS[2])
    assert adv.evaluate(exp, 0.0, "graded", "") == []
    assert adv.evaluate(exp, 10.0, "graded", "") != [], "full marks for nothing"
    assert adv.evaluate(exp, 10.0, "warning", "an IPython input transformer was installed") == []
    assert adv.evaluate(exp, 10.0, "warning", "late submission") != [], "flagged for something else"
    assert adv.evaluate(exp, 10.0, "warning", "") != []
    fake = adv.Expectation("fake_cell_timeout", "a", "s", forbid=frozenset({"timeout"}))
    assert adv.evaluate(fake, 0.0, "timeout", "cell x ran past the timeout") != []
    honest = adv.Expectation("honest_bad_timestamp", "a", "s", max_score=None, flag=frozenset(), score=10.0,
                             statuses=frozenset({"graded", "warning"}), note="timestamp")
    assert adv.evaluate(honest, 10.0, "warning", "timestamp.txt unreadable: submission time unknown") == []
    assert adv.evaluate(honest, 10.0, "graded", "") != [], "no note"
    assert adv.evaluate(honest, 0.0, "failed", "timestamp") != []


def test_scan_leaks_can_fail(tmp_path):
    exp = adv.Expectation("html_display", "a", "s", secrets=("assert hidden_thing() == 42",))
    fb = tmp_path / "feedback" / "s" / "a"
    ag = tmp_path / "autograded" / "s" / "a"
    fb.mkdir(parents=True)
    ag.mkdir(parents=True)
    (fb / "a.html").write_text("<pre>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; fine</pre>")
    nb = {"cells": [{"cell_type": "code", "source": "assert hidden_thing() == 42", "outputs": [
        {"output_type": "error", "ename": "AssertionError", "evalue": "", "traceback": ["assert hidden_thing() == 42"]},
        {"output_type": "display_data", "data": {"text/plain": "<script>alert(1)</script>"}, "metadata": {}}]}]}
    (ag / "a.ipynb").write_text(json.dumps(nb))
    assert adv.scan_leaks(tmp_path, exp) == [], "escaped HTML, sources, tracebacks and text/plain are not leaks"
    (fb / "a.html").write_text("<div><script>alert(1)</script>assert hidden_thing() == 42</div>")
    assert len(adv.scan_leaks(tmp_path, exp)) == 2
    (fb / "a.html").write_text("<div><img src=x onerror=alert(1)>assert hidden_thing() == 42</div>")
    nb["cells"][0]["outputs"].append({"output_type": "stream", "name": "stdout", "text": "assert hidden_thing() == 42\n"})
    nb["cells"][0]["outputs"].append({"output_type": "display_data", "data": {"text/html": "<img src=x onerror=alert(1)>"}, "metadata": {}})
    (ag / "a.ipynb").write_text(json.dumps(nb))
    (ag / "copied.db").write_bytes(b"SQLite...assert hidden_thing() == 42...")
    found = adv.scan_leaks(tmp_path, exp)
    assert any(f.startswith("feedback/a.html") and "hidden_thing" in f for f in found)
    assert any(f.startswith("feedback/a.html") and "live HTML" in f for f in found)
    assert any(f.startswith("autograded/a.ipynb (cell 0 stream)") for f in found)
    assert any(f.startswith("autograded/a.ipynb (cell 0 display_data text/html)") for f in found)
    assert any(f.startswith("autograded/copied.db") for f in found)


# --------------------------------------------------------------------------- the corpus, graded (slow)
def _written_rows(root: Path, assignment: str) -> dict[str, dict] | None:
    """The CSV ``grade autograde`` wrote at its end (``grade export``'s code): student -> row; None if there is none."""
    path = root / "reports" / f"grades_{assignment}.csv"
    if not path.is_file():
        return None
    with open(path, newline="", encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def _grade_assignment(root: Path, assignment: str, expected: dict[str, adv.Expectation], env: dict[str, str],
                      log: Callable[[str], None]) -> list[adv.Outcome]:
    """adversary.run_corpus's steps for one assignment: isolated attacks one at a time, then the rest with --jobs N."""
    python = sys.executable
    isolated = [s for s in expected if s in adv.ATTACKS and adv.ATTACKS[s].isolate]
    together = [s for s in expected if s not in isolated]
    hung: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for student in isolated:  # one at a time, bounded; feedback comes with the main run
        done, out, took = adv.grade(root, assignment, [student], python=python, env=env, jobs=1, timeout=PLAN.isolated_timeout,
                                    feedback=False)
        seconds[student] = took
        if not done:
            hung[student] = PLAN.isolated_timeout
        log(f"{assignment} {student}: {'done' if done else 'HUNG'} in {took:.0f} s")
    (root / "reports" / f"grades_{assignment}.csv").unlink(missing_ok=True)  # only the main run's export is read
    done, out, took = adv.grade(root, assignment, together, python=python, env=env, jobs=PLAN.jobs, timeout=PLAN.run_timeout)
    log(f"{assignment}: {len(together)} submissions graded with --jobs {PLAN.jobs} in {took:.0f} s" + ("" if done else " (HUNG)"))
    if "error:" in out and "autograded" not in out:  # the command itself refused (e.g. no sandbox)
        raise RuntimeError(f"grade autograde {assignment} failed:\n{out[-3000:]}")
    if not done:
        hung.update({s: PLAN.run_timeout for s in together})
    rows = (_written_rows(root, assignment) if done else None) or adv.read_rows(root, assignment, python=python, env=env)
    return adv._outcomes(root, expected, rows, f"grade --jobs {PLAN.jobs}", hung, seconds)


def _run_corpus(base: Path, generated: Path, *, env: dict[str, str], ctx: dict, log: Callable[[str], None]) -> list[adv.Outcome]:
    """What ``adversary.run_corpus(base, PLAN, ...)`` does (the same submissions, commands and checks), with less waiting.

    * ``course/`` and ``plain/`` are copies of the session's generated course (no generate_assignment);
    * the rows come from the CSV each ``grade autograde`` run writes at its end (no second ``grade export``;
      one if the run was killed, and for the plain ``nbgrader autograde``, which writes none);
    * D1's isolated attacks (the FIFO, the 20 MB output) and its main run are graded with nothing else of
      this module running, as before; then the course command grades D2-D4 (three attacks and the empty
      submission each, cells of a second or two), one command per assignment, two at a time, and the
      plain ``nbgrader autograde`` (its own folder and gradebook, one process) beside them.
    """
    python = sys.executable
    first = PLAN.assignments[0]
    root = _course_copy(generated, base / "course")
    expected = {a: adv.populate(root, a, PLAN.attacks[a], baselines=adv.BASELINES if a == first and PLAN.controls else ("empty",), **ctx)
                for a in PLAN.assignments}

    def plain() -> list[adv.Outcome]:
        proot = _course_copy(generated, base / "plain")
        plain_expected = adv.populate(proot, first, PLAN.plain, baselines=("empty",), **ctx)
        done, out, took = adv.grade(proot, first, list(plain_expected), python=python, env=env, jobs=1, timeout=PLAN.run_timeout,
                                    plain=True)
        log(f"{first}: {len(plain_expected)} submissions graded with plain nbgrader autograde in {took:.0f} s" + ("" if done else " (HUNG)"))
        hung = {} if done else {s: PLAN.run_timeout for s in plain_expected}
        rows = adv.read_rows(proot, first, python=python, env=env)
        return adv._outcomes(proot, plain_expected, rows, "nbgrader autograde", hung, {})

    # D1 first and alone. Its main run adds every student of the corpus to the gradebook, so the
    # commands grading D2-D4 at the same time only update them. (A run killed at its bound has every
    # process working in course/ killed, the other assignments' too: a failure either way.)
    outcomes = _grade_assignment(root, first, expected[first], env, log)
    others = list(PLAN.assignments[1:])
    order = others[:2] + (["plain"] if PLAN.plain else []) + others[2:]  # submitted in this order: two course commands and the plain one
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="corpus") as pool:
        runs = {key: pool.submit(plain) if key == "plain" else pool.submit(_grade_assignment, root, key, expected[key], env, log)
                for key in order}
        for key in others + ["plain"]:  # outcomes in run_corpus's order
            outcomes += runs[key].result() if key in runs else []
    return outcomes


@pytest.fixture(scope="module")
def corpus(tmp_path_factory, limits, generated) -> dict:
    base = tmp_path_factory.mktemp("adversarial")
    private = base / "instructor-home" / "credentials"
    private.parent.mkdir()
    private.write_text(PRIVATE_MARKER + "\n")
    private.chmod(0o600)
    lines: list[str] = []
    outcomes = _run_corpus(base, generated, env=_env(limits), ctx={"secrets": [SECRET], "secret_file": private}, log=lines.append)
    table = adv.format_table(outcomes, width=400)
    (base / "outcomes.txt").write_text("\n".join(lines) + "\n\n" + table + "\n")
    print("\n".join(lines) + "\n" + table)
    return {"base": base, "outcomes": outcomes, "log": lines}


def _table(outcomes: list[adv.Outcome]) -> str:
    return "\n" + adv.format_table(outcomes, width=400)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_controls(corpus):
    """The empty submission scores what synthetic says on every assignment, the correct one full marks: the tests run."""
    controls = [o for o in corpus["outcomes"] if o.attack in adv.BASELINES]
    assert {(o.assignment, o.attack, o.mode.split()[0]) for o in controls} >= (
        {(a, "empty", "grade") for a in ASSIGNMENTS} | {(ASSIGNMENTS[0], "correct", "grade")}), _table(controls)
    bad = [o for o in controls if o.problems]
    if bad:
        pytest.fail("the controls are mis-graded: nothing else can be judged" + _table(bad), pytrace=False)
    assert all(o.empty_score == adv.EMPTY_SCORE for o in corpus["outcomes"] if o.attack not in adv.BASELINES), \
        "the empty submission scores what adversary.EMPTY_SCORE says"


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("technique", list(TECHNIQUES), ids=[f"t{t}-{n}" if t < adv.HONEST else n for t, n in TECHNIQUES.items()])
def test_technique(corpus, technique):
    """Every attack of one technique: score <= the empty submission's or flagged with a reason; no leak; honest ones graded with a note."""
    mine = [o for o in corpus["outcomes"] if o.technique == technique]
    expected = {n for n, a in adv.ATTACKS.items() if a.technique == technique}
    assert {o.attack for o in mine} == expected, "every attack of this technique was graded"
    bad = [o for o in mine if o.problems]
    if bad:
        pytest.fail(f"{len(bad)} of {len(mine)} {TECHNIQUES[technique]} submissions are mis-graded or leak:" + _table(bad), pytrace=False)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_both_commands_grade_alike(corpus):
    """The plain `nbgrader autograde` gives the same score and status as the course command, attack by attack."""
    first = ASSIGNMENTS[0]
    by = {(o.attack, o.mode.split()[0]): o for o in corpus["outcomes"] if o.assignment == first}
    pairs = [(by[(a, "grade")], by[(a, "nbgrader")]) for a in PLAN.plain]
    assert pairs, "some attacks are graded both ways"
    differ = [x for pair in pairs if (pair[0].score, pair[0].status) != (pair[1].score, pair[1].status) for x in pair]
    if differ:
        pytest.fail("the two commands disagree:" + _table(differ), pytrace=False)


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_no_process_left_behind(corpus):
    base = Path(corpus["base"]).resolve()
    left = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == base or base in cwd.parents:
                left.append((entry.name, (entry / "cmdline").read_bytes().replace(b"\0", b" ")[:200].decode(errors="replace")))
    assert left == [], left
