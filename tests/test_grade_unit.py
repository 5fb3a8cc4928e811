"""Fast tests of the grading package: sandbox command line, refusal without bwrap, preprocessors,
synthetic submissions, status rules, export, CLI arguments. The end-to-end runs are in
tests/test_grade_e2e.py (slow)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from course_utils.cli import main
from course_utils.grade import export, launcher, synthetic
from course_utils.grade.kernelspec import KERNEL_NAME, kernel_json
from course_utils.grade.status import _norm, _strip_hidden

GRADING = ROOT / "grading"
MASTERS = sorted((GRADING / "source").glob("d*/d*.ipynb"))


# --------------------------------------------------------------------------- masters
def test_masters_each_with_at_least_four_graded_tasks():
    assert [p.parent.name[:3] for p in MASTERS] == ["d1_", "d2_", "d3_", "d4_", "d5_"]
    for path in MASTERS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        plan = synthetic.tasks(nb)
        assert len(plan) >= 4, path.name
        assert sum(t.points for t in plan) == 10
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert all("### BEGIN HIDDEN TESTS" in c.source and "### END HIDDEN TESTS" in c.source for c in tests), path.name
        answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        assert all("### BEGIN SOLUTION" in c.source for c in answers)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        setup = nb.cells[1]
        assert setup.source.startswith("# Setup") and "sandbox.start(" in setup.source


def test_config_makes_plain_nbgrader_safe():
    import importlib

    from traitlets.config import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(GRADING)).load_config()
    assert cfg.Execute.kernel_name == KERNEL_NAME and cfg.CourseDirectory.course_id == "dva-course"
    assert "?timeout=" in cfg.CourseDirectory.db_url and cfg.OverwriteCells.add_missing_cells is True
    # tests are judged in their own kernel: nbgrader's Execute (one kernel for everything) is not used
    execute = cfg.Autograde.autograde_preprocessors
    assert execute[0] == "course_utils.grade.execute.JudgedExecute" and "nbgrader.preprocessors.Execute" not in execute
    assert cfg.JudgedExecute.timeout == cfg.Execute.timeout
    # links and special files are moved out before nbgrader copies anything; checked again first thing
    assert cfg.Autograde.pre_convert_hook == "course_utils.grade.staging.quarantine_unsafe_entries"
    assert cfg.Autograde.sanitize_preprocessors[0] == "course_utils.grade.staging.RefuseUnsafeEntries"
    assert "nbgrader.preprocessors.DeduplicateIds" not in cfg.Autograde.sanitize_preprocessors
    assert "course_utils.grade.preprocessors.ClearHiddenTestsAndTracebacks" in cfg.GenerateFeedback.preprocessors
    for dotted in [*execute, *cfg.Autograde.sanitize_preprocessors, *cfg.GenerateFeedback.preprocessors,
                   cfg.Autograde.pre_convert_hook]:
        module, _, name = dotted.rpartition(".")
        assert getattr(importlib.import_module(module), name), dotted
    ignored = (GRADING / ".gitignore").read_text()
    for folder in ("release/", "submitted/", "autograded/", "feedback/", "gradebook.db", "exchange/", "quarantine/", "logs/"):
        assert folder in ignored


# --------------------------------------------------------------------------- sandbox command line
def test_bwrap_argv_shows_only_system_python_and_course_utils(tmp_path):
    env = launcher.sandbox_env()
    argv = launcher.bwrap_argv("/usr/bin/bwrap", str(tmp_path), ["python", "-m", "ipykernel_launcher"], env)
    for flag in ("--unshare-all", "--unshare-user", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in argv
    binds = [argv[i + 2] for i, a in enumerate(argv) if a in ("--ro-bind", "--bind", "--ro-bind-try")]
    assert str(ROOT) not in binds, "the repository root is never bound"
    for hidden in ("grading", "notebooks", ".git", "tests"):
        assert not any(b == str(ROOT / hidden) or b.startswith(str(ROOT / hidden) + "/") for b in binds)
    assert str(ROOT / "course_utils") in binds
    assert argv[argv.index("--chdir") + 1] == launcher.WORK
    assert "/etc" not in binds and "/" not in binds and "/home" not in binds and "/root" not in binds


def test_sandbox_env_has_fake_credentials_and_nothing_inherited(monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_x")
    env = launcher.sandbox_env()
    assert env["AWS_ACCESS_KEY_ID"] == "testing" and env["AWS_SECRET_ACCESS_KEY"] == "testing"
    assert "GITHUB_TOKEN" not in env and "real-secret" not in env.values()


def test_stage_workdir_drops_notebooks_and_keeps_symlinks_as_links(tmp_path):
    src, dest = tmp_path / "src", tmp_path / "dest"
    (src / "sub").mkdir(parents=True)
    (src / "a.ipynb").write_text("{}")
    (src / "data.csv").write_text("x")
    (src / "sub" / "b.ipynb").write_text("{}")
    secret = tmp_path / "secret.txt"
    secret.write_text("answers")
    (src / "link").symlink_to(secret)
    launcher.stage_workdir(str(src), str(dest))
    assert sorted(p.name for p in dest.rglob("*")) == ["data.csv", "link", "sub"]
    assert (dest / "link").is_symlink() and os.readlink(dest / "link") == str(secret)


def test_check_not_exposed_refuses_a_course_inside_the_venv():
    with pytest.raises(launcher.SandboxUnavailable, match="move the course folder"):
        launcher.check_not_exposed(sys.prefix)


def _connection_file(tmp_path: Path) -> Path:
    path = tmp_path / "kernel.json"
    path.write_text(json.dumps({"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
                                "ip": "127.0.0.1", "key": "k", "transport": "tcp", "signature_scheme": "hmac-sha256"}))
    return path


def test_launcher_refuses_to_run_without_bwrap(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "course_utils.grade.launcher", "-f", str(_connection_file(tmp_path))],
                          env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == launcher.EXIT_SANDBOX_UNAVAILABLE
    assert "refusing to run student code without the sandbox" in proc.stderr
    assert "DVA_GRADE_ALLOW_UNSANDBOXED=1" in proc.stderr


def test_launcher_opt_out_warns_loudly(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {"PATH": str(empty), "HOME": str(tmp_path), "DVA_GRADE_ALLOW_UNSANDBOXED": "1", "DVA_GRADE_NOTEBOOK_TIMEOUT": "2"}
    proc = subprocess.run([sys.executable, "-m", "course_utils.grade.launcher", "-f", str(_connection_file(tmp_path))],
                          env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert "UNSANDBOXED" in proc.stderr and "WARNING" in proc.stderr
    assert proc.returncode == launcher.EXIT_TIME_LIMIT  # the bound still applies


def test_kernel_json_runs_the_launcher_with_message_interrupts():
    spec = kernel_json(120)
    # -I: the launcher starts in the student's folder, where a course_utils/ folder must not replace it
    assert spec["argv"][1:5] == ["-I", "-m", "course_utils.grade.launcher", "--max-seconds"]
    assert spec["argv"][-2:] == ["-f", "{connection_file}"] and spec["interrupt_mode"] == "message"
    # version-neutral names: they outlive an exam revision (DVA-C02 -> DVA-C03)
    assert KERNEL_NAME == "dva-course-sandbox" and spec["display_name"] == "Python 3 (DVA course grading sandbox)"
    with pytest.raises(ValueError, match="max_seconds must be positive"):
        kernel_json(0)


# --------------------------------------------------------------------------- preprocessors
def _restored_cell():
    from course_utils.grade.preprocessors import RESTORED_MARK, OverwriteCellsScoreMissing

    class Source:
        name, cell_type, locked, checksum = "t1", "code", True, "abc"
        source = "assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f(2) == 2\n### END HIDDEN TESTS"

    return OverwriteCellsScoreMissing().missing_cell_transform(Source(), 2.0), RESTORED_MARK


def test_restored_grade_cell_fails_and_never_runs_the_test():
    cell, mark = _restored_cell()
    assert mark in cell.source and "raise AssertionError" in cell.source
    assert "assert f()" not in cell.source and "HIDDEN" not in cell.source
    assert cell["metadata"]["nbgrader"]["points"] == 2.0 and cell["metadata"]["nbgrader"]["grade"] is True
    with pytest.raises(AssertionError, match="restored by the grader and scored 0"):
        exec(cell.source, {})


def test_feedback_preprocessor_removes_hidden_tests_and_their_traceback():
    from course_utils.grade.preprocessors import HIDDEN_TRACEBACK_NOTE, ClearHiddenTestsAndTracebacks

    cell = nbformat.v4.new_code_cell("assert 1\n### BEGIN HIDDEN TESTS\nassert secret_check(42) == 7\n### END HIDDEN TESTS\n")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": "t", "points": 1, "solution": False, "locked": True, "schema_version": 3}
    cell.outputs = [nbformat.v4.new_output("error", ename="AssertionError", evalue="",
                                           traceback=["----> 3 assert secret_check(42) == 7", "AssertionError"])]
    out, _ = ClearHiddenTestsAndTracebacks().preprocess_cell(cell, {}, 0)
    text = json.dumps(out)
    assert "secret_check" not in text and "HIDDEN" not in text
    assert out.outputs[0].traceback == ["AssertionError", HIDDEN_TRACEBACK_NOTE]


# --------------------------------------------------------------------------- synthetic submissions
def test_solution_and_stub_code_keep_the_names():
    src = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\nA = 1\n"
    assert "BEGIN" not in synthetic.solution_code(src)
    ns: dict = {}
    exec(synthetic.stub_code(src), ns)
    assert ns["f"](3) is None and ns["A"] is None


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown submission kind 'nice'"):
        synthetic.make_submission("nice", MASTERS[0], MASTERS[0], tmp_path, "x")


def test_hidden_region_is_stripped_like_nbgrader():
    src = "a = 1\n### BEGIN HIDDEN TESTS\nb = 2\n### END HIDDEN TESTS\nc = 3"
    assert _norm(_strip_hidden(src)) == "a = 1\nc = 3"


# --------------------------------------------------------------------------- export
def _rows():
    return [export.GradeRow("d1", "ana", 10, 10, "graded", False, "", ""),
            export.GradeRow("d1", "bob", 0, 10, "failed", True, "not graded: a.ipynb is not valid JSON", ""),
            export.GradeRow("d1", "cy", 8, 10, "warning", False, "grade cells deleted (restored, scored 0): t5", "")]


def test_csv_has_status_and_reason_for_everyone(tmp_path):
    path = export.write_csv(_rows(), tmp_path / "out" / "grades.csv")
    rows = list(csv.DictReader(path.open()))
    assert [r["status"] for r in rows] == ["graded", "failed", "warning"]
    assert rows[1]["needs_manual_grading"] == "yes" and "not valid JSON" in rows[1]["reason"]
    assert [p.name for p in path.parent.iterdir()] == ["grades.csv"], "no temporary file left"


def test_summary_names_manual_cases_and_warnings():
    text = export.summary(_rows())
    assert "Needs manual grading: 1:" in text and "- bob (d1, failed, scored 0)" in text
    assert "Scored, but check: 1:" in text and "- cy (d1, warning" in text
    assert export.summary([]) == "No submissions found."


def test_grade_distribution_png(tmp_path):
    path = export.grade_distribution(_rows(), tmp_path / "g.png")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="no grades to draw"):
        export.grade_distribution([], tmp_path / "none.png")


# --------------------------------------------------------------------------- CLI
def test_grade_cli_rejects_bad_jobs(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "autograde", "d1", "--jobs", "0"])
    assert "must be at least 1, got 0" in capsys.readouterr().err


def test_grade_cli_names_a_missing_course(tmp_path, capsys):
    with pytest.raises(SystemExit, match="no nbgrader_config.py"):
        main(["grade", "export", "--course", str(tmp_path)])


def test_grade_cli_unknown_assignment(capsys):
    assert main(["grade", "autograde", "d9_nothing", "--course", str(GRADING)]) == 2
    err = capsys.readouterr().err
    assert "unknown assignment 'd9_nothing'" in err and "d1_" in err


def test_failure_reasons_from_a_log():
    from course_utils.grade.status import _failure_from_log

    assert _failure_from_log(f"[dva-course-sandbox] the notebook ran longer than 5 s {launcher.TIME_LIMIT_MESSAGE}", "10 s") == (
        "timeout", "the notebook exceeded its total time bound and was killed")
    assert _failure_from_log("[ERROR] Kernel died while waiting for execute reply.", "10 s")[0] == "failed"
    status, reason = _failure_from_log("[ERROR] Timeout waiting for IOPub output", "10 s")
    assert status == "timeout" and "10 s per-cell timeout" in reason
    assert "sandbox was unavailable" in _failure_from_log(f"x {launcher.REFUSAL_MESSAGE}: y", "10 s")[1]


def test_tmp_is_mounted_before_read_only_binds_that_live_under_it(monkeypatch):
    """A clone or venv under /tmp (CI clones into /tmp) must stay visible inside the sandbox."""
    from course_utils.grade import launcher

    monkeypatch.setattr(launcher, "readonly_paths", lambda: ["/tmp/clone/.venv", "/tmp/clone/course_utils"])
    argv = launcher.bwrap_argv("bwrap", "/tmp/private", ["python"], {})
    tmpfs = argv.index("/tmp", argv.index("--tmpfs"))
    binds = [i for i, a in enumerate(argv) if a == "--ro-bind" and argv[i + 1].startswith("/tmp/")]
    assert binds and all(i > tmpfs for i in binds)
