"""Unit tests for Lambda handlers, written and run inside a notebook (pytest through ``ipytest``).

* :func:`load_handler` turns a handler's source (the same string ``deploy.function`` deploys)
  into an importable module, so a test calls ``app.handler(event, context)`` as plain Python;
* :class:`LambdaContext` is a stand-in for the context object Lambda passes (the properties and
  the method of https://docs.aws.amazon.com/lambda/latest/dg/python-context.html);
* fixtures: ``aws_account`` (an empty AWS account in the sandbox for each test), ``clock``
  (time frozen with freezegun; ``clock.tick(60)`` moves it) and ``lambda_context``;
* :func:`run_tests` runs test functions with pytest and returns the counts
  (:class:`TestRun`) a cell can assert on; ``cover=`` measures a handler module with
  ``coverage`` and lists the lines that never ran (:class:`CoverageReport`).

A fresh account, not ``sandbox.reset()``: resetting wipes every resource the notebook made
so far; moto keeps separate state per account, and ``MOTO_ACCOUNT_ID`` sends every request
to another account while the test runs (empty, since each test gets a new id). S3 bucket names
are global, so the buckets a test made are deleted after it. REST APIs created in that account
are not served on ``execute-api`` URLs (the course serves the default account): integration
tests against stages use the notebook's own account.

Notebook safety: :func:`configure` sets ipytest's options once (``raise_on_error=False``,
so a failing test is reported, not raised, and the notebook runs on; ``clean="test_*"``, so
``%%ipytest`` deletes only test functions; no ``.pytest_cache``); running it again changes
nothing. :func:`run_tests` passes its own options to ``ipytest.run`` and runs pytest in a
scratch directory, so neither the repository's pytest configuration nor a second *Run All*
affects it. Importing this module changes nothing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import sys
import tempfile
import textwrap
import time
import types
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "ADDOPTS",
    "configure",
    "load_handler",
    "LambdaContext",
    "fresh_account",
    "aws_account",
    "clock",
    "lambda_context",
    "CoverageReport",
    "measure",
    "TestRun",
    "run_tests",
]

#: pytest options every run uses: quiet, no cache directory written next to the notebook.
ADDOPTS: tuple[str, ...] = ("-q", "-p", "no:cacheprovider")
FROZEN_AT = "2030-01-01T12:00:00Z"  #: where the ``clock`` fixture stops time

_scratch: Path | None = None
_accounts = itertools.count(1)


def _scratch_dir() -> Path:
    global _scratch
    if _scratch is None or not _scratch.exists():
        _scratch = Path(tempfile.mkdtemp(prefix="course-testkit-"))
    return _scratch


def _no_installed_plugins() -> tuple[str, ...]:
    """``-p no:<name>`` for every pytest plugin installed in the environment (hypothesis, anyio, ...):
    a notebook's tests don't use them, and loading them costs about a second per run."""
    from importlib.metadata import entry_points

    names = sorted({ep.name for ep in entry_points(group="pytest11")})
    return tuple(arg for name in names for arg in ("-p", f"no:{name}"))


def _empty_ini() -> Path:
    """An empty pytest configuration file in the scratch directory (``-c`` for the magic's runs)."""
    path = _scratch_dir() / "pytest.ini"
    if not path.is_file():
        path.write_text("[pytest]\n")
    return path


def configure() -> None:
    """Set ipytest up for this notebook (``%%ipytest`` magic, assert rewriting); safe to call again.
    The magic runs without the environment's installed pytest plugins and without the repository's
    pytest configuration (``-c`` an empty file; the repository's ``filterwarnings`` imports
    hypothesis, about 0.5 s), as :func:`run_tests` does."""
    import ipytest

    ipytest.autoconfig(raise_on_error=False, clean="test_*", addopts=ADDOPTS + ("-c", str(_empty_ini())) + _no_installed_plugins())


def load_handler(name: str, source: str) -> types.ModuleType:
    """Module ``name`` built from ``source`` (dedented), written to a scratch file so that tracebacks
    and coverage show its lines. Each call runs the module's code again, like a new cold start."""
    if not name.isidentifier():
        raise ValueError(f"a module name is a Python identifier, got {name!r}")
    path = _scratch_dir() / f"{name}.py"
    code = textwrap.dedent(source)
    path.write_text(code)
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module
    exec(compile(code, str(path), "exec"), module.__dict__)
    return module


@dataclass
class LambdaContext:
    """What a Python handler's ``context`` offers, for calling the handler as a plain function."""

    function_name: str = "test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    timeout_s: float = 3.0
    region: str = "us-east-1"
    account: str = "123456789012"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_s

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"2030/01/01/[{self.function_version}]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _empty_buckets() -> None:
    import boto3

    s3 = boto3.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                s3.delete_object(Bucket=name, Key=item["Key"], VersionId=item["VersionId"])
        s3.delete_bucket(Bucket=name)


@contextlib.contextmanager
def fresh_account() -> Iterator[str]:
    """Send every sandbox request to a new, empty account while the block runs; yields its id."""
    from . import sandbox

    if not sandbox.is_running():
        raise RuntimeError("The AWS sandbox is not running: call course_utils.sandbox.start() first.")
    account = f"{210000000000 + next(_accounts)}"
    before = os.environ.get("MOTO_ACCOUNT_ID")
    os.environ["MOTO_ACCOUNT_ID"] = account
    try:
        yield account
    finally:
        try:
            _empty_buckets()  # bucket names are global: free them for the next test
        finally:
            if before is None:
                os.environ.pop("MOTO_ACCOUNT_ID", None)
            else:
                os.environ["MOTO_ACCOUNT_ID"] = before


@pytest.fixture
def aws_account() -> Iterator[str]:
    """An empty AWS account in the sandbox for this test (its id)."""
    with fresh_account() as account:
        yield account


@pytest.fixture
def clock() -> Iterator[Any]:
    """Time stands still at :data:`FROZEN_AT`; ``clock.tick(seconds)`` moves it, ``clock.move_to(...)`` jumps."""
    from freezegun import freeze_time

    with freeze_time(FROZEN_AT) as frozen:
        yield frozen


@pytest.fixture
def lambda_context() -> LambdaContext:
    """A :class:`LambdaContext` for ``test-function`` with 3 s to run."""
    return LambdaContext()


@dataclass
class CoverageReport:
    """Which statements of the measured files ran (filled when :func:`measure` ends)."""

    files: list[str]
    statements: dict[str, list[int]] = field(default_factory=dict)
    missing: dict[str, list[int]] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        total = sum(len(v) for v in self.statements.values())
        missed = sum(len(v) for v in self.missing.values())
        return 100.0 if total == 0 else round(100.0 * (total - missed) / total, 1)

    def text(self) -> str:
        """Each measured file's source: ``>>`` marks a statement that never ran."""
        out = []
        for path in self.files:
            missing = set(self.missing.get(path, []))
            statements = self.statements.get(path, [])
            ran = len(statements) - len(missing)
            out.append(f"{Path(path).name}: {ran}/{len(statements)} statements ran ({self.percent:.0f} %)"
                       f"{', never ran: lines ' + ', '.join(map(str, sorted(missing))) if missing else ''}")
            for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
                out.append(f"{'>>' if number in missing else '  '} {number:3} {line}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.text()


def _module_file(target: types.ModuleType | str) -> str:
    path = target if isinstance(target, str) else getattr(target, "__file__", None)
    if not path or not Path(path).is_file():
        raise ValueError(f"cannot measure {target!r}: it has no source file (load it with testkit.load_handler)")
    return str(Path(path).resolve())


@contextlib.contextmanager
def measure(*targets: types.ModuleType | str) -> Iterator[CoverageReport]:
    """Measure statement coverage of the given modules (or files) while the block runs.

    A module's code is run again once measuring starts, so its import-time lines (``def``,
    imports, clients) count as run, as they do when Lambda imports it.
    """
    import coverage

    files = [_module_file(t) for t in targets]
    report = CoverageReport(files)
    cov = coverage.Coverage(data_file=None, include=files, config_file=False)
    cov.start()
    try:
        for target in targets:
            if isinstance(target, types.ModuleType):
                exec(compile(Path(target.__file__).read_text(), target.__file__, "exec"), target.__dict__)
        yield report
    finally:
        cov.stop()
        for path in files:
            _, statements, _, missing, _ = cov.analysis2(path)
            report.statements[path], report.missing[path] = list(statements), list(missing)


@dataclass
class TestRun:
    """Outcome of :func:`run_tests`: counts per outcome, each test's outcome, pytest's exit code."""

    __test__ = False  # not a test class, whatever its name

    outcomes: dict[str, str]
    exit_code: int
    coverage: CoverageReport | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for o in self.outcomes.values() if o == outcome)

    @property
    def passed(self) -> int:
        return self.count("passed")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def skipped(self) -> int:
        return self.count("skipped")

    def __str__(self) -> str:
        parts = [f"{self.count(o)} {o}" for o in ("passed", "failed", "error", "skipped") if self.count(o)]
        return ", ".join(parts) or "no tests ran"


class _Outcomes:
    """pytest plugin: records one outcome per test (``error`` when setup or teardown failed)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        name = report.nodeid.split("::", 1)[-1]
        if report.when == "call":
            self.outcomes[name] = report.outcome
        elif report.failed:
            self.outcomes[name] = "error"
        elif report.skipped:
            self.outcomes[name] = "skipped"


def run_tests(*tests: Callable[..., Any], module: types.ModuleType | None = None,
              cover: Iterable[types.ModuleType | str] = (), args: Iterable[str] = ()) -> TestRun:
    """Run ``tests`` (test functions; by default every ``test_*`` of ``module``, the notebook)
    with pytest and the fixtures of this module; returns the counts. Failures are reported in
    the output, never raised. ``cover`` lists handler modules whose coverage is measured."""
    import ipytest

    if tests:
        module = module or sys.modules[tests[0].__module__]
        selected = [f"{{MODULE}}::{t.__name__}" for t in tests]
    else:
        module = module or sys.modules["__main__"]
        selected = []
    collector = _Outcomes()
    cover = list(cover)
    report = None
    cwd = os.getcwd()
    os.chdir(_scratch_dir())  # pytest finds no ini file here: the repository's configuration stays out
    try:
        with measure(*cover) if cover else contextlib.nullcontext() as report:
            exit_code = ipytest.run(*selected, *args, module=module, plugins=[collector, sys.modules[__name__]],
                                    raise_on_error=False, addopts=ADDOPTS + _no_installed_plugins(), defopts="auto",
                                    coverage=False, run_in_thread=False, display_columns=100)
    finally:
        os.chdir(cwd)
    return TestRun(collector.outcomes, int(exit_code), report)
