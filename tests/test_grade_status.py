"""Status and reason: they come from the grader (verdict, quarantine manifest, nbgrader's own log,
the file system seen without following links), never from text or exception names the student's
code can produce. Also the verdict file's API. Fast: the tiny course of tests/test_grade_staging.py,
graded in-process without a kernel."""

from __future__ import annotations

import json
import os

import pytest
from test_grade_staging import ASSIGNMENT, Course, course, template  # noqa: F401 (fixtures)

from course_utils.grade import verdict
from course_utils.grade.status import STDERR_MARK, _failure_from_log


# --------------------------------------------------------------------------- the verdict file
def test_verdict_record_read_clear(tmp_path):
    assert verdict.read(tmp_path, "a", "s") == []
    verdict.record(tmp_path, "a", "s", "nb1", "timeout", "t1", "cell t1 ran past the 10 s timeout")
    verdict.record(tmp_path, "a", "s", "nb1", "timeout", "t1", "cell t1 ran past the 10 s timeout")  # kept once
    verdict.record(tmp_path, "a", "s", "nb2", "output_truncated", cell="c3")
    verdict.record(tmp_path, "a", "s", "", "bad_timestamp", detail="timestamp.txt ...")
    path = verdict.verdict_path(tmp_path, "a", "s")
    assert path == tmp_path / "logs" / "a" / "s.verdict.json"
    data = json.loads(path.read_text())
    assert data["version"] == 1 and len(data["events"]) == 3
    assert data["events"][0] == {"notebook": "nb1", "kind": "timeout", "cell": "t1", "detail": "cell t1 ran past the 10 s timeout"}
    verdict.clear(tmp_path, "a", "s", "nb1")
    assert [e.notebook for e in verdict.read(tmp_path, "a", "s")] == ["nb2", ""]
    verdict.clear(tmp_path, "a", "s", "")
    assert [e.kind for e in verdict.read(tmp_path, "a", "s")] == ["output_truncated"]
    verdict.clear(tmp_path, "a", "s")
    assert not path.exists() and verdict.read(tmp_path, "a", "s") == []
    verdict.clear(tmp_path, "a", "s", "nb1")  # nothing to clear: no error, no file created
    assert not path.exists()
    assert sorted(p.name for p in path.parent.iterdir()) == [], "no temporary file left behind"


def test_a_corrupt_verdict_is_set_aside_and_a_new_one_started(tmp_path):
    path = verdict.verdict_path(tmp_path, "a", "s")
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "events": [')
    assert verdict.read(tmp_path, "a", "s") == []  # reading never changes anything
    assert path.exists()
    verdict.record(tmp_path, "a", "s", "nb", "quarantined", detail="x")
    assert (path.parent / "s.verdict.json.corrupt-1").read_text() == '{"version": 1, "events": ['
    assert [e.kind for e in verdict.read(tmp_path, "a", "s")] == ["quarantined"]
    path.write_text(json.dumps({"version": 99, "events": []}))
    verdict.record(tmp_path, "a", "s", "nb", "deduplicated", "c", "y")
    assert (path.parent / "s.verdict.json.corrupt-2").exists()


def test_verdict_kinds_and_their_reasons():
    assert verdict.KINDS["timeout"] == "timeout" and verdict.KINDS["student_kernel_killed"] == "timeout"
    assert verdict.KINDS["student_kernel_died"] == verdict.KINDS["judge_error"] == verdict.KINDS["notebook_was_link"] == "failed"
    for kind in ("output_truncated", "quarantined", "bad_timestamp", "deduplicated", "metadata_stripped", "format_converted"):
        assert verdict.KINDS[kind] == "warning"
    with pytest.raises(ValueError, match="unknown verdict kind 'CellTimeoutError'"):
        verdict.record("/nonexistent", "a", "s", "nb", "CellTimeoutError")
    for kind in verdict.KINDS:  # every kind has a default sentence
        assert verdict.describe(verdict.Event("nb", kind, "c1"), "10 s")
    assert verdict.describe(verdict.Event("nb", "timeout", "t1"), "10 s").startswith("cell t1 ran past the 10 s timeout")
    judge = verdict.describe(verdict.Event("nb", "judge_error", "t1", "the judge kernel did not start"))
    assert judge == "the grader itself failed (not the student's code): the judge kernel did not start"
    unknown = verdict.Event("nb", "from_the_future", "", "?")
    assert unknown.status == "failed" and "does not know" in verdict.describe(unknown)


# --------------------------------------------------------------------------- statuses from grader events only
def _graded(course: Course, student: str) -> dict:
    course.submit(student)
    result = course.autograde(student)
    assert result["success"], result["log"]
    return result


def _autograded_path(course: Course, student: str):
    return course.root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"


def test_a_student_defined_cell_timeout_error_is_not_a_timeout(course):
    _graded(course, "mimic")
    path = _autograded_path(course, "mimic")
    os.chmod(path, 0o644)
    nb = json.loads(path.read_text())
    answer = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "ans")
    # what `class CellTimeoutError(Exception): ...; raise CellTimeoutError("No reply from kernel")` leaves
    answer["outputs"] = [{"output_type": "error", "ename": "CellTimeoutError", "evalue": "No reply from kernel before timeout",
                          "traceback": ["CellTimeoutError: No reply from kernel before timeout"]}]
    path.write_text(json.dumps(nb))
    status = course.status("mimic")
    assert (status.status, status.reason) == ("graded", "")


def test_timeout_comes_from_nbgraders_own_log_not_from_the_kernels_stderr(course):
    from course_utils.grade.status import log_path

    _graded(course, "loud")
    log = log_path(course.root, ASSIGNMENT, "loud")
    own = log.read_text()
    log.write_text(own + STDERR_MARK + "[ERROR] Timeout waiting for execute reply (10s).\nKernel died\n")  # student's os.write(2, ...)
    assert course.status("loud").status == "graded"
    log.write_text(own + "\n[ERROR] Timeout waiting for execute reply (10s).\n[ERROR] Interrupting kernel\n")
    status = course.status("loud")
    assert status.status == "timeout" and "per-cell timeout and was interrupted" in status.reason


def test_verdict_events_decide_status_and_reason(course):
    _graded(course, "ev")
    cases = [("output_truncated", "warning", "cell ans: output cut at 1 MB"),
             ("timeout", "timeout", "cell ans ran past the 10 s timeout and was interrupted"),
             ("judge_error", "failed", "the grader itself failed (not the student's code): the judge kernel died")]
    for kind, want, detail in cases:
        verdict.record(course.root, ASSIGNMENT, "ev", ASSIGNMENT, kind, "ans", detail.split(": ", 1)[-1] if kind == "judge_error" else detail)
        status = course.status("ev")
        assert status.status == want and status.reasons[-1] == detail, (kind, status.reasons)
    assert status.needs_manual_grading


def test_a_failure_explained_by_the_grader_is_not_explained_twice(course):
    course.submit("died")
    os.makedirs(course.root / "logs" / ASSIGNMENT, exist_ok=True)
    verdict.record(course.root, ASSIGNMENT, "died", ASSIGNMENT, "student_kernel_died", "ans", "")
    (course.root / "logs" / ASSIGNMENT / "died.log").write_text("[ERROR] There was an error processing assignment\n")
    status = course.status("died")
    assert status.status == "failed"
    assert status.reasons == ["the kernel died while running the notebook (os._exit, a crash or the memory limit)"]


# --------------------------------------------------------------------------- failure reasons from nbgrader's log
TRACEBACK_LOG = """[AutogradeApp | INFO] Sanitizing /c/submitted/s/a1/a1.ipynb
[AutogradeApp | ERROR] There was an error processing assignment: /c/submitted/s/a1
[AutogradeApp | ERROR] Traceback (most recent call last):
      File "/v/lib/python3.11/site-packages/nbgrader/converters/base.py", line 390, in convert_notebooks
        self.convert_single_notebook(notebook_filename)
      File "/v/lib/python3.11/site-packages/nbgrader/preprocessors/overwritecells.py", line 159, in add_missing_task_cells
        submitted_ids = [cell["metadata"]["nbgrader"]["grade_id"] for cell in nb.cells if
    KeyError: 'grade_id'
[AutogradeApp | ERROR] There was an error processing assignment 'a1' for student 's'
[AutogradeApp | ERROR] Please see the the above traceback for details on the specific errors on the above failures.
Traceback (most recent call last):
  File "/v/lib/python3.11/site-packages/nbgrader/converters/base.py", line 468, in convert_notebooks
    raise NbGraderException(msg)
nbgrader.converters.base.NbGraderException: Please see the the above traceback for details on the specific errors on the above failures.
"""


def test_failure_reason_names_the_last_exception_and_where():
    assert _failure_from_log(TRACEBACK_LOG, "10 s") == (
        "failed", "autograde failed: KeyError: 'grade_id' (raised in nbgrader/preprocessors/overwritecells.py, add_missing_task_cells)")


def test_failure_reason_ignores_what_the_kernel_wrote_to_stderr():
    fake = STDERR_MARK + "Traceback (most recent call last):\n  File \"x\", line 1, in <module>\nValueError: the grader is broken\nKernel died\n"
    status, reason = _failure_from_log(TRACEBACK_LOG + fake, "10 s")
    assert (status, reason) == ("failed", "autograde failed: KeyError: 'grade_id' (raised in nbgrader/preprocessors/overwritecells.py, "
                                          "add_missing_task_cells)")
    assert _failure_from_log("[ERROR] nothing useful\n" + fake, "10 s") == ("failed", "autograde failed: [ERROR] nothing useful")


def test_failure_reason_without_a_traceback_skips_nbgraders_generic_lines():
    log = ("[ERROR] No notebooks found, did you forget to run 'nbgrader generate_assignment'?\n"
           "[ERROR] There was an error processing assignment 'a1' for student 's'\n"
           "[ERROR] Please see the the above traceback for details on the specific errors on the above failures.\n")
    assert _failure_from_log(log, "10 s")[1] == "autograde failed: [ERROR] No notebooks found, did you forget to run " \
                                                "'nbgrader generate_assignment'?"


# --------------------------------------------------------------------------- never trust the submission's shape
def test_status_survives_hostile_metadata_and_never_reads_through_special_files(course):
    _graded(course, "odd")
    nb = course.answered()
    nb["cells"][1]["metadata"]["nbgrader"] = "not a mapping"
    nb["cells"][2]["metadata"] = {"nbgrader": {"grade_id": ["x"]}}
    nb["cells"].append({"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "ans_test", "points": "lots"}}, "source": [1, 2],
                        "outputs": [], "execution_count": None})
    course.submit("odd", nb)
    status = course.status("odd")  # no exception
    assert status.status in ("graded", "warning")
    path = course.folder("odd") / f"{ASSIGNMENT}.ipynb"
    path.unlink()
    os.mkfifo(path)  # reading it would block forever
    status = course.status("odd")
    assert (status.status, status.reason) == ("failed", f"{ASSIGNMENT}.ipynb is a named pipe (FIFO), not a notebook file: not graded")
    path.unlink()
    path.symlink_to(course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    status = course.status("odd")
    assert status.status == "failed" and status.reason.startswith(f"{ASSIGNMENT}.ipynb is a symbolic link (to ")


def test_tampering_is_still_reported_for_a_v3_submission(course):
    import nbformat

    nb = course.answered()
    test = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "ans_test")
    test["metadata"]["nbgrader"]["points"] = 100
    test["source"] = "assert True\n"
    v3 = nbformat.writes(nbformat.convert(nbformat.reads(json.dumps(nb), as_version=4), 3), version=3)
    course.submit("oldtamper", v3)
    assert course.autograde("oldtamper")["success"]
    status = course.status("oldtamper")
    assert status.status == "warning"
    assert "points changed (the gradebook's used): ans_test (100 instead of 2)" in status.reasons
    assert "read-only/test cells edited (restored from the gradebook): ans_test" in status.reasons
    assert any("notebook format v3" in r for r in status.reasons)


def test_a_missing_notebook_is_still_missing(course):
    course.submit("gone")
    assert course.autograde("gone")["success"]
    os.unlink(course.folder("gone") / f"{ASSIGNMENT}.ipynb")
    status = course.status("gone")
    assert (status.status, status.reason) == ("missing", f"{ASSIGNMENT}.ipynb was not submitted (scored 0)")
