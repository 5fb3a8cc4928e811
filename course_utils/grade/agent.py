"""The student's end of the grading channel, inside the student's sandboxed kernel.

Started by :mod:`.student_kernel` before the kernel runs any student code. It accepts ONE
connection (the judge's) on ``<channel>/agent.sock`` and then stops listening. It serves:

``bind``  the values of names in the student's namespace (data by value, the rest by reference);
``call`` / ``getattr``  on those references (a student function the test calls);
``aws``   a raw AWS HTTP request the judge's botocore prepared: answered by this kernel's
          sandbox, exactly as moto answers the student's own clients.

Requests are run on the kernel's main thread (the thread notebook cells run on), between cells,
with ``SIGINT`` raising ``KeyboardInterrupt`` so that the grader can interrupt a student function
that does not return. This module is trusted by nobody: the student's code shares its process and
can change anything here. What the grader relies on is only that the judge reads *data* from it.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from typing import Any

from .peer import Peer

__all__ = ["start", "SOCKET_NAME", "JudgeError"]

SOCKET_NAME = "agent.sock"


class JudgeError(Exception):
    """An exception raised by the judge's code (a callback a test passed to a student function)."""


def _exception(info: dict[str, Any]) -> BaseException:
    from .wire import rebuild_builtin

    return rebuild_builtin(info) or JudgeError(f"{info.get('$exc', 'Exception')}: {info.get('message', '')}")


class _Agent:
    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.path = path
        self.peer: Peer | None = None

    # -------------------------------------------------------------- operations
    def _namespace(self) -> dict[str, Any]:
        return self.app.shell.user_ns

    def bind(self, message: dict[str, Any]) -> dict[str, Any]:
        ns = self._namespace()
        return {name: ns[name] for name in message.get("names", []) if isinstance(name, str) and name in ns}

    def aws(self, message: dict[str, Any]) -> dict[str, Any]:
        from course_utils.runtime import moto_adapter

        assert self.peer is not None
        decode = self.peer.encoder.decode
        headers = [(str(k), str(v)) for k, v in decode(message.get("headers", []))]
        answer = moto_adapter.answer_request(str(message["method"]), str(message["url"]), headers,
                                             decode(message.get("body")) or b"")
        if answer is None:
            raise RuntimeError("the student's AWS sandbox is not running (or does not serve this URL)")
        status, response_headers, body = answer
        return {"status": status, "headers": [list(h) for h in response_headers], "body": body}

    # -------------------------------------------------------------- serving
    def _on_main_thread(self, message: dict[str, Any]) -> None:
        """Serve one request on the kernel's main thread and wait for it."""
        assert self.peer is not None
        done = threading.Event()

        def run() -> None:
            previous = signal.getsignal(signal.SIGINT)
            try:
                signal.signal(signal.SIGINT, signal.default_int_handler)
                self.peer.serve(message)  # type: ignore[union-attr]
            except BaseException:  # noqa: BLE001 - the channel broke; the judge sees it closed
                pass
            finally:
                signal.signal(signal.SIGINT, previous)
                done.set()

        loop = None
        while loop is None:
            loop = getattr(self.app, "io_loop", None)
            if loop is None:
                threading.Event().wait(0.05)  # the kernel is still starting
        loop.add_callback(run)
        done.wait()

    def serve_forever(self, server: socket.socket) -> None:
        try:
            conn, _ = server.accept()
        finally:
            server.close()
            try:
                os.unlink(self.path)
            except OSError:
                pass
        self.peer = Peer(conn, "student", {"bind": self.bind, "aws": self.aws}, _exception)
        from .wire import ChannelClosed, recv

        while True:
            try:
                message = recv(conn)
            except (ChannelClosed, OSError, ValueError):
                return
            self._on_main_thread(message)


def start(app: Any, channel: str) -> threading.Thread:
    """Listen on ``<channel>/agent.sock`` and serve the judge from a daemon thread."""
    path = os.path.join(channel, SOCKET_NAME)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    agent = _Agent(app, path)
    thread = threading.Thread(target=agent.serve_forever, args=(server,), name="dva-grade-agent", daemon=True)
    thread.start()
    return thread
