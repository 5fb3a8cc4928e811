"""The one token bucket (API Gateway account limits in sim.apigw_throttle, usage plans in the runtime)."""

from __future__ import annotations

import pytest

from course_utils.rules.token_bucket import TokenBucket


def test_burst_then_refill_at_the_rate():
    b = TokenBucket(rate=2, burst=2)
    assert [b.allow(0.0) for _ in range(3)] == [True, True, False]
    assert b.allow(0.5) is True and b.allow(0.5) is False
    assert [b.allow(100.0) for _ in range(3)] == [True, True, False]  # never more than the burst


def test_wall_clock_mode_tolerates_time_going_back():
    strict, lenient = TokenBucket(1, 1), TokenBucket(1, 1, monotonic=False)
    strict.allow(10.0)
    with pytest.raises(ValueError, match="time went backwards"):
        strict.allow(5.0)
    assert lenient.allow(10.0) is True
    assert lenient.allow(5.0) is False  # no refill for a clock moved back
    assert lenient.allow(6.0) is True


def test_bad_limits_are_refused_with_a_message():
    with pytest.raises(ValueError, match="rate must be >= 0"):
        TokenBucket(-1, 1)
    with pytest.raises(ValueError, match="burst must be >= 1"):
        TokenBucket(1, 0)
