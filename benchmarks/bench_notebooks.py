"""Execute each course notebook and print how long it takes and how much memory its kernel uses.

For each notebook: run-all time (kernel start to the end of the last cell, what a learner waits
for after *Restart & Run All*), the kernel's CPU time, its exit time apart, the slowest cells, and
the kernel's peak resident memory (VmHWM from /proc). Each figure is printed against its target
with PASS or OVER and the ratio figure / target:

* a notebook runs all in <= 10 s (the course promises it for the domain notebooks; the others
  are held to it too);
* no cell takes more than 1 s;
* the whole course (every notebook's run-all time, added up) <= 40 s;
* a kernel peaks at <= 600 MB (Binder gives 1-2 GB).

Wall times depend on what else the machine runs: the load average is printed before and after,
and the kernel's CPU seconds are less sensitive to it. ``--repeat N`` runs every notebook N times
and reports, per notebook, the run with the median run-all time. The script prints; it asserts
nothing (``tests/`` hold no timed assertions).

    python benchmarks/bench_notebooks.py [--repeat N] [notebooks/01_development.ipynb ...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TARGET_NOTEBOOK_S, TARGET_CELL_S, TARGET_COURSE_S, TARGET_RSS_MB = 10.0, 1.0, 40.0, 600.0
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Cell:
    seconds: float
    index: int
    first_line: str


@dataclass(frozen=True)
class Run:
    """One notebook executed in a fresh kernel."""

    wall: float  # kernel start to the end of the last cell
    cpu: float  # the kernel process's user + system seconds over the same span
    exit_s: float  # kernel shutdown afterwards
    cells: list[Cell]
    rss_mb: float  # kernel peak resident memory

    @property
    def slowest(self) -> Cell | None:
        return max(self.cells, key=lambda c: c.seconds, default=None)


def _proc(pid: int | None, name: str) -> str | None:
    if not pid:
        return None
    try:
        return Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return None


def _peak_rss_mb(pid: int | None) -> float:
    for line in (_proc(pid, "status") or "").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _cpu_s(pid: int | None) -> float:
    stat = _proc(pid, "stat")
    if not stat:
        return float("nan")
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def _kernel_pid(client: NotebookClient) -> int | None:
    provisioner = getattr(client.km, "provisioner", None)
    return getattr(provisioner, "pid", None) or getattr(getattr(provisioner, "process", None), "pid", None)


def run(nb: nbformat.NotebookNode, cwd: Path) -> Run:
    """Execute ``nb`` in a fresh kernel and measure it."""
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    cells: list[Cell] = []
    start = time.perf_counter()
    with client.setup_kernel():
        pid = _kernel_pid(client)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            first = (cell.source.strip().splitlines() or [""])[0][:48]
            cells.append(Cell(time.perf_counter() - t0, index, first))
        rss, cpu = _peak_rss_mb(pid), _cpu_s(pid)
        done = time.perf_counter()
    return Run(done - start, cpu, time.perf_counter() - done, cells, rss)


def verdict(value: float, target: float) -> str:
    """``PASS 0.84x`` or ``OVER 1.23x`` (value / target)."""
    if value != value:  # NaN: not measured
        return "n/a"
    return f"{'PASS' if value <= target else 'OVER'} {value / target:.2f}x"


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"


def _font_cache_note() -> str:
    import matplotlib

    cached = list(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    if cached:
        return f"matplotlib font cache: present ({cached[0].name})"
    return "matplotlib font cache: MISSING, the first `import matplotlib.pyplot` builds it (about 1-2 s once)"


def _bytecode_note() -> str:
    """How many course_utils modules have current bytecode (a kernel compiles the others at import)."""
    import importlib.util

    sources = sorted((ROOT / "course_utils").rglob("*.py"))
    current = 0
    for src in sources:
        pyc = Path(importlib.util.cache_from_source(str(src)))
        current += pyc.is_file() and pyc.stat().st_mtime >= src.stat().st_mtime
    note = f"course_utils bytecode: {current} of {len(sources)} modules current"
    if current < len(sources):
        note += " (the rest compile at every kernel start: `make bench` runs compileall first)"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        note += "; PYTHONDONTWRITEBYTECODE is set"
    return note


def _median_run(nb_path: Path, repeat: int) -> Run:
    runs = [run(nbformat.read(nb_path, as_version=4), nb_path.parent) for _ in range(repeat)]
    return sorted(runs, key=lambda r: r.wall)[len(runs) // 2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--repeat", type=int, default=1, help="runs per notebook; the median run is reported")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    os.environ.setdefault("DVA_COURSE_PROGRESS", str(Path(tempfile.mkdtemp()) / "progress.json"))

    print(f"load average before: {_load()}")
    print(_font_cache_note())
    print(_bytecode_note())
    base = run(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import boto3, moto")]), ROOT)
    print(f"baseline (kernel start + import boto3, moto): {base.wall:.2f} s, peak RSS {base.rss_mb:.0f} MB")
    print(
        f"targets: run all <= {TARGET_NOTEBOOK_S:.0f} s per notebook, every cell <= {TARGET_CELL_S:.0f} s, "
        f"course <= {TARGET_COURSE_S:.0f} s, kernel <= {TARGET_RSS_MB:.0f} MB"
        + (f"; median of {args.repeat} runs" if args.repeat > 1 else "")
    )
    print("run all = kernel start to the end of the last cell; cpu = the kernel's CPU seconds; exit = shutdown after\n")
    header = (
        f"{'notebook':<32} {'run all s':>9} {'vs 10 s':>10} {'cpu s':>6} {'exit s':>6} "
        f"{'slowest s':>9} {'vs 1 s':>10} {'RSS MB':>7} {'vs 600 MB':>10}  slowest cell (index: first line)"
    )
    print(header)
    print("-" * len(header))
    results: list[tuple[Path, Run]] = []
    for path in paths:
        r = _median_run(path, args.repeat)
        results.append((path, r))
        slow = r.slowest
        slow_s = slow.seconds if slow else 0.0
        print(
            f"{path.name:<32} {r.wall:9.2f} {verdict(r.wall, TARGET_NOTEBOOK_S):>10} {r.cpu:6.2f} {r.exit_s:6.2f} "
            f"{slow_s:9.2f} {verdict(slow_s, TARGET_CELL_S):>10} {r.rss_mb:7.0f} {verdict(r.rss_mb, TARGET_RSS_MB):>10}  "
            + (f"#{slow.index}: {slow.first_line}" if slow else "-")
        )
        others = sorted(r.cells, key=lambda c: c.seconds, reverse=True)[1:3]
        if others:
            print(f"{'':<32} next slowest: " + "; ".join(f"{c.seconds:.2f} s #{c.index}: {c.first_line}" for c in others))

    walls = [r.wall for _, r in results]
    course = sum(walls)
    over_cells = sum(1 for _, r in results for c in r.cells if c.seconds > TARGET_CELL_S)
    print("-" * len(header))
    print(f"{'course (all notebooks)':<32} {course:9.2f} {verdict(course, TARGET_COURSE_S):>10} {sum(r.cpu for _, r in results):6.2f}   (target {TARGET_COURSE_S:.0f} s)")
    print(f"notebooks over {TARGET_NOTEBOOK_S:.0f} s: {sum(w > TARGET_NOTEBOOK_S for w in walls)} of {len(walls)}; "
          f"cells over {TARGET_CELL_S:.0f} s: {over_cells}; kernels over {TARGET_RSS_MB:.0f} MB: "
          f"{sum(r.rss_mb > TARGET_RSS_MB for _, r in results)}; median run all {statistics.median(walls):.2f} s")
    print(f"load average after: {_load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
