"""Learners' Jupyter configuration: the instructors' grading kernel is not offered.

Loaded by every Jupyter application started with this folder first on ``JUPYTER_CONFIG_PATH``
(``make lab``, ``binder/start``, the browser tests). The ``dva-course-sandbox`` kernelspec
(``python -m course_utils grade install-kernel``, for nbgrader) runs a notebook in the grading
sandbox with no files and no network: not a kernel to learn in. Every other kernelspec stays
available. Hidden means not listed (Lab's launcher, the kernel picker, ``jupyter kernelspec list``);
nbgrader still starts it by name, so grading works under this configuration too.
"""

from jupyter_client.kernelspec import KernelSpecManager

c = get_config()  # noqa: F821 (provided by Jupyter when it loads this file)

# The grading kernel, and its name before December 2026.
GRADING_KERNELS = {"dva-course-sandbox", "dva-c02-sandbox"}

# KernelSpecManager has an allow list, not a deny list: allow everything found except the above.
# python3 (ipykernel's own kernel) is always found, so the set is never empty (empty = allow all).
_found = set(KernelSpecManager().find_kernel_specs())
c.KernelSpecManager.allowed_kernelspecs = (_found - GRADING_KERNELS) or {"python3"}

# Section links in the course's widget outputs ("Study next", "Learn more") open the notebook at
# the section with a small click handler that needs JupyterLab's app object (window.jupyterapp):
# course_utils/quiz/section_links.py. Lab's own link handling opens another notebook at its top.
c.LabApp.expose_app_in_browser = True
