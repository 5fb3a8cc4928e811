"""Folders the course unpacks Lambda code and CodeBuild sources into are gone when the kernel exits."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CHILD = """
import json
from course_utils.runtime import environments
from course_utils.runtime.scratch import scratch_dir
from course_utils.sim import buildspec
import io, zipfile
blob = io.BytesIO()
with zipfile.ZipFile(blob, "w") as zf:
    zf.writestr("app.py", "def handler(e, c):\\n    return 1\\n")
code = environments._unpack(blob.getvalue(), "lambda-task-")
report = buildspec.run_local({"version": 0.2, "phases": {"build": {"commands": ["echo hi > out.txt"]}}})
print(json.dumps([code, os.environ.get("CODEBUILD_SRC_DIR", ""), scratch_dir("extra-")]))
"""


def test_unpacked_code_and_build_folders_are_removed_at_exit(tmp_path):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", "import os\n" + CHILD], capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    folders = json.loads(proc.stdout.strip().splitlines()[-1])
    assert folders[0].startswith(str(tmp_path)) and os.path.basename(folders[0]).startswith("lambda-task-")
    assert not [p for p in tmp_path.iterdir()], f"left behind: {sorted(p.name for p in tmp_path.iterdir())}"
