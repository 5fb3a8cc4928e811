"""boto3 clients of the current default session, made once per session and service (drivers and ``deploy`` share them)."""

from __future__ import annotations

from typing import Any

__all__ = ["default_client"]

_clients: dict[str, tuple[Any, Any]] = {}  # service -> (the default session it came from, client)


def default_client(service: str) -> Any:
    """A client of boto3's current default session; a new default session (``sandbox.start``) gets new clients."""
    import boto3

    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    session = boto3.DEFAULT_SESSION
    cached = _clients.get(service)
    if cached is None or cached[0] is not session:
        cached = _clients[service] = (session, session.client(service))
    return cached[1]
