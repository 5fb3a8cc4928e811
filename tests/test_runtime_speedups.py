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
    assert len(points) == 6 and moto_adapter.problems(points) == []


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


def test_full_collections_do_not_walk_the_frozen_set_to_count_it(warm, monkeypatch):
    """gc.get_freeze_count() walks every frozen object: the callback keeps its own count instead."""
    counted: list[int] = []

    def walks_everything() -> int:  # an exception in a gc callback is only printed: record the call
        counted.append(1)
        return 0

    warm.reset()
    keep = [_Node() for _ in range(1000)]  # survivors of the next full collection
    monkeypatch.setattr(gc, "get_freeze_count", walks_everything)
    gc.collect()
    gc.collect()
    monkeypatch.undo()
    assert counted == []
    frozen, actual = speedups._full_collections.frozen, gc.get_freeze_count()
    assert actual > len(keep) and actual <= frozen <= actual * 1.01 + 100  # its count: close, an upper bound


def test_the_frozen_set_is_released_once_it_has_grown_fourfold(warm):
    warm.reset()
    gc.collect()  # walks everything: the reference size
    reference = speedups._full_collections.complete_size
    assert reference >= gc.get_freeze_count() > 0
    largest_still_frozen, batches = 0, []
    while gc.get_freeze_count() and len(batches) < 100:  # new survivors, collection after collection
        batches.append([_Node() for _ in range(reference // 4)])
        gc.collect()
        if gc.get_freeze_count():
            largest_still_frozen = max(largest_still_frozen, speedups._full_collections.frozen)
    assert gc.get_freeze_count() == 0  # released at last ...
    assert 3 * reference < largest_still_frozen <= 4 * reference  # ... after growing past 4x (not 2x)


def test_time_travel_patches_a_clock_held_by_a_plain_module(warm, monkeypatch):
    from freezegun import api

    plain = types.ModuleType("course_test_plain")
    plain.now = time.time
    monkeypatch.setitem(sys.modules, plain.__name__, plain)
    with freeze_time("2030-01-01 00:00:00"):
        assert plain.now() == 1893456000.0
    plain.later = datetime_now = __import__("datetime").datetime  # a name added after the first scan ...
    with freeze_time("2030-01-01 00:00:00"):
        assert plain.later.now().year == 2030  # ... is seen: the names changed, the module is scanned again
    assert plain.now is time.time and plain.later is datetime_now
    # the hash is the one freezegun computes from dir()
    assert api._get_module_attributes_hash(plain) == f"{id(plain)}-{hash(frozenset(dir(plain)))}"


MODEL_LOAD = """
import json
from course_utils import sandbox
sandbox.start(quiet=True)
import botocore.loaders
loader = botocore.loaders.Loader()
model = loader.load_service_model("sqs", "service-2")
print(json.dumps({"type": type(model).__name__, "shapes": type(model["shapes"]).__name__,
                  "text": json.dumps(model)}))  # in the model's own key order
"""


def _load_model(cache_home) -> dict:
    import json
    import os
    import subprocess

    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    out = subprocess.run([sys.executable, "-c", MODEL_LOAD], capture_output=True, text=True, timeout=120, env=env, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_aws_models_come_back_from_the_cache_unchanged(tmp_path):
    first = _load_model(tmp_path)  # parsed, and stored
    entries = sorted((tmp_path / "dva-course" / "botocore").glob("*.pickle"))
    assert entries, "nothing cached"
    second = _load_model(tmp_path)  # read back from the cache
    assert first == second and first["type"] == first["shapes"] == "OrderedDict"


def test_a_corrupt_or_foreign_cache_entry_is_ignored(tmp_path, monkeypatch):
    import os
    import pickle
    from collections import OrderedDict

    import botocore.loaders

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    path = tmp_path / "model.json"
    path.write_text('{"b": 1, "a": [true, null, 2.5]}')
    wrapped = speedups.cached_json_file(botocore.loaders.JSONFileLoader._load_file)
    loader = botocore.loaders.JSONFileLoader()
    assert wrapped(loader, str(path), open) == OrderedDict(b=1, a=[True, None, 2.5])
    cache = speedups._cache_file(str(path), os.stat(path))
    assert cache.is_file()
    cache.write_bytes(pickle.dumps(OrderedDict(read="from the cache")))
    assert wrapped(loader, str(path), open) == OrderedDict(read="from the cache")  # the entry is what is read

    class Foreign:  # what a poisoned entry could hold: refused, the file is parsed instead
        def __reduce__(self):
            return (os.getcwd, ())

    for bad in (b"not a pickle", pickle.dumps(Foreign())):
        cache.write_bytes(bad)
        data = wrapped(loader, str(path), open)
        assert data == OrderedDict(b=1, a=[True, None, 2.5]) and type(data) is OrderedDict
    assert wrapped(loader, str(tmp_path / "missing.json"), open) is None
