"""A buildspec.yml (version 0.2) validator and a local phase runner that follows CodeBuild's rules.

What AWS CodeBuild does (Build specification reference; Build phase transitions, CodeBuild
User Guide):

* ``version`` is required; 0.2 is the current version (in 0.2 every command of the build runs
  in the same shell instance, so ``cd`` and ``export`` carry over from one command to the next).
* ``phases`` holds up to four phases, always run in this order: ``install``, ``pre_build``,
  ``build``, ``post_build``. Each phase has ``commands`` (run one at a time, in order), an
  optional ``finally`` block (run after ``commands`` even when a command failed), an optional
  ``on-failure`` and ``run-as``; ``install`` may also list ``runtime-versions``.
* ``on-failure`` is ``ABORT``, ``CONTINUE``, ``RETRY``, ``RETRY-count``, ``RETRY-regex`` or
  ``RETRY-count-regex``. ``RETRY`` retries up to 3 times with the regex ``.*``; ``count`` must be
  0 to 100 (``RETRY-4``); ``regex`` must match the error message (``RETRY-invalid+``,
  ``RETRY-3-.*connection timed out.*``). CodeBuild supports ``on-failure`` on EC2 compute only
  (not on Lambda compute or reserved capacity).
* In a phase, the first failing command (non-zero exit) skips the remaining commands; the
  ``finally`` commands still run; the phase fails if any of its commands failed.
* Phase transitions: a failed ``install`` (or ``pre_build``) means the later command phases do
  not run; a failed ``build`` still goes on to ``post_build`` (CodeBuild sets
  ``CODEBUILD_BUILD_SUCCEEDING=0`` so post_build can tell), and ``UPLOAD_ARTIFACTS`` is always
  attempted once ``BUILD`` ran, even if it failed. ``on-failure: CONTINUE`` goes on to the next
  phase after a failure; ``on-failure: ABORT`` stops the build there.
* ``env`` holds ``variables`` (plain text), ``parameter-store`` (name -> SSM parameter name),
  ``secrets-manager`` (name -> ``secret-id:json-key:version-stage:version-id``),
  ``exported-variables``, ``shell`` and ``git-credential-helper``. Names starting with
  ``CODEBUILD_`` are reserved.
* ``artifacts.files`` (required when ``artifacts`` is given) lists paths or globs (``**/*``)
  relative to the source folder or ``base-directory``; ``cache.paths`` lists folders to cache.

What this module reproduces: :func:`validate` checks the structure and names the bad key with
its path; :func:`run_local` runs the commands with ``bash`` in a temporary folder (no container,
no AWS), applies the failure and transition rules above, resolves ``parameter-store`` and
``secrets-manager`` values from the course sandbox when clients are given, and returns a
per-phase report. It does not emulate build images, runtimes, reports, batch builds or caching.

The ``RETRY`` forms, locally: the buildspec reference says "retry the build" and does not say
where a retry starts or what exactly the "error message" is. :func:`run_local` re-runs the failed
phase (``commands`` then ``finally``, in the same folder and shell state) while it keeps failing
and the regex matches, at most ``count`` times (3 when no count is given). The regex is searched
(``re.search``) in the failed attempt's output plus a CodeBuild-style line
``COMMAND_EXECUTION_ERROR: Error while executing command: <command>. Reason: exit status <n>``.
A phase that still fails after its retries, or whose error does not match, then follows the
default transitions, as if ``on-failure`` were not set. The prefix is also accepted as ``Retry``,
the spelling of some of AWS's own examples.
"""

from __future__ import annotations

import difflib
import glob
import os
import re
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._spec import Problem, load_mapping

__all__ = [
    "PHASES", "Problem", "OnFailure", "parse_on_failure", "validate", "check", "PhaseResult", "BuildReport", "run_local",
]  # fmt: skip

PHASES: tuple[str, ...] = ("install", "pre_build", "build", "post_build")
TOP_KEYS = ("version", "run-as", "env", "proxy", "batch", "phases", "reports", "artifacts", "cache")
ENV_KEYS = ("shell", "variables", "parameter-store", "exported-variables", "secrets-manager", "git-credential-helper")
PHASE_KEYS = ("run-as", "on-failure", "runtime-versions", "commands", "finally")
ARTIFACT_KEYS = (
    "files", "name", "discard-paths", "base-directory", "exclude-paths", "enable-symlinks", "s3-prefix", "secondary-artifacts",
)  # fmt: skip
CACHE_KEYS = ("paths", "key", "fallback-keys", "action")
ON_FAILURE = ("ABORT", "CONTINUE", "RETRY", "RETRY-count", "RETRY-regex", "RETRY-count-regex")
RETRY_DEFAULT_COUNT = 3  # RETRY and RETRY-regex retry "up to 3 times" (buildspec reference)
RETRY_MAX_COUNT = 100  # RETRY-count: "count must be between 0 and 100"
_ON_FAILURE_HINT = "must be ABORT, CONTINUE, RETRY, RETRY-count, RETRY-regex or RETRY-count-regex (count 0 to 100)"


@dataclass(frozen=True)
class OnFailure:
    """A parsed ``on-failure`` value: ``mode`` is ABORT, CONTINUE or RETRY."""

    mode: str
    count: int = 0  # retries allowed (RETRY forms only)
    regex: str = ".*"  # the error must match it for a retry (RETRY forms only)


def parse_on_failure(value: Any) -> OnFailure:
    """Parse an ``on-failure`` value; raise ``ValueError`` saying why when it is not valid."""
    if not isinstance(value, str):
        raise ValueError(f"{_ON_FAILURE_HINT}, got {value!r}")
    if value in ("ABORT", "CONTINUE"):
        return OnFailure(value)
    prefix, sep, rest = value.partition("-")
    if prefix not in ("RETRY", "Retry") or (sep and not rest):
        raise ValueError(f"{_ON_FAILURE_HINT}, got {value!r}")
    count, regex = RETRY_DEFAULT_COUNT, rest or ".*"
    match = re.fullmatch(r"(\d+)(?:-(.*))?", rest, re.DOTALL)
    if match:  # RETRY-count or RETRY-count-regex
        count, regex = int(match.group(1)), match.group(2)
        if count > RETRY_MAX_COUNT:
            raise ValueError(f"retry count must be between 0 and {RETRY_MAX_COUNT}, got {count} in {value!r}")
        if regex == "":
            raise ValueError(f"RETRY-count-regex needs a regex after the count, got {value!r}")
        regex = regex or ".*"
    try:
        re.compile(regex)
    except re.error as exc:
        raise ValueError(f"{regex!r} in {value!r} is not a valid regular expression ({exc})") from None
    return OnFailure("RETRY", count, regex)


def _load(spec: str | dict[str, Any]) -> dict[str, Any]:
    return load_mapping(spec, "buildspec", "a YAML mapping with 'version' and 'phases' at the top")


def _unknown(path: str, key: Any, allowed: tuple[str, ...], what: str) -> Problem:
    hint = difflib.get_close_matches(str(key), allowed, n=1)
    tip = f" (did you mean '{hint[0]}'?)" if hint else ""
    return Problem(f"{path}.{key}" if path else str(key), f"unknown {what} '{key}'{tip}; allowed: {', '.join(allowed)}")


def _str_list(value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, list) or not value:
        problems.append(Problem(path, "must be a non-empty list of commands"))
        return
    for i, item in enumerate(value):
        if not isinstance(item, (str, int, float)):
            problems.append(Problem(f"{path}[{i}]", f"must be a command string, got {type(item).__name__} (quote commands that contain ': ')"))


def _str_map(value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, dict):
        problems.append(Problem(path, "must be a mapping of NAME: value"))
        return
    for name, val in value.items():
        if str(name).startswith("CODEBUILD_"):
            problems.append(Problem(f"{path}.{name}", "names starting with CODEBUILD_ are reserved by CodeBuild"))
        if isinstance(val, (dict, list)):
            problems.append(Problem(f"{path}.{name}", "value must be a scalar"))


def validate(spec: str | dict[str, Any]) -> list[Problem]:
    """Every problem found in a buildspec (YAML text or parsed dict); empty when it is sound."""
    data = _load(spec)
    problems: list[Problem] = []
    for key in data:
        if key not in TOP_KEYS:
            problems.append(_unknown("", key, TOP_KEYS, "top-level key"))
    version = data.get("version")
    if version is None:
        problems.append(Problem("version", "is required (use 0.2)"))
    elif str(version) != "0.2":
        problems.append(Problem("version", f"is {version!r}; this course checks version 0.2 (0.1 runs every command in a separate shell)"))
    env = data.get("env")
    if env is not None:
        if not isinstance(env, dict):
            problems.append(Problem("env", "must be a mapping"))
        else:
            for key, value in env.items():
                if key not in ENV_KEYS:
                    problems.append(_unknown("env", key, ENV_KEYS, "env key"))
                elif key in ("variables", "parameter-store", "secrets-manager"):
                    _str_map(value, f"env.{key}", problems)
                elif key == "exported-variables" and not isinstance(value, list):
                    problems.append(Problem("env.exported-variables", "must be a list of variable names"))
            for name, ref in (env.get("secrets-manager") or {}).items() if isinstance(env.get("secrets-manager"), dict) else []:
                if isinstance(ref, str) and not ref.split(":")[0]:
                    problems.append(Problem(f"env.secrets-manager.{name}", "needs a secret id: secret-id:json-key:version-stage:version-id"))
    phases = data.get("phases")
    if phases is None:
        problems.append(Problem("phases", "is required: at least one of install, pre_build, build, post_build"))
    elif not isinstance(phases, dict) or not phases:
        problems.append(Problem("phases", "must be a mapping of phase names to phases"))
    else:
        for name, phase in phases.items():
            path = f"phases.{name}"
            if name not in PHASES:
                problems.append(_unknown("phases", name, PHASES, "phase"))
                continue
            if not isinstance(phase, dict):
                problems.append(Problem(path, "must be a mapping with 'commands'"))
                continue
            for key, value in phase.items():
                if key not in PHASE_KEYS:
                    problems.append(_unknown(path, key, PHASE_KEYS, "phase key"))
                elif key == "runtime-versions" and name != "install":
                    problems.append(Problem(f"{path}.runtime-versions", "is only allowed in the install phase"))
                elif key == "on-failure":
                    try:
                        parse_on_failure(value)
                    except ValueError as exc:
                        problems.append(Problem(f"{path}.on-failure", str(exc)))
                elif key in ("commands", "finally"):
                    _str_list(value, f"{path}.{key}", problems)
            if "commands" not in phase and name != "install":
                problems.append(Problem(f"{path}.commands", "is required when the phase is given"))
    artifacts = data.get("artifacts")
    if artifacts is not None:
        if not isinstance(artifacts, dict):
            problems.append(Problem("artifacts", "must be a mapping with 'files'"))
        else:
            for key in artifacts:
                if key not in ARTIFACT_KEYS:
                    problems.append(_unknown("artifacts", key, ARTIFACT_KEYS, "artifacts key"))
            if "files" not in artifacts:
                problems.append(Problem("artifacts.files", "is required when 'artifacts' is given"))
            elif not isinstance(artifacts["files"], list) or not artifacts["files"]:
                problems.append(Problem("artifacts.files", "must be a non-empty list of paths or globs"))
    cache = data.get("cache")
    if cache is not None:
        if not isinstance(cache, dict):
            problems.append(Problem("cache", "must be a mapping with 'paths'"))
        else:
            for key in cache:
                if key not in CACHE_KEYS:
                    problems.append(_unknown("cache", key, CACHE_KEYS, "cache key"))
            if not isinstance(cache.get("paths"), list):
                problems.append(Problem("cache.paths", "must be a list of folders to cache"))
    return problems


def check(spec: str | dict[str, Any]) -> dict[str, Any]:
    """Parse and validate; raise ``ValueError`` naming every problem, else return the dict."""
    data = _load(spec)
    problems = validate(data)
    if problems:
        raise ValueError("buildspec has problems:\n" + "\n".join(f"  - {p}" for p in problems))
    return data


@dataclass
class PhaseResult:
    """What happened in one phase."""

    name: str
    status: str  # SUCCEEDED, FAILED, NOT_RUN
    commands: list[tuple[str, int]] = field(default_factory=list)  # (command, exit code) actually run
    finally_commands: list[tuple[str, int]] = field(default_factory=list)
    output: str = ""
    reason: str = ""
    attempts: int = 1  # 1 + the retries an on-failure RETRY form used; the command lists are the last attempt's


@dataclass
class BuildReport:
    """The outcome of :func:`run_local`."""

    status: str  # SUCCEEDED or FAILED
    phases: list[PhaseResult]
    artifacts: list[str]
    upload_attempted: bool
    workdir: str

    def phase(self, name: str) -> PhaseResult:
        return next(p for p in self.phases if p.name == name)

    def table(self) -> str:
        """One line per phase: status, commands run, why."""
        lines = [f"{'phase':<11} {'status':<10} commands run (exit code)"]
        for p in self.phases:
            ran = ", ".join(f"{c!r}={rc}" for c, rc in p.commands + p.finally_commands) or "-"
            tries = f" (attempt {p.attempts})" if p.attempts > 1 else ""
            lines.append(f"{p.name:<11} {p.status:<10} {ran}{tries}" + (f"   <- {p.reason}" if p.reason else ""))
        lines.append(f"UPLOAD_ARTIFACTS {'attempted' if self.upload_attempted else 'skipped'}: {self.artifacts}")
        lines.append(f"build status: {self.status}")
        return "\n".join(lines)


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
    folder = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="codebuild-"))
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
