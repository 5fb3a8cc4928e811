"""The ``dva-course-sandbox`` kernelspec that ``grading/nbgrader_config.py`` names.

``install()`` writes ``kernel.json`` into ``<prefix>/share/jupyter/kernels/dva-course-sandbox`` (by
default the running environment's prefix, where this environment's Jupyter and nbgrader look; or
the user's Jupyter folder). The kernel runs :mod:`course_utils.grade.launcher` with this
environment's Python, which starts ipykernel inside the sandbox.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from .launcher import DEFAULT_MAX_SECONDS

__all__ = ["KERNEL_NAME", "kernel_json", "install", "installed_spec"]

KERNEL_NAME = "dva-course-sandbox"


def kernel_json(max_seconds: float = DEFAULT_MAX_SECONDS, python: str | None = None) -> dict:
    if max_seconds <= 0:
        raise ValueError(f"max_seconds must be positive (got {max_seconds}): it bounds each graded notebook")
    return {
        # -I: the launcher starts in the student's folder; nothing there may shadow course_utils
        "argv": [python or sys.executable, "-I", "-m", "course_utils.grade.launcher", "--max-seconds", f"{max_seconds:g}",
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (DVA course grading sandbox)",
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }


def install(*, user: bool = False, prefix: str | None = None, max_seconds: float = DEFAULT_MAX_SECONDS) -> Path:
    """Install (or replace) the kernelspec; return the folder it was written to."""
    from jupyter_client.kernelspec import KernelSpecManager

    spec = kernel_json(max_seconds)
    if not user and prefix is None:
        prefix = sys.prefix
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / KERNEL_NAME
        source.mkdir()
        (source / "kernel.json").write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        dest = KernelSpecManager().install_kernel_spec(str(source), KERNEL_NAME, user=user, prefix=None if user else prefix)
    return Path(dest)


def installed_spec() -> dict | None:
    """The installed kernelspec as Jupyter finds it (``None`` if absent)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return None
    return {"resource_dir": spec.resource_dir, "argv": spec.argv, "interrupt_mode": spec.interrupt_mode}
