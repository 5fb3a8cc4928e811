"""The grading kernel's launcher: an IPython kernel inside a bubblewrap sandbox.

The ``dva-course-sandbox`` kernelspec runs ``python -m course_utils.grade.launcher -f {connection_file}``.
Jupyter (nbgrader, nbclient) sees an ordinary kernel; this process

1. copies the kernel's working folder (the student's autograded folder) to a private temporary
   folder, **leaving out every ``.ipynb``** (nbgrader has just written the notebook there with the
   hidden tests restored) and keeping symlinks as links (never following them);
2. starts ``ipykernel`` under ``bwrap`` with new user, mount, PID, IPC, UTS and **network**
   namespaces. The only files visible are the system folders (``/usr``, ``/lib``...), a short
   list of ``/etc`` files, the Python installation and virtual environment, the ``course_utils``
   package (all read-only), the copied working folder (``/home/student/work``), an empty home and
   ``/tmp``. The instructor's course folder, the gradebook, the config, other students' work,
   any other copy of the repository, ``.git``: none of it exists inside;
3. clears the environment: student code gets fake AWS credentials and nothing from the
   instructor's shell;
4. forwards the five kernel channels: the kernel listens on Unix sockets in a private folder
   (the network namespace has no route out, not even to the host's loopback) and this process
   relays the channels named in the connection file (TCP ports, or Unix sockets for the "ipc" transport) to them;
5. bounds the whole kernel's life (``--max-seconds``, or ``DVA_GRADE_NOTEBOOK_TIMEOUT``): past
   it the sandbox is killed, whatever the code does with signals, and the notebook fails.

Without ``bwrap`` (or when it cannot create namespaces) the launcher refuses to start and says
why, unless ``DVA_GRADE_ALLOW_UNSANDBOXED=1`` is set: then it runs the kernel unisolated with a
loud warning (fake credentials only). Only the standard library is imported here.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import json
import os
import shutil
import signal
import sys
import tempfile

from course_utils.grade import limits as L

__all__ = ["main", "bwrap_argv", "sandbox_env", "stage_workdir", "SandboxUnavailable", "find_bwrap",
           "DEFAULT_MAX_SECONDS", "EXIT_SANDBOX_UNAVAILABLE", "EXIT_TIME_LIMIT"]

DEFAULT_MAX_SECONDS = 900
EXIT_SANDBOX_UNAVAILABLE = 78
EXIT_TIME_LIMIT = 124
TIME_LIMIT_MESSAGE = "in total: the sandbox is killed (time limit)"
REFUSAL_MESSAGE = "refusing to run student code without the sandbox"
ALLOW_UNSANDBOXED_VAR = "DVA_GRADE_ALLOW_UNSANDBOXED"
NOTEBOOK_TIMEOUT_VAR = "DVA_GRADE_NOTEBOOK_TIMEOUT"
MEMORY_VAR = "DVA_GRADE_MEMORY_MB"
DEFAULT_MEMORY_MB = 4096

HOME = "/home/student"
WORK = "/home/student/work"
RUN = "/run/kernel"
CHANNEL_MOUNT = "/run/judge"  # the grading channel's folder (student agent <-> judge), when grading
CHANNEL_VAR = "DVA_GRADE_CHANNEL"
ROLES = {"student": "course_utils.grade.student_kernel", "judge": "course_utils.grade.judge_kernel"}
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_ENTRIES = ("passwd", "group", "hosts", "nsswitch.conf", "localtime", "timezone", "ld.so.cache", "ld.so.conf",
               "ld.so.conf.d", "fonts", "ssl", "ca-certificates", "mime.types", "alternatives", "os-release")
CHANNELS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


class SandboxUnavailable(RuntimeError):
    """bwrap is missing or unusable, or the sandbox would expose the course folder."""


def _say(message: str) -> None:
    print(f"[dva-course-sandbox] {message}", file=sys.stderr, flush=True)


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def _real(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(path)


def readonly_paths() -> list[str]:
    """Folders bound read-only besides the system ones: Python, the venv, course_utils."""
    import importlib.util

    paths = [_real(sys.base_prefix), _real(sys.prefix), _real(os.path.dirname(sys.executable))]
    spec = importlib.util.find_spec("course_utils")
    if spec and spec.submodule_search_locations:
        paths.extend(_real(p) for p in spec.submodule_search_locations)
    unique: list[str] = []
    for path in sorted(set(paths), key=len):
        if not any(path == kept or path.startswith(kept + os.sep) for kept in unique):
            unique.append(path)
    return unique


def sandbox_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of the sandboxed kernel: nothing is inherited."""
    from course_utils.sandbox import FAKE_ENV  # light module: no boto3/moto at import

    env = {
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": HOME,
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": "/tmp",
        "MPLBACKEND": "Agg",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "NBGRADER_EXECUTION": os.environ.get("NBGRADER_EXECUTION", "autograde"),
        "DVA_GRADE_SANDBOX": "bwrap",
        # ipykernel: a parent exists (no "ipython kernel" banner); 1 = do not poll it (the sandbox's init)
        "JPY_PARENT_PID": "1",
    }
    env.update(FAKE_ENV)
    if extra:
        env.update(extra)
    return env


def _ignore_notebooks(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n.endswith(".ipynb") or n == ".ipynb_checkpoints"}


def stage_workdir(source: str, dest: str) -> None:
    """Copy the working folder without notebooks; symlinks stay links (never followed)."""
    shutil.copytree(source, dest, symlinks=True, ignore=_ignore_notebooks, dirs_exist_ok=True)


def bwrap_argv(bwrap: str, private: str, command: list[str], env: dict[str, str], info_fd: int | None = None,
               channel: str | None = None, lim: L.Limits | None = None, version: tuple[int, ...] | None = None) -> list[str]:
    """The bwrap command line (``private`` holds ``work/`` and ``run/``; ``channel``: the judge's folder)."""
    argv = [bwrap, "--unshare-all", "--unshare-user", "--uid", "1000", "--gid", "1000", "--hostname", "grading-sandbox",
            "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    for folder in SYSTEM_DIRS:
        if os.path.islink(folder):
            argv += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            argv += ["--ro-bind", folder, folder]
    for entry in ETC_ENTRIES:
        argv += ["--ro-bind-try", f"/etc/{entry}", f"/etc/{entry}"]
    # A fresh /tmp first: the read-only binds below may live under /tmp (a clone in /tmp/...), and a
    # tmpfs mounted after them would hide them.
    argv += ["--proc", "/proc", "--dev", "/dev", *(L.bwrap_args(lim, version) if lim else ["--tmpfs", "/tmp"])]
    for path in readonly_paths():
        if not any(path == d or path.startswith(d + "/") for d in SYSTEM_DIRS if not os.path.islink(d)):
            argv += ["--ro-bind", path, path]
    argv += [*(L.bwrap_home_args(lim, HOME, version) if lim else ["--dir", HOME]),
             "--bind", os.path.join(private, "work"), WORK, "--bind", os.path.join(private, "run"), RUN]
    if channel:
        argv += ["--bind", channel, CHANNEL_MOUNT]
    if lim:
        argv += L.bwrap_seal_args()  # after the last mount: the root and /dev become read-only
    argv += ["--chdir", WORK, "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    if info_fd is not None:
        argv += ["--info-fd", str(info_fd)]
    return argv + ["--"] + command


def check_not_exposed(cwd: str) -> None:
    """Refuse if a read-only bind would contain the student's folder (and so the course folder)."""
    real = _real(cwd)
    for path in readonly_paths():
        if real == path or real.startswith(path + os.sep):
            raise SandboxUnavailable(
                f"the working folder {real} is inside {path}, which the sandbox must show read-only "
                "(Python or course_utils): move the course folder out of it")


# --------------------------------------------------------------------------- channel relay
async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except Exception:  # pragma: no cover - already closed
            pass


async def _open_unix(path: str, done: asyncio.Event) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
    """Connect to the kernel's socket once it exists (``None`` if the kernel ends first)."""
    for _ in range(1200):  # up to ~60 s while the kernel starts
        if done.is_set():
            return None
        try:
            return await asyncio.open_unix_connection(path)
        except (FileNotFoundError, ConnectionRefusedError):
            await asyncio.sleep(0.05)
    return None


def _relay(path: str, done: asyncio.Event):
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            inner = await _open_unix(path, done)
            if inner is None:
                writer.close()
                return
            ireader, iwriter = inner
            await asyncio.gather(_pipe(reader, iwriter), _pipe(ireader, writer))
        except asyncio.CancelledError:  # the kernel is gone and the loop is closing
            writer.close()

    return handle


async def _tcp_server(handle, host: str, port: int, wait: float = 10.0):
    """Listen on a port the connection file names; another process's port probe may hold it a moment."""
    deadline = asyncio.get_running_loop().time() + wait
    while True:
        try:
            return await asyncio.start_server(handle, host, port)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.05)


# --------------------------------------------------------------------------- main
async def _run(conn: dict, command: list[str], max_seconds: float, private: str, sandboxed: bool, env: dict[str, str],
               cwd: str, judge_channel: str | None = None, lim: L.Limits = L.Limits(), box: L.CgroupBox | None = None,
               scope: bool = False) -> int:
    done = asyncio.Event()
    servers = []
    if sandboxed:
        for channel in CHANNELS:
            path = os.path.join(private, "run", f"k-{conn[channel]}")
            if conn.get("transport", "tcp") == "ipc":  # Jupyter's side is a Unix socket too: no port to collide on
                servers.append(await asyncio.start_unix_server(_relay(path, done), path=f"{conn['ip']}-{conn[channel]}"))
            else:
                servers.append(await _tcp_server(_relay(path, done), conn.get("ip", "127.0.0.1"), conn[channel]))
    info_r = info_w = None
    pass_fds: tuple[int, ...] = ()
    if sandboxed:
        info_r, info_w = os.pipe()
        pass_fds = (info_w,)
        bwrap = find_bwrap()
        assert bwrap
        command = bwrap_argv(bwrap, private, L.inner_command(lim, command), env, info_fd=info_w, channel=judge_channel,
                             lim=lim, version=L.bwrap_version(bwrap))
    spawn_env = {"PATH": "/usr/bin:/bin"} if sandboxed else env
    if scope:  # a transient systemd scope bounds memory and tasks (non-root instructors)
        command = L.systemd_scope_argv(lim) + command
        spawn_env = L.systemd_scope_env() if sandboxed else {**env, **L.systemd_scope_env()}

    # bwrap itself gets an empty environment too: the sandbox's PID 1 is bwrap, and its
    # /proc/1/environ is readable from inside.
    proc = await asyncio.create_subprocess_exec(*command, pass_fds=pass_fds, preexec_fn=L.preexec(lim, box),
                                                env=spawn_env,
                                                cwd=None if sandboxed else cwd)
    child_pid = proc.pid
    if info_w is not None:
        os.close(info_w)
        # bwrap writes {"child-pid": N} in pieces; the read end stays open until the end (no SIGPIPE).
        child_pid = await asyncio.get_running_loop().run_in_executor(None, _read_child_pid, info_r, proc.pid)

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, lambda: _signal(child_pid, signal.SIGINT))
    loop.add_signal_handler(signal.SIGTERM, lambda: proc.kill())
    try:
        code = await asyncio.wait_for(proc.wait(), timeout=max_seconds if max_seconds > 0 else None)
    except asyncio.TimeoutError:
        _say(f"the notebook ran longer than {max_seconds:g} s {TIME_LIMIT_MESSAGE}")
        proc.kill()
        await proc.wait()
        code = EXIT_TIME_LIMIT
    finally:
        done.set()
        for server in servers:
            server.close()
        if info_r is not None:
            os.close(info_r)
        if box is not None:
            _report_usage(box, lim)
    return code


def _report_usage(box: L.CgroupBox, lim: L.Limits) -> None:
    """Say when the sandbox reached a total bound (the reasons read the kernel's stderr)."""
    stats = box.stats()
    if stats.oom_kills:
        _say(f"the sandbox reached its memory limit of {lim.memory_mb} MB: {stats.oom_kills} process(es) killed")
    if stats.forks_refused:
        _say(f"the sandbox reached its limit of {lim.max_processes} processes and threads: "
             f"{stats.forks_refused} new process(es) refused")


def _read_child_pid(fd: int, default: int) -> int:
    buffer = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            return default
        if not chunk:
            return default
        buffer += chunk
        try:
            return int(json.loads(buffer.decode()).get("child-pid", default))
        except ValueError:
            continue


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _parse(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m course_utils.grade.launcher", description=__doc__.split("\n")[0])
    parser.add_argument("-f", dest="connection_file", required=True, help="kernel connection file (from Jupyter)")
    parser.add_argument("--role", choices=sorted(ROLES), default="student",
                        help="student: the submission's kernel; judge: the kernel that runs the test cells")
    parser.add_argument("--max-seconds", type=float, default=DEFAULT_MAX_SECONDS,
                        help=f"bound on the kernel's whole life (env {NOTEBOOK_TIMEOUT_VAR} overrides)")
    return parser.parse_known_args(argv)


def main(argv: list[str] | None = None) -> int:
    args, kernel_args = _parse(argv)
    max_seconds = float(os.environ.get(NOTEBOOK_TIMEOUT_VAR) or args.max_seconds)
    with open(args.connection_file, encoding="utf-8") as fh:
        conn = json.load(fh)
    if conn.get("transport", "tcp") not in ("tcp", "ipc"):
        _say(f"unsupported transport {conn.get('transport')!r}: the sandbox relays TCP and IPC channels only")
        return EXIT_SANDBOX_UNAVAILABLE
    cwd = os.getcwd()
    try:
        lim = L.Limits.from_env()
    except L.LimitsError as exc:
        _say(str(exc))
        return EXIT_SANDBOX_UNAVAILABLE
    channel = os.environ.get(CHANNEL_VAR) or None
    if channel and not os.path.isdir(channel):
        _say(f"{CHANNEL_VAR}={channel} is not a folder")
        return EXIT_SANDBOX_UNAVAILABLE
    bwrap = find_bwrap()
    allow = os.environ.get(ALLOW_UNSANDBOXED_VAR) == "1"
    try:
        if bwrap is None:
            raise SandboxUnavailable("bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
        check_not_exposed(cwd)
    except SandboxUnavailable as exc:
        if not allow:
            _say(f"{REFUSAL_MESSAGE}: {exc}. "
                 f"(To grade UNSANDBOXED at your own risk, set {ALLOW_UNSANDBOXED_VAR}=1.)")
            return EXIT_SANDBOX_UNAVAILABLE
        bwrap = None
        _say("!" * 72)
        _say(f"WARNING: {ALLOW_UNSANDBOXED_VAR}=1 and {exc}")
        _say("WARNING: student code runs UNSANDBOXED: it can read the course folder, the gradebook,")
        _say("WARNING: other students' work and the hidden tests, and it can use the network.")
        _say("!" * 72)

    box, scope = None, False
    try:
        box = L.CgroupBox.create(lim)
    except L.CgroupUnavailable as exc:
        scope = bool(bwrap) and bool(L.systemd_scope_available())
        if not scope:
            _say(f"no total bound on memory and processes for this sandbox ({exc}): per-process limits only")
    # On a tmpfs, what the sandbox writes to its work and run folders is memory of its cgroup, so it is bounded too
    staging = L.staging_parent(bool(box or scope))
    L.sweep_stale(staging or tempfile.gettempdir(), "dva-grade-")  # the folders of launchers killed with SIGKILL
    private = tempfile.mkdtemp(prefix=f"dva-grade-{os.getpid()}-", dir=staging)
    try:
        os.chmod(private, 0o700)
        work = os.path.join(private, "work")
        os.makedirs(os.path.join(private, "run"))
        stage_workdir(cwd, work)
        if bwrap:
            inner = dict(conn, transport="ipc", ip=f"{RUN}/k")
            inner_file = os.path.join(private, "run", "kernel.json")
            with open(inner_file, "w", encoding="utf-8") as fh:
                json.dump(inner, fh)
            # -I: the working folder (the submission) is never on sys.path, so nothing there shadows a module
            command = [sys.executable, "-I", "-m", ROLES[args.role], "-f", f"{RUN}/kernel.json", *kernel_args]
            env = sandbox_env({CHANNEL_VAR: CHANNEL_MOUNT} if channel else None)
        else:
            command = [sys.executable, "-I", "-m", ROLES[args.role], "-f", args.connection_file, *kernel_args]
            env = sandbox_env({"HOME": private, "DVA_GRADE_SANDBOX": "none", **({CHANNEL_VAR: channel} if channel else {})})
        return asyncio.run(_run(conn, command, max_seconds, private, bwrap is not None, env, work, channel, lim, box, scope))
    finally:
        if box is not None:
            box.remove()
        shutil.rmtree(private, ignore_errors=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
