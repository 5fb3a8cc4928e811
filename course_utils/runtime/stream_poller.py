"""The rules of a Kinesis or DynamoDB Streams event source mapping, as a pure engine.

AWS (Lambda developer guide, "Lambda parameters for DynamoDB/Kinesis event source mappings" and
"Retain discarded batch records"): the mapping reads a shard in order and invokes the function
with up to ``BatchSize`` records (default 100). A failed batch blocks the shard and is retried
until it succeeds, its records are older than ``MaximumRecordAgeInSeconds`` or it has been
retried ``MaximumRetryAttempts`` times (both default -1: until the record expires); then the
records are discarded, a record of the discarded batch goes to the ``OnFailure`` destination and
the shard moves on. ``BisectBatchOnFunctionError`` splits a failed batch in two before retrying;
splitting does not use up the retry quota. With ``ReportBatchItemFailures`` the function returns
``{"batchItemFailures": [{"itemIdentifier": <sequence number>}]}``: the records before the first
failure are checkpointed and the retry starts at it. A throttled invocation is retried without
counting as a retry.

Simulated: the shard is read when a record is written (and again on the next write), not
continuously. Each read runs at most :data:`MAX_INVOCATIONS` invocations, so a record that keeps
failing with infinite retries never hangs the kernel: it waits, blocking the shard, for the next
write (or for time travel past its maximum age). This module knows nothing of moto or boto3.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["MAX_INVOCATIONS", "Settings", "Record", "Attempt", "Discarded", "Shard", "settings_from"]

#: Invocations per read of a shard (one API call that writes to the stream).
MAX_INVOCATIONS = 16


@dataclass(frozen=True)
class Settings:
    """The mapping's settings that govern retries (AWS's defaults)."""

    batch_size: int = 100
    max_retries: int = -1  # -1: retry until the record expires
    max_age: int = -1  # seconds; -1: no maximum age
    bisect: bool = False
    report_item_failures: bool = False


def settings_from(spec: dict[str, Any]) -> Settings:
    """Settings from a mapping's configuration (``GetEventSourceMapping`` field names)."""

    def number(key: str, default: int) -> int:
        value = spec.get(key)
        return default if value is None else int(value)

    return Settings(
        batch_size=max(1, number("BatchSize", 100)),
        max_retries=number("MaximumRetryAttempts", -1),
        max_age=number("MaximumRecordAgeInSeconds", -1),
        bisect=bool(spec.get("BisectBatchOnFunctionError")),
        report_item_failures="ReportBatchItemFailures" in (spec.get("FunctionResponseTypes") or []),
    )


@dataclass(frozen=True)
class Record:
    """One stream record: its id (sequence number), arrival time (epoch seconds) and payload."""

    id: str
    arrived: float
    payload: Any = None


@dataclass(frozen=True)
class Attempt:
    """What one invocation returned: ``ok`` False for an error, ``failed_ids`` for a partial
    batch response, ``throttled`` when the function could not run."""

    ok: bool
    failed_ids: tuple[str, ...] = ()
    throttled: bool = False


@dataclass(frozen=True)
class Discarded:
    """Records the mapping gave up on, with the reason (the destination record's condition)."""

    records: tuple[Record, ...]
    condition: str  # "RetryAttemptsExhausted" or "RecordAgeExceeded"
    invocations: int


@dataclass
class Shard:
    """The mapping's position in one shard: records not yet processed, and the retry state."""

    pending: list[Record] = field(default_factory=list)
    retries: int = 0  # failed invocations of the batch at the head that count against the quota
    invocations: int = 0  # invocations of the batch at the head
    split: int | None = None  # batch size after bisecting

    def add(self, records: list[Record]) -> None:
        known = {r.id for r in self.pending}
        self.pending.extend(r for r in records if r.id not in known)

    def _take(self, n: int) -> None:
        del self.pending[:n]

    def _reset(self) -> None:
        self.retries = self.invocations = 0
        self.split = None

    def read(
        self, settings: Settings, now: float, invoke: Callable[[list[Record]], Attempt],
        budget: int = MAX_INVOCATIONS,
    ) -> list[Discarded]:
        """Deliver pending records in order with at most ``budget`` invocations; return what
        was discarded. Records left pending wait for the next read."""
        discarded: list[Discarded] = []
        calls = 0
        while self.pending and calls < budget:
            if settings.max_age >= 0:
                old = 0
                while old < len(self.pending) and now - self.pending[old].arrived > settings.max_age:
                    old += 1
                if old:
                    discarded.append(Discarded(tuple(self.pending[:old]), "RecordAgeExceeded", self.invocations))
                    self._take(old)
                    self._reset()
                    continue
            size = min(settings.batch_size, self.split or settings.batch_size)
            batch = self.pending[:size]
            calls += 1
            self.invocations += 1
            result = invoke(batch)
            if result.throttled:
                break  # the shard waits; a throttle is not a retry
            ids = [r.id for r in batch]
            first_failed = 0
            if result.ok:
                failed = [i for i in result.failed_ids if i] if settings.report_item_failures else []
                if not failed:
                    self._take(len(batch))
                    self._reset()
                    continue
                if any(i not in ids for i in failed):
                    first_failed = 0  # an unknown identifier fails the whole batch
                else:
                    first_failed = min(ids.index(i) for i in failed)
                if first_failed:
                    self._take(first_failed)  # checkpoint: the records before the failure are done
                    batch = batch[first_failed:]
            if settings.bisect and len(batch) > 1:
                self.split = max(1, len(batch) // 2)  # splitting does not use the retry quota
                continue
            self.retries += 1
            if settings.max_retries >= 0 and self.retries > settings.max_retries:
                discarded.append(Discarded(tuple(batch), "RetryAttemptsExhausted", self.invocations))
                self._take(len(batch))
                self._reset()
        return discarded
