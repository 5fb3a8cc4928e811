"""The sandbox's speed-ups: no work repeated for nothing: parsing the same AWS data files, importing on a scan.

Measured in the course notebooks (``benchmarks/bench_notebooks.py``), five costs are paid again
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
5. **Full garbage collections.** CPython runs a full collection whenever the long-lived objects have
   grown by a quarter, and each one walks *every* object: imported modules, parsed AWS models,
   moto's backends (500 000 objects by the end of Domain 1, 0.2 s a walk, 14 walks, about 2.5 s
   of its run). :func:`install` moves the survivors of a full
   collection out of the way of later ones (:func:`gc.freeze`), so each object is walked about
   once. Objects are still freed by reference counting; only a reference *cycle* that dies while
   frozen waits, until the frozen set has doubled since the last complete collection (then
   everything is unfrozen and the next collection walks it all again) or :func:`reset`.

The first four replace or wrap third-party internals: they are entries of :mod:`.patches`
(``shared_loader``, ``get_session``, ``register_data_loader``, ``lazy_module_attributes``), applied
and checked by :mod:`.moto_adapter` like every other patch. The fifth is a ``gc`` callback that
:func:`install` adds (``course_utils.runtime.install()`` calls it) and :func:`reset` undoes after a
sandbox reset. Importing this module changes nothing.
"""

from __future__ import annotations

import functools
import gc
import types
from typing import Any, Callable

__all__ = ["shared_loader", "get_session", "register_data_loader", "lazy_module_attributes", "install", "reset", "installed"]


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


def lazy_module_attributes(original: Callable[[types.ModuleType], list[tuple[str, Any]]]) -> Callable[..., Any]:
    """Wraps freezegun's ``_get_module_attributes``: a module with a lazy ``__getattr__`` is scanned
    through ``vars()`` (what it holds), so the scan imports nothing."""

    def module_attributes(module: types.ModuleType) -> list[tuple[str, Any]]:
        if _is_lazy(module):
            return list(vars(module).items())
        return original(module)

    return module_attributes


class _FullCollections:
    """gc callback: freeze the survivors of each full collection; unfreeze when they have doubled."""

    def __init__(self) -> None:
        self.complete_size = 0  # objects that survived the last collection that walked everything
        self.walked_all = False

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self.walked_all = gc.get_freeze_count() == 0
            return
        gc.freeze()
        frozen = gc.get_freeze_count()
        if self.walked_all or not self.complete_size:
            self.complete_size = frozen
        elif frozen > 2 * self.complete_size:
            gc.unfreeze()  # the next full collection walks everything and can free dead cycles


_full_collections = _FullCollections()


def install() -> None:
    """Freeze the survivors of each full collection from now on (idempotent)."""
    if _full_collections not in gc.callbacks:
        gc.callbacks.append(_full_collections)


def reset() -> None:
    """After the sandbox is wiped: unfreeze, so the next full collection frees the old resources' cycles."""
    gc.unfreeze()
    _full_collections.complete_size = 0


def installed() -> bool:
    """True once :func:`install` has run."""
    return _full_collections in gc.callbacks
