"""Defer or share slow import-time work that moto would otherwise pay on a service's first use.

1. API Gateway.

moto's API Gateway models import ``openapi_spec_validator``, which imports ``jsonschema``,
whose format checkers import ``rfc3987_syntax`` when it is installed. That package builds a
parser grammar at import time (about 1.1 s here), although the course never validates an IRI.
:func:`defer_rfc3987_syntax` puts a stand-in module in ``sys.modules`` whose
``is_valid_syntax`` imports the real package on its first call and then delegates to it, so the
behaviour is unchanged and only code that really checks an IRI pays the cost.

2. EC2's region list. Many moto services (SSM, ECS, ELB, Step Functions' interpreter, ...) import
``moto.ec2``, whose ``availability_zones_and_regions`` module builds three fresh
``boto3.Session()`` objects at import time only to call ``get_available_regions``. Each new
session loads botocore's endpoint data again: about 1 s of a 2-3 s import. The region list comes
from the same data files whichever session reads them, so :func:`share_session_for_ec2_regions`
lets that one module's ``Session()`` calls (without arguments) share one session (boto3's default
session when it exists, its loader has the data cached) while the module executes; everything
else keeps the real class.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

__all__ = ["defer_rfc3987_syntax", "share_session_for_ec2_regions", "EC2_REGIONS_MODULE"]

NAME = "rfc3987_syntax"


class _Deferred(types.ModuleType):
    """Stand-in for ``rfc3987_syntax`` until something calls it."""

    _real: Any = None

    def _load(self) -> Any:
        if self._real is None:
            if sys.modules.get(NAME) is self:
                del sys.modules[NAME]
            try:
                self._real = importlib.import_module(NAME)
            except BaseException:
                sys.modules.setdefault(NAME, self)
                raise
        return self._real

    def is_valid_syntax(self, *args: Any, **kwargs: Any) -> Any:
        return self._load().is_valid_syntax(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probes __path__, __spec__ ...
            raise AttributeError(name)
        return getattr(self._load(), name)


def defer_rfc3987_syntax() -> bool:
    """Install the stand-in (once) if the package exists and is not imported yet."""
    if NAME in sys.modules or importlib.util.find_spec(NAME) is None:
        return False
    sys.modules[NAME] = _Deferred(NAME, "deferred by course_utils.runtime.fastimport")
    return True


EC2_REGIONS_MODULE = "moto.ec2.models.availability_zones_and_regions"


class _SharedSessionDuringImport(importlib.abc.MetaPathFinder):
    """Finds :data:`EC2_REGIONS_MODULE` and runs it with ``boto3.Session()`` -> default session."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != EC2_REGIONS_MODULE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        real_exec = spec.loader.exec_module

        def exec_module(module: types.ModuleType) -> None:
            import boto3

            real_session = boto3.Session
            shared: list[Any] = [boto3.DEFAULT_SESSION]  # the default session if one exists yet

            def session(*args: Any, **kwargs: Any) -> Any:
                if args or kwargs:
                    return real_session(*args, **kwargs)
                if shared[0] is None:
                    shared[0] = real_session()  # one session for the three calls, not three
                return shared[0]

            boto3.Session = session  # type: ignore[misc,assignment]
            try:
                real_exec(module)
            finally:
                boto3.Session = real_session  # type: ignore[misc]
                module.Session = real_session  # type: ignore[attr-defined]

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


_finder = _SharedSessionDuringImport()


def share_session_for_ec2_regions() -> bool:
    """Install the finder (once) unless moto's EC2 region module is already imported."""
    if EC2_REGIONS_MODULE in sys.modules or _finder in sys.meta_path:
        return False
    sys.meta_path.insert(0, _finder)
    return True
