"""Submission staging and sanitizing: links and special files, bad timestamps, duplicated cells,
foreign nbgrader metadata, old notebook formats.

Fast: one tiny nbgrader course is generated per module (about 4 s: nbgrader creates its gradebook
with alembic), then each test copies it and runs nbgrader's own ``Autograde`` in-process with the
course's sanitize step and no kernel (the autograde step only saves grades: test cells without an
error output score full points). What is checked is what an instructor sees: files moved, the
manifest, the verdict, the gradebook, and that a link's target never reaches ``autograded/`` or
``feedback/``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import stat
import warnings
from pathlib import Path

import nbformat
import pytest

from course_utils.grade import staging, verdict

ASSIGNMENT = "a1"
SECRET = "SHADOW-LIKE-SECRET-4b1d"
TIMESTAMP = "2026-01-15 10:00:00.000000 UTC"
SANITIZE = [
    "course_utils.grade.staging.RefuseUnsafeEntries",
    "nbgrader.preprocessors.ClearOutput",
    "course_utils.grade.sanitize.DeduplicateGradeCells",
    "course_utils.grade.sanitize.RestoreCellMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course_utils.grade.preprocessors.OverwriteCellsScoreMissing",
    "nbgrader.preprocessors.CheckCellMetadata",
]
STOCK_SANITIZE = ["nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
                  "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
                  "nbgrader.preprocessors.CheckCellMetadata"]


# --------------------------------------------------------------------------- a tiny course
def _cell(kind: str, source: str, **meta) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source) if kind == "code" else nbformat.v4.new_markdown_cell(source)
    if meta:
        cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False, "task": False, **meta}
    return cell


def _master() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        _cell("md", "# A1"),
        _cell("code", "import os\n", grade_id="setup", locked=True),
        _cell("code", "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION\n", grade_id="ans", solution=True),
        _cell("code", "assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f() + 1 == 2\n### END HIDDEN TESTS\n",
              grade_id="ans_test", grade=True, locked=True, points=2),
        _cell("code", "def g():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION\n", grade_id="ans2", solution=True),
        _cell("code", "assert g() == 2\n", grade_id="ans2_test", grade=True, locked=True, points=3),
    ]
    return nb


class Course:
    """A copy of the generated course, graded in-process by nbgrader with the course's sanitize step."""

    def __init__(self, root: Path):
        self.root = root
        self.secret = root.parent / "shadow"
        self.secret.write_text(SECRET + "\n")

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.root / 'gradebook.db'}"

    def released(self) -> dict:
        return json.loads((self.root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())

    def answered(self) -> dict:
        """The released notebook with correct answers."""
        nb = self.released()
        for cell in nb["cells"]:
            gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
            if gid == "ans":
                cell["source"] = "def f():\n    return 1\n"
            elif gid == "ans2":
                cell["source"] = "def g():\n    return 2\n"
        return nb

    def folder(self, student: str) -> Path:
        return self.root / "submitted" / student / ASSIGNMENT

    def submit(self, student: str, nb: dict | str | None = None, timestamp: str | None = TIMESTAMP) -> Path:
        folder = self.folder(student)
        folder.mkdir(parents=True, exist_ok=True)
        text = nb if isinstance(nb, str) else json.dumps(nb if nb is not None else self.answered(), indent=1)
        (folder / f"{ASSIGNMENT}.ipynb").write_text(text)
        if timestamp is not None:
            (folder / "timestamp.txt").write_text(timestamp)
        return folder

    def config(self, *, hook: bool = True, sanitize: list[str] | None = None):
        from traitlets.config import Config

        c = Config()
        c.CourseDirectory.root = str(self.root)
        c.CourseDirectory.course_id = "t"
        c.CourseDirectory.db_url = self.db_url
        if hook:
            c.Autograde.pre_convert_hook = "course_utils.grade.staging.quarantine_unsafe_entries"
        c.Autograde.sanitize_preprocessors = SANITIZE if sanitize is None else sanitize
        c.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.CheckCellMetadata"]
        c.OverwriteCells.add_missing_cells = True
        c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                            "course_utils.grade.preprocessors.ClearHiddenTestsAndTracebacks"]
        return c

    def _api(self, **kwargs):
        from nbgrader.apps.api import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        c = self.config(**kwargs)
        return NbGraderAPI(CourseDirectory(config=c), config=c)

    def autograde(self, student: str, **kwargs) -> dict:
        """nbgrader's autograde for one student; the log is kept where the course command keeps it."""
        from course_utils.grade.status import log_path

        cwd = os.getcwd()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = self._api(**kwargs).autograde(ASSIGNMENT, student, force=True, create=True)
        finally:
            os.chdir(cwd)
        log = log_path(self.root, ASSIGNMENT, student)
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text((result.get("log") or "") + ("\n" + result["error"] if result.get("error") else ""))
        return result

    def feedback(self, student: str) -> dict:
        cwd = os.getcwd()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self._api().generate_feedback(ASSIGNMENT, student, force=True)
        finally:
            os.chdir(cwd)

    def score(self, student: str) -> float:
        from nbgrader.api import Gradebook

        with warnings.catch_warnings(), Gradebook(self.db_url) as gb:
            warnings.simplefilter("ignore")
            return float(gb.find_submission(ASSIGNMENT, student).score)

    def status(self, student: str):
        from nbgrader.api import Gradebook

        from course_utils.grade.status import classify

        with warnings.catch_warnings(), Gradebook(self.db_url) as gb:
            warnings.simplefilter("ignore")
            return classify(self.root, ASSIGNMENT, student, gb, cell_timeout="10 s")

    def everything_written(self, student: str) -> str:
        """All text under autograded/ and feedback/ for this student (where a leak would show)."""
        texts = []
        for top in ("autograded", "feedback"):
            for path in (self.root / top / student).rglob("*"):
                if path.is_file():
                    texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """The course generated once: source, release, gradebook."""
    from nbgrader.apps.api import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    root = tmp_path_factory.mktemp("template") / "course"
    (root / "source" / ASSIGNMENT).mkdir(parents=True)
    nbformat.write(_master(), root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = "t"
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    cwd = os.getcwd()
    with pytest.MonkeyPatch.context() as mp:
        import sys

        mp.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")  # nbgrader runs alembic
        try:
            result = NbGraderAPI(CourseDirectory(config=c), config=c).generate_assignment(ASSIGNMENT, force=True)
        finally:
            os.chdir(cwd)
    assert result["success"], result["log"]
    return root


@pytest.fixture
def course(template, tmp_path) -> Course:
    root = tmp_path / "course"
    shutil.copytree(template, root, symlinks=True)
    return Course(root)


def _manifest(course: Course, student: str) -> list[dict]:
    return json.loads(staging.manifest_path(course.root, ASSIGNMENT, student).read_text())["entries"]


def _only_regular(folder: Path) -> bool:
    return all(stat.S_ISREG(os.lstat(p).st_mode) or stat.S_ISDIR(os.lstat(p).st_mode) for p in folder.rglob("*"))


# --------------------------------------------------------------------------- control: what stock nbgrader does
def test_control_stock_nbgrader_copies_a_links_target_into_autograded_and_feedback(course):
    folder = course.submit("leaky")
    (folder / "data.txt").symlink_to(course.secret)
    result = course.autograde("leaky", hook=False, sanitize=STOCK_SANITIZE)
    assert result["success"]
    course.feedback("leaky")
    assert SECRET in (course.root / "autograded" / "leaky" / ASSIGNMENT / "data.txt").read_text()
    assert SECRET in (course.root / "feedback" / "leaky" / ASSIGNMENT / "data.txt").read_text()


# --------------------------------------------------------------------------- links and special files
def test_links_and_special_files_are_moved_to_quarantine_never_followed(course, monkeypatch):
    folder = course.submit("ana")
    other = course.root / "elsewhere"
    other.mkdir()
    (other / "kept.txt").write_text("other student's work")
    (folder / "data.txt").symlink_to(course.secret)
    (folder / "cfg.py").symlink_to(course.root / "gradebook.db")
    (folder / "dangling").symlink_to(course.root / "nothing-here")
    (folder / "dir_link").symlink_to(other)
    (folder / "sub").mkdir()
    (folder / "sub" / "real.csv").write_text("1,2\n")
    (folder / "sub" / "deep").symlink_to(course.secret)
    os.mkfifo(folder / "pipe")
    monkeypatch.chdir(folder)  # AF_UNIX paths are short: bind relative to the folder
    sock = socket.socket(socket.AF_UNIX)
    sock.bind("sock")
    sock.close()

    result = course.autograde("ana")
    assert result["success"], result["log"]
    course.feedback("ana")

    quarantine = staging.quarantine_dir(course.root, ASSIGNMENT, "ana")
    for rel, target in [("data.txt", course.secret), ("cfg.py", course.root / "gradebook.db"),
                        ("dangling", course.root / "nothing-here"), ("dir_link", other), ("sub/deep", course.secret)]:
        moved = quarantine / rel
        assert moved.is_symlink() and os.readlink(moved) == str(target), rel  # the link itself moved
        assert not os.path.lexists(folder / rel)
    assert stat.S_ISFIFO(os.lstat(quarantine / "pipe").st_mode)
    assert stat.S_ISSOCK(os.lstat(quarantine / "sock").st_mode)
    assert (other / "kept.txt").read_text() == "other student's work" and course.secret.read_text() == SECRET + "\n"
    assert (folder / "sub" / "real.csv").read_text() == "1,2\n", "ordinary files stay"
    assert _only_regular(folder)

    entries = {e["path"]: e for e in _manifest(course, "ana")}
    assert set(entries) == {"cfg.py", "dangling", "data.txt", "dir_link", "pipe", "sock", "sub/deep"}
    assert entries["data.txt"]["kind"] == "symlink" and entries["data.txt"]["target"] == str(course.secret)
    assert entries["pipe"]["kind"] == "fifo" and "target" not in entries["pipe"]
    assert entries["sock"]["kind"] == "socket"
    assert all(e["action"] == "moved" and e["quarantined_as"] == e["path"] for e in entries.values())

    written = course.everything_written("ana")
    assert SECRET not in written and "other student's work" not in written
    assert not (course.root / "autograded" / "ana" / ASSIGNMENT / "data.txt").exists()
    assert course.score("ana") == 5

    status = course.status("ana")
    assert status.status == "warning", status.reasons
    assert f"data.txt was a symbolic link (to {str(course.secret)!r}): moved to quarantine/ana/{ASSIGNMENT}/, never read or copied" \
        in status.reasons
    assert any(r.startswith("pipe was a named pipe (FIFO)") for r in status.reasons)
    kinds = [e.kind for e in verdict.read(course.root, ASSIGNMENT, "ana")]
    assert kinds.count("quarantined") == 7


def test_a_notebook_linked_to_the_master_counts_as_not_submitted(course):
    folder = course.folder("cheat")
    folder.mkdir(parents=True)
    master = course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    (folder / f"{ASSIGNMENT}.ipynb").symlink_to(master)
    (folder / "timestamp.txt").write_text(TIMESTAMP)
    course.autograde("cheat")
    assert (staging.quarantine_dir(course.root, ASSIGNMENT, "cheat") / f"{ASSIGNMENT}.ipynb").is_symlink()
    assert not (course.root / "autograded" / "cheat" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()
    assert course.score("cheat") == 0
    status = course.status("cheat")
    assert status.status == "failed" and status.needs_manual_grading
    assert status.reason == (f"{ASSIGNMENT}.ipynb was a symbolic link (to {str(master)!r}): it counts as not submitted (scored 0); "
                             f"the link itself is in quarantine/cheat/{ASSIGNMENT}/")
    assert [e.kind for e in verdict.read(course.root, ASSIGNMENT, "cheat")] == ["notebook_was_link"]


def test_a_linked_notebook_scores_0_even_after_an_earlier_real_grade(course):
    course.submit("later")
    course.autograde("later")
    assert course.score("later") == 5
    nb = course.folder("later") / f"{ASSIGNMENT}.ipynb"
    nb.unlink()
    nb.symlink_to(course.root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    course.autograde("later")
    assert course.score("later") == 0
    assert course.status("later").status == "failed"


def test_hook_removes_a_quarantined_notebook_from_nbgraders_list(course):
    folder = course.submit("lst")
    nb_path = folder / f"{ASSIGNMENT}.ipynb"
    nb_path.unlink()
    nb_path.symlink_to(course.secret)
    notebooks = [str(nb_path)]
    new = staging.quarantine_unsafe_entries(assignment=ASSIGNMENT, student="*", notebooks=notebooks)
    assert notebooks == [] and [e["path"] for e in new] == [f"{ASSIGNMENT}.ipynb"] and new[0]["notebook"] is True


@pytest.mark.parametrize("which", ["submission", "student"])
def test_a_linked_submission_folder_is_refused_and_nothing_is_moved(course, which):
    course.submit("victim")
    (course.folder("victim") / "victim-data.txt").symlink_to(course.secret)  # must stay where it is
    if which == "submission":
        (course.root / "submitted" / "thief").mkdir(parents=True)
        (course.folder("thief")).symlink_to(course.folder("victim"))
        shown = f"submitted/thief/{ASSIGNMENT}"
    else:
        (course.root / "submitted" / "thief").symlink_to(course.root / "submitted" / "victim")
        shown = "submitted/thief"
    result = course.autograde("thief")
    assert not result["success"]
    assert (course.folder("victim") / "victim-data.txt").is_symlink(), "nothing moved out of the link's target"
    assert not (course.root / "autograded" / "thief").exists() or not any((course.root / "autograded" / "thief").rglob("*.ipynb"))
    [entry] = _manifest(course, "thief")
    assert entry["action"] == "refused" and entry["path"] == (".." if which == "student" else ".")
    status = course.status("thief")
    assert status.status == "failed"
    assert f"the {'student' if which == 'student' else 'submission'} folder {shown} is a symbolic link" in status.reason
    assert "refused, nothing in it was graded" in status.reason


def test_refuse_unsafe_entries_without_the_hook_fails_the_student_and_leaks_nothing(course):
    folder = course.submit("nohook")
    (folder / "data.txt").symlink_to(course.secret)
    result = course.autograde("nohook", hook=False)
    assert not result["success"]
    assert "UnsafeSubmissionError: refusing to grade submitted/nohook/a1: it still holds 1 symbolic link(s)" in result["log"]
    assert SECRET not in course.everything_written("nohook")
    assert (folder / "data.txt").is_symlink(), "without the hook nothing is moved"
    status = course.status("nohook")
    assert status.status == "failed" and status.needs_manual_grading
    assert "not graded: refusing to grade submitted/nohook/a1: it still holds 1 symbolic link(s) or special file(s): " \
           "data.txt (a symbolic link)" in status.reason


def test_refuse_unsafe_entries_deletes_what_nbgrader_copied_through_a_link(course):
    from traitlets.config import Config

    course.submit("copied")
    (course.folder("copied") / "data.txt").symlink_to(course.secret)
    autograded = course.root / "autograded" / "copied" / ASSIGNMENT
    autograded.mkdir(parents=True)
    (autograded / "data.txt").write_text(SECRET)  # what nbgrader's init_assignment leaves
    (autograded / "ok.csv").write_text("1")
    c = Config()
    c.CourseDirectory.root = str(course.root)
    pre = staging.RefuseUnsafeEntries(config=c)
    resources = {"nbgrader": {"student": "copied", "assignment": ASSIGNMENT, "notebook": ASSIGNMENT, "db_url": course.db_url}}
    with pytest.raises(staging.UnsafeSubmissionError, match="data.txt"):
        pre.preprocess(nbformat.v4.new_notebook(), resources)
    assert not (autograded / "data.txt").exists() and (autograded / "ok.csv").exists()
    os.unlink(course.folder("copied") / "data.txt")
    nb = nbformat.v4.new_notebook()
    assert pre.preprocess(nb, resources)[0] is nb, "a clean submission passes"


def test_names_already_in_quarantine_are_kept_not_overwritten(course):
    folder = course.submit("twice")
    (folder / "data.txt").symlink_to(course.secret)
    (folder / "sub").symlink_to(course.root / "elsewhere")
    (folder / "manifest.json").symlink_to(course.secret)
    staging.stage_submission(course.root, ASSIGNMENT, "twice", [ASSIGNMENT])
    # a new collect: the same names again, and a real folder where a link to a folder was
    (folder / "data.txt").symlink_to("/etc/hostname")
    (folder / "sub").mkdir()
    (folder / "sub" / "x").symlink_to(course.secret)
    (course.root / "elsewhere").mkdir()
    staging.stage_submission(course.root, ASSIGNMENT, "twice", [ASSIGNMENT])
    quarantine = staging.quarantine_dir(course.root, ASSIGNMENT, "twice")
    assert os.readlink(quarantine / "data.txt") == str(course.secret)
    assert os.readlink(quarantine / "data.txt.1") == "/etc/hostname"
    assert os.readlink(quarantine / "sub") == str(course.root / "elsewhere")
    assert os.readlink(quarantine / "sub.1" / "x") == str(course.secret), "never moved through the quarantined link"
    assert list((course.root / "elsewhere").iterdir()) == []
    assert os.readlink(quarantine / "manifest.json.1") == str(course.secret), "the manifest's name is reserved"
    entries = _manifest(course, "twice")
    assert [(e["path"], e["quarantined_as"]) for e in entries] == [
        ("data.txt", "data.txt"), ("manifest.json", "manifest.json.1"), ("sub", "sub"), ("data.txt", "data.txt.1"), ("sub/x", "sub.1/x")]


# --------------------------------------------------------------------------- timestamp.txt
@pytest.mark.parametrize("text", ["yesterday", "2026-13-45 99:99:99", "\udcff"])
def test_an_unreadable_timestamp_is_quarantined_and_the_notebook_graded(course, text):
    folder = course.submit("late", timestamp=None)
    if text == "\udcff":
        (folder / "timestamp.txt").write_bytes(b"\xff\xfe 2026")
    else:
        (folder / "timestamp.txt").write_text(text)
    result = course.autograde("late")
    assert result["success"], result["log"]
    assert course.score("late") == 5
    moved = staging.quarantine_dir(course.root, ASSIGNMENT, "late") / "timestamp.txt"
    assert moved.is_file() and not (folder / "timestamp.txt").exists()
    [entry] = _manifest(course, "late")
    assert entry["kind"] == "bad_timestamp"
    status = course.status("late")
    assert status.status == "warning"
    if text == "yesterday":
        assert entry["text"] == "yesterday"
        assert status.reason == ("timestamp.txt could not be read as a time ('yesterday'): graded without a submission time, "
                                 "no late penalty applied")


def test_control_stock_nbgrader_fails_the_student_on_an_unreadable_timestamp(course):
    course.submit("late", timestamp="yesterday")
    result = course.autograde("late", hook=False)
    assert not result["success"]
    assert "Please see the the above traceback" in result["log"]
    status = course.status("late")
    assert status.status == "failed"
    assert "AttributeError: 'CourseDirectory' object has no attribute 'fail'" in status.reason, "the real cause is named"
    assert "ParserError: Unknown string format: yesterday" in status.reason


def test_good_and_empty_timestamps_stay(course, tmp_path):
    for text in (TIMESTAMP, "2026-01-15T10:00:00+01:00", "", "   \n"):
        path = tmp_path / "timestamp.txt"
        path.write_text(text)
        assert staging.check_timestamp(path)[0], text
    path.write_text("x" * 70_000)
    assert staging.check_timestamp(path)[0] is False


# --------------------------------------------------------------------------- duplicated cells, foreign metadata
def _index(nb: dict, grade_id: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if c["metadata"].get("nbgrader", {}).get("grade_id") == grade_id)


def _duplicate(nb: dict, grade_id: str, *, edit_first: str | None = None) -> dict:
    nb = copy.deepcopy(nb)
    i = _index(nb, grade_id)
    twin = copy.deepcopy(nb["cells"][i])
    twin["id"] = "pasted-copy"
    nb["cells"].insert(i + 1, twin)
    if edit_first is not None:
        nb["cells"][i]["source"] = edit_first
    return nb


def test_control_stock_nbgrader_fails_on_a_duplicated_cell(course):
    course.submit("dup", _duplicate(course.answered(), "ans"))
    result = course.autograde("dup", sanitize=STOCK_SANITIZE)
    assert not result["success"] and "KeyError: 'grade_id'" in result["log"]
    reason = course.status("dup").reason
    assert "autograde failed: KeyError: 'grade_id' (raised in nbgrader/preprocessors/overwritecells.py" in reason
    assert "Please see" not in reason


def test_a_duplicated_answer_cell_is_graded_and_the_last_copy_is_the_answer(course):
    # the student pasted the answer cell, fixed the copy, left the original wrong: both run, the last wins
    nb = _duplicate(course.answered(), "ans", edit_first="def f():\n    return None\n")
    course.submit("dup", nb)
    result = course.autograde("dup")
    assert result["success"], result["log"]
    graded = json.loads((course.root / "autograded" / "dup" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    first, second = graded["cells"][_index(nb, "ans")], graded["cells"][_index(nb, "ans") + 1]
    assert "nbgrader" not in first["metadata"] and second["metadata"]["nbgrader"]["grade_id"] == "ans"
    assert "return 1" in "".join(second["source"]) and first["cell_type"] == "code"
    assert course.score("dup") == 5
    status = course.status("dup")
    assert status.status == "warning"
    assert status.reason == "cell ans appeared twice: the last copy was graded as the answer, the other copy ran as an ordinary cell"


def test_a_duplicated_test_cell_keeps_the_first_copy_as_the_test(course):
    nb = _duplicate(course.answered(), "ans_test")
    nb["cells"][_index(nb, "ans_test") + 1]["metadata"]["nbgrader"]["points"] = 100  # the copy claims more points
    course.submit("duptest", nb)
    assert course.autograde("duptest")["success"]
    graded = json.loads((course.root / "autograded" / "duptest" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    i = _index(nb, "ans_test")
    assert graded["cells"][i]["metadata"]["nbgrader"]["grade_id"] == "ans_test"
    assert "BEGIN HIDDEN TESTS" in "".join(graded["cells"][i]["source"]), "the kept test comes back from the gradebook"
    assert "nbgrader" not in graded["cells"][i + 1]["metadata"]
    assert course.score("duptest") == 5
    status = course.status("duptest")
    assert status.status == "warning"
    assert "cell ans_test appeared twice: the first copy was graded as the test, the other copy ran as an ordinary cell" in status.reasons


def test_a_student_cell_claiming_grade_metadata_is_stripped(course):
    nb = course.answered()
    fake = _cell("code", "assert True\n", grade_id="bonus", grade=True, locked=True, points=100)
    nb["cells"].append(json.loads(json.dumps(fake)))
    nb["cells"].append(json.loads(json.dumps(_cell("code", "x = 1\n", grade_id="harmless"))))  # claims no role
    course.submit("fake", nb)
    result = course.autograde("fake")
    assert result["success"], result["log"]
    graded = json.loads((course.root / "autograded" / "fake" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    assert all("nbgrader" not in c["metadata"] for c in graded["cells"][-2:])
    assert course.score("fake") == 5
    events = verdict.read(course.root, ASSIGNMENT, "fake")
    assert [(e.kind, e.cell) for e in events] == [("metadata_stripped", "bonus")]
    assert course.status("fake").reason == ("cell bonus claimed nbgrader metadata (grade, locked) with grade_id 'bonus', which "
                                            "the gradebook does not have: its metadata was removed and it ran as an ordinary cell")


def test_known_cells_get_their_metadata_from_the_gradebook(course):
    nb = course.answered()
    test = nb["cells"][_index(nb, "ans_test")]["metadata"]["nbgrader"]
    test["grade"] = False  # would make nbgrader skip the test
    test["schema_version"] = 1  # would raise SchemaTooOldError: stock nbgrader stops grading everyone
    course.submit("flags", nb)
    result = course.autograde("flags")
    assert result["success"], result["log"]
    assert course.score("flags") == 5
    graded = json.loads((course.root / "autograded" / "flags" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text())
    meta = graded["cells"][_index(nb, "ans_test")]["metadata"]["nbgrader"]
    assert meta["grade"] is True and meta["points"] == 2 and meta["schema_version"] == 3
    assert course.status("flags").reason == "cell ans_test's nbgrader metadata was edited (grade: False): the gradebook's was used"


def _grade_everyone(course: Course, **kwargs) -> str | None:
    """``nbgrader autograde a1`` for every student in one run; the error that stopped it, if any."""
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory

    c = course.config(**kwargs)
    coursedir = CourseDirectory(config=c)
    coursedir.assignment_id = ASSIGNMENT
    cwd = os.getcwd()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Autograde(coursedir=coursedir, config=c, force=True).start()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        os.chdir(cwd)
    return None


@pytest.mark.parametrize("sanitize", ["stock", "course"])
def test_one_students_old_metadata_schema_no_longer_stops_everyone_elses_grading(course, sanitize):
    nb = course.answered()
    nb["cells"][_index(nb, "ans_test")]["metadata"]["nbgrader"]["schema_version"] = 1
    course.submit("a_first", nb)
    course.submit("b_after")
    error = _grade_everyone(course, hook=sanitize == "course", sanitize=STOCK_SANITIZE if sanitize == "stock" else None)
    graded = sorted(p.parent.name for p in (course.root / "autograded").glob(f"*/{ASSIGNMENT}"))
    if sanitize == "stock":  # the control: SchemaTooOldError ends the whole run
        assert error and "old version" in error and graded == []
    else:
        assert error is None and graded == ["a_first", "b_after"]
        assert course.score("a_first") == course.score("b_after") == 5


# --------------------------------------------------------------------------- old notebook formats
def test_a_v3_notebook_is_converted_and_graded(course):
    v4 = nbformat.reads(json.dumps(course.answered()), as_version=4)
    course.submit("old", nbformat.writes(nbformat.convert(v4, 3), version=3))
    assert json.loads((course.folder("old") / f"{ASSIGNMENT}.ipynb").read_text())["nbformat"] == 3
    result = course.autograde("old")
    assert result["success"], result["log"]
    assert course.score("old") == 5
    status = course.status("old")
    assert (status.status, status.reason) == ("warning", f"{ASSIGNMENT}.ipynb was saved in notebook format v3 (an older Jupyter): "
                                                         "converted to v4 for grading")


def test_a_notebook_in_an_unknown_format_fails_with_the_cause(course):
    nb = course.answered()
    nb["nbformat"] = 5
    course.submit("future", nb)
    course.autograde("future")
    status = course.status("future")
    assert status.status == "failed"
    assert status.reason == f"not graded: {ASSIGNMENT}.ipynb is saved in notebook format v5, which this grader cannot read (v4 is current)"


# --------------------------------------------------------------------------- re-runs
def test_a_rerun_starts_a_fresh_verdict_but_keeps_the_quarantine_record(course):
    folder = course.submit("again", _duplicate(course.answered(), "ans"))
    (folder / "data.txt").symlink_to(course.secret)
    course.autograde("again")
    verdict.record(course.root, ASSIGNMENT, "again", ASSIGNMENT, "timeout", cell="ans", detail="old run")
    course.submit("again")  # a clean resubmission
    course.autograde("again")
    assert verdict.read(course.root, ASSIGNMENT, "again") == []
    assert [e["path"] for e in _manifest(course, "again")] == ["data.txt"], "the manifest keeps every move"
    status = course.status("again")
    assert status.status == "warning" and status.reasons == [
        f"data.txt was a symbolic link (to {str(course.secret)!r}): moved to quarantine/again/{ASSIGNMENT}/, never read or copied"]
    (folder / "data.txt").write_text("a real file now")
    assert course.status("again").status == "graded", "a clean file back at the path ends the warning"


def test_the_hook_can_be_named_in_nbgrader_config():
    from nbgrader.converters import Autograde
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    c = Config()
    c.Autograde.pre_convert_hook = "course_utils.grade.staging.quarantine_unsafe_entries"
    assert Autograde(coursedir=CourseDirectory(config=c), config=c).pre_convert_hook is staging.quarantine_unsafe_entries


def test_unsupported_layout_is_an_error_not_a_silent_pass(tmp_path):
    with pytest.raises(ValueError, match="unsupported course layout"):
        staging.quarantine_unsafe_entries(assignment="a", student="s", notebooks=[str(tmp_path / "x" / "a" / "a.ipynb")])
