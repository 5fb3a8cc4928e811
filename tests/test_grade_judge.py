"""The grading channel (wire, peer), the judge's name binding and the cell plan of JudgedExecute."""

from __future__ import annotations

import datetime as dt
import decimal
import socket
import threading
from types import SimpleNamespace

import nbformat
import pytest

from course_utils.grade import judge
from course_utils.grade.execute import STUDENT, TEST, TRUSTED, free_names, plan_cells
from course_utils.grade.peer import Peer, Remote
from course_utils.grade.preprocessors import RESTORED_MARK
from course_utils.grade.wire import MAX_DEPTH, ChannelClosed, ChannelError, Encoder, recv, send


def _encoder(side: str = "student") -> Encoder:
    return Encoder(side, lambda n, info: ("proxy", n, info["kind"]), lambda info: RuntimeError(info["$exc"]))


def test_data_crosses_as_plain_builtin_values():
    enc, dec = _encoder("student"), _encoder("judge")
    value = {"b": b"\x00\xff", "d": decimal.Decimal("1700001800"), "t": (1, "x"), "s": {1, 2}, 3: [None, True, 1.5],
             "when": dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.timezone.utc), "big": 2**70, "inf": float("inf")}
    back = dec.decode(enc.encode(value))
    assert back == value
    assert type(back["d"]) is decimal.Decimal and type(back["t"]) is tuple and type(back["b"]) is bytes


def test_an_object_that_claims_to_equal_everything_arrives_as_plain_data_or_a_reference():
    from collections import OrderedDict, namedtuple

    class Liar(dict):
        def __eq__(self, other):
            return True

        def items(self):
            return [("forged", 1)]

    class AlwaysEqual:
        def __eq__(self, other):
            return True

    enc, dec = _encoder("student"), _encoder("judge")
    # subclasses of built-in data cross as their real content, read with the base type's methods
    crossed = dec.decode(enc.encode(Liar(real=2)))
    assert type(crossed) is dict and crossed == {"real": 2} and crossed != {"forged": 1}
    point = namedtuple("Point", "x y")(1, 2)
    assert dec.decode(enc.encode([point, OrderedDict(a=1)])) == [(1, 2), {"a": 1}]
    data = enc.encode(AlwaysEqual())
    assert data["$ref"] and data["owner"] == "student"
    peer = Peer(socket.socket(), "judge", {}, lambda info: RuntimeError())
    remote = peer.encoder.decode({"$ref": 1, "owner": "student", "kind": "object", "name": "AlwaysEqual"})
    assert isinstance(remote, Remote)
    assert remote != {"Item": {}} and not (remote == 1) and remote == remote


def test_too_deep_values_and_unknown_tags_are_refused():
    deep: list = []
    for _ in range(MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(ChannelError, match="deeper"):
        _encoder().encode(deep)
    with pytest.raises(ChannelError, match="unexpected"):
        _encoder().decode({"$evil": 1})
    with pytest.raises(ChannelError, match="unknown reference"):
        _encoder("judge").decode({"$ref": 99, "owner": "judge"})


def test_client_errors_are_rebuilt_and_aborts_cannot_be_caught_as_exceptions():
    from botocore.exceptions import ClientError

    student = _encoder("student")
    response = {"Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"},
                "ResponseMetadata": {"HTTPStatusCode": 400}}
    info = student.exception(ClientError(response, "PutItem"))
    judge._peer = Peer(socket.socket(), "judge", {}, judge._exception)
    try:
        rebuilt = judge._exception(info)
        assert isinstance(rebuilt, ClientError) and rebuilt.response["Error"]["Code"] == "ConditionalCheckFailedException"
        assert isinstance(judge._exception(student.exception(ValueError("bad"))), ValueError)

        class CellTimeoutError(Exception):  # a student's own class: no special meaning
            pass

        odd = judge._exception(student.exception(CellTimeoutError("x")))
        assert type(odd) is judge.StudentError and "CellTimeoutError" in str(odd)
        aborted = judge._exception(student.exception(KeyboardInterrupt()))
        assert isinstance(aborted, BaseException) and not isinstance(aborted, Exception)
    finally:
        judge._peer = None


def _pair(student_handlers):
    a, b = socket.socketpair()
    judge_peer = Peer(a, "judge", {}, judge._exception)
    student_peer = Peer(b, "student", student_handlers, lambda info: ValueError(info.get("message")))

    def serve():
        try:
            while True:
                student_peer.serve(recv(b))
        except (ChannelClosed, OSError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return judge_peer, a, b, thread


def test_a_student_function_calls_back_a_judge_function_that_raises():
    namespace = {}

    def process_batch(event, handler):
        failures = []
        for record in event["Records"]:
            try:
                handler(record["body"])
            except ValueError:
                failures.append({"itemIdentifier": record["messageId"]})
        return {"batchItemFailures": failures}

    namespace["process_batch"] = process_batch
    judge_peer, a, b, thread = _pair({"bind": lambda m: {n: namespace[n] for n in m["names"] if n in namespace}})
    try:
        values = judge_peer.request("bind", names=["process_batch", "missing"])
        assert set(values) == {"process_batch"} and isinstance(values["process_batch"], Remote)

        def even_fails(body):
            if int(body) % 2 == 0:
                raise ValueError("even")

        event = {"Records": [{"messageId": f"m{i}", "body": str(i)} for i in range(1, 5)]}
        assert values["process_batch"](event, even_fails) == {"batchItemFailures": [{"itemIdentifier": "m2"},
                                                                                   {"itemIdentifier": "m4"}]}
    finally:
        a.close()
        b.close()
        thread.join(5)


def test_a_closed_channel_stops_the_student_side_of_a_test():
    judge_peer, a, b, thread = _pair({})
    b.close()
    judge._peer = judge_peer
    try:
        with pytest.raises(judge.StudentKernelStopped):
            judge.bind(["answer"], {})
    finally:
        judge._peer = None
        a.close()
        thread.join(5)


def test_bind_refreshes_student_names_and_never_replaces_the_judges_own():
    student_ns = {"answer": 1, "_session_table": "student's"}
    judge_peer, a, b, thread = _pair({"bind": lambda m: {n: student_ns[n] for n in m["names"] if n in student_ns}})
    judge._peer = judge_peer
    judge._bound.clear()
    try:
        ns = {"_session_table": "judge's"}
        assert judge.bind_missing(["answer", "_session_table", "len"], ns) == ["answer"]
        assert ns == {"_session_table": "judge's", "answer": 1}
        del student_ns["answer"]  # the student's later cell removed it: the test must not see a stale value
        judge.bind_missing(["answer"], ns)
        assert "answer" not in ns
    finally:
        judge._peer = None
        judge._bound.clear()
        a.close()
        b.close()
        thread.join(5)


def test_send_refuses_values_over_the_limit(monkeypatch):
    from course_utils.grade import wire

    monkeypatch.setattr(wire, "MAX_MESSAGE", 100)
    a, b = socket.socketpair()
    with pytest.raises(ChannelError, match="over the channel's limit"):
        send(a, {"x": "y" * 200})
    a.close()
    b.close()


def test_free_names_are_what_the_test_reads_and_does_not_define():
    source = '''
sqs = boto3.client("sqs")
msgs = sqs.receive_message(QueueUrl=url)["Messages"]
def even_orders_fail(body):
    if body["order"] % 2 == 0:
        raise ValueError(json.dumps(body))
result = process_batch({"Records": [m for m in msgs]}, even_orders_fail)
assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == expected_ids
%time x = 1
'''
    names = set(free_names(source))
    assert {"boto3", "url", "json", "process_batch", "expected_ids", "ValueError"} <= names
    assert not names & {"sqs", "msgs", "even_orders_fail", "result", "body", "m", "f", "x"}


def _gradebook_notebook():
    cells = [SimpleNamespace(name="setup", cell_type="code", locked=True, source="import json"),
             SimpleNamespace(name="answer", cell_type="code", locked=False, source="def f(): raise NotImplementedError"),
             SimpleNamespace(name="test", cell_type="code", locked=True, source="assert f() == 1\n### BEGIN HIDDEN TESTS\nassert f()\n### END HIDDEN TESTS")]
    return SimpleNamespace(source_cells=cells, grade_cells=[SimpleNamespace(name="test", cell_type="code")],
                           solution_cells=[SimpleNamespace(name="answer")])


def _cell(grade_id, source, **meta):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, **meta}
    return cell


def test_roles_come_from_the_gradebook_not_from_the_submission():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# title"), _cell("setup", "import json"), _cell("answer", "def f(): return 1"),
                _cell("test", "pass  # the student's edit", grade=True, points=100)]
    nb.cells[3].metadata["tags"] = ["skip-execution", "raises-exception"]
    nb.cells.append(_cell("test", "pass", grade=True))  # a pasted copy of the test cell
    nb.cells.append(_cell("bonus", "assert True", grade=True, points=50))  # a cell the gradebook does not know
    plans = plan_cells(nb, _gradebook_notebook())
    assert plans[0] is None
    assert [p.role for p in plans[1:]] == [TRUSTED, STUDENT, TEST, STUDENT, STUDENT]
    assert "BEGIN HIDDEN TESTS" in plans[3].source and "student's edit" not in plans[3].source
    restored = nbformat.v4.new_notebook()
    restored.cells = [_cell("test", f"# {RESTORED_MARK}\nraise AssertionError('deleted')", grade=True)]
    assert plan_cells(restored, _gradebook_notebook())[0].source.startswith(f"# {RESTORED_MARK}")
