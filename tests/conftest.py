"""Shared fixtures: a running sandbox that is wiped after each test; JupyterLab and Chromium for the
browser tests; a per-test time limit for the slow tests (pytest-timeout).

A browser test that fails leaves a screenshot and a Playwright trace in ``build/screenshots/``
(their paths are in the failure report); every kernel is shut down after each browser test.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ helpers (lab_harness)


@pytest.fixture(scope="session")
def sandbox_session():
    """Start the course sandbox once for the test session (quietly)."""
    from course_utils import sandbox

    sandbox.start(quiet=True)
    yield sandbox


@pytest.fixture
def aws(sandbox_session):
    """A running sandbox with empty state; wiped again after the test."""
    sandbox_session.reset()
    yield sandbox_session
    sandbox_session.reset()


SLOW_TEST_TIMEOUT = int(os.environ.get("DVA_SLOW_TEST_TIMEOUT", "900"))  # s, per slow test (setup and teardown included)
TIMEOUT_HELP = (
    "This slow test ran past its time limit (pytest-timeout; set a test's own with @pytest.mark.timeout(s), "
    "or all slow tests' with DVA_SLOW_TEST_TIMEOUT). Look at: the stack dump above (where it waited); for a browser "
    "test, the screenshot and trace below and jupyterlab.log in the lab's temporary folder; for grading, "
    "logs/<assignment>/<student>.log in the temporary course folder. A loaded machine makes tests slower, "
    "never this much slower: a wait that never ends is a bug."
)


def pytest_collection_modifyitems(config, items):
    # Slow end-to-end tests run after the fast ones so failures show up early.
    items.sort(key=lambda item: 1 if item.get_closest_marker("slow") else 0)
    if config.pluginmanager.hasplugin("timeout"):  # pinned in requirements.txt
        for item in items:
            if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
                item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, say what to look at; a failed browser test saves a screenshot and a trace."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    if "from pytest-timeout" in str(report.longrepr):
        report.sections.append(("what to look at", TIMEOUT_HELP))
    page, lab = item.funcargs.get("page"), item.funcargs.get("lab")
    if page is not None and report.when == "call":
        from lab_harness import save_failure_artifacts

        saved = save_failure_artifacts(page, item.nodeid)
        lines = [f"{p.suffix[1:]}: {p}" for p in saved]
        lines += [f"open the trace with: {Path(sys.executable).parent / 'playwright'} show-trace {p}" for p in saved
                  if p.suffix == ".zip"]
        if lab is not None:
            lines += [f"JupyterLab log: {lab.log}", f"dialogs dismissed this session: {lab.dialogs or 'none'}"]
        report.sections.append(("browser artifacts", "\n".join(lines)))
        print("\n".join(lines), file=sys.stderr)


@pytest.fixture(scope="session")
def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of notebooks/.

    At the end of the session no kernel may be left running (each browser test shuts its own down).
    """
    from lab_harness import jupyterlab

    with jupyterlab(NOTEBOOKS, tmp_path_factory.mktemp("lab")) as server:
        yield server
        left = server.kernels()
        assert left == [], f"{len(left)} kernel(s) left running at the end of the session: {left}"


@pytest.fixture
def page(lab, tmp_path, in_ci):
    """A Playwright page in Debian's Chromium; skips without Chromium (fails under CI=true).

    Dialogs that would block a click are dismissed (and noted); after the test the browser closes
    and every kernel and session of the lab is shut down.
    """
    from lab_harness import chromium_page, require_chromium

    require_chromium(in_ci)
    try:
        with chromium_page(tmp_path / "chromium-profile") as browser_page:
            lab.guard(browser_page)
            yield browser_page
    finally:
        memory = lab.memory_mb()
        stopped = lab.shutdown_all()
        print(f"[lab] shut down {stopped} kernel(s); the lab and its kernels used {memory:.0f} MB before", flush=True)


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A learner's progress file of the test's own (``DVA_COURSE_PROGRESS`` points to it): quiz, exam and flashcard tests."""
    from course_utils.quiz.progress import ProgressStore

    path = tmp_path / "progress.json"
    monkeypatch.setenv("DVA_COURSE_PROGRESS", str(path))
    return ProgressStore(path)
