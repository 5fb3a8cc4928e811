"""Real browser: the harness itself. Dialogs are dismissed (and noted), a dead kernel or a failing
cell ends Run All with a message that says so, and no kernel outlives its test.

Each test writes a tiny scratch notebook into the lab's temporary copy of notebooks/.
"""

from __future__ import annotations

import nbformat
import pytest
from lab_harness import LabError

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# Lab's "Restart Kernel?" dialog, opened the way a learner's menu click would (not awaited: it
# resolves only once the dialog is closed)
OPEN_RESTART_DIALOG = "() => { window.jupyterapp.commands.execute('kernelmenu:restart'); }"
HAS_DIALOG = "() => !!document.querySelector('.jp-Dialog')"


def _scratch(lab, name: str, *cells: str) -> str:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, lab.root / name)
    return name


def test_a_dialog_is_dismissed_while_waiting(lab, page):
    lab.open(page, _scratch(lab, "harness_dialog.ipynb", "x = 1"))
    page.evaluate(OPEN_RESTART_DIALOG)
    page.wait_for_function(HAS_DIALOG, timeout=30_000)
    lab.run_all(page)  # not blocked: the dialog is cancelled, then the cells run
    assert "Restart Kernel?" in lab.dialogs[-1] and "pressed: Cancel" in lab.dialogs[-1], lab.dialogs
    assert page.evaluate(HAS_DIALOG) is False


def test_a_dialog_over_a_click_is_dismissed(lab, page):
    before = len(lab.dialogs)
    lab.open(page, _scratch(lab, "harness_click.ipynb", "x = 1"))
    page.evaluate(OPEN_RESTART_DIALOG)
    page.wait_for_function(HAS_DIALOG, timeout=30_000)
    page.locator(".jp-Notebook .jp-Cell").first.click(timeout=30_000)
    assert len(lab.dialogs) == before + 1 and "Restart Kernel?" in lab.dialogs[-1], lab.dialogs


def test_a_kernel_that_dies_ends_run_all_with_the_reason(lab, page):
    lab.open(page, _scratch(lab, "harness_die.ipynb", "import os\nos._exit(1)", "y = 2"))
    with pytest.raises(LabError, match="the kernel died"):
        lab.run_all(page, timeout_ms=60_000)


def test_a_failing_cell_ends_run_all_with_its_error(lab, page):
    lab.open(page, _scratch(lab, "harness_error.ipynb", "x = 1", "1 / 0", "y = 2"))
    with pytest.raises(LabError, match=r"cell 1 raised ZeroDivisionError: division by zero"):
        lab.run_all(page)


def test_kernels_of_earlier_tests_were_shut_down(lab):
    assert lab.kernels() == []
