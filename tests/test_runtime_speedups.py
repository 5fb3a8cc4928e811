"""course_utils.runtime.speedups: the same results, without the repeated work (no timings here: see benchmarks/)."""

from __future__ import annotations

import gc
import sys
import time
import types
import weakref

import boto3
import pytest
from freezegun import freeze_time

from course_utils.runtime import speedups


@pytest.fixture
def warm(aws):
    """The sandbox installs the speed-ups when it starts."""
    yield speedups


def test_install_is_idempotent(warm):
    callbacks = list(gc.callbacks)
    warm.install()
    assert warm.installed() and gc.callbacks == callbacks


def test_the_patches_are_declared_and_checked():
    from course_utils.runtime import moto_adapter
    from course_utils.runtime.patches import REPLACED

    points = [p for p in REPLACED if p.with_.startswith("speedups:")]
    assert len(points) == 4 and moto_adapter.problems(points) == []


def test_time_travel_reads_what_a_lazy_module_holds_and_imports_nothing(warm, monkeypatch):
    looked_up: list[str] = []
    lazy = types.ModuleType("course_test_lazy")
    lazy.now = time.time  # a real clock reference freezegun must still replace

    def __getattr__(name: str):  # noqa: N807 - a PEP 562 lazy module
        looked_up.append(name)
        raise AttributeError(name)

    lazy.__getattr__ = __getattr__
    lazy.__dir__ = lambda: ["now", "heavy_submodule"]
    monkeypatch.setitem(sys.modules, lazy.__name__, lazy)
    with freeze_time("2030-01-01 00:00:00"):
        assert lazy.now() == 1893456000.0  # frozen: the reference was patched
    assert lazy.now is time.time  # and restored
    assert looked_up == []  # the lazy name was never looked up (nothing imported)


QUIZ_SCAN = """
import json, sys
from course_utils import quiz, sandbox
if sys.argv[1] == "plain":  # the sandbox without the freezegun speed-up
    from course_utils.runtime import patches
    patches.REPLACED = tuple(p for p in patches.REPLACED if p.with_ != "speedups:lazy_module_attributes")
    from course_utils.runtime import moto_adapter
    moto_adapter.REPLACED = patches.REPLACED
sandbox.start(quiet=True)
from freezegun import freeze_time
before = set(sys.modules)
with freeze_time("2030-01-01"):
    pass
print(json.dumps(sorted(m for m in set(sys.modules) - before if m.startswith(("course_utils.quiz.", "IPython.terminal")))))
"""


def test_time_travel_does_not_import_lazy_packages():
    import json
    import subprocess

    def imported(mode: str) -> list[str]:
        out = subprocess.run([sys.executable, "-c", QUIZ_SCAN, mode], capture_output=True, text=True, timeout=120, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    assert imported("plain")  # freezegun alone imports what quiz (and IPython) export lazily ...
    assert imported("warm") == []  # ... the warm-up's scan imports nothing


def test_sessions_share_one_data_loader(warm, monkeypatch):
    first, second = boto3.Session(), boto3.session.Session()
    loader = first._session.get_component("data_loader")
    assert second._session.get_component("data_loader") is loader
    assert boto3.client("sqs").list_queues() is not None and second.client("sqs").list_queues() is not None
    assert len(loader.search_paths) == len(set(loader.search_paths))  # boto3's own path is not appended twice
    monkeypatch.setenv("AWS_DATA_PATH", "/tmp")
    assert boto3.Session()._session.get_component("data_loader") is not loader


def test_moto_shares_its_loader_and_asks_the_default_session_for_regions(warm):
    import moto.core.utils as moto_utils
    from moto.core.base_backend import AccountSpecificBackend

    assert moto_utils.create_loader() is moto_utils.create_loader()
    boto3.client("sqs").list_queues()
    assert AccountSpecificBackend.get_session() is boto3.DEFAULT_SESSION
    assert "us-east-1" in AccountSpecificBackend.get_session().get_available_regions("sqs")


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_full_collection_survivors_are_frozen_and_reset_frees_dead_cycles(warm):
    node = _Node()
    alive = weakref.ref(node)
    gc.collect()  # a full collection: its survivors (node too) are frozen
    assert gc.get_freeze_count() > 0
    del node
    gc.collect(0)
    assert alive() is not None  # frozen: a dead cycle waits ...
    warm.reset()  # ... until the sandbox is reset (or the frozen set doubles)
    assert gc.get_freeze_count() == 0
    gc.collect()
    assert alive() is None
