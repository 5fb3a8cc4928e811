"""``grade check``: start the grading kernel the way nbgrader does and probe it from inside.

The probe runs in a scratch folder created inside the course folder (like a student's autograded
folder) holding one file, and checks from inside the kernel that it sees that file and its
working folder, but not the course folder, the gradebook, the repository around it, the
instructor's environment variables or the network (a TCP listener on this machine's loopback).
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ProbeReport", "run_probe"]


@dataclass
class ProbeReport:
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(passed for _, passed, _ in self.checks)

    def lines(self) -> list[str]:
        return [f"  [{'ok' if passed else 'FAIL'}] {name}: {detail}" for name, passed, detail in self.checks]


_PROBE = r'''
import json, os, _socket
P = json.loads(%r)
out = {"own_file": os.path.exists("own-file.txt"), "visible": [p for p in P["hidden"] if os.path.exists(p)],
       "env": sorted(k for k in os.environ if k in P["env_keys"] and os.environ[k] == P["env_values"][k]),
       "aws_key": os.environ.get("AWS_ACCESS_KEY_ID"), "net": None, "uid": os.getuid()}
s = _socket.socket(); s.settimeout(3)
try:
    s.connect(("127.0.0.1", P["port"])); out["net"] = "connected"
except OSError as exc:
    out["net"] = type(exc).__name__
print("PROBE " + json.dumps(out))
'''


def run_probe(course: Path | None, timeout: float = 60.0) -> ProbeReport:
    from jupyter_client.manager import start_new_kernel

    from .kernelspec import KERNEL_NAME

    report = ProbeReport()
    base = Path(course) if course else Path(tempfile.gettempdir())
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.1)
    hidden = [str(base), str(base / "nbgrader_config.py"), str(base / "gradebook.db"), str(base / "source"),
              str(base.parent / ".git"), str(base.parent / "notebooks")] if course else []
    from .launcher import sandbox_env

    ours = sandbox_env()
    env_keys = {k: v for k, v in os.environ.items() if v and ours.get(k) != v}
    with tempfile.TemporaryDirectory(prefix=".sandbox-probe-", dir=base) as scratch:
        Path(scratch, "own-file.txt").write_text("student file\n")
        params = json.dumps({"hidden": hidden + [scratch], "port": listener.getsockname()[1],
                             "env_keys": sorted(env_keys), "env_values": env_keys})
        cwd = os.getcwd()
        os.chdir(scratch)
        try:
            km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=timeout)
        finally:
            os.chdir(cwd)
        lines: list[str] = []
        try:
            kc.execute_interactive(_PROBE % params, timeout=timeout,
                                   output_hook=lambda m: lines.append(m["content"].get("text", "")) if m["msg_type"] == "stream" else None)
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    try:
        conn, _ = listener.accept()
        conn.close()
        reached = True
    except OSError:
        reached = False
    listener.close()
    text = "".join(lines)
    if "PROBE " not in text:
        report.checks.append(("probe ran", False, text.strip()[:300] or "no output from the kernel"))
        return report
    out = json.loads(text.split("PROBE ", 1)[1].splitlines()[0])
    report.checks.append(("student's own files visible", out["own_file"], "own-file.txt in the working folder"))
    report.checks.append(("course and repository hidden", not out["visible"], ", ".join(out["visible"]) or f"{len(hidden) + 1} paths absent"))
    report.checks.append(("instructor environment hidden", not out["env"], ", ".join(out["env"]) or f"none of {len(env_keys)} variables visible"))
    report.checks.append(("fake AWS credentials", out["aws_key"] == "testing", f"AWS_ACCESS_KEY_ID={out['aws_key']!r}"))
    report.checks.append(("no network", out["net"] != "connected" and not reached, f"connect to host loopback: {out['net']}"))
    return report
