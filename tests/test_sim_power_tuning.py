"""Power tuning: the CPU-scales-with-memory model, costs, and real runs through the runtime."""

from __future__ import annotations

import pytest
from runtime_helpers import make_function

from course_utils.sim import power_tuning as pt


def test_cpu_share_and_model():
    assert pt.vcpus(1769) == 1.0
    assert pt.model_duration(100, 1769) == 100
    assert pt.model_duration(100, 3538) == 100  # single-threaded: no gain beyond one vCPU
    assert pt.model_duration(100, 3538, threads=2) == pytest.approx(50)
    assert pt.model_duration(100, 1769 // 2 + 1) == pytest.approx(200, rel=0.01)
    with pytest.raises(ValueError, match="between 128 and 10240"):
        pt.vcpus(64)


def test_cost_formula():
    # 1M invocations of 1000 ms at 1024 MB = 1M GB-s + 1M requests
    assert pt.cost(1000, 1024) == pytest.approx(1_000_000 * pt.PRICE_PER_GB_S + 0.20)
    assert pt.cost(0.2, 128, invocations=1) == pytest.approx(0.001 * 0.125 * pt.PRICE_PER_GB_S + pt.PRICE_PER_REQUEST)


def test_tune_runs_the_handler_at_each_memory_size(aws):
    make_function("busy", "def handler(e, c):\n    return [sum(range(20000)), c.memory_limit_in_mb]\n")
    points = pt.tune("busy", memory_sizes=(128, 512, 1769, 3008), runs=2)
    assert [p.memory_mb for p in points] == [128, 512, 1769, 3008]
    d = {p.memory_mb: p for p in points}
    assert d[128].modelled_ms > d[512].modelled_ms > d[1769].modelled_ms == d[3008].modelled_ms
    assert d[3008].cost_per_million > d[1769].cost_per_million
    from course_utils import runtime

    assert runtime.invocations("busy")[-1].cold is False


def test_tune_needs_two_runs(aws):
    with pytest.raises(ValueError, match="runs"):
        pt.tune("whatever", runs=1)
