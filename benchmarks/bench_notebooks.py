"""Execute each course notebook and print how long it takes and how much memory its kernel uses.

For each notebook: run-all time (kernel start to the end of the last cell, what a learner waits
for), the kernel's exit time apart, the 3 slowest cells, the kernel's peak resident memory (VmHWM
from /proc) and the ratio of the run-all time to a bare baseline measured in the same run (kernel
start + ``import boto3, moto``).

Course targets: a domain notebook <= 10 s, no cell > 1 s, kernel <= 600 MB (Binder gives 1-2 GB; moto's
EC2 backend, which SSM, ECS and CloudFormation load, and cfn-lint's schemas hold ~130 MB each). The script
prints figures and flags; it asserts nothing.

    python benchmarks/bench_notebooks.py [notebooks/01_development.ipynb ...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TARGET_NOTEBOOK_S, TARGET_CELL_S, TARGET_RSS_MB = 10.0, 1.0, 600.0


def _peak_rss_mb(pid: int | None) -> float:
    if not pid:
        return float("nan")
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _kernel_pid(client: NotebookClient) -> int | None:
    provisioner = getattr(client.km, "provisioner", None)
    return getattr(provisioner, "pid", None) or getattr(getattr(provisioner, "process", None), "pid", None)


def run(nb: nbformat.NotebookNode, cwd: Path) -> tuple[float, float, list[tuple[float, int, str]], float]:
    """Execute ``nb``; return (run-all seconds, shutdown seconds, per-cell (seconds, index, first
    line), peak RSS MB). Run-all is kernel start to the end of the last cell: what a learner waits
    for after *Restart & Run All*. Shutdown (the kernel process exiting) is reported apart."""
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(cwd)}})
    cells: list[tuple[float, int, str]] = []
    start = time.perf_counter()
    with client.setup_kernel():
        pid = _kernel_pid(client)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            first = (cell.source.strip().splitlines() or [""])[0][:48]
            cells.append((time.perf_counter() - t0, index, first))
        rss = _peak_rss_mb(pid)
        done = time.perf_counter()
    return done - start, time.perf_counter() - done, cells, rss


def baseline() -> tuple[float, float]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("import boto3, moto")])
    wall, _, _, rss = run(nb, ROOT)
    return wall, rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    os.environ.setdefault("DVA_COURSE_PROGRESS", str(Path(tempfile.mkdtemp()) / "progress.json"))

    base_wall, base_rss = baseline()
    print(f"baseline (kernel start + import boto3, moto): {base_wall:.2f} s, peak RSS {base_rss:.0f} MB")
    print(f"targets: run all <= {TARGET_NOTEBOOK_S:.0f} s, cell <= {TARGET_CELL_S:.0f} s, kernel <= {TARGET_RSS_MB:.0f} MB")
    print("run all = kernel start to the end of the last cell; exit = the kernel process shutting down afterwards\n")
    header = f"{'notebook':<28} {'run all':>7} {'x base':>7} {'exit s':>6} {'RSS MB':>7}  slowest cells (s, index: first line)"
    print(header)
    print("-" * len(header))
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        wall, exit_s, cells, rss = run(nb, path.parent)
        slow = sorted(cells, reverse=True)[:3]
        flags = []
        if wall > TARGET_NOTEBOOK_S:
            flags.append("SLOW NOTEBOOK")
        if slow and slow[0][0] > TARGET_CELL_S:
            flags.append("SLOW CELL")
        if rss > TARGET_RSS_MB:
            flags.append("BIG KERNEL")
        print(f"{path.name:<28} {wall:7.2f} {wall / base_wall:7.2f} {exit_s:6.2f} {rss:7.0f}  {'; '.join(f'{s:.2f} #{i}: {t}' for s, i, t in slow)}")
        if flags:
            print(f"{'':<28} ^ {', '.join(flags)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
