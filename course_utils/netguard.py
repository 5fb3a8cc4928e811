"""Refuse network connections that would leave this machine.

The sandbox answers every AWS call in-process, so a connection to a non-loopback address
can only be a mistake (a client pointed at a real endpoint, a stray ``requests.get``).
The guard is a Python audit hook: it sees every ``socket.connect`` and ``getaddrinfo`` made
from Python code in this process and raises :class:`NetworkBlockedError` for anything that
is not loopback or a local (AF_UNIX) socket. JupyterLab's own kernel channels use loopback
and are unaffected.

Audit hooks cannot be removed once installed, so :func:`install` adds the hook once and
:func:`set_enabled` switches it on and off.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from dataclasses import dataclass

__all__ = ["NetworkBlockedError", "BlockedAttempt", "install", "set_enabled", "is_enabled", "blocked_attempts"]

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlockedError(ConnectionRefusedError):
    """Raised instead of opening a connection that would leave the machine."""


@dataclass(frozen=True)
class BlockedAttempt:
    event: str
    target: str


_lock = threading.Lock()
_installed = False
_enabled = False
_attempts: list[BlockedAttempt] = []


def _is_local_host(host: object) -> bool:
    if host is None or host == "":
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name.split("%")[0]).is_loopback
    except ValueError:
        return False


def _hook(event: str, args: tuple) -> None:
    if not _enabled:
        return
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) == getattr(socket, "AF_UNIX", object()):
            return
        host = address[0] if isinstance(address, tuple) and address else address
        if _is_local_host(host):
            return
        _refuse(event, f"{host}:{address[1]}" if isinstance(address, tuple) and len(address) > 1 else str(host))
    elif event == "socket.getaddrinfo":
        host = args[0]
        if _is_local_host(host):
            return
        _refuse(event, str(host))


def _refuse(event: str, target: str) -> None:
    with _lock:
        _attempts.append(BlockedAttempt(event, target))
    raise NetworkBlockedError(
        f"course sandbox: blocked a network connection to {target!r}. Every AWS call in this "
        "course is answered in-process by moto; nothing may leave this machine."
    )


def install() -> None:
    """Install the audit hook (once per process) and enable it."""
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True
    set_enabled(True)


def set_enabled(enabled: bool) -> None:
    """Switch the installed guard on or off."""
    global _enabled
    _enabled = bool(enabled) and _installed


def is_enabled() -> bool:
    return _enabled


def blocked_attempts() -> list[BlockedAttempt]:
    """Every connection the guard refused in this process, oldest first."""
    with _lock:
        return list(_attempts)
