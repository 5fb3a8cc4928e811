"""Default X-Ray sampling: 1 request per second from the reservoir, then 5 %."""

from __future__ import annotations

import pytest

from course_utils.sim import xray_sampling as xs


def test_reservoir_takes_the_first_request_each_second():
    r = xs.simulate([1, 1, 1, 0, 1], rate=0.0)
    assert r.sampled == [1, 1, 1, 0, 1]
    assert r.from_reservoir == [1, 1, 1, 0, 1]


def test_rate_applies_beyond_the_reservoir():
    r = xs.simulate([10_000] * 3, seed=1)
    for n in r.sampled:
        assert 1 + 0.04 * 9_999 < n < 1 + 0.06 * 9_999
    assert xs.expected(10_000) == pytest.approx(1 + 0.05 * 9_999)


def test_low_traffic_is_mostly_sampled_high_traffic_about_five_percent():
    low = xs.simulate([1] * 60)
    high = xs.simulate([1000] * 60)
    assert low.fraction == 1.0
    assert 0.045 < high.fraction < 0.056


def test_same_seed_same_decisions():
    assert xs.simulate([50] * 5, seed=3).sampled == xs.simulate([50] * 5, seed=3).sampled


def test_bad_input():
    with pytest.raises(ValueError, match="0.05"):
        xs.simulate([1], rate=5)
    with pytest.raises(ValueError, match="negative"):
        xs.simulate([-1])


def test_plot_title_reports_counts():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = xs.simulate([1, 100])
    ax = xs.plot(r)
    assert f"{r.total_sampled} of 101" in ax.get_title()
    plt.close("all")
