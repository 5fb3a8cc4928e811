"""The student's kernel in the grading sandbox: ipykernel, plus the judge's channel when grading.

``python -I -m course_utils.grade.student_kernel -f <connection file>`` (the launcher runs it).
``-I`` and ``ignore_cwd`` keep the submission folder off ``sys.path``: a student's
``ipykernel_launcher.py``, ``course_utils/`` or ``sitecustomize.py`` beside the notebook is never
imported by the kernel. When ``DVA_GRADE_CHANNEL`` names a folder, :mod:`.agent` listens there
before any student code runs; without it this is an ordinary kernel (plain nbgrader Execute).
"""

from __future__ import annotations

import os
import sys

__all__ = ["main", "CHANNEL_VAR"]

CHANNEL_VAR = "DVA_GRADE_CHANNEL"


def main(argv: list[str] | None = None) -> None:
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.ignore_cwd = True
    app.initialize(list(sys.argv[1:] if argv is None else argv))
    channel = os.environ.get(CHANNEL_VAR)
    if channel:
        from . import agent

        agent.start(app, channel)
    app.start()


if __name__ == "__main__":  # pragma: no cover
    main()
