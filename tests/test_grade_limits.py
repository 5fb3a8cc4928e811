"""Total bounds per submission (course_utils.grade.limits): the settings, the bwrap arguments, and
real sandboxes that fork 300 processes, allocate past the memory bound, and fill every writable folder.

The sandbox tests run bwrap with the launcher's own command line (``launcher.bwrap_argv``) plus the
arguments of :mod:`~course_utils.grade.limits`; without bubblewrap (or user namespaces) they skip,
and fail under ``CI=true``. Tests that need a cgroup skip when none can be made (non-root without
delegation), with the reason :meth:`CgroupBox.available` gives.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils.grade import limits as L
from course_utils.grade.limits import CgroupBox, Limits, LimitsError

MB = 1024 * 1024


# ----------------------------------------------------------------------------- settings
def test_defaults_and_environment():
    assert Limits.from_env({}) == Limits(4096, 64, 256)
    assert Limits.from_env({L.MEMORY_VAR: "2048", L.PROCESSES_VAR: " 100 ", L.TMP_VAR: ""}) == Limits(2048, 100, 256)
    assert Limits.from_env({L.MEMORY_VAR: "0", L.PROCESSES_VAR: "0", L.TMP_VAR: "0"}) == Limits(0, 0, 0)
    lim = Limits(1024, 64, 32)
    assert (lim.memory_bytes, lim.tmp_bytes) == (1024 * MB, 32 * MB)
    assert Limits(0, 0, 0).memory_bytes is None and "unbounded" in Limits(0, 0, 0).describe()
    assert lim.describe() == "memory 1024 MB, 64 processes and threads, /tmp and home 32 MB each"


@pytest.mark.parametrize("var,value,words", [
    (L.MEMORY_VAR, "4G", ["DVA_GRADE_MEMORY_MB='4G'", "whole number of MB", "4096"]),
    (L.PROCESSES_VAR, "-5", ["DVA_GRADE_MAX_PROCESSES='-5'", "whole number"]),
    (L.TMP_VAR, "1.5", ["DVA_GRADE_TMP_MB='1.5'", "whole number of MB"]),
    (L.MEMORY_VAR, "512", ["DVA_GRADE_MEMORY_MB=512 is too small", "at least 1024", "maps about 1 GB"]),
    (L.PROCESSES_VAR, "8", ["DVA_GRADE_MAX_PROCESSES=8 is too small", "at least 32", "threads count too"]),
])
def test_bad_values_say_which_variable_and_what_is_expected(var, value, words):
    with pytest.raises(LimitsError) as err:
        Limits.from_env({var: value})
    for word in words:
        assert word in str(err.value)


# ----------------------------------------------------------------------------- bwrap arguments
def test_bwrap_arguments_by_version():
    lim = Limits(1024, 64, 32)
    assert L.bwrap_args(lim, (0, 8, 0)) == ["--perms", "1777", "--size", str(32 * MB), "--tmpfs", "/tmp",
                                            "--perms", "1777", "--size", str(32 * MB), "--tmpfs", "/dev/shm"]
    assert L.bwrap_args(Limits(1024, 64, 512), (0, 9, 0))[-4:] == ["--size", str(64 * MB), "--tmpfs", "/dev/shm"]
    # --size came with bubblewrap 0.7.0, --perms with 0.5.0
    assert L.bwrap_args(lim, (0, 6, 1)) == ["--perms", "1777", "--tmpfs", "/tmp", "--perms", "1777", "--tmpfs", "/dev/shm"]
    assert L.bwrap_args(lim, None) == ["--tmpfs", "/tmp", "--tmpfs", "/dev/shm"]
    assert L.bwrap_home_args(lim, "/home/student", (0, 8, 0)) == ["--size", str(32 * MB), "--tmpfs", "/home/student"]
    assert L.bwrap_seal_args() == ["--remount-ro", "/", "--remount-ro", "/dev"]


def test_inner_command_sets_nproc_then_execs_the_command():
    command = ["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "k.json"]
    wrapped = L.inner_command(Limits(1024, 64, 32), command, python="/py")
    assert wrapped[:4] == ["/py", "-I", "-S", "-c"] and wrapped[5] == "64" and wrapped[6:] == command
    assert L.inner_command(Limits(1024, 0, 32), command) == command
    out = subprocess.run(L.inner_command(Limits(1024, 40, 32), [sys.executable, "-c",
                         "import resource; print(resource.getrlimit(resource.RLIMIT_NPROC))"]),
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(40, 40)"


def test_preexec_sets_the_rlimits_in_the_child():
    code = ("import resource as r; print([r.getrlimit(x)[0] for x in (r.RLIMIT_CORE, r.RLIMIT_AS, r.RLIMIT_FSIZE)])")
    out = subprocess.run([sys.executable, "-c", code], preexec_fn=L.preexec(Limits(2048, 64, 16)),
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [0, 2048 * MB, 16 * MB]
    import resource

    assert resource.getrlimit(resource.RLIMIT_FSIZE)[0] != 16 * MB, "the grader itself is untouched"


def test_bwrap_version_is_parsed():
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.skip("bubblewrap is not installed")
    version = L.bwrap_version(bwrap)
    assert version is not None and len(version) == 3 and version >= (0, 1)


# ----------------------------------------------------------------------------- cgroup discovery
SYSTEMD_V2 = """\
25 1 0:22 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
"""
HYBRID = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
41 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""


def test_layout_parsing():
    v2 = L._layout(SYSTEMD_V2, "0::/user.slice/user-1000.slice/session-3.scope\n")
    assert v2.v2 == Path("/sys/fs/cgroup") and v2.v1 == {} and v2.own[""].endswith("session-3.scope")
    hybrid = L._layout(HYBRID, "4:memory:/process_api/abc\n8:pids:/\n0::/\n")
    assert hybrid.v2 == Path("/sys/fs/cgroup/unified")
    assert hybrid.v1 == {"memory": Path("/sys/fs/cgroup/memory"), "pids": Path("/sys/fs/cgroup/pids")}
    assert hybrid.own == {"memory": "/process_api/abc", "pids": "/", "": "/"}


def _fake_v2(tmp_path: Path, controllers: str = "cpu memory pids", subtree: str = "memory pids") -> L._Layout:
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cgroup.controllers").write_text(controllers)
    (root / "cgroup.subtree_control").write_text(subtree)
    return L._Layout(root, {}, {"": "/"})


def test_v2_reasons(tmp_path):
    no_memory = _fake_v2(tmp_path, controllers="hugetlb")
    reason = CgroupBox.available({}, no_memory).reason
    assert not CgroupBox.available({}, no_memory) and "lacks the memory or pids controller" in reason
    with pytest.raises(L.CgroupUnavailable, match="cgroup v1: the memory and pids hierarchies"):
        CgroupBox.create(Limits(), layout=no_memory)
    (tmp_path / "cgroup" / "cgroup.controllers").write_text("memory pids")
    named = CgroupBox.available({L.CGROUP_PARENT_VAR: "nowhere"}, no_memory).reason
    assert f"{L.CGROUP_PARENT_VAR}=nowhere" in named and "is not a cgroup folder" in named


def test_v2_box_writes_the_bounds(tmp_path):
    """On a fake cgroupfs (plain folders): which files get which values."""
    layout = _fake_v2(tmp_path)
    assert CgroupBox.available({}, layout).ok
    box = CgroupBox.create(Limits(1024, 64, 32), "box-test", layout=layout, verify=False)
    parent = layout.v2 / "dva-grade"
    assert box.path == parent / "box-test" and box.version == 2
    assert (parent / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (box.path / "memory.max").read_text() == str(1024 * MB)
    assert (box.path / "pids.max").read_text() == "64"
    for name in ("memory.max", "pids.max"):
        (box.path / name).unlink()
    box.remove()
    assert not box.path.exists()


def test_systemd_scope_arguments():
    argv = L.systemd_scope_argv(Limits(2048, 64, 256), name="dva-grade-x", uid=1000)
    assert argv[1:6] == ["--user", "--scope", "--quiet", "--collect", "--unit=dva-grade-x"]
    assert "MemoryMax=2147483648" in argv and "MemorySwapMax=0" in argv and "TasksMax=64" in argv
    assert argv[-4:-2] == ["--", argv[-3]] and argv[-2:] == ["-i", "PATH=/usr/bin:/bin"]
    assert "--user" not in L.systemd_scope_argv(Limits(), uid=0)
    env = L.systemd_scope_env({"XDG_RUNTIME_DIR": "/run/user/1000", "AWS_SECRET_ACCESS_KEY": "x", "HOME": "/h"})
    assert env == {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": "/run/user/1000"}
    why = L.systemd_scope_available()
    assert isinstance(why.reason, str) and why.reason


# ----------------------------------------------------------------------------- real sandboxes
@pytest.fixture(scope="module")
def bwrap(in_ci) -> str:
    path = shutil.which("bwrap")
    problem = None
    if path is None:
        problem = "bubblewrap is not installed (apt-get install bubblewrap)"
    else:
        probe = subprocess.run([path, "--unshare-all", "--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin",
                                "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--proc", "/proc",
                                "--dev", "/dev", "/usr/bin/true"], capture_output=True, text=True)
        if probe.returncode != 0:
            problem = f"bwrap cannot create namespaces here: {probe.stderr.strip() or probe.returncode}"
    if problem:
        if in_ci:
            pytest.fail(f"under CI: {problem}")
        pytest.skip(problem)
    return path


@pytest.fixture
def cgroups():
    why = CgroupBox.available()
    if not why:
        pytest.skip(f"no cgroup can be made here: {why.reason}")
    return why


FORK = r'''
import json, os, time
n, err, kids = 0, None, []
for i in range(300):
    try:
        pid = os.fork()
    except OSError as e:
        err = e.strerror
        break
    if pid == 0:
        time.sleep(5)
        os._exit(0)
    kids.append(pid)
    n += 1
print(json.dumps({"forked": n, "error": err}), flush=True)
for p in kids:
    os.kill(p, 9)
'''

MEMORY = r'''
import json, os, time
kids = []
for i in range(3):
    pid = os.fork()
    if pid == 0:
        block = b"x" * (600 * 1024 * 1024)  # written, so resident
        time.sleep(2)
        os._exit(0)
    kids.append(pid)
print(json.dumps({"exit": [os.waitstatus_to_exitcode(os.waitpid(p, 0)[1]) for p in kids]}), flush=True)
'''

FILES = r'''
import json, os
chunk = b"x" * (1 << 20)
out = {}
for folder in ["/tmp", "/dev/shm", "/home/student", "/home/student/work", "/", "/dev", "/etc"]:
    written, error, files = 0, None, 0
    try:
        while written < 64:  # MB, in files of 4 MB
            with open(os.path.join(folder, f"fill{files}.bin"), "wb") as fh:
                files += 1
                for _ in range(4):
                    fh.write(chunk)
                    fh.flush()
                    written += 1
    except OSError as exc:
        error = exc.strerror
    for i in range(files):
        try:
            os.unlink(os.path.join(folder, f"fill{i}.bin"))
        except OSError:
            pass
    out[folder] = {"mb": written, "error": error}
print(json.dumps(out), flush=True)
'''


def _sandbox(bwrap: str, tmp_path: Path, code: str, lim: Limits | None, box: CgroupBox | None = None) -> dict:
    """Run ``code`` under the launcher's bwrap command line; with ``lim``: plus this module's bounds."""
    from course_utils.grade.launcher import HOME, bwrap_argv, sandbox_env

    private = tmp_path / "private"
    (private / "work").mkdir(parents=True)
    (private / "run").mkdir()
    command = [sys.executable, "-c", code]
    if lim is not None:
        command = L.inner_command(lim, command)
    argv = bwrap_argv(bwrap, str(private), command, sandbox_env())
    if lim is not None:
        version = L.bwrap_version(bwrap)
        i = argv.index("--tmpfs")
        assert argv[i + 1] == "/tmp"
        argv[i:i + 2] = L.bwrap_args(lim, version)
        i = argv.index("--dir")
        assert argv[i + 1] == HOME
        argv[i:i + 2] = L.bwrap_home_args(lim, HOME, version)
        i = argv.index("--chdir")
        argv[i:i] = L.bwrap_seal_args()
        pre = L.preexec(lim, box)
    else:
        pre = None
    proc = subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True, preexec_fn=pre, timeout=120)
    assert proc.stdout.strip(), f"no report from the sandbox (exit {proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_a_fork_bomb_is_stopped_by_the_box(bwrap, cgroups, tmp_path):
    lim = Limits(1024, 40, 16)
    with CgroupBox.create(lim) as box:
        report = _sandbox(bwrap, tmp_path, FORK, lim, box)
        stats = box.stats()
    # bwrap's two processes and the forking one count too: 37 forks reach the bound of 40
    assert report == {"forked": 37, "error": "Resource temporarily unavailable"}
    assert stats.pids_peak in (None, 40)
    assert stats.forks_refused is None or stats.forks_refused >= 1


def test_a_fork_bomb_is_stopped_inside_the_namespace_for_a_non_root_instructor(bwrap, tmp_path):
    """RLIMIT_NPROC set inside the sandbox counts that sandbox only; root is exempt from it."""
    if os.getuid() == 0:
        pytest.skip("running as root: the kernel never enforces RLIMIT_NPROC for uid 0 (the cgroup bounds processes)")
    report = _sandbox(bwrap, tmp_path, FORK, Limits(0, 40, 16))
    assert report["error"] == "Resource temporarily unavailable" and report["forked"] <= 38, report


def test_without_limits_the_fork_bomb_runs(bwrap, tmp_path):
    """Control: the launcher's command line alone lets all 300 processes start."""
    assert _sandbox(bwrap, tmp_path, FORK, None) == {"forked": 300, "error": None}


def test_memory_is_bounded_for_all_processes_together(bwrap, cgroups, tmp_path):
    lim = Limits(1024, 64, 16)
    with CgroupBox.create(lim) as box:
        report = _sandbox(bwrap, tmp_path, MEMORY, lim, box)
        stats = box.stats()
    # 3 x 600 MB in three processes: each is under RLIMIT_AS (1024 MB), together over the box
    assert report["exit"].count(-9) >= 1, report
    assert stats.memory_peak_bytes is None or stats.memory_peak_bytes <= 1024 * MB
    assert stats.oom_kills is None or stats.oom_kills >= 1


def test_every_writable_folder_is_bounded(bwrap, tmp_path):
    report = _sandbox(bwrap, tmp_path, FILES, Limits(1024, 64, 8))
    assert report["/tmp"]["mb"] == 8 and report["/tmp"]["error"] in ("No space left on device", "File too large")
    assert report["/dev/shm"]["mb"] == 8 and report["/home/student"]["mb"] == 8
    for folder in ("/", "/dev", "/etc"):
        assert report[folder] == {"mb": 0, "error": "Read-only file system"}, folder
    # the work folder is the host's disk: RLIMIT_FSIZE bounds each file, not their number
    assert report["/home/student/work"] == {"mb": 64, "error": None}


def test_without_limits_every_folder_takes_what_it_is_given(bwrap, tmp_path):
    """Control: the launcher's command line alone: root, /etc, /dev and /tmp all take 64 MB."""
    report = _sandbox(bwrap, tmp_path, FILES, None)
    assert all(v == {"mb": 64, "error": None} for v in report.values()), report


def test_a_box_on_a_tmpfs_staging_folder_bounds_the_work_folder_too(bwrap, cgroups, tmp_path):
    """With the private folder on a tmpfs, files written to the work folder are memory of the box."""
    shm = Path("/dev/shm")
    if not shm.is_dir() or not os.access(shm, os.W_OK):
        pytest.skip("no writable /dev/shm")
    import tempfile

    staging = Path(tempfile.mkdtemp(prefix="dva-test-", dir=shm))
    code = FILES.replace("while written < 64", "while written < 1500").replace('["/tmp", "/dev/shm", "/home/student", "/home/student/work", "/", "/dev", "/etc"]', '["/home/student/work"]')
    try:
        lim = Limits(1024, 64, 8)
        with CgroupBox.create(lim) as box:
            from course_utils.grade.launcher import bwrap_argv, sandbox_env

            (staging / "work").mkdir()
            (staging / "run").mkdir()
            argv = bwrap_argv(bwrap, str(staging), [sys.executable, "-c", code], sandbox_env())
            proc = subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                                  preexec_fn=L.preexec(Limits(1024, 64, 0), box), timeout=120)
            stats = box.stats()
        # the writer is killed by the box's memory bound (its files were memory), long before 1500 MB
        assert proc.returncode != 0 and not proc.stdout.strip(), (proc.returncode, proc.stdout)
        assert stats.oom_kills is None or stats.oom_kills >= 1
        assert stats.memory_peak_bytes is None or stats.memory_peak_bytes <= 1024 * MB
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def test_box_lifecycle(cgroups):
    box = CgroupBox.create(Limits(1024, 32, 8))
    try:
        sleeper = subprocess.Popen(["sleep", "30"], preexec_fn=box.enter_fn())
        assert sleeper.pid in box.pids()
        assert box.stats().pids_peak in (None, 1)
    finally:
        box.remove()
    assert sleeper.wait(timeout=5) == -9, "remove() kills what is left"
    assert not any(d.exists() for d in box.dirs.values())


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_sweep_removes_what_killed_launchers_left(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    for name in (f"dva-grade-{dead}-abc_123", f"dva-grade-{alive}-def456", "dva-grade-xk2j4l9q", f"other-{dead}-x"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "file").write_text("student data")
    removed = L.sweep_stale(tmp_path, "dva-grade-")
    assert [p.name for p in removed] == [f"dva-grade-{dead}-abc_123"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"dva-grade-{alive}-def456", "dva-grade-xk2j4l9q", f"other-{dead}-x"])


def test_a_box_left_by_a_killed_launcher_is_swept_by_the_next(cgroups):
    stale = CgroupBox.create(Limits(1024, 32, 8), name=f"{L.BOX_PREFIX}{_dead_pid()}-0badc0de")
    fresh = CgroupBox.create(Limits(1024, 32, 8))
    try:
        assert not any(d.exists() for d in stale.dirs.values())
    finally:
        fresh.remove()
        stale.remove()


def test_staging_parent():
    assert L.staging_parent(False) is None
    shm = Path("/dev/shm")
    assert L.staging_parent(True) == ("/dev/shm" if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None)
