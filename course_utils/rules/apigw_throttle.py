"""API Gateway throttling: the token bucket behind the 10,000 rps / 5,000 burst account limit.

AWS: API Gateway throttles with a token bucket per account and Region (and, more tightly, per
stage/method settings and per usage-plan API key). The bucket holds at most ``burst`` tokens
and refills at ``rate`` tokens per second; each request takes one token, and a request that
finds the bucket empty gets **429 Too Many Requests**. The account default is a rate of
10,000 requests per second with a burst of 5,000 (a quota that can be raised). So a sudden
spike of 5,000 requests passes at once, but a sustained load above 10,000 rps is partly
rejected.

Simulated: :class:`TokenBucket` (the one bucket of :mod:`course_utils.rules.token_bucket`, which
the runtime's usage plans use too) applies that rule to request timestamps you give it (no real
time passes); :func:`replay` runs a whole load profile through it. The real data plane's
usage-plan buckets (per API key) are in :mod:`course_utils.runtime.usage_plans`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import token_bucket

__all__ = ["TokenBucket", "replay", "ACCOUNT_RATE", "ACCOUNT_BURST", "Window"]

ACCOUNT_RATE = 10_000.0  # requests per second, per account and Region (default quota)
ACCOUNT_BURST = 5_000  # bucket size


class TokenBucket(token_bucket.TokenBucket):
    """The bucket of :mod:`course_utils.rules.token_bucket` with the account defaults."""

    def __init__(self, rate: float = ACCOUNT_RATE, burst: int = ACCOUNT_BURST) -> None:
        super().__init__(rate, burst)


@dataclass(frozen=True)
class Window:
    """Requests sent, accepted and throttled (429) in one time window."""

    start: float
    sent: int
    accepted: int
    throttled: int


def replay(load: list[tuple[float, int]], *, rate: float = ACCOUNT_RATE, burst: int = ACCOUNT_BURST,
           window: float = 0.1) -> list[Window]:
    """Send ``count`` requests spread evenly over each ``window`` starting at each ``start``.

    ``load`` is ``[(start second, requests in that window), ...]`` in time order.
    """
    if window <= 0:
        raise ValueError(f"window must be > 0, got {window}")
    bucket = TokenBucket(rate, burst)
    out: list[Window] = []
    previous = -1.0
    for i, item in enumerate(load):
        start, count = item
        if count < 0 or start < previous:
            raise ValueError(f"load[{i}]: expected increasing start and count >= 0, got {item!r}")
        previous = start
        ok = 0
        for k in range(count):
            if bucket.allow(start + window * k / max(count, 1)):
                ok += 1
        out.append(Window(start, count, ok, count - ok))
    return out
