"""Shared fixtures: a running sandbox that is wiped after each test."""

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


def pytest_collection_modifyitems(config, items):
    # Slow end-to-end tests run after the fast ones so failures show up early.
    items.sort(key=lambda item: 1 if item.get_closest_marker("slow") else 0)


@pytest.fixture(scope="session")
def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a token, serving a temporary copy of notebooks/."""
    from lab_harness import jupyterlab

    with jupyterlab(NOTEBOOKS, tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture
def page(tmp_path, in_ci):
    """A Playwright page in Debian's Chromium; skips without Chromium (fails under CI=true)."""
    from lab_harness import CHROMIUM, chromium_available, chromium_page

    if not chromium_available():
        message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (never `playwright install`)"
        if in_ci:
            pytest.fail(message + " -- required under CI=true")
        pytest.skip(message)
    with chromium_page(tmp_path / "chromium-profile") as browser_page:
        yield browser_page
