"""Every notebook executes top to bottom, then every cell runs again in the same kernel.

The second pass is what *Run All* after a first Run All does: cells must be re-runnable
(creating a table that exists must not break).
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from conftest import NOTEBOOKS

NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def _errors(nb) -> list[str]:
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {index}: {output.get('ename')}: {output.get('evalue')}")
    return found


def test_notebooks_are_found():
    names = [p.name for p in NOTEBOOK_PATHS]
    assert "00_index.ipynb" in names


def _record_kernel_crashes(tmp_path, monkeypatch):
    """Kernels of this test write a fatal error's Python stacks (faulthandler) to the returned file.

    The kernel's own stderr is captured by ipykernel and lost when it dies; an IPython startup file
    in a scratch IPYTHONDIR enables faulthandler on a file instead.
    """
    crash_log = tmp_path / "kernel-crash.txt"
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-faulthandler.py").write_text(
        f"import faulthandler\nfaulthandler.enable(open({str(crash_log)!r}, 'w'), all_threads=True)\n")
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    return crash_log


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=[p.stem for p in NOTEBOOK_PATHS])
def test_notebook_runs_twice(path, tmp_path, monkeypatch):
    # Progress written by quizzes goes to a scratch file, never the tester's own store.
    monkeypatch.setenv("DVA_COURSE_PROGRESS", str(tmp_path / "progress.json"))
    crash_log = _record_kernel_crashes(tmp_path, monkeypatch)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name="python3", allow_errors=False, resources={"metadata": {"path": str(NOTEBOOKS)}}
    )
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            first_pass = [list(c.get("outputs", [])) for c in nb.cells]
            for index, cell in enumerate(nb.cells):  # Run All again, same kernel
                client.execute_cell(cell, index)
    except DeadKernelError:
        crash = crash_log.read_text() if crash_log.exists() else "(no crash report)"
        pytest.fail(f"the kernel died in cell {index} ({nb.cells[index].get('id')}); its Python stacks:\n{crash}")
    assert _errors(nb) == []
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert code_cells and all(c.execution_count for c in code_cells)
    # The setup cell's banner says the second run kept the sandbox running.
    setup_text = "".join(o.get("data", {}).get("text/plain", "") for o in nb.cells[1].outputs)
    if "sandbox.start(" in nb.cells[1].source:
        assert "already running" in setup_text, setup_text
        first_setup = "".join(o.get("data", {}).get("text/plain", "") for o in first_pass[1])
        assert "started" in first_setup
    # Every figure, in both runs, reaches the learner as an <img> with alt text (course_utils.rules.figures).
    for outputs in first_pass + [list(c.get("outputs", [])) for c in nb.cells]:
        for o in outputs:
            data = o.get("data", {})
            if "image/png" in data:
                assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="[^"]+"', data.get("text/html", "")), \
                    f"a figure without alt text: {data.get('text/plain', '')[:80]}"
