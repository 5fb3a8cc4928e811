"""The sandbox's speed-ups: no work repeated for nothing: parsing the same AWS data files, importing on a scan.

Measured in the course notebooks (``benchmarks/bench_notebooks.py``), six costs are paid again
and again without changing any result:

1. **moto's model loader.** To parse a request, moto loads the service's botocore model through a
   *new* ``Loader`` each time (``moto.core.utils._load_service_model``), so each first use of a
   service lists the ~400 service directories again (thousands of ``stat`` calls) before parsing
   the JSON. ``shared_loader`` gives moto one loader for the process; moto's own model
   (botocore's plus moto's extras) is kept apart from boto3's, so nothing else changes.
2. **moto's region lists.** Each service backend asks a private ``boto3.Session()`` which regions
   exist; that session parses the service's whole model (for its endpoint prefix) and the endpoint
   data a second time, though boto3's default session has just parsed both to build the client.
   ``get_session`` makes moto ask the default session (same data files,
   same answer; the course's :mod:`course_utils.runtime.fastimport` does the same for EC2).
3. **A new session's data files.** Each ``boto3.Session()`` gets its own botocore loader, so a
   client made from it parses its service's model and the endpoint data again (0.1-0.3 s per
   client): course simulators (drift detection), Lambda handlers and learners make such sessions.
   ``register_data_loader`` gives every session with the default ``data_path`` one loader.
   The loader only caches AWS's read-only JSON files; credentials, region and events stay per session.
4. **freezegun's first scan.** ``freeze_time`` looks through every loaded module for references
   to ``time.time``, ``datetime.datetime`` ...; it reads each name in ``dir(module)``, which in a
   module with a lazy ``__getattr__`` (IPython, numpy, ``course_utils.quiz``) *imports* what the
   name stands for: IPython's terminal and prompt_toolkit, numpy.testing, every quiz submodule,
   about 0.3-0.5 s the first time a notebook travels in time. ``lazy_module_attributes``
   makes that scan read what such a module holds (``vars(module)``) instead; a name that is not
   loaded yet cannot hold a clock, and once it is loaded it is in ``vars`` and scanned as before.
   A plain module (no ``__dir__``, no ``__getattr__``) is read through ``vars`` too: the same
   pairs, without sorting its names and looking each one up. On *every* ``freeze_time`` freezegun
   also checks whether each module's names changed (a hash of the sorted ``dir()``);
   ``plain_module_hash`` computes the same hash from a plain module's ``__dict__`` keys.
5. **Full garbage collections.** CPython runs a full collection whenever the long-lived objects have
   grown by a quarter, and each one walks *every* object: imported modules, parsed AWS models,
   moto's backends (500 000 objects by the end of Domain 1, 0.2 s a walk, 14 walks, about 2.5 s
   of its run). :func:`install` moves the survivors of a full
   collection out of the way of later ones (:func:`gc.freeze`), so each object is walked about
   once. Objects are still freed by reference counting; only a reference *cycle* that dies while
   frozen waits, until the frozen set has grown to :data:`UNFREEZE_GROWTH` times what the last
   complete collection left (then everything is unfrozen and the next collection walks it all
   again) or :func:`reset`. The callback counts what it freezes itself: ``gc.get_freeze_count()``
   walks the whole frozen set, and calling it on each full collection cost as much as the
   collections it saved (3-4 s of Domain 3's run).
6. **Parsing AWS's model files.** botocore parses each service model with
   ``json.loads(..., object_pairs_hook=OrderedDict)`` (about 40 ms for EC2's), and in the sandbox
   twice per service (boto3's loader and moto's). ``cached_json_file`` keeps the parsed tree in a
   pickle cache (``~/.cache/dva-course/botocore``, named by the file's path, time and size), which
   reads back the same ``OrderedDict`` tree in half the time.

The first, second, third, fourth and sixth replace or wrap third-party internals: they are entries
of :mod:`.patches` (``shared_loader``, ``get_session``, ``register_data_loader``,
``lazy_module_attributes``, ``plain_module_hash``, ``cached_json_file``), applied and checked by
:mod:`.moto_adapter` like every other patch. The fifth is a ``gc`` callback that :func:`install`
adds (``course_utils.runtime.install()`` calls it) and :func:`reset` undoes after a sandbox reset.
Importing this module changes nothing.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import os
import pickle
import sys
import types
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable

__all__ = [
    "shared_loader", "get_session", "register_data_loader", "lazy_module_attributes", "plain_module_hash", "cached_json_file",
    "json_cache_dir", "install", "reset", "installed", "UNFREEZE_GROWTH",
]


def shared_loader(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps moto's ``create_loader``: one loader for the process (its cache serves every later load)."""
    return functools.lru_cache(maxsize=None)(original)


def _get_session(cls: type) -> Any:
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION


#: Replaces ``AccountSpecificBackend.get_session``: region lists come from boto3's default session.
get_session = classmethod(_get_session)


class _SearchPaths(list):  # type: ignore[type-arg]
    """A loader's search paths; appending a path it has is a no-op (boto3 appends its own per session)."""

    def append(self, path: Any) -> None:
        if path not in self:
            super().append(path)


_shared: list[Any] = []


def register_data_loader(self: Any) -> None:
    """Replaces ``botocore.session.Session._register_data_loader``: every session with the default
    ``data_path`` shares one data loader (AWS's read-only JSON files, parsed once)."""
    from .moto_adapter import botocore_data_loader

    def create() -> Any:
        path = self.get_config_variable("data_path")
        if path:  # AWS_DATA_PATH or a session's own setting: its own loader, as before
            return botocore_data_loader(path)
        if not _shared:
            loader = botocore_data_loader(None)
            loader._search_paths = _SearchPaths(loader.search_paths)
            _shared.append(loader)
        return _shared[0]

    self._components.lazy_register_component("data_loader", create)


def _is_lazy(module: types.ModuleType) -> bool:
    try:
        return callable(vars(module).get("__getattr__"))
    except TypeError:
        return False


def _is_plain(module: types.ModuleType) -> bool:
    """A plain module object: ``dir()`` lists the keys of its ``__dict__`` and ``getattr`` reads them."""
    if type(module) is not types.ModuleType:
        return False
    try:
        namespace = vars(module)
    except TypeError:
        return False
    return "__dir__" not in namespace and "__getattr__" not in namespace


def lazy_module_attributes(original: Callable[[types.ModuleType], list[tuple[str, Any]]]) -> Callable[..., Any]:
    """Wraps freezegun's ``_get_module_attributes``: a module with a lazy ``__getattr__`` is scanned
    through ``vars()`` (what it holds), so the scan imports nothing; a plain module too, as the same
    pairs ``dir()`` + ``getattr`` would give, without sorting the names and looking each one up."""

    def module_attributes(module: types.ModuleType) -> list[tuple[str, Any]]:
        if _is_lazy(module) or _is_plain(module):
            return list(vars(module).items())
        return original(module)

    return module_attributes


def plain_module_hash(original: Callable[[types.ModuleType], str]) -> Callable[..., str]:
    """Wraps freezegun's ``_get_module_attributes_hash`` (it checks, on every ``freeze_time``, whether
    each module's names changed): for a plain module the same string, from its ``__dict__``'s keys
    instead of the sorted list ``dir()`` builds."""

    def module_attributes_hash(module: types.ModuleType) -> str:
        if _is_plain(module):
            return f"{id(module)}-{hash(frozenset(vars(module)))}"
        return original(module)

    return module_attributes_hash


def json_cache_dir() -> Path:
    """Where parsed AWS model files are kept (``$XDG_CACHE_HOME`` or ``~/.cache``, like the quiz bank's)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dva-course" / "botocore"


class _ModelUnpickler(pickle.Unpickler):
    """Reads back what :func:`cached_json_file` stored: JSON's types and ``OrderedDict``, nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        raise pickle.UnpicklingError(f"not an AWS model file: {module}.{name}")


def _cache_file(full_path: str, st: os.stat_result) -> Path:
    key = f"{os.path.abspath(full_path)}|{st.st_mtime_ns}|{st.st_size}|{sys.version}|{pickle.HIGHEST_PROTOCOL}"
    return json_cache_dir() / f"{hashlib.sha256(key.encode()).hexdigest()}.pickle"


def cached_json_file(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps botocore's ``JSONFileLoader._load_file``: the parsed file comes from a pickle cache.

    botocore parses each model with ``json.loads(..., object_pairs_hook=OrderedDict)`` (about
    40 ms for EC2's, after unzipping it), and twice per service in the sandbox (boto3's loader and
    moto's). The same ``OrderedDict`` tree unpickles in half the time. The cache entry is named by
    the file's path, modification time and size (a changed file is parsed again), is written
    atomically, holds only JSON's types and ``OrderedDict`` (the unpickler refuses anything else),
    and any problem with it (read-only home, corrupt entry) means the file is parsed as before.
    """

    @functools.wraps(original)
    def _load_file(self: Any, full_path: str, open_method: Any) -> Any:
        try:
            st = os.stat(full_path)
        except (OSError, ValueError):
            return original(self, full_path, open_method)  # not there: botocore returns None
        cache = _cache_file(full_path, st)
        try:
            with open(cache, "rb") as fp:
                return _ModelUnpickler(fp).load()
        except Exception:  # noqa: BLE001 - missing, partial or foreign entry: parse the file
            pass
        data = original(self, full_path, open_method)
        if data is not None:
            try:
                cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
                tmp.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
                os.replace(tmp, cache)
            except (OSError, pickle.PicklingError, TypeError, ValueError):
                pass  # no cache this time; the parsed data is returned all the same
        return data

    return _load_file


#: Unfreeze once the frozen set is this many times what the last complete collection left
#: (2 re-walked everything once in Domain 3, 0.2-0.4 s, for no measurable memory saved).
UNFREEZE_GROWTH = 4


class _FullCollections:
    """gc callback: freeze the survivors of each full collection; unfreeze when they have doubled.

    It counts what it freezes itself: :func:`gc.get_freeze_count` walks the whole frozen set
    (as slow as the full collection the freezing avoids), whereas the survivors of one full
    collection are the few objects that collection has just walked. The count is an upper bound:
    a frozen object freed by reference counting leaves the frozen set uncounted.
    """

    def __init__(self) -> None:
        self.complete_size = 0  # objects that survived the last collection that walked everything
        self.frozen = 0  # objects this callback froze since the last unfreeze
        self.walked_all = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self.walked_all = self.frozen == 0
            return
        self.frozen += len(gc.get_objects(generation=2))  # this collection's survivors, about to be frozen
        gc.freeze()
        if self.walked_all or not self.complete_size:
            self.complete_size = self.frozen
        elif self.frozen > UNFREEZE_GROWTH * self.complete_size:
            self.unfreeze()  # the next full collection walks everything and can free dead cycles

    def unfreeze(self) -> None:
        gc.unfreeze()
        self.frozen = 0


_full_collections = _FullCollections()


def install() -> None:
    """Freeze the survivors of each full collection from now on (idempotent)."""
    if _full_collections not in gc.callbacks:
        gc.callbacks.append(_full_collections)


def reset() -> None:
    """After the sandbox is wiped: unfreeze, so the next full collection frees the old resources' cycles."""
    _full_collections.unfreeze()
    _full_collections.complete_size = 0


def installed() -> bool:
    """True once :func:`install` has run."""
    return _full_collections in gc.callbacks
