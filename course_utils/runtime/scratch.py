"""Temporary folders the course makes for the learner's session, removed when the kernel exits.

Lambda code and layers unpacked by the runtime, CodeBuild source folders: each notebook run used
to leave them in ``/tmp`` for good (thousands after a day of test runs). :func:`scratch_dir`
makes one and removes it at interpreter exit (registered on first use, not on import).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading

__all__ = ["scratch_dir", "remove_all"]

_dirs: list[str] = []
_lock = threading.Lock()
_registered = False


def scratch_dir(prefix: str) -> str:
    """A new temporary folder, removed when this Python process exits."""
    global _registered
    folder = tempfile.mkdtemp(prefix=prefix)
    with _lock:
        _dirs.append(folder)
        if not _registered:
            atexit.register(remove_all)
            _registered = True
    return folder


def remove_all() -> None:
    """Remove every folder made so far (at exit; also safe to call earlier)."""
    with _lock:
        folders, _dirs[:] = list(_dirs), []
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
