"""The stream mapping's retry rules (pure engine), with generated configurations (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.runtime.stream_poller import MAX_INVOCATIONS, Attempt, Record, Settings, Shard, settings_from


def _records(n: int, start: float = 0.0) -> list[Record]:
    return [Record(str(100 + i), start + i) for i in range(n)]


def _handler(bad: set[str], mode: str):
    calls: list[list[str]] = []

    def invoke(batch: list[Record]) -> Attempt:
        ids = [r.id for r in batch]
        calls.append(ids)
        hit = [i for i in ids if i in bad]
        if not hit:
            return Attempt(ok=True)
        if mode == "raise":
            return Attempt(ok=False)
        if mode == "throttle":
            return Attempt(ok=False, throttled=True)
        return Attempt(ok=True, failed_ids=tuple(hit))  # partial batch response

    return invoke, calls


def test_defaults_follow_aws():
    s = settings_from({})
    assert (s.batch_size, s.max_retries, s.max_age, s.bisect, s.report_item_failures) == (100, -1, -1, False, False)
    s = settings_from({"BatchSize": 5, "MaximumRetryAttempts": 2, "MaximumRecordAgeInSeconds": 60,
                       "BisectBatchOnFunctionError": True, "FunctionResponseTypes": ["ReportBatchItemFailures"]})
    assert (s.batch_size, s.max_retries, s.max_age, s.bisect, s.report_item_failures) == (5, 2, 60, True, True)


def test_retries_then_discard_and_move_on():
    shard = Shard(_records(3))
    invoke, calls = _handler({"100"}, "raise")
    lost = shard.read(Settings(batch_size=1, max_retries=2), now=10, invoke=invoke)
    assert calls == [["100"]] * 3 + [["101"], ["102"]]
    assert [(tuple(r.id for r in d.records), d.condition, d.invocations) for d in lost] == [(("100",), "RetryAttemptsExhausted", 3)]
    assert shard.pending == []


def test_bisect_does_not_use_the_retry_quota():
    shard = Shard(_records(4))
    invoke, calls = _handler({"102"}, "raise")
    lost = shard.read(Settings(batch_size=4, max_retries=0, bisect=True), now=10, invoke=invoke)
    assert calls == [["100", "101", "102", "103"], ["100", "101"], ["102", "103"], ["102"], ["103"]]
    assert [r.id for d in lost for r in d.records] == ["102"]


def test_partial_batch_response_checkpoints_before_the_first_failure():
    shard = Shard(_records(4))
    invoke, calls = _handler({"102"}, "partial")
    lost = shard.read(Settings(batch_size=4, max_retries=1, report_item_failures=True), now=10, invoke=invoke)
    assert calls == [["100", "101", "102", "103"], ["102", "103"]]  # 100 and 101 are checkpointed
    assert [r.id for d in lost for r in d.records] == ["102", "103"]  # the retried batch is discarded whole


def test_unknown_item_identifier_fails_the_whole_batch():
    shard = Shard(_records(2))
    lost = shard.read(Settings(batch_size=2, max_retries=0, report_item_failures=True), now=10,
                      invoke=lambda batch: Attempt(ok=True, failed_ids=("nope",)))
    assert [r.id for d in lost for r in d.records] == ["100", "101"]


def test_expired_records_are_discarded_before_invoking():
    shard = Shard(_records(3, start=0))
    invoke, calls = _handler(set(), "raise")
    lost = shard.read(Settings(max_age=60), now=60.5, invoke=invoke)  # ages 60.5, 59.5, 58.5 s
    assert [(tuple(r.id for r in d.records), d.condition) for d in lost] == [(("100",), "RecordAgeExceeded")]
    assert calls == [["101", "102"]]


def test_throttle_waits_without_counting_a_retry():
    shard = Shard(_records(1))
    invoke, calls = _handler({"100"}, "throttle")
    assert shard.read(Settings(max_retries=0), now=1, invoke=invoke) == []
    assert len(calls) == 1 and [r.id for r in shard.pending] == ["100"] and shard.retries == 0


configs = st.fixed_dictionaries({
    "n": st.integers(0, 40),
    "bad": st.sets(st.integers(0, 39), max_size=6),
    "mode": st.sampled_from(["raise", "partial", "throttle"]),
    "batch_size": st.integers(1, 12),
    "max_retries": st.sampled_from([-1, 0, 1, 2, 5]),
    "max_age": st.sampled_from([-1, 60, 3600]),
    "bisect": st.booleans(),
    "report": st.booleans(),
    "reads": st.integers(1, 6),
    "tick": st.sampled_from([0, 1, 30, 120]),
})


@settings(max_examples=300, deadline=None, derandomize=True, database=None)  # the same examples every run
@given(configs)
def test_every_read_is_bounded_and_no_record_is_lost_or_reprocessed(cfg):
    """Whatever the configuration: each read makes at most MAX_INVOCATIONS invocations; every
    record ends up processed in a successful invocation, discarded, or still pending in order;
    a record is never in two successful invocations (a failed batch may be retried: at-least-once)."""
    records = _records(cfg["n"])
    bad = {str(100 + i) for i in cfg["bad"]}
    s = Settings(batch_size=cfg["batch_size"], max_retries=cfg["max_retries"], max_age=cfg["max_age"],
                 bisect=cfg["bisect"], report_item_failures=cfg["report"])
    shard = Shard()
    shard.add(records)
    succeeded: list[str] = []
    discarded: list[str] = []

    def invoke(batch: list[Record]) -> Attempt:
        ids = [r.id for r in batch]
        hit = [i for i in ids if i in bad]
        if not hit:
            succeeded.extend(ids)
            return Attempt(ok=True)
        if cfg["mode"] == "raise":
            return Attempt(ok=False)
        if cfg["mode"] == "throttle":
            return Attempt(ok=False, throttled=True)
        if not s.report_item_failures:
            succeeded.extend(ids)  # without ReportBatchItemFailures the response is ignored: a success
            return Attempt(ok=True, failed_ids=tuple(hit))
        first = min(ids.index(i) for i in hit)
        succeeded.extend(ids[:first])  # checkpointed
        return Attempt(ok=True, failed_ids=tuple(hit))

    now = float(cfg["n"])
    for _ in range(cfg["reads"]):
        before = len(succeeded)
        calls = 0

        def counted(batch, _inner=invoke):
            nonlocal calls
            calls += 1
            return _inner(batch)

        for lost in shard.read(s, now, counted):
            discarded.extend(r.id for r in lost.records)
        assert calls <= MAX_INVOCATIONS
        assert len(succeeded) >= before
        now += cfg["tick"]
    assert len(succeeded) == len(set(succeeded)), "a record was in two successful invocations"
    assert not set(succeeded) & set(discarded)
    pending = [r.id for r in shard.pending]
    everything = sorted(set(succeeded) | set(discarded) | set(pending))
    assert everything == sorted(r.id for r in records), "a record was lost"
    assert pending == sorted(pending) and all(p not in succeeded for p in pending)
    if cfg["mode"] != "partial" or s.report_item_failures:
        assert not (bad & set(succeeded)), "a failing record was reported as processed"
