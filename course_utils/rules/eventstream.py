"""AWS's event stream encoding (``application/vnd.amazon.eventstream``): the binary frames of streaming responses.

AWS: a streaming response (Bedrock ``ConverseStream`` and ``InvokeModelWithResponseStream``,
Transcribe, Lex V2, S3 Select, ...) is a sequence of messages. Each message is a **prelude**
(total byte length, headers byte length: two 4-byte big-endian integers), the **prelude CRC**
(CRC32 of those 8 bytes), the **headers**, the **payload**, and the **message CRC** (CRC32 of
everything before it); the overhead is 16 bytes. A header is a 1-byte name length, the UTF-8
name, a 1-byte value type and the value (a string: type 7, a 2-byte big-endian length, UTF-8
bytes). An event message carries ``:message-type`` ``event``, ``:event-type`` (the member of the
stream's union, e.g. ``contentBlockDelta``) and ``:content-type`` (``application/json``: the
payload is the event's JSON). Sources:
https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html and
https://docs.aws.amazon.com/lexv2/latest/dg/event-stream-encoding.html; the header value types
(0 true, 1 false, 2 byte, 3 short, 4 integer, 5 long, 6 byte array, 7 string, 8 timestamp,
9 uuid) are those botocore's decoder (``botocore.eventstream``) reads.

Pure: imports nothing from boto3, botocore or moto. Encodes the value types a server sends
(strings, byte arrays, booleans, 32-bit and 64-bit integers); :func:`decode` reads them back.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any, Iterable, Iterator, Mapping

__all__ = ["CONTENT_TYPE", "encode_message", "event_message", "encode_events", "decode"]

#: The HTTP ``Content-Type`` of an event stream body.
CONTENT_TYPE = "application/vnd.amazon.eventstream"

_PRELUDE = 8  # total length + headers length
_OVERHEAD = 16  # prelude, prelude CRC, message CRC


def _crc(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def _header(name: str, value: Any) -> bytes:
    raw_name = name.encode("utf-8")
    if not 0 < len(raw_name) < 256:
        raise ValueError(f"header name must be 1 to 255 bytes: {name!r}")
    head = struct.pack(">B", len(raw_name)) + raw_name
    if isinstance(value, bool):
        return head + struct.pack(">B", 0 if value else 1)
    if isinstance(value, int):
        if -(2 ** 31) <= value < 2 ** 31:
            return head + struct.pack(">Bi", 4, value)
        return head + struct.pack(">Bq", 5, value)
    if isinstance(value, (bytes, bytearray)):
        return head + struct.pack(">BH", 6, len(value)) + bytes(value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) > 0xFFFF:
            raise ValueError(f"header {name!r}: a string value is at most 65535 bytes")
        return head + struct.pack(">BH", 7, len(raw)) + raw
    raise TypeError(f"header {name!r}: unsupported value type {type(value).__name__}")


def encode_message(headers: Mapping[str, Any], payload: bytes) -> bytes:
    """One event stream message: prelude, prelude CRC, headers, payload, message CRC."""
    raw_headers = b"".join(_header(k, v) for k, v in headers.items())
    total = _OVERHEAD + len(raw_headers) + len(payload)
    prelude = struct.pack(">II", total, len(raw_headers))
    body = prelude + struct.pack(">I", _crc(prelude)) + raw_headers + payload
    return body + struct.pack(">I", _crc(body))


def event_message(event_type: str, payload: Mapping[str, Any]) -> bytes:
    """An ``event`` message whose payload is ``payload`` as JSON (``:content-type`` ``application/json``)."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_message(headers, json.dumps(payload, separators=(",", ":")).encode("utf-8"))


def encode_events(events: Iterable[tuple[str, Mapping[str, Any]]]) -> bytes:
    """A whole stream body: one :func:`event_message` per ``(event type, payload)``, concatenated."""
    return b"".join(event_message(kind, payload) for kind, payload in events)


def _value(data: bytes, at: int) -> tuple[Any, int]:
    kind = data[at]
    at += 1
    if kind in (0, 1):
        return kind == 0, at
    sizes = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}
    if kind in sizes:
        fmt = sizes[kind]
        return struct.unpack_from(fmt, data, at)[0], at + struct.calcsize(fmt)
    if kind in (6, 7):
        (length,) = struct.unpack_from(">H", data, at)
        raw = data[at + 2: at + 2 + length]
        return (raw.decode("utf-8") if kind == 7 else bytes(raw)), at + 2 + length
    if kind == 9:
        return bytes(data[at: at + 16]), at + 16
    raise ValueError(f"unknown header value type {kind}")


def decode(data: bytes) -> Iterator[tuple[dict[str, Any], bytes]]:
    """``(headers, payload)`` of each message of a stream body; ValueError on a bad length or CRC."""
    at = 0
    while at < len(data):
        if len(data) - at < _OVERHEAD:
            raise ValueError(f"truncated message at byte {at}")
        total, headers_length = struct.unpack_from(">II", data, at)
        (prelude_crc,) = struct.unpack_from(">I", data, at + _PRELUDE)
        if prelude_crc != _crc(data[at: at + _PRELUDE]):
            raise ValueError(f"prelude CRC mismatch at byte {at}")
        end = at + total
        if total < _OVERHEAD + headers_length:
            raise ValueError(f"bad message length {total} at byte {at}")
        if end > len(data):
            raise ValueError(f"truncated message at byte {at}")
        (message_crc,) = struct.unpack_from(">I", data, end - 4)
        if message_crc != _crc(data[at: end - 4]):
            raise ValueError(f"message CRC mismatch at byte {at}")
        headers: dict[str, Any] = {}
        cursor, stop = at + 12, at + 12 + headers_length
        while cursor < stop:
            name_length = data[cursor]
            name = data[cursor + 1: cursor + 1 + name_length].decode("utf-8")
            headers[name], cursor = _value(data, cursor + 1 + name_length)
        yield headers, bytes(data[stop: end - 4])
        at = end
