"""Execution environments: a function's unpacked code, its layers and its initialised module.

AWS: an execution environment is created on a cold start; the runtime imports the handler's
module (running its module-level "init" code) once and reuses it for later (warm) invocations.
A new version, or any code/configuration update, means new environments. An environment is
thrown away after a timeout or a crash during init.

Simulated: an environment is a temporary folder with the zip unpacked (``LAMBDA_TASK_ROOT``),
each layer unpacked beside it (its ``python/`` folder goes on ``sys.path`` during the
invocation) and the handler module imported in-process. Modules imported from those folders
are kept per environment and taken out of ``sys.modules`` between invocations, so two
functions that both ship ``app.py`` do not see each other's module.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import shutil
import sys
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import ModuleType
from typing import Any, Callable

from .scratch import scratch_dir
from .library_state import fresh_environment

__all__ = ["ExecutionEnvironment", "EnvironmentPool", "fingerprint", "cleanup_dirs"]

_unpacked: dict[str, str] = {}  # sha256 of a zip -> folder it was unpacked to
_unpack_lock = threading.Lock()
_import_lock = threading.RLock()


def _unpack(code: bytes, prefix: str) -> str:
    digest = hashlib.sha256(code).hexdigest()
    with _unpack_lock:
        folder = _unpacked.get(digest)
        if folder and os.path.isdir(folder):
            return folder
        folder = scratch_dir(prefix)
        if code:
            with zipfile.ZipFile(io.BytesIO(code)) as zf:
                zf.extractall(folder)
        _unpacked[digest] = folder
        importlib.invalidate_caches()
        return folder


def cleanup_dirs() -> None:
    """Delete every unpacked code folder (called on sandbox reset)."""
    with _unpack_lock:
        for folder in _unpacked.values():
            shutil.rmtree(folder, ignore_errors=True)
        _unpacked.clear()


def _layer_paths(fn: Any) -> list[str]:
    from .moto_adapter import lambda_backend

    backend = lambda_backend(fn.account_id, fn.region)
    paths: list[str] = []
    for layer in fn.layers or []:
        lv = backend.layers_versions_by_arn(layer["Arn"])
        if lv is None:
            continue
        root = _unpack(lv.code_bytes, "lambda-layer-")
        py = os.path.join(root, "python")
        site = os.path.join(py, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages")
        paths.extend(p for p in (py, site) if os.path.isdir(p))
    return paths


def fingerprint(fn: Any) -> tuple[Any, ...]:
    """What makes two invocations share an environment: same version, code and configuration."""
    return (
        fn.function_name,
        str(fn.version),
        fn.code_sha_256,
        fn.handler,
        fn.run_time,
        fn.memory_size,
        fn.timeout,
        tuple(sorted((fn.environment_vars or {}).items())),
        tuple(layer["Arn"] for layer in fn.layers or []),
    )


@dataclass
class ExecutionEnvironment:
    """One warm-able sandbox for a function version."""

    fn: Any
    key: tuple[Any, ...]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    task_root: str = ""
    paths: list[str] = field(default_factory=list)
    modules: dict[str, ModuleType] = field(default_factory=dict)
    handler: Callable[..., Any] | None = None
    initialised: bool = False
    dead: bool = False
    _before: set[str] = field(default_factory=set)

    @property
    def version_label(self) -> str:
        return str(self.fn.version)

    @property
    def log_stream_name(self) -> str:
        d = self.created
        return f"{d.year}/{d.month:02d}/{d.day:02d}/[{self.version_label}]{self.id}"

    def prepare(self) -> None:
        """Unpack code and layers (cheap when cached); done in the caller thread."""
        if not self.task_root:
            self.task_root = _unpack(self.fn.code_bytes, "lambda-task-")
            self.paths = [self.task_root] + _layer_paths(self.fn)

    # -- sys.path / sys.modules isolation (caller thread, around the worker) -------------------
    def enter(self) -> None:
        with _import_lock:
            for p in reversed(self.paths):
                sys.path.insert(0, p)
            self._before = set(sys.modules)
            sys.modules.update(self.modules)

    def leave(self) -> None:
        with _import_lock:
            for p in self.paths:
                try:
                    sys.path.remove(p)
                except ValueError:
                    pass
            roots = tuple(os.path.join(p, "") for p in self.paths)
            for name in (set(sys.modules) - self._before) | set(self.modules):
                mod = sys.modules.get(name)
                origin = getattr(mod, "__file__", None) or ""
                if mod is not None and origin.startswith(roots):
                    self.modules[name] = mod
                    del sys.modules[name]

    def initialise(self) -> None:
        """Import the handler module (runs module-level init code); worker thread."""
        fresh_environment()  # libraries' "first invocation of this environment" flags start afresh
        handler = self.fn.handler or "lambda_function.lambda_handler"
        module_name, _, func_name = handler.rpartition(".")
        module_name = module_name.replace("/", ".")
        with _import_lock:
            # a same-named module of another function must not be found in sys.modules
            for name in [n for n in sys.modules if n == module_name or n.startswith(module_name + ".")]:
                mod = sys.modules[name]
                if not (getattr(mod, "__file__", "") or "").startswith(self.task_root):
                    del sys.modules[name]
            try:
                module = importlib.import_module(module_name)
            except Exception as exc:
                raise ImportModuleError(f"Unable to import module '{module_name}': {exc}") from exc
        func = getattr(module, func_name, None)
        if func is None:
            raise HandlerNotFound(f"Handler '{func_name}' missing on module '{module_name}'")
        self.handler = func
        self.initialised = True


class ImportModuleError(Exception):
    """Raised as AWS's ``Runtime.ImportModuleError``."""


class HandlerNotFound(Exception):
    """Raised as AWS's ``Runtime.HandlerNotFound``."""


class EnvironmentPool:
    """Idle environments per fingerprint; one is checked out per running invocation."""

    def __init__(self) -> None:
        self._idle: dict[tuple[Any, ...], list[ExecutionEnvironment]] = {}
        self._lock = threading.Lock()

    def acquire(self, fn: Any) -> tuple[ExecutionEnvironment, bool]:
        """Return ``(environment, cold)``."""
        key = fingerprint(fn)
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop(), False
        return ExecutionEnvironment(fn=fn, key=key), True

    def release(self, env: ExecutionEnvironment) -> None:
        if env.dead or not env.initialised:
            return
        with self._lock:
            self._idle.setdefault(env.key, []).append(env)

    def clear(self) -> None:
        with self._lock:
            self._idle.clear()
