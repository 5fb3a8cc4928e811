"""The judge's kernel: ipykernel that runs a graded notebook's test cells (see :mod:`.judge`).

``python -I -m course_utils.grade.judge_kernel -f <connection file>``, started by
:class:`.execute.JudgedExecute` through the launcher (``--role judge``), in its own sandbox
with an empty working folder. Before the kernel serves anything it connects to the student's
kernel through ``DVA_GRADE_CHANNEL`` and routes every AWS call there.
"""

from __future__ import annotations

import os
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    from ipykernel.kernelapp import IPKernelApp

    from . import judge
    from .student_kernel import CHANNEL_VAR

    channel = os.environ.get(CHANNEL_VAR)
    if not channel:
        raise SystemExit(f"the judge kernel needs {CHANNEL_VAR} (the grading channel's folder)")
    app = IPKernelApp.instance()
    app.ignore_cwd = True
    app.initialize(list(sys.argv[1:] if argv is None else argv))
    judge.install(channel)
    app.start()


if __name__ == "__main__":  # pragma: no cover
    main()
