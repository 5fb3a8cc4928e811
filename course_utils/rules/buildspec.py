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
its path; :func:`~course_utils.sim.buildspec.run_local` runs the commands with ``bash`` in a
temporary folder (no container, no AWS), applies the failure and transition rules above,
resolves ``parameter-store`` and ``secrets-manager`` values from the course sandbox when clients
are given, and returns a per-phase report. It does not emulate build images, runtimes, reports,
batch builds or caching.

The ``RETRY`` forms, locally: the buildspec reference says "retry the build" and does not say
where a retry starts or what exactly the "error message" is.
:func:`~course_utils.sim.buildspec.run_local` re-runs the failed phase (``commands`` then
``finally``, in the same folder and shell state) while it keeps failing and the regex matches,
at most ``count`` times (3 when no count is given). The regex is searched (``re.search``) in the
failed attempt's output plus a CodeBuild-style line
``COMMAND_EXECUTION_ERROR: Error while executing command: <command>. Reason: exit status <n>``.
A phase that still fails after its retries, or whose error does not match, then follows the
default transitions, as if ``on-failure`` were not set. The prefix is also accepted as
``Retry``, the spelling of some of AWS's own examples.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from ._spec import Problem, load_mapping

__all__ = [
    "PHASES",
    "Problem",
    "OnFailure",
    "parse_on_failure",
    "validate",
    "check",
    "PhaseResult",
    "BuildReport",
]

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
    """The outcome of :func:`~course_utils.sim.buildspec.run_local`."""

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
