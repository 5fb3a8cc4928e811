"""The judge: where a graded notebook's test cells run, out of the student's reach.

The judge is a second kernel (:mod:`.judge_kernel`, sandboxed like the student's, started by
:class:`.execute.JudgedExecute`). The test cells, hidden tests included, are executed here and
never sent to the student's kernel. The judge reaches the student only through the channel
(:mod:`.wire`, :mod:`.peer`):

* before each test cell, the names the cell reads that the judge does not define itself are bound
  from the student's namespace (:func:`bind`): data arrives by value (plain built-in types),
  functions and other objects as proxies whose calls run in the student's kernel;
* every AWS call made here (``boto3`` in a test or in the setup cell's helpers) is prepared and
  signed by the judge's own botocore, forwarded as a raw HTTP request, answered by the student's
  sandbox (moto in the student's kernel) and parsed here again. Nothing is ever sent to a network;
* ``course_utils.sandbox.start`` does not start a second sandbox here: it checks the channel.

So the student's hooks, transformers, trace functions, patched builtins or botocore, shadowed
modules and displayhooks act on the student's process only; a verdict is what the judge's code
concludes from data. What stays in the student's reach is the simulated AWS itself (it lives in
the student's process); see grading/README.md.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from typing import Any

from .peer import Peer

__all__ = ["install", "bind", "bind_missing", "WAITING_MARK", "connect", "StudentError", "StudentAborted", "StudentKernelStopped", "peer"]

_peer: Peer | None = None
_channel: str | None = None
_bound: set[str] = set()


class StudentError(Exception):
    """An exception the student's code raised that the judge does not rebuild as itself."""


class StudentAborted(BaseException):
    """The student's code was interrupted or exited (a grader timeout, ``sys.exit``...).

    A ``BaseException``: a test's ``except Exception`` must not turn a timeout into a pass.
    """


class StudentKernelStopped(BaseException):
    """The student's kernel is gone (it died, or the grader stopped it after a timeout)."""


def _exception(info: dict[str, Any]) -> BaseException:
    from .wire import rebuild_builtin

    name, message = str(info.get("$exc", "Exception")), str(info.get("message", ""))
    if info.get("base"):
        return StudentAborted(f"the student's code stopped with {name} {message}".strip())
    if "client_error" in info:
        from botocore.exceptions import ClientError

        assert _peer is not None
        detail = info["client_error"]
        response = _peer.encoder.decode(detail.get("response"))
        if isinstance(response, dict):
            return ClientError(response, str(detail.get("operation", "")))
    return rebuild_builtin(info) or StudentError(f"{name}: {message}")


def peer() -> Peer:
    if _peer is None:
        raise StudentKernelStopped("the judge is not connected to the student's kernel")
    return _peer


def connect(channel: str, wait: float = 60.0) -> Peer:
    """Connect to the student's agent (``<channel>/agent.sock``), waiting for it to listen."""
    global _peer, _channel
    from .agent import SOCKET_NAME

    _channel = channel
    path = os.path.join(channel, SOCKET_NAME)
    deadline = time.monotonic() + wait
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            break
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise StudentKernelStopped(f"the student's kernel never opened the grading channel ({path})") from None
            time.sleep(0.05)
    _peer = _JudgePeer(sock, "judge", {}, _exception)
    return _peer


WAITING_MARK = "judge-waiting"  # in the channel folder while the judge waits for the student


class _JudgePeer(Peer):
    """The judge's end: every request to the student, a proxy's call included, marks the judge as waiting.

    The marker tells the grader's clock whose turn it is: a student function that does not return
    (called by a test through its proxy, or by ``bind``/``aws``) is interrupted as the student's.
    It stays while any request is outstanding (a callback the student makes meanwhile is served
    inside it), and a closed channel means the student's kernel stopped.
    """

    _depth = 0

    def request(self, op: str, **fields: Any) -> Any:
        from .wire import ChannelClosed

        mark = os.path.join(_channel, WAITING_MARK) if _channel else None
        self._depth += 1
        if mark and self._depth == 1:
            open(mark, "w").close()
        try:
            return super().request(op, **fields)
        except (ChannelClosed, ConnectionError, BrokenPipeError) as exc:
            raise StudentKernelStopped(f"the student's kernel stopped ({exc})") from None
        finally:
            self._depth -= 1
            if mark and self._depth == 0:
                try:
                    os.unlink(mark)
                except OSError:
                    pass


def _request(op: str, **fields: Any) -> Any:
    """A request to the student (see :class:`_JudgePeer` for the waiting marker)."""
    from .wire import ChannelClosed

    try:
        return peer().request(op, **fields)
    except (ChannelClosed, ConnectionError, BrokenPipeError) as exc:
        raise StudentKernelStopped(f"the student's kernel stopped ({exc})") from None


def bind(names: list[str], namespace: dict[str, Any]) -> list[str]:
    """Bind ``names`` from the student's namespace into ``namespace``; return the names found.

    A name bound earlier that the student no longer defines is removed, so the test sees a
    ``NameError`` rather than a stale value.
    """
    values = _request("bind", names=list(names))
    if not isinstance(values, dict):
        values = {}
    for name in names:
        if name in values:
            namespace[name] = values[name]
            _bound.add(name)
        elif name in _bound:
            namespace.pop(name, None)
            _bound.discard(name)
    return sorted(n for n in names if n in values)


def bind_missing(names: list[str], namespace: dict[str, Any]) -> list[str]:
    """:func:`bind` the names the judge does not define itself (its own and builtins win)."""
    import builtins

    wanted = [n for n in names if (n not in namespace or n in _bound) and not hasattr(builtins, n)]
    return bind(wanted, namespace) if wanted else []


# ------------------------------------------------------------------------------- AWS forwarding
def _forward(request: Any, **_: Any) -> Any:
    """botocore ``before-send``: the student's sandbox answers; nothing is sent."""
    from course_utils.runtime import moto_adapter

    body = request.body
    if hasattr(body, "read"):
        position = body.tell() if hasattr(body, "tell") else None
        data = body.read()
        if position is not None and hasattr(body, "seek"):
            body.seek(position)
        body = data
    if isinstance(body, str):
        body = body.encode("utf-8")
    encode = peer().encoder.encode
    answer = _request("aws", method=request.method, url=request.url,
                      headers=encode([(str(k), v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()]),
                      body=encode(bytes(body or b"")))
    if not isinstance(answer, dict) or not isinstance(answer.get("body"), bytes):
        raise StudentKernelStopped("the student's kernel answered an AWS request with something that is not a response")
    headers = [(str(k), str(v)) for k, v in answer.get("headers", [])]
    return moto_adapter.forwarded_response(request.url, int(answer["status"]), headers, answer["body"])


def _judge_start(*, quiet: bool = False, network_guard: bool = True) -> Any:
    """``sandbox.start`` in the judge: the sandbox is the student's; report it, start nothing."""
    from datetime import datetime, timezone

    from course_utils import sandbox

    peer()  # raises if the channel is not there
    return sandbox.SandboxInfo(sandbox.ACCOUNT_ID, sandbox.REGION, "student-kernel", datetime.now(timezone.utc),
                               already_running=True, network_guard=True)


def install(channel: str) -> None:
    """Make this process a judge: connect, forward every AWS call, ``sandbox.start`` checks the channel."""
    import boto3

    from course_utils import sandbox
    from course_utils.runtime import moto_adapter

    warnings.simplefilter("ignore")  # a library warning on stderr would zero a passing test
    connect(channel)
    moto_adapter.add_send_handler(_forward)
    boto3.DEFAULT_SESSION = None
    for key, value in sandbox.FAKE_ENV.items():
        os.environ[key] = value
    sandbox.start = _judge_start  # type: ignore[assignment]
