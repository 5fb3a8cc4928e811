"""The API Gateway token bucket: burst passes, sustained excess gets 429."""

from __future__ import annotations

import pytest

from course_utils.sim import apigw_throttle as t


def test_account_defaults():
    b = t.TokenBucket()
    assert (b.rate, b.burst) == (10_000.0, 5_000)


def test_burst_then_empty_then_refill():
    b = t.TokenBucket(rate=10, burst=3)
    assert [b.allow(0.0) for _ in range(4)] == [True, True, True, False]
    assert b.allow(0.1) is True  # one token back after 0.1 s at 10/s
    assert b.allow(0.1) is False
    assert [b.allow(10.0) for _ in range(4)] == [True, True, True, False]  # never more than the burst


def test_spike_of_burst_size_passes_sustained_overload_does_not():
    spike = t.replay([(0.0, 5_000)], window=0.001)
    assert spike[0].throttled == 0
    # 15,000 rps for one second in 10 windows: the burst is drained, then only ~10,000/s pass
    load = [(i / 10, 1_500) for i in range(10)]
    windows = t.replay(load, window=0.1)
    accepted = sum(w.accepted for w in windows)
    assert 14_000 <= accepted <= 15_000 and windows[-1].throttled > 0
    assert sum(w.throttled for w in windows) == 15_000 - accepted


def test_bad_input():
    with pytest.raises(ValueError, match="burst must be"):
        t.TokenBucket(burst=0)
    with pytest.raises(ValueError, match="time went backwards"):
        b = t.TokenBucket()
        b.allow(1.0)
        b.allow(0.5)
    with pytest.raises(ValueError, match=r"load\[1\]"):
        t.replay([(1.0, 5), (0.5, 5)])
