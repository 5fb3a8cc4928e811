"""Run a buildspec locally with bash; validation and on-failure rules: :mod:`course_utils.rules.buildspec`."""

from __future__ import annotations

import glob
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

from ..runtime.scratch import scratch_dir

from ..rules import buildspec as _engine
from ..rules.buildspec import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.buildspec import PHASES, BuildReport, OnFailure, PhaseResult, check, parse_on_failure

__all__ = [*_engine.__all__, "run_local"]


def _resolve_env(env: dict[str, Any], ssm: Any, secrets: Any) -> dict[str, str]:
    out = {str(k): str(v) for k, v in (env.get("variables") or {}).items()}
    for name, param in (env.get("parameter-store") or {}).items():
        if ssm is None:
            out[str(name)] = f"<ssm:{param}>"
        else:
            out[str(name)] = ssm.get_parameter(Name=param, WithDecryption=True)["Parameter"]["Value"]
    for name, ref in (env.get("secrets-manager") or {}).items():
        parts = (str(ref).split(":") + ["", "", ""])[:4]
        secret_id, json_key, stage, version = parts
        if secrets is None:
            out[str(name)] = f"<secret:{secret_id}>"
            continue
        kwargs: dict[str, str] = {"SecretId": secret_id}
        if version:
            kwargs["VersionId"] = version
        elif stage:
            kwargs["VersionStage"] = stage
        value = secrets.get_secret_value(**kwargs)["SecretString"]
        if json_key:
            import json

            value = str(json.loads(value)[json_key])
        out[str(name)] = value
    return out


_STATE = "__codebuild_state.sh"


def _run_command(command: str, workdir: Path, state: Path, timeout: float) -> tuple[int, str]:
    # Version 0.2: one shell for the whole build. Each command sources the state left by the
    # previous one (exported variables and the current folder) and saves it again afterwards.
    script = (
        f"source {shlex.quote(str(state))}\ncd \"$__CB_PWD\"\n{command}\n__cb_rc=$?\n"
        f"export __CB_PWD=\"$PWD\"\nexport -p > {shlex.quote(str(state))}\nexit $__cb_rc\n"
    )
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=timeout, cwd=workdir)
    return proc.returncode, proc.stdout + proc.stderr


def _run_block(commands: Any, folder: Path, state: Path, timeout: float, ran: list, out: list[str], first_failure_stops: bool) -> bool:
    """Run a ``commands`` or ``finally`` list, recording each command and its output; True when all succeeded."""
    ok = True
    for command in [str(c) for c in commands or []]:
        rc, text = _run_command(command, folder, state, timeout)
        ran.append((command, rc))
        out.append(text)
        if rc != 0:
            ok = False
            if first_failure_stops:
                break  # the remaining commands of the phase are skipped
    return ok


def _run_phase(name: str, phase: dict[str, Any], folder: Path, state: Path, timeout: float) -> PhaseResult:
    """One attempt at a phase: its commands up to the first failure, then its finally block."""
    result = PhaseResult(name, "SUCCEEDED")
    out: list[str] = []
    commands_ok = _run_block(phase.get("commands"), folder, state, timeout, result.commands, out, first_failure_stops=True)
    finally_ok = _run_block(phase.get("finally"), folder, state, timeout, result.finally_commands, out, first_failure_stops=False)
    if not (commands_ok and finally_ok):
        result.status = "FAILED"
    result.output = "".join(out)
    return result


def _error_message(result: PhaseResult) -> str:
    """A CodeBuild-style error line for the first failed command of an attempt (what RETRY regexes see too)."""
    for command, rc in result.commands + result.finally_commands:
        if rc != 0:
            return f"COMMAND_EXECUTION_ERROR: Error while executing command: {command}. Reason: exit status {rc}\n"
    return ""


def _run_phase_with_retries(
    name: str, phase: dict[str, Any], on_failure: OnFailure | None, setting: Any, folder: Path, state: Path, timeout: float
) -> tuple[PhaseResult, str]:
    """Run a phase, re-running it for an on-failure RETRY form; the last attempt and a note on the retries."""
    outputs: list[str] = []
    note = ""
    retries = 0
    while True:
        result = _run_phase(name, phase, folder, state, timeout)
        outputs.append(result.output)
        result.attempts = retries + 1
        if result.status == "SUCCEEDED" or on_failure is None or on_failure.mode != "RETRY":
            break
        if retries >= on_failure.count:
            note = f"still failing after {retries} of {on_failure.count} retries (on-failure: {setting})"
            break
        if not re.search(on_failure.regex, result.output + _error_message(result)):
            note = f"error does not match {on_failure.regex!r}, not retried (on-failure: {setting})"
            break
        retries += 1
        outputs.append(f"--- on-failure: {setting}, retry {retries} of {on_failure.count} ---\n")
    result.output = "".join(outputs)
    if result.status == "SUCCEEDED" and result.attempts > 1:
        note = f"succeeded on retry {result.attempts - 1} (on-failure: {setting})"
        result.reason = note
    return result, note


def run_local(
    spec: str | dict[str, Any],
    *,
    workdir: str | os.PathLike | None = None,
    files: dict[str, str] | None = None,
    ssm: Any = None,
    secretsmanager: Any = None,
    timeout: float = 30.0,
) -> BuildReport:
    """Run a buildspec's phases locally with bash and CodeBuild's failure rules.

    ``files`` (name -> text) are written into the source folder first; ``workdir`` defaults to
    a new temporary folder. ``ssm`` / ``secretsmanager`` are boto3 clients used to resolve
    ``parameter-store`` and ``secrets-manager`` variables (placeholders without them).
    """
    data = check(spec)
    folder = Path(workdir) if workdir is not None else Path(scratch_dir("codebuild-"))
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (files or {}).items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    env = _resolve_env(data.get("env") or {}, ssm, secretsmanager)
    env.update({"CODEBUILD_SRC_DIR": str(folder), "CODEBUILD_BUILD_SUCCEEDING": "1", "__CB_PWD": str(folder)})
    state = folder / _STATE
    state.write_text("".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))

    phases = data.get("phases") or {}
    results: list[PhaseResult] = []
    stop_reason = ""
    build_ran = False
    failed_any = False
    for name in PHASES:
        phase = phases.get(name)
        if stop_reason:
            results.append(PhaseResult(name, "NOT_RUN", reason=stop_reason))
            continue
        if not phase:
            results.append(PhaseResult(name, "NOT_RUN", reason="not in the buildspec"))
            continue
        setting = phase.get("on-failure")
        on_failure = parse_on_failure(setting) if setting is not None else None
        result, retry_note = _run_phase_with_retries(name, phase, on_failure, setting, folder, state, timeout)
        if name == "build":
            build_ran = True
        results.append(result)
        if result.status == "FAILED":
            failed_any = True
            with state.open("a") as fh:
                fh.write("export CODEBUILD_BUILD_SUCCEEDING=0\n")
            mode = on_failure.mode if on_failure else None
            if mode == "ABORT":
                stop_reason = f"{name} failed with on-failure: ABORT"
            elif mode == "CONTINUE":
                result.reason = "on-failure: CONTINUE, next phase runs"
            elif name in ("install", "pre_build"):
                stop_reason = f"{name} failed: later phases do not run"
            elif name == "build":
                result.reason = "build failed: post_build still runs (CODEBUILD_BUILD_SUCCEEDING=0)"
            if retry_note:
                result.reason = retry_note + (f"; {result.reason}" if result.reason else "")
    upload = build_ran  # UPLOAD_ARTIFACTS is attempted once BUILD ran, even if it failed
    artifacts: list[str] = []
    art = data.get("artifacts")
    if upload and art:
        base = folder / str(art.get("base-directory", "."))
        for pattern in art.get("files", []):
            for match in sorted(glob.glob(str(base / str(pattern)), recursive=True)):
                path = Path(match)
                if path.is_file() and path.name != _STATE:
                    artifacts.append(path.name if art.get("discard-paths") in (True, "yes") else str(path.relative_to(base)))
    return BuildReport("FAILED" if failed_any else "SUCCEEDED", results, sorted(set(artifacts)), upload, str(folder))
