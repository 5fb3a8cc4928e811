"""The event stream encoder, checked against botocore's own decoder (what boto3 uses to read streams)."""

from __future__ import annotations

import json
import struct
import zlib

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from course_utils.rules import eventstream


def _botocore_messages(data: bytes):
    buffer = EventStreamBuffer()
    buffer.add_data(data)
    return list(buffer)


def test_empty_message_is_the_16_byte_overhead():
    data = eventstream.encode_message({}, b"")
    assert len(data) == 16
    total, headers_length, prelude_crc = struct.unpack(">III", data[:12])
    assert (total, headers_length) == (16, 0)
    assert prelude_crc == zlib.crc32(data[:8])
    assert struct.unpack(">I", data[12:])[0] == zlib.crc32(data[:12])


def test_event_messages_decode_with_botocore():
    data = eventstream.encode_events([("messageStart", {"role": "assistant"}),
                                      ("contentBlockDelta", {"delta": {"text": "h\u00e9llo "}, "contentBlockIndex": 0})])
    messages = _botocore_messages(data)
    assert [m.headers for m in messages] == [
        {":event-type": kind, ":content-type": "application/json", ":message-type": "event"}
        for kind in ("messageStart", "contentBlockDelta")]
    assert json.loads(messages[1].payload) == {"delta": {"text": "h\u00e9llo "}, "contentBlockIndex": 0}
    assert [m.to_response_dict()["status_code"] for m in messages] == [200, 200]


def test_every_header_type_the_encoder_writes():
    headers = {"yes": True, "no": False, "int": -7, "long": 2 ** 40, "raw": b"\x00\xff", "text": "v\u00e4lue"}
    [message] = _botocore_messages(eventstream.encode_message(headers, b"payload"))
    assert message.headers == headers and message.payload == b"payload"
    assert list(eventstream.decode(eventstream.encode_message(headers, b"payload"))) == [(headers, b"payload")]


def test_decode_reads_back_a_stream_and_rejects_corruption():
    data = eventstream.encode_events([("a", {"n": 1}), ("b", {"n": 2})])
    assert [(h[":event-type"], json.loads(p)) for h, p in eventstream.decode(data)] == [("a", {"n": 1}), ("b", {"n": 2})]
    corrupted = bytearray(data)
    corrupted[-6] ^= 0xFF  # a payload byte of the second message
    with pytest.raises(ValueError, match="message CRC"):
        list(eventstream.decode(bytes(corrupted)))
    with pytest.raises(ChecksumMismatch):
        _botocore_messages(bytes(corrupted))
    with pytest.raises(ValueError, match="truncated"):
        list(eventstream.decode(data[:-20]))


def test_header_limits():
    with pytest.raises(ValueError):
        eventstream.encode_message({"x" * 256: "v"}, b"")
    with pytest.raises(TypeError):
        eventstream.encode_message({"f": 1.5}, b"")
