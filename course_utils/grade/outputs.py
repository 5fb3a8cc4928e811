"""What a student's code can put into the graded notebook: bounded in size, inert when rendered.

``CappedNotebookClient``
    an nbclient ``NotebookClient`` that bounds the outputs it keeps *while* the notebook runs:
    ``max_cell_bytes`` per cell, ``max_notebook_bytes`` in total. Past a budget, a stream keeps
    the prefix that fits and everything else of that cell is dropped; at the end of the cell ONE
    note says how much (``[output truncated by the grader: N bytes over the limit of M bytes per
    cell]``, a ``display_data`` with ``text/plain``, never ``stderr``, which nbgrader scores as a
    failure). ``client.truncated`` maps cell index to the bytes dropped. What decides a test
    cell's score is never dropped: the first error (capped to ``max_error_bytes``), the first
    ``stderr`` text and the first ``execute_result`` of a cell are kept in short form past the
    budget. An error reported only in the ``execute_reply`` (its IOPub message was lost) is added
    from the reply. The grader's own memory is bounded too: its ZeroMQ sockets refuse frames over
    ``max_message_bytes`` (IOPub) or ``max_reply_bytes`` (the other channels) and queue at most
    ``max_queued_messages``; IOPub is reconnected after an oversized frame (libzmq drops such a
    connection for good) and the cell gets the note.

``SafeOutputs`` (autograde pipeline) and ``FeedbackOutputs`` (feedback pipeline)
    nbgrader preprocessors that make the rendered notebook inert: only ``text/plain``, PNG, JPEG,
    GIF and JSON outputs stay (HTML, JavaScript, SVG, widget views and every other MIME type go;
    ``text/markdown`` stays only without raw HTML or script links), widget state is removed,
    markdown cells that render to anything outside a safe subset of HTML are replaced by their
    sanitized rendering, and a forged ``grade_id`` cannot reach the templates' attributes.
    ``FeedbackOutputs`` also keeps only the *errors* of test cells: what a test printed or
    displayed could quote a hidden test.
"""

from __future__ import annotations

import asyncio
import re
import sys
from html.parser import HTMLParser
from queue import Empty
from time import monotonic
from typing import Any, Iterable
from urllib.parse import urlsplit

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionComplete, CellTimeoutError
from nbclient.util import ensure_async, run_hook, run_sync
from nbformat.notebooknode import NotebookNode, from_dict
from nbgrader.preprocessors.base import NbGraderPreprocessor
from traitlets import Bool, Float, Integer, List, Unicode

__all__ = [
    "CappedNotebookClient", "SafeOutputs", "FeedbackOutputs", "cap_error", "safe_output", "sanitize_markdown",
    "html_is_safe", "truncation_note", "is_truncation_note", "is_test_cell",
    "NOTE_PREFIX", "NOTE_METADATA_KEY", "HTML_REMOVED", "FEEDBACK_NOTE", "OUTPUT_OVERHEAD", "SAFE_MIME_TYPES",
]

KIB = 1024
MIB = 1024 * 1024
OUTPUT_OVERHEAD = 256  # bytes each kept output counts besides its text and data: a flood of empty outputs is bounded too
PROTECTED_BYTES = KIB  # what a scoring-relevant output (first stderr, first execute_result) keeps past the budget
NOTE_PREFIX = "[output truncated by the grader: "
NOTE_METADATA_KEY = "dva_grade"
HTML_REMOVED = "[HTML output removed by the grader]"
FEEDBACK_NOTE = "[{n} output(s) of this test cell not shown in the feedback: what a test prints could reveal a hidden test]"
SAFE_MIME_TYPES = ("text/plain", "image/png", "image/jpeg", "image/gif", "application/json")


# ----------------------------------------------------------------------------- sizes and clipping
def _text_bytes(value: Any) -> int:
    """UTF-8 bytes of the strings in ``value`` (nested dicts and lists; no recursion limit)."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) if item.isascii() else len(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, (bytes, bytearray)):
            total += len(item)
        elif isinstance(item, memoryview):
            total += item.nbytes
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        else:  # numbers, None, booleans
            total += 8
    return total


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return value if isinstance(value, str) else str(value)


def _prefix(text: str, limit: int) -> str:
    """The longest prefix of ``text`` of at most ``limit`` UTF-8 bytes."""
    if limit <= 0:
        return ""
    if text.isascii():
        return text[:limit]
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def _clip(text: str, limit: int) -> tuple[str, int]:
    """``text`` cut to about ``limit`` bytes with a marker; and the bytes removed."""
    size = _text_bytes(text)
    if size <= limit:
        return text, 0
    kept = _prefix(text, max(limit - 64, 0))
    removed = size - _text_bytes(kept)
    return f"{kept}... [{removed} bytes removed by the grader]", removed


def cap_error(content: dict, limit: int = 16 * KIB) -> tuple[dict, int]:
    """An error's ``ename``/``evalue``/``traceback`` within ``limit`` bytes; and the bytes removed.

    The traceback keeps its first and last lines (the failing line and the exception are at the end).
    """
    ename, cut_name = _clip(_as_text(content.get("ename", "")), 256)
    evalue, cut_value = _clip(_as_text(content.get("evalue", "")), max(limit // 4, 256))
    raw = content.get("traceback") or []
    lines = [_as_text(line) for line in (raw if isinstance(raw, list) else [raw])]
    budget = max(limit - _text_bytes(ename) - _text_bytes(evalue), 1024)
    total = _text_bytes(lines)
    removed = cut_name + cut_value
    if total > budget:
        head_budget, tail_budget = budget // 4, budget - budget // 4 - 80
        head: list[str] = []
        used = 0
        for line in lines:
            if used >= head_budget:
                break
            line, _ = _clip(line, head_budget - used)
            head.append(line)
            used += _text_bytes(line)
        tail: list[str] = []
        used = 0
        for line in reversed(lines[len(head):]):
            if used >= tail_budget:
                break
            line, _ = _clip(line, tail_budget - used)
            tail.append(line)
            used += _text_bytes(line)
        kept = head + [""] + tail[::-1]
        cut = total - _text_bytes(kept)
        kept[len(head)] = f"... [{cut} bytes of traceback removed by the grader] ..."
        lines, removed = kept, removed + cut
    capped = {"ename": ename, "evalue": evalue, "traceback": lines}
    return capped, removed


def truncation_note(dropped: int, limit: int, scope: str, lost_messages: int = 0, message_limit: int = 0) -> NotebookNode:
    """The one note a truncated cell gets (``display_data``: never scored as an error)."""
    text = f"{NOTE_PREFIX}{dropped} bytes over the limit of {limit} bytes per {scope}]"
    if lost_messages:
        text = (f"{NOTE_PREFIX}at least {dropped} bytes over the limit of {limit} bytes per {scope} "
                f"({lost_messages} output message(s) over {message_limit} bytes dropped whole)]")
    return from_dict({"output_type": "display_data", "data": {"text/plain": text},
                      "metadata": {NOTE_METADATA_KEY: {"truncated_bytes": dropped, "lost_messages": lost_messages}}})


def is_truncation_note(output: Any) -> bool:
    return (isinstance(output, dict) and output.get("output_type") == "display_data"
            and NOTE_METADATA_KEY in (output.get("metadata") or {})
            and _as_text((output.get("data") or {}).get("text/plain", "")).startswith(NOTE_PREFIX))


def _payload_bytes(msg_type: str, content: dict) -> int:
    if msg_type == "stream":
        return _text_bytes(content.get("text", ""))
    if msg_type == "error":
        return _text_bytes([content.get("ename", ""), content.get("evalue", ""), content.get("traceback", [])])
    return _text_bytes(content.get("data", {})) + _text_bytes(content.get("metadata", {}))


def _protected_kind(msg_type: str, content: dict) -> str | None:
    """Outputs nbgrader reads to score a test cell: an error, ``stderr``, an ``execute_result``."""
    if msg_type == "error":
        return "error"
    if msg_type == "stream" and content.get("name") == "stderr":
        return "stderr"
    if msg_type == "execute_result":
        return "execute_result"
    return None


def _short_form(msg: dict, kind: str) -> dict:
    """A scoring-relevant output cut to ``PROTECTED_BYTES`` (errors are already capped)."""
    content = msg.get("content") or {}
    if kind == "stderr":
        text, _ = _clip(_as_text(content.get("text", "")), PROTECTED_BYTES)
        return {**msg, "content": {**content, "text": text}}
    if kind == "execute_result":
        plain, _ = _clip(_as_text((content.get("data") or {}).get("text/plain", "")), PROTECTED_BYTES)
        return {**msg, "content": {**content, "data": {"text/plain": plain}, "metadata": {}}}
    return msg


# ----------------------------------------------------------------------------- the capped client
class CappedNotebookClient(NotebookClient):
    """``NotebookClient`` whose kept outputs, and own memory, are bounded while cells run."""

    max_cell_bytes = Integer(MIB, help="Bytes of output a cell keeps (text and data, plus 256 per output); 0: no bound.").tag(config=True)
    max_notebook_bytes = Integer(5 * MIB, help="Bytes of output the whole notebook keeps; 0: no bound.").tag(config=True)
    max_error_bytes = Integer(16 * KIB, help="Bytes one error (name, value and traceback) keeps.").tag(config=True)
    max_message_bytes = Integer(2 * MIB, help="Largest IOPub frame the grader reads (larger: dropped unread, IOPub reconnected); "
                                "0: no bound. Twice the cell budget: a larger output could not be kept anyway.").tag(config=True)
    max_reply_bytes = Integer(4 * MIB, help="Largest frame on the shell, control, stdin and heartbeat channels; 0: no bound.").tag(config=True)
    max_queued_messages = Integer(4, help="Messages each grader socket queues before the kernel is made to wait.").tag(config=True)
    output_poll_interval = Float(0.2, help="Seconds between checks of the IOPub connection while a cell runs.").tag(config=True)

    # -- per-execution state -------------------------------------------------------------------
    def reset_execution_trackers(self) -> None:
        super().reset_execution_trackers()
        self.truncated: dict[int, int] = {}
        self.lost_messages: dict[int, int] = {}
        self._kept: dict[int, int] = {}
        self._total = 0
        self._scope: dict[int, str] = {}
        self._kinds: dict[int, set[str]] = {}
        self._current: int | None = None
        if not hasattr(self, "_monitors"):
            self._monitors: dict[str, tuple[Any, Any, Any]] = {}

    def _room(self, cell_index: int) -> tuple[int, str]:
        rooms = []
        if self.max_cell_bytes > 0:
            rooms.append((self.max_cell_bytes - self._kept.get(cell_index, 0), "cell"))
        if self.max_notebook_bytes > 0:
            rooms.append((self.max_notebook_bytes - self._total, "notebook"))
        if not rooms:
            return sys.maxsize, ""
        room, scope = min(rooms)
        return max(room, 0), scope

    def _charge(self, cell_index: int, size: int) -> None:
        self._kept[cell_index] = self._kept.get(cell_index, 0) + size
        self._total += size

    def _drop(self, cell_index: int, size: int, scope: str) -> None:
        if size > 0:
            self.truncated[cell_index] = self.truncated.get(cell_index, 0) + size
            self._scope.setdefault(cell_index, scope or "cell")

    def _forget(self, cell_index: int) -> None:
        """The cell's outputs were cleared: their bytes no longer count."""
        self._total -= self._kept.pop(cell_index, 0)
        self._kinds.pop(cell_index, None)

    def _hooked(self, msg: dict) -> bool:
        return bool(self.output_hook_stack.get(msg.get("parent_header", {}).get("msg_id")))

    # -- outputs ---------------------------------------------------------------------------------
    def output(self, outs: list[NotebookNode], msg: dict[str, Any], display_id: str | None, cell_index: int) -> NotebookNode | None:
        msg_type = msg["msg_type"]
        if msg_type not in ("stream", "display_data", "execute_result", "error"):
            return super().output(outs, msg, display_id, cell_index)  # not an output: nbclient logs and ignores it
        content = msg.get("content") or {}
        hooked = self._hooked(msg)
        if self.clear_before_next_output and not hooked:
            self._forget(cell_index)  # nbclient clears the cell before this output
        if msg_type == "error":
            capped, cut = cap_error(content, self.max_error_bytes)
            content = {**content, **capped}
            msg = {**msg, "content": content}
            self._drop(cell_index, cut, "error")
        kind = _protected_kind(msg_type, content)
        payload = _payload_bytes(msg_type, content)
        room, scope = self._room(cell_index)
        kinds = self._kinds.setdefault(cell_index, set())
        if payload + OUTPUT_OVERHEAD > room:
            if kind and kind not in kinds:  # what scores the cell stays, in short form
                msg = _short_form(msg, kind)
                kept = _payload_bytes(msg_type, msg["content"])
            elif msg_type == "stream" and room > OUTPUT_OVERHEAD:
                text = _prefix(_as_text(content.get("text", "")), room - OUTPUT_OVERHEAD)
                msg = {**msg, "content": {**content, "text": text}}
                kept = _text_bytes(text)
            else:
                self._drop(cell_index, payload, scope)
                if self.clear_before_next_output and not hooked:  # the pending clear still happens
                    outs[:] = []
                    self.clear_display_id_mapping(cell_index)
                    self.clear_before_next_output = False
                return None
            self._drop(cell_index, payload - kept, scope)
            payload = kept
        if kind:
            kinds.add(kind)
        self._charge(cell_index, payload + OUTPUT_OVERHEAD)
        return super().output(outs, msg, display_id, cell_index)

    def clear_output(self, outs: list[NotebookNode], msg: dict[str, Any], cell_index: int) -> None:
        if not self._hooked(msg) and not (msg.get("content") or {}).get("wait"):
            self._forget(cell_index)
        super().clear_output(outs, msg, cell_index)

    def _update_display_id(self, display_id: str, msg: dict[str, Any]) -> None:
        """``update_display_data`` rewrites earlier outputs: the growth counts against their cells."""
        cells = self._display_id_map.get(display_id)
        if not cells:
            return super()._update_display_id(display_id, msg)
        content = msg.get("content") or {}
        new = _text_bytes(content.get("data") or {}) + _text_bytes(content.get("metadata") or {})
        deltas: dict[int, int] = {}
        copies = 0
        for cell_idx, indices in cells.items():
            outputs = self.nb["cells"][cell_idx].get("outputs", [])
            for i in indices:
                if i < len(outputs):
                    old = _text_bytes(outputs[i].get("data") or {}) + _text_bytes(outputs[i].get("metadata") or {})
                    deltas[cell_idx] = deltas.get(cell_idx, 0) + new - old
                    copies += 1
        if not deltas:
            return super()._update_display_id(display_id, msg)
        over = [self._room(c)[1] for c, d in deltas.items() if d > self._room(c)[0]]
        growth = sum(deltas.values())
        if self.max_notebook_bytes > 0 and growth > 0 and growth > self.max_notebook_bytes - self._total:
            over.append("notebook")
        if over:
            self._drop(self._current if self._current is not None else next(iter(deltas)), new * copies, over[0])
            return None
        for cell_idx, delta in deltas.items():
            self._charge(cell_idx, delta)
        return super()._update_display_id(display_id, msg)

    def handle_comm_msg(self, outs: list[NotebookNode], msg: dict[str, Any], cell_index: int) -> None:
        """Widget messages fill the notebook's widget state: they count against the budgets too."""
        content = msg.get("content") or {}
        size = _text_bytes(content.get("data") or {}) + _text_bytes(list(msg.get("buffers") or []))
        room, scope = self._room(cell_index)
        if size + OUTPUT_OVERHEAD > room:
            self._drop(cell_index, size, scope)
            return
        self._charge(cell_index, size + OUTPUT_OVERHEAD)
        super().handle_comm_msg(outs, msg, cell_index)

    async def _check_raise_for_error(self, cell: NotebookNode, cell_index: int, exec_reply: dict[str, Any] | None) -> None:
        """The reply's error is capped, and added to the cell if its IOPub copy never arrived."""
        content = (exec_reply or {}).get("content") or {}
        if exec_reply is not None and content.get("status") == "error":
            capped, _ = cap_error(content, self.max_error_bytes)
            exec_reply["content"] = content = {**content, **capped}
            if not any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                self.log.warning("cell %s: the error was only in the execute_reply (IOPub lost it)", cell_index)
                cell.outputs.append(from_dict({"output_type": "error", **capped}))
                self._charge(cell_index, _text_bytes(list(capped.values())) + OUTPUT_OVERHEAD)
        await super()._check_raise_for_error(cell, cell_index, exec_reply)

    async def async_execute_cell(self, cell: NotebookNode, cell_index: int, execution_count: int | None = None,
                                 store_history: bool = True) -> NotebookNode:
        runs = (cell.cell_type == "code" and cell.source.strip()
                and self.skip_cells_with_tag not in cell.metadata.get("tags", []))
        if runs:
            self._forget(cell_index)
            self.truncated.pop(cell_index, None)
            self.lost_messages.pop(cell_index, None)
            self._scope.pop(cell_index, None)
        self._current = cell_index
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        finally:
            self._current = None
            if runs and self.truncated.get(cell_index):
                scope = self._scope.get(cell_index, "cell")
                limit = {"notebook": self.max_notebook_bytes, "error": self.max_error_bytes}.get(scope, self.max_cell_bytes)
                cell.outputs.append(truncation_note(self.truncated[cell_index], limit, scope,
                                                    self.lost_messages.get(cell_index, 0), self.max_message_bytes))

    # -- sockets -----------------------------------------------------------------------------------
    def _limit_sockets(self, kc: Any) -> None:
        """Socket options for every channel ``kc`` opens (set on the context just before each socket)."""
        import zmq

        create = kc._create_connected_socket

        def limited(channel: str, identity: bytes | None = None) -> Any:
            cap = self.max_message_bytes if channel == "iopub" else self.max_reply_bytes
            kc.context.setsockopt(zmq.MAXMSGSIZE, cap if cap > 0 else -1)
            kc.context.setsockopt(zmq.RCVHWM, max(self.max_queued_messages, 1))
            return create(channel, identity=identity)

        kc._create_connected_socket = limited
        kc.context.setsockopt(zmq.MAXMSGSIZE, self.max_reply_bytes if self.max_reply_bytes > 0 else -1)  # heartbeat
        kc.context.setsockopt(zmq.RCVHWM, max(self.max_queued_messages, 1))

    def _watch(self, channel: str) -> None:
        """Watch ``channel``'s connection: libzmq drops it for good after an oversized frame."""
        import zmq

        sock = getattr(self.kc, f"{channel}_channel").socket
        monitor = sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._monitors[channel] = (sock, monitor, zmq.Socket.shadow(monitor.underlying))

    def _unwatch(self, channel: str) -> None:
        watched = self._monitors.pop(channel, None)
        if watched is None:
            return
        sock, monitor, _ = watched
        try:
            sock.disable_monitor()
        except Exception:  # noqa: BLE001 - the socket may be closed already
            pass
        monitor.close(linger=0)

    async def _dropped(self, channel: str, cell_index: int | None) -> bool:
        """Was ``channel`` disconnected (an oversized frame) while the kernel lives? Then reconnect it."""
        import zmq
        from zmq.utils.monitor import parse_monitor_message

        watched = self._monitors.get(channel)
        if watched is None:
            return False
        dropped = False
        try:
            while watched[2].poll(0):
                dropped |= parse_monitor_message(watched[2].recv_multipart())["event"] == zmq.EVENT_DISCONNECTED
        except zmq.ZMQError:
            return False
        if not dropped or self.km is None or not await ensure_async(self.km.is_alive()):
            return False  # a dead kernel is reported by nbclient itself
        limit = self.max_message_bytes if channel == "iopub" else self.max_reply_bytes
        self.log.warning("cell %s: a %s message over %s bytes was dropped; reconnecting", cell_index, channel, limit)
        if cell_index is not None:
            self.lost_messages[cell_index] = self.lost_messages.get(cell_index, 0) + 1
            self._drop(cell_index, limit, "cell")  # a lower bound: its size is unknown
        self._unwatch(channel)
        old = getattr(self.kc, f"_{channel}_channel")
        setattr(self.kc, f"_{channel}_channel", None)
        if old is not None:
            old.close()
        getattr(self.kc, f"{channel}_channel").start()
        self._watch(channel)
        return True

    async def _async_poll_output_msg(self, parent_msg_id: str, cell: NotebookNode, cell_index: int) -> None:
        """nbclient's IOPub loop, in short waits: reconnects a dropped IOPub, skips mangled messages."""
        import zmq

        assert self.kc is not None
        while True:
            await asyncio.sleep(0)  # a blocking client's get_msg never yields: let the other polls run
            await self._dropped("iopub", cell_index)
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.output_poll_interval))
            except Empty:
                continue
            except zmq.ZMQError:
                raise
            except Exception as exc:  # noqa: BLE001 - a mangled message (bad signature, JSON) is dropped, not fatal
                self.log.warning("cell %s: dropped an invalid IOPub message: %s", cell_index, str(exc)[:200])
                continue
            if not isinstance(msg.get("parent_header"), dict) or msg["parent_header"].get("msg_id") != parent_msg_id:
                continue
            try:
                self.process_message(msg, cell, cell_index)
            except CellExecutionComplete:
                return
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                self.log.warning("cell %s: dropped a malformed %s message: %s", cell_index, msg.get("msg_type"), str(exc)[:200])

    def _lost_reply(self, msg_id: str) -> dict[str, Any]:
        evalue = f"the kernel's reply to this cell was over {self.max_reply_bytes} bytes: the grader dropped it"
        return {"header": {"msg_type": "execute_reply"}, "parent_header": {"msg_id": msg_id}, "metadata": {},
                "content": {"status": "error", "ename": "GraderError", "evalue": evalue, "traceback": [f"GraderError: {evalue}"]}}

    async def _async_poll_for_reply(self, msg_id: str, cell: NotebookNode, timeout: int | None,
                                    task_poll_output_msg: asyncio.Future[Any], task_poll_kernel_alive: asyncio.Future[Any]) -> dict[str, Any]:
        """nbclient's shell loop, in short waits: a reply dropped for its size becomes an error reply."""
        import zmq
        from nbclient.client import timestamp

        assert self.kc is not None
        deadline = None if timeout is None else monotonic() + timeout
        error_reply: dict[str, Any] | None = None
        while True:
            await asyncio.sleep(0)
            if error_reply is not None:
                msg = error_reply
                msg["parent_header"] = {"msg_id": msg_id}
            elif await self._dropped("shell", self._current):
                msg = self._lost_reply(msg_id)
            else:
                wait = self.output_poll_interval if deadline is None else min(self.output_poll_interval, max(deadline - monotonic(), 0))
                try:
                    msg = await ensure_async(self.kc.shell_channel.get_msg(timeout=wait))
                except Empty:
                    if deadline is not None and monotonic() >= deadline:
                        assert timeout is not None
                        task_poll_kernel_alive.cancel()
                        await self._async_check_alive()
                        error_reply = await self._async_handle_timeout(timeout, cell)
                        deadline = monotonic() + timeout  # interrupted: wait for the reply once more
                    continue
                except zmq.ZMQError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a mangled message is dropped, not fatal
                    self.log.warning("dropped an invalid shell message: %s", str(exc)[:200])
                    continue
            if not isinstance(msg.get("parent_header"), dict) or msg["parent_header"].get("msg_id") != msg_id:
                continue
            if self.record_timing and "header" in msg and "date" in msg["header"]:
                cell["metadata"]["execution"]["shell.execute_reply"] = timestamp(msg)
            try:
                await asyncio.wait_for(task_poll_output_msg, self.iopub_timeout)
            except (asyncio.TimeoutError, Empty):
                if self.raise_on_iopub_timeout:
                    task_poll_kernel_alive.cancel()
                    raise CellTimeoutError.error_from_timeout_and_cell("Timeout waiting for IOPub output", self.iopub_timeout, cell) from None
                self.log.warning("Timeout waiting for IOPub output")
            task_poll_kernel_alive.cancel()
            return msg

    async def async_start_new_kernel_client(self) -> Any:
        """nbclient's, with bounded sockets and a watch on the IOPub connection."""
        assert self.km is not None
        try:
            self.kc = self.km.client()
            self._limit_sockets(self.kc)
            await ensure_async(self.kc.start_channels())
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        except Exception as e:
            self.log.error("Error occurred while starting new kernel client for kernel %s: %s",
                           getattr(self.km, "kernel_id", None), e)
            await self._async_cleanup_kernel()
            raise
        self._watch("iopub")
        self._watch("shell")
        self.kc.allow_stdin = False
        await run_hook(self.on_notebook_start, notebook=self.nb)
        return self.kc

    async def _async_cleanup_kernel(self) -> None:
        for channel in list(self._monitors):
            self._unwatch(channel)
        await super()._async_cleanup_kernel()

    # nbclient binds its synchronous names to its own coroutines: bind them to these
    execute_cell = run_sync(async_execute_cell)
    start_new_kernel_client = run_sync(async_start_new_kernel_client)
    _cleanup_kernel = run_sync(_async_cleanup_kernel)


# ----------------------------------------------------------------------------- inert rendering
_BLOCK = ("p", "div", "span", "pre", "code", "blockquote", "hr", "br", "h1", "h2", "h3", "h4", "h5", "h6",
          "ul", "ol", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption")
_INLINE = ("a", "abbr", "b", "strong", "i", "em", "u", "s", "del", "ins", "sub", "sup", "kbd", "samp", "var",
           "mark", "small", "img", "input")
SAFE_TAGS = frozenset(_BLOCK + _INLINE)
SAFE_ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href", "title"], "img": ["src", "alt", "title", "width", "height"],
                   "th": ["style", "align"], "td": ["style", "align"], "input": ["type", "disabled", "checked"], "ol": ["start"]}
SAFE_PROTOCOLS = frozenset({"http", "https", "mailto", "attachment"})
SAFE_STYLES = ("text-align",)
_GRADE_ID = re.compile(r"[A-Za-z0-9_.\-]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")


class _SafetyCheck(HTMLParser):
    """Is this HTML within ``SAFE_TAGS``/``SAFE_ATTRIBUTES``, with safe URLs and styles only?"""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in SAFE_TAGS:
            self.problems.append(f"<{tag}>")
            return
        allowed = set(SAFE_ATTRIBUTES.get("*", [])) | set(SAFE_ATTRIBUTES.get(tag, []))
        for name, value in attrs:
            value = value or ""
            if name not in allowed:
                self.problems.append(f"<{tag} {name}>")
            elif name in ("href", "src"):
                scheme = urlsplit(value.strip()).scheme.lower()
                if scheme and scheme not in SAFE_PROTOCOLS:
                    self.problems.append(f"<{tag} {name}={scheme}:>")
            elif name == "style":
                props = [p.split(":", 1)[0].strip().lower() for p in value.split(";") if p.strip()]
                if any(p not in SAFE_STYLES for p in props) or re.search(r"[(\\]|url|expression", value, re.I):
                    self.problems.append(f"<{tag} style>")
            elif name == "type" and tag == "input" and value.lower() != "checkbox":
                self.problems.append("<input type>")

    handle_startendtag = handle_starttag

    def handle_decl(self, decl: str) -> None:
        self.problems.append("<!decl>")

    def handle_pi(self, data: str) -> None:
        self.problems.append("<?pi>")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("<![...]>")


def html_is_safe(markup: str) -> bool:
    """True when ``markup`` uses only the safe subset of HTML (no script, handler, style or URL tricks)."""
    checker = _SafetyCheck()
    checker.feed(markup)
    checker.close()
    return not checker.problems


def _bleach(markup: str) -> str:
    import bleach
    from bleach.css_sanitizer import CSSSanitizer

    return bleach.clean(markup, tags=SAFE_TAGS, attributes=SAFE_ATTRIBUTES, protocols=SAFE_PROTOCOLS, strip=False,
                        strip_comments=True, css_sanitizer=CSSSanitizer(allowed_css_properties=SAFE_STYLES))


def _markdown2html(source: str) -> str:
    from nbconvert.filters.markdown import markdown2html

    return markdown2html(source)


def sanitize_markdown(source: str) -> str:
    """A markdown cell's source, or, if it renders to unsafe HTML, its sanitized rendering.

    The feedback and formgrader templates render markdown cells with raw HTML and ``javascript:``
    links intact, whatever ``HTMLExporter.sanitize_html`` says. A cell that renders safely is kept
    as written; another becomes its rendering cleaned by bleach (rendered again by the template,
    which leaves that HTML as it is), or as a last resort its escaped text.
    """
    if html_is_safe(_markdown2html(source)):
        return source
    cleaned = _bleach(_markdown2html(source)).strip()
    wrapped = f'<div class="dva-sanitized">\n{cleaned}\n</div>'
    if html_is_safe(_markdown2html(wrapped)):
        return wrapped
    import html

    return f"<pre>{html.escape(source)}</pre>"


def _safe_markdown_output(text: str) -> bool:
    return html_is_safe(_markdown2html(text))


def _image_metadata(value: Any) -> dict[str, Any]:
    """An image's metadata without markup: nbconvert's templates write ``width=`` and ``height=`` unquoted."""
    if not isinstance(value, dict):
        return {}
    kept: dict[str, Any] = {}
    for key in ("width", "height"):
        size = value.get(key)
        if (isinstance(size, (int, float)) and not isinstance(size, bool) and size >= 0) or \
                (isinstance(size, str) and re.fullmatch(r"\d{1,6}(\.\d{1,3})?", size)):
            kept[key] = size
    if isinstance(value.get("unconfined"), bool):
        kept["unconfined"] = value["unconfined"]
    if isinstance(value.get("alt"), str):  # written quoted and escaped
        kept["alt"] = value["alt"][:1000]
    return kept


def safe_output(output: NotebookNode, allowed: Iterable[str] = SAFE_MIME_TYPES) -> NotebookNode:
    """``output`` with its active content removed (a ``text/plain`` stands in when nothing else is left)."""
    if output.get("output_type") not in ("display_data", "execute_result"):
        return output
    allowed = set(allowed)
    data = output.get("data") or {}
    kept: dict[str, Any] = {}
    removed: list[str] = []
    for mime, value in data.items():
        if mime in allowed and (not mime.startswith("image/") or _BASE64.fullmatch(_as_text(value))):
            kept[mime] = value
        elif mime == "text/markdown" and _safe_markdown_output(_as_text(value)):
            kept[mime] = value
        else:
            removed.append(mime)
    if removed and "text/plain" not in kept:
        if "text/markdown" in removed:
            kept["text/plain"] = _as_text(data["text/markdown"])  # shown as plain text, escaped
        elif "text/html" in removed:
            kept["text/plain"] = HTML_REMOVED
        else:
            kept["text/plain"] = f"[{', '.join(sorted(removed))} output removed by the grader]"
    output["data"] = kept
    metadata = output.get("metadata") or {}
    output["metadata"] = {k: _image_metadata(v) if k.startswith("image/") else v
                          for k, v in metadata.items() if k in kept or k == NOTE_METADATA_KEY}
    return output


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded test cell: nbgrader ``grade`` and not ``solution``."""
    meta = (cell.get("metadata") or {}).get("nbgrader") or {}
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


class SafeOutputs(NbGraderPreprocessor):
    """Autograde step: outputs, widget state, markdown cells and grade ids made inert for rendering.

    Put it after ``SaveAutoGrades`` (scores are computed from the outputs as the kernel made them).
    Widget views are removed, not kept: they render only through the widget manager loaded from a
    CDN together with the notebook's widget state, which is student-made (an ``HTML`` widget's value
    is inserted as HTML), and no grade depends on them; their ``text/plain`` stays.
    """

    allowed_mime_types = List(Unicode(), default_value=list(SAFE_MIME_TYPES),
                              help="Output MIME types kept as they are (text/markdown is checked separately).").tag(config=True)
    sanitize_markdown_cells = Bool(True, help="Replace markdown cells that render to unsafe HTML by their sanitized rendering.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        nb, resources = super().preprocess(nb, resources)
        nb.metadata.pop("widgets", None)
        return nb, resources

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        if cell.cell_type == "code":
            cell.outputs = [safe_output(o, self.allowed_mime_types) for o in cell.get("outputs", [])]
        elif cell.cell_type == "markdown" and self.sanitize_markdown_cells:
            source = _as_text(cell.source)
            safe = sanitize_markdown(source)
            if safe != source:
                self.log.warning("markdown cell %s rendered to unsafe HTML: replaced by its sanitized rendering", cell_index)
                cell.source = safe
        meta = (cell.get("metadata") or {}).get("nbgrader")
        if isinstance(meta, dict):
            # the templates write grade_id into attributes unescaped, and comments as markdown
            if "grade_id" in meta and not _GRADE_ID.fullmatch(str(meta["grade_id"])):
                meta["grade_id"] = re.sub(r"[^A-Za-z0-9_.\-]", "_", str(meta["grade_id"]))[:100] or "invalid"
            if isinstance(meta.get("comment"), str):
                meta["comment"] = sanitize_markdown(meta["comment"])
        return cell, resources


class FeedbackOutputs(SafeOutputs):
    """Feedback step (after ``ClearHiddenTestsAndTracebacks``): test cells show only their errors.

    A test cell's prints, displays and results could quote a hidden test or its expected values;
    they are replaced by one line saying how many were left out. Errors (name, message, traceback)
    stay, so the student sees why a test failed. Then every cell gets the ``SafeOutputs`` treatment.
    """

    def preprocess_cell(self, cell: NotebookNode, resources: dict, cell_index: int) -> tuple[NotebookNode, dict]:
        if is_test_cell(cell):
            kept = [o for o in cell.get("outputs", []) if o.get("output_type") == "error" or is_truncation_note(o)]
            hidden = len(cell.get("outputs", [])) - len(kept)
            if hidden:
                kept.append(from_dict({"output_type": "stream", "name": "stdout", "text": FEEDBACK_NOTE.format(n=hidden) + "\n"}))
            cell.outputs = kept
        return super().preprocess_cell(cell, resources, cell_index)
