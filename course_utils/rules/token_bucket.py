"""The token bucket API Gateway throttles with (account, stage and usage-plan limits alike).

AWS: a bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per second; each
request takes one token, and a request that finds the bucket empty is throttled (429). The
bucket starts full. Times are seconds given by the caller, so no real time has to pass.
"""

from __future__ import annotations

__all__ = ["TokenBucket"]


class TokenBucket:
    """``burst`` tokens at most, refilled at ``rate`` per second; starts full.

    ``monotonic=False`` is for wall-clock times (which ``freezegun`` may move back): a time
    earlier than the last one then refills nothing instead of raising.
    """

    def __init__(self, rate: float, burst: int, *, monotonic: bool = True) -> None:
        if rate < 0:
            raise ValueError(f"rate must be >= 0, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst}")
        self.rate, self.burst = float(rate), int(burst)
        self.tokens = float(burst)
        self.last: float | None = None
        self.monotonic = monotonic

    def allow(self, t: float) -> bool:
        """Take a token for a request at time ``t`` (seconds); False when the bucket is empty."""
        if self.last is not None:
            if t < self.last and self.monotonic:
                raise ValueError(f"time went backwards: {t} < {self.last}")
            self.tokens = min(float(self.burst), self.tokens + max(0.0, t - self.last) * self.rate)
        self.last = t
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
