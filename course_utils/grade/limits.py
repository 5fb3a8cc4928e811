"""Total resource bounds for everything one submission's sandbox starts.

The launcher starts ``bwrap ... -- python -m ipykernel_launcher``; student code may fork, spawn
threads, allocate, and write files. Four mechanisms bound it, each for what it can:

* **a cgroup** (:class:`CgroupBox`): memory (every process together, *and* the tmpfs pages they
  write, which are charged to the cgroup), swap off, and the number of tasks (processes and
  threads together). cgroup v2 (``memory.max``, ``memory.swap.max``, ``memory.oom.group``,
  ``pids.max``), or the v1 ``memory`` and ``pids`` hierarchies of older and hybrid hosts. It needs
  a writable cgroup: root, or ``DVA_GRADE_CGROUP_PARENT`` naming a delegated one. A non-root
  instructor on a systemd host uses :func:`systemd_scope_argv` instead (a transient scope with
  ``MemoryMax``/``TasksMax``). :meth:`CgroupBox.available` says why neither works when it doesn't.
* **sized tmpfs mounts** (:func:`bwrap_args`, :func:`bwrap_home_args`, bwrap >= 0.7): ``/tmp``,
  ``/dev/shm`` and the home folder are tmpfs mounts of at most ``tmp_mb`` (``/dev/shm``: 64 MB);
  :func:`bwrap_seal_args` makes the root and ``/dev`` read-only, which are otherwise unsized
  tmpfs mounts (half the RAM each) any sandboxed process can write.
* **rlimits** set before ``exec`` (:func:`preexec`): no core dumps, ``RLIMIT_AS`` per process
  (``memory_mb``, as before), ``RLIMIT_FSIZE`` per file (``tmp_mb``). The work and run folders
  are bind mounts of the launcher's private folder: on disk, only that per-file bound applies to
  them; on a tmpfs (:func:`staging_parent`) their files are memory of the cgroup, so bounded in
  total. :func:`sweep_stale` removes what a launcher killed with SIGKILL left (its ``finally``
  never ran): private folders and cgroups are named after the launcher's pid.
* **RLIMIT_NPROC inside the sandbox** (:func:`inner_command`): set by the sandbox's first process
  after bwrap made its user namespace, where the kernel (>= 5.14) counts only that namespace's
  processes, so it bounds this sandbox and nothing else. Set outside, it would count every
  process of the instructor's uid on the host (and bwrap's own clone would fail on a busy
  desktop). It is not enforced at all when the instructor is root (uid 0 is exempt, even mapped
  into a user namespace): there only the cgroup bounds processes.

Only the standard library is used; nothing happens on import.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping, NamedTuple

__all__ = [
    "Limits", "LimitsError", "Availability", "CgroupBox", "CgroupStats", "CgroupUnavailable",
    "bwrap_version", "bwrap_args", "bwrap_home_args", "bwrap_seal_args", "preexec", "inner_command",
    "systemd_scope_available", "systemd_scope_argv", "systemd_scope_env", "staging_parent", "sweep_stale",
    "MEMORY_VAR", "PROCESSES_VAR", "TMP_VAR", "CGROUP_PARENT_VAR",
    "DEFAULT_MEMORY_MB", "DEFAULT_MAX_PROCESSES", "DEFAULT_TMP_MB", "SHM_MB",
]

MEMORY_VAR = "DVA_GRADE_MEMORY_MB"
PROCESSES_VAR = "DVA_GRADE_MAX_PROCESSES"
TMP_VAR = "DVA_GRADE_TMP_MB"
CGROUP_PARENT_VAR = "DVA_GRADE_CGROUP_PARENT"
DEFAULT_MEMORY_MB = 4096
DEFAULT_MAX_PROCESSES = 64  # a graded notebook peaks at 15 (ipykernel, the course sandbox's threads, bwrap)
DEFAULT_TMP_MB = 256
MIN_MEMORY_MB = 1024  # also RLIMIT_AS: a graded kernel maps 0.9 to 1.03 GB of address space (resident: 110 to 260 MB)
MIN_PROCESSES = 32  # a graded kernel peaks at 13 tasks (ipykernel's threads, the course sandbox's), bwrap adds 2
SHM_MB = 64
MB = 1024 * 1024
CGROUP_ROOT = Path("/sys/fs/cgroup")
BOX_PREFIX = "box-"  # + "<pid of the process that made it>-<random>"; v1 folders get "dva-grade-" in front
NPROC_SHIM = ("import os,resource,sys;n=int(sys.argv[1]);resource.setrlimit(resource.RLIMIT_NPROC,(n,n));"
              "os.execvp(sys.argv[2],sys.argv[2:])")


class LimitsError(ValueError):
    """A limit set in the environment is not a usable number."""


class CgroupUnavailable(RuntimeError):
    """No cgroup can be made for the sandbox here (the message says why)."""


# ----------------------------------------------------------------------------- the limits
@dataclass(frozen=True)
class Limits:
    """One submission's totals: memory (MB, all processes and their tmpfs files), tasks, tmpfs size (MB).

    0 means no bound for each.
    """

    memory_mb: int = DEFAULT_MEMORY_MB
    max_processes: int = DEFAULT_MAX_PROCESSES
    tmp_mb: int = DEFAULT_TMP_MB

    def __post_init__(self) -> None:
        for name, var, low, why in (
                ("memory_mb", MEMORY_VAR, MIN_MEMORY_MB, "each process may also map this much: a kernel maps about 1 GB"),
                ("max_processes", PROCESSES_VAR, MIN_PROCESSES, "threads count too: a kernel runs about 13"),
                ("tmp_mb", TMP_VAR, 1, "MB")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise LimitsError(f"{var} must be a whole number (got {value!r})")
            if value < 0 or 0 < value < low:
                raise LimitsError(f"{var}={value} is too small: use 0 (no bound) or at least {low} ({why})")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        """``DVA_GRADE_MEMORY_MB``, ``DVA_GRADE_MAX_PROCESSES``, ``DVA_GRADE_TMP_MB`` (unset or empty: defaults)."""
        env = os.environ if environ is None else environ
        values = {}
        for name, var, default, unit in (("memory_mb", MEMORY_VAR, DEFAULT_MEMORY_MB, "MB"),
                                         ("max_processes", PROCESSES_VAR, DEFAULT_MAX_PROCESSES, "processes and threads"),
                                         ("tmp_mb", TMP_VAR, DEFAULT_TMP_MB, "MB")):
            raw = (env.get(var) or "").strip()
            if not raw:
                values[name] = default
                continue
            if not re.fullmatch(r"\d+", raw):
                raise LimitsError(f"{var}={raw!r} is not a whole number of {unit} "
                                  f"(e.g. {var}={default}, the default; 0 = no bound)")
            values[name] = int(raw)
        return cls(**values)

    @property
    def memory_bytes(self) -> int | None:
        return self.memory_mb * MB if self.memory_mb else None

    @property
    def tmp_bytes(self) -> int | None:
        return self.tmp_mb * MB if self.tmp_mb else None

    def describe(self) -> str:
        def show(value: int, unit: str) -> str:
            return f"{value} {unit}" if value else "unbounded"

        return (f"memory {show(self.memory_mb, 'MB')}, {show(self.max_processes, 'processes and threads')}, "
                f"/tmp and home {show(self.tmp_mb, 'MB')} each")


# ----------------------------------------------------------------------------- bwrap and rlimits
def bwrap_version(bwrap: str) -> tuple[int, ...] | None:
    """``bwrap --version`` as a tuple, e.g. ``(0, 8, 0)`` (``None`` if it cannot be told)."""
    try:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", out)
    return tuple(int(g or 0) for g in match.groups()) if match else None


def _sized_tmpfs(size_bytes: int | None, path: str, version: tuple[int, ...] | None, perms: str | None = None) -> list[str]:
    args: list[str] = []
    if perms and version is not None and version >= (0, 5):
        args += ["--perms", perms]
    if size_bytes and version is not None and version >= (0, 7):  # --size: bubblewrap 0.7.0
        args += ["--size", str(size_bytes)]
    return args + ["--tmpfs", path]


def bwrap_args(lim: Limits, version: tuple[int, ...] | None) -> list[str]:
    """Sized ``/tmp`` and ``/dev/shm``: in place of ``--tmpfs /tmp``, after ``--dev /dev``.

    Without ``--size`` (bwrap < 0.7) they are plain tmpfs mounts: only the memory cgroup bounds them.
    """
    shm = min(lim.tmp_mb, SHM_MB) * MB if lim.tmp_mb else SHM_MB * MB
    return _sized_tmpfs(lim.tmp_bytes, "/tmp", version, "1777") + _sized_tmpfs(shm, "/dev/shm", version, "1777")


def bwrap_home_args(lim: Limits, home: str, version: tuple[int, ...] | None) -> list[str]:
    """A sized tmpfs as the home folder: in place of ``--dir HOME``, before the binds inside it."""
    return _sized_tmpfs(lim.tmp_bytes, home, version)


def bwrap_seal_args() -> list[str]:
    """Make the sandbox's root and ``/dev`` tmpfs read-only: after the last mount, before ``--chdir``."""
    return ["--remount-ro", "/", "--remount-ro", "/dev"]


def inner_command(lim: Limits, command: list[str], python: str | None = None) -> list[str]:
    """``command`` started through a shim that sets RLIMIT_NPROC inside the sandbox's user namespace."""
    if not lim.max_processes:
        return list(command)
    return [python or sys.executable, "-I", "-S", "-c", NPROC_SHIM, str(lim.max_processes), *command]


def preexec(lim: Limits, box: "CgroupBox | None" = None) -> Callable[[], None]:
    """A ``preexec_fn`` for the sandbox's process: rlimits, then into ``box`` (before ``exec``).

    Everything is computed here, in the parent; the function only makes system calls.
    """
    import resource

    address_space = lim.memory_bytes
    file_size = lim.tmp_bytes
    enter = box.enter_fn() if box is not None else None

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if address_space:
            resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        if file_size:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        if enter is not None:
            enter()

    return apply


# ----------------------------------------------------------------------------- cgroups
class Availability(NamedTuple):
    """Whether a mechanism works here; ``reason`` says why not (or how it works)."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class CgroupStats:
    """What the sandbox used, read from its cgroup (``None``: this kernel does not report it)."""

    memory_peak_bytes: int | None
    oom_kills: int | None
    pids_peak: int | None
    forks_refused: int | None


@dataclass(frozen=True)
class _Layout:
    v2: Path | None  # the cgroup2 mount
    v1: dict[str, Path]  # controller -> its v1 mount
    own: dict[str, str]  # controller ("" for v2) -> this process's cgroup path


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _layout(mountinfo: str | None = None, own_cgroups: str | None = None) -> _Layout:
    """Where cgroup v2 and the v1 ``memory``/``pids`` hierarchies are mounted, and our own cgroups."""
    mountinfo = _read(Path("/proc/self/mountinfo")) if mountinfo is None else mountinfo
    own_cgroups = _read(Path("/proc/self/cgroup")) if own_cgroups is None else own_cgroups
    v2: Path | None = None
    v1: dict[str, Path] = {}
    for line in mountinfo.splitlines():
        if " - " not in line:
            continue
        left, right = line.split(" - ", 1)
        fields, rest = left.split(), right.split()
        if len(fields) < 5 or len(rest) < 3:
            continue
        point = Path(fields[4].replace("\\040", " "))
        if rest[0] == "cgroup2" and (v2 is None or point == CGROUP_ROOT):
            v2 = point
        elif rest[0] == "cgroup":
            for option in rest[2].split(","):
                if option in ("memory", "pids"):
                    v1.setdefault(option, point)
    own: dict[str, str] = {}
    for line in own_cgroups.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        if parts[0] == "0" and parts[1] == "":
            own[""] = parts[2]
        for controller in parts[1].split(","):
            if controller in ("memory", "pids"):
                own[controller] = parts[2]
    return _Layout(v2, v1, own)


def _controllers(path: Path) -> set[str]:
    return set(_read(path / "cgroup.controllers").split())


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK)


def _v2_parent(layout: _Layout, environ: Mapping[str, str]) -> tuple[Path | None, str]:
    """The cgroup v2 folder sandboxes are made in, or why there is none."""
    if layout.v2 is None:
        return None, "no cgroup2 file system is mounted"
    if not {"memory", "pids"} <= _controllers(layout.v2):
        return None, (f"cgroup v2 at {layout.v2} lacks the memory or pids controller "
                      f"(they are on cgroup v1 hierarchies: {', '.join(sorted(layout.v1)) or 'none'})")
    named = environ.get(CGROUP_PARENT_VAR)
    if named:
        parent = Path(named) if Path(named).is_absolute() and Path(named).is_relative_to(layout.v2) else layout.v2 / named.lstrip("/")
        if not parent.is_dir():
            return None, f"{CGROUP_PARENT_VAR}={named}: {parent} is not a cgroup folder"
        if not {"memory", "pids"} <= set(_read(parent / "cgroup.subtree_control").split()):
            return None, (f"{CGROUP_PARENT_VAR}={named}: enable the controllers for its children first "
                          f"(echo '+memory +pids' > {parent}/cgroup.subtree_control)")
        if not _writable(parent):
            return None, f"{CGROUP_PARENT_VAR}={named}: {parent} is not writable by uid {os.getuid()}"
        return parent, f"cgroup v2 under {parent} ({CGROUP_PARENT_VAR})"
    parent = layout.v2 / "dva-grade"
    if parent.is_dir():
        if not _writable(parent):
            return None, f"{parent} is not writable by uid {os.getuid()}"
        return parent, f"cgroup v2 under {parent}"
    if not _writable(layout.v2):
        return None, (f"cgroup v2 at {layout.v2} is not writable by uid {os.getuid()} (root can make {parent}; "
                      f"a non-root instructor: a systemd user scope, or {CGROUP_PARENT_VAR} naming a delegated cgroup)")
    return parent, f"cgroup v2 under {parent} (created on first use)"


def _v1_parents(layout: _Layout) -> tuple[dict[str, Path] | None, str]:
    if not {"memory", "pids"} <= set(layout.v1):
        return None, f"cgroup v1: the memory and pids hierarchies are not both mounted ({', '.join(sorted(layout.v1)) or 'none'})"
    parents = {}
    for controller in ("memory", "pids"):
        parent = layout.v1[controller] / layout.own.get(controller, "/").lstrip("/")
        if not parent.is_dir() or not _writable(parent):
            return None, f"cgroup v1: {parent} ({controller}) is not writable by uid {os.getuid()}"
        parents[controller] = parent
    return parents, f"cgroup v1 under {parents['memory']} and {parents['pids']}"


class CgroupBox:
    """One sandbox's cgroup: memory and task bounds for everything started inside, and its usage.

    ``create`` makes it (and checks a process can be moved in), ``preexec(lim, box)`` puts the
    sandbox's first process in before ``exec`` (so all its descendants are inside), ``stats``
    reads the peaks, ``remove`` kills what is left and deletes it.
    """

    def __init__(self, version: int, dirs: dict[str, Path], lim: Limits) -> None:
        self.version = version
        self.dirs = dirs  # controller -> folder (v2: one folder for both)
        self.limits = lim

    # -- discovery ---------------------------------------------------------------------------------
    @staticmethod
    def available(environ: Mapping[str, str] | None = None, layout: _Layout | None = None) -> Availability:
        """Can a cgroup be made for a sandbox here? ``reason`` says where, or why not."""
        env = os.environ if environ is None else environ
        layout = layout or _layout()
        parent, why_v2 = _v2_parent(layout, env)
        if parent is not None:
            return Availability(True, why_v2)
        parents, why_v1 = _v1_parents(layout)
        if parents is not None:
            return Availability(True, why_v1)
        return Availability(False, f"{why_v2}; {why_v1}")

    @classmethod
    def create(cls, lim: Limits, name: str | None = None, *, environ: Mapping[str, str] | None = None,
               layout: _Layout | None = None, verify: bool = True) -> "CgroupBox":
        """A new cgroup with ``lim``'s memory and task bounds (raises :class:`CgroupUnavailable`)."""
        env = os.environ if environ is None else environ
        layout = layout or _layout()
        name = name or f"{BOX_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        parent, why_v2 = _v2_parent(layout, env)
        try:
            if parent is not None:
                sweep_stale(parent, BOX_PREFIX, cgroup=True)
                box = cls._create_v2(parent, name, lim, layout)
            else:
                parents, why_v1 = _v1_parents(layout)
                if parents is None:
                    raise CgroupUnavailable(f"{why_v2}; {why_v1}")
                for folder in parents.values():
                    sweep_stale(folder, f"dva-grade-{BOX_PREFIX}", cgroup=True)
                box = cls._create_v1(parents, name, lim)
        except OSError as exc:
            raise CgroupUnavailable(f"cannot make the sandbox's cgroup: {exc}") from exc
        if verify:
            box._verify()
        return box

    @classmethod
    def _create_v2(cls, parent: Path, name: str, lim: Limits, layout: _Layout) -> "CgroupBox":
        if not parent.is_dir():
            root_control = set(_read(layout.v2 / "cgroup.subtree_control").split()) if layout.v2 else set()
            if layout.v2 is not None and not {"memory", "pids"} <= root_control:
                (layout.v2 / "cgroup.subtree_control").write_text("+memory +pids")
            parent.mkdir(exist_ok=True)
        if not {"memory", "pids"} <= set(_read(parent / "cgroup.subtree_control").split()):
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
        folder = parent / name
        folder.mkdir()
        box = cls(2, {"memory": folder, "pids": folder}, lim)
        try:
            if lim.memory_bytes:
                (folder / "memory.max").write_text(str(lim.memory_bytes))
                for option, value in (("memory.swap.max", "0"), ("memory.oom.group", "1")):
                    if (folder / option).exists():
                        (folder / option).write_text(value)
            if lim.max_processes:
                (folder / "pids.max").write_text(str(lim.max_processes))
        except OSError:
            box.remove()
            raise
        return box

    @classmethod
    def _create_v1(cls, parents: dict[str, Path], name: str, lim: Limits) -> "CgroupBox":
        dirs = {}
        box = cls(1, dirs, lim)
        try:
            for controller, parent in parents.items():
                folder = parent / f"dva-grade-{name}"
                folder.mkdir()
                dirs[controller] = folder
            if lim.memory_bytes:
                (dirs["memory"] / "memory.limit_in_bytes").write_text(str(lim.memory_bytes))
                if (dirs["memory"] / "memory.memsw.limit_in_bytes").exists():  # no swap (with swap accounting)
                    (dirs["memory"] / "memory.memsw.limit_in_bytes").write_text(str(lim.memory_bytes))
            if lim.max_processes:
                (dirs["pids"] / "pids.max").write_text(str(lim.max_processes))
        except OSError:
            box.remove()
            raise
        return box

    def _verify(self) -> None:
        """Move a throwaway process in, as the sandbox's will be (v2 also needs the common ancestor writable)."""
        true = shutil.which("true") or "/bin/true"
        try:
            subprocess.run([true], preexec_fn=self.enter_fn(), check=True, timeout=30)
        except (subprocess.SubprocessError, OSError) as exc:
            self.remove()
            raise CgroupUnavailable(f"cannot move a process into {self.path}: {exc} "
                                    f"(a non-root user needs write access to the cgroup it comes from too)") from exc

    @classmethod
    def of_pid(cls, pid: int, lim: Limits | None = None) -> "CgroupBox | None":
        """The cgroup ``pid`` is in (e.g. a systemd scope), to read its stats; ``None`` if unknown."""
        layout = _layout(own_cgroups=_read(Path(f"/proc/{pid}/cgroup")))
        if layout.v2 is not None and "" in layout.own and {"memory", "pids"} <= _controllers(layout.v2):
            folder = layout.v2 / layout.own[""].lstrip("/")
            return cls(2, {"memory": folder, "pids": folder}, lim or Limits(0, 0, 0))
        if {"memory", "pids"} <= set(layout.v1) and {"memory", "pids"} <= set(layout.own):
            return cls(1, {c: layout.v1[c] / layout.own[c].lstrip("/") for c in ("memory", "pids")}, lim or Limits(0, 0, 0))
        return None

    # -- use -----------------------------------------------------------------------------------------
    @property
    def path(self) -> Path:
        return self.dirs["memory"]

    def enter_fn(self) -> Callable[[], None]:
        """A function for a ``preexec_fn``: moves the calling process into this cgroup."""
        files = sorted({str(folder / "cgroup.procs") for folder in self.dirs.values()})

        def enter() -> None:
            pid = str(os.getpid()).encode()
            for name in files:
                fd = os.open(name, os.O_WRONLY)
                try:
                    os.write(fd, pid)
                finally:
                    os.close(fd)

        return enter

    def add(self, pid: int) -> None:
        """Move ``pid`` in (its children started before the move stay where they are)."""
        for folder in {str(f): f for f in self.dirs.values()}.values():
            (folder / "cgroup.procs").write_text(str(pid))

    def pids(self) -> list[int]:
        found: set[int] = set()
        for folder in self.dirs.values():
            found.update(int(p) for p in _read(folder / "cgroup.procs").split())
        return sorted(found)

    @staticmethod
    def _field(text: str, key: str) -> int | None:
        match = re.search(rf"^{re.escape(key)} (\d+)$", text, re.M)
        return int(match.group(1)) if match else None

    @staticmethod
    def _number(path: Path) -> int | None:
        text = _read(path).strip()
        return int(text) if text.isdigit() else None

    def stats(self) -> CgroupStats:
        memory, pids = self.dirs["memory"], self.dirs["pids"]
        if self.version == 2:
            peak = self._number(memory / "memory.peak")
            ooms = self._field(_read(memory / "memory.events"), "oom_kill")
        else:
            peak = self._number(memory / "memory.max_usage_in_bytes")
            ooms = self._field(_read(memory / "memory.oom_control"), "oom_kill")
        return CgroupStats(peak, ooms, self._number(pids / "pids.peak"), self._field(_read(pids / "pids.events"), "max"))

    def kill(self, timeout: float = 5.0) -> None:
        """SIGKILL everything inside (``cgroup.kill`` on v2; otherwise process by process, until empty)."""
        kill_file = self.dirs["memory"] / "cgroup.kill"
        if self.version == 2 and kill_file.exists():
            try:
                kill_file.write_text("1")
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = self.pids()
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def remove(self, timeout: float = 5.0) -> None:
        """Kill what is left and delete the cgroup (a no-op once removed)."""
        self.kill(timeout)
        deadline = time.monotonic() + timeout
        for folder in sorted({str(f): f for f in self.dirs.values()}.values(), key=str):
            while True:
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as exc:
                    if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)

    def __enter__(self) -> "CgroupBox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"CgroupBox(v{self.version}, {', '.join(f'{c}={d}' for c, d in self.dirs.items())})"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale(parent: str | os.PathLike[str], prefix: str, cgroup: bool = False) -> list[Path]:
    """Remove ``parent/<prefix><pid>-*`` left by a process that is gone (a launcher killed with SIGKILL
    never runs its ``finally``). Cgroups: what is still inside is killed first. Returns what was removed.
    """
    removed: list[Path] = []
    try:
        entries = list(Path(parent).iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = re.fullmatch(rf"{re.escape(prefix)}(\d+)-[0-9A-Za-z_]+", entry.name)
        if not match or not entry.is_dir() or entry.is_symlink() or _alive(int(match.group(1))):
            continue
        try:
            if cgroup:
                version = 2 if (entry / "cgroup.kill").exists() else 1
                CgroupBox(version, {"memory": entry, "pids": entry}, Limits(0, 0, 0)).remove(timeout=2.0)
            else:
                shutil.rmtree(entry)
            removed.append(entry)
        except OSError:
            pass
    return removed


def staging_parent(bounded: bool) -> str | None:
    """Where the launcher should make its private folder: ``/dev/shm`` when a cgroup bounds the sandbox.

    On a tmpfs, the files the sandbox writes into its work and run folders (bind mounts of that
    folder) are memory charged to the sandbox's cgroup, so ``memory_mb`` bounds them too; on disk
    nothing bounds their total. ``None``: the default temporary folder. Name the folder
    ``dva-grade-<pid>-...`` and :func:`sweep_stale` removes those of killed launchers.
    """
    shm = Path("/dev/shm")
    if bounded and shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return str(shm)
    return None


# ----------------------------------------------------------------------------- systemd
def systemd_scope_available(environ: Mapping[str, str] | None = None, layout: _Layout | None = None,
                            uid: int | None = None) -> Availability:
    """Can ``systemd-run --user --scope`` bound a sandbox here (memory and pids delegated to the user)?"""
    env = os.environ if environ is None else environ
    uid = os.getuid() if uid is None else uid
    layout = layout or _layout()
    if shutil.which("systemd-run", path=env.get("PATH")) is None:
        return Availability(False, "systemd-run is not installed")
    if _read(Path("/proc/1/comm")).strip() != "systemd":
        return Availability(False, f"systemd is not running (PID 1 is {_read(Path('/proc/1/comm')).strip() or 'unknown'})")
    if layout.v2 is None or not {"memory", "pids"} <= _controllers(layout.v2):
        return Availability(False, "systemd needs the unified cgroup v2 hierarchy with memory and pids to bound a scope")
    if uid == 0:
        return Availability(True, "systemd-run --scope (system manager)")
    runtime = env.get("XDG_RUNTIME_DIR")
    if not runtime or not (Path(runtime) / "systemd" / "private").exists():
        return Availability(False, "no systemd user manager for this session (XDG_RUNTIME_DIR/systemd/private is missing)")
    manager = layout.v2 / f"user.slice/user-{uid}.slice/user@{uid}.service"
    if not {"memory", "pids"} <= _controllers(manager):
        return Availability(False, f"systemd does not delegate the memory and pids controllers to user@{uid}.service "
                                   f"({manager}/cgroup.controllers); an administrator can add Delegate=memory pids")
    return Availability(True, f"systemd-run --user --scope (controllers delegated to user@{uid}.service)")


def systemd_scope_argv(lim: Limits, name: str | None = None, uid: int | None = None) -> list[str]:
    """The prefix that runs a command in a transient systemd scope with ``lim``'s memory and task bounds.

    The command then runs with an empty environment (``env -i PATH=...``): bwrap must not inherit
    ``XDG_RUNTIME_DIR`` and the bus address that ``systemd-run`` itself needs (:func:`systemd_scope_env`).
    """
    uid = os.getuid() if uid is None else uid
    argv = [shutil.which("systemd-run") or "systemd-run"] + ([] if uid == 0 else ["--user"])
    argv += ["--scope", "--quiet", "--collect", f"--unit={name or f'dva-grade-{os.getpid()}-{secrets.token_hex(4)}'}"]
    if lim.memory_bytes:
        argv += ["-p", f"MemoryMax={lim.memory_bytes}", "-p", "MemorySwapMax=0"]
    if lim.max_processes:
        argv += ["-p", f"TasksMax={lim.max_processes}"]
    return argv + ["--", shutil.which("env") or "/usr/bin/env", "-i", "PATH=/usr/bin:/bin"]


def systemd_scope_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment ``systemd-run --user`` needs to reach the user manager, and nothing else."""
    env = os.environ if environ is None else environ
    return {"PATH": "/usr/bin:/bin", **{k: env[k] for k in ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS") if env.get(k)}}
