"""The concurrency simulator: provisioned environments, cold starts, reserved limits."""

from __future__ import annotations

import pytest

from course_utils.sim import lambda_concurrency as lc


def burst(n: int, at: float = 0.0, duration: float = 1.0) -> list[tuple[float, float]]:
    return [(at, duration)] * n


def test_on_demand_burst_is_all_cold_then_warm():
    out = lc.simulate(burst(5) + burst(5, at=2.0), init_s=0.5)
    assert lc.summary(out) == {"provisioned": 0, "warm": 5, "cold": 5, "throttled": 0}
    assert [o.kind for o in out[:5]] == ["cold"] * 5
    assert out[0].latency == pytest.approx(1.5) and out[5].latency == pytest.approx(1.0)
    assert max(o.concurrency for o in out) == 5


def test_provisioned_environments_absorb_the_burst():
    out = lc.simulate(burst(8), provisioned=5, init_s=0.5)
    assert lc.summary(out) == {"provisioned": 5, "warm": 0, "cold": 3, "throttled": 0}


def test_reserved_limit_throttles_the_excess():
    out = lc.simulate(burst(10), reserved=4)
    assert lc.summary(out)["throttled"] == 6
    assert all(o.latency == 0 for o in out if o.kind == "throttled")
    assert lc.summary(lc.simulate(burst(3), reserved=0))["throttled"] == 3


def test_reuse_after_the_first_request_finishes():
    out = lc.simulate([(0.0, 1.0), (2.0, 1.0), (2.5, 1.0)], init_s=0.2)
    assert [o.kind for o in out] == ["cold", "warm", "cold"]


def test_required_concurrency_rule():
    assert lc.required_concurrency(100, 0.5) == 50


@pytest.mark.parametrize("kwargs, message", [
    ({"provisioned": 5, "reserved": 2}, "cannot exceed reserved"),
    ({"provisioned": -1}, "provisioned must be"),
    ({"init_s": -1}, "init_s"),
])
def test_bad_settings_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        lc.simulate(burst(1), **kwargs)


def test_bad_request_is_named():
    with pytest.raises(ValueError, match="request 1"):
        lc.simulate([(0, 1), (0, 0)])
