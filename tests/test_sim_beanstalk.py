"""sim.beanstalk: capacity in service for each deployment policy."""

import pytest

from course_utils.sim import beanstalk


def test_capacity_per_policy():
    tl = {p: beanstalk.simulate(p, 4, batch=2) for p in beanstalk.POLICIES}
    assert tl["all_at_once"].min_in_service == 0
    assert tl["rolling"].min_in_service == 2 and tl["rolling"].peak_instances == 4
    assert tl["rolling_with_additional_batch"].full_capacity_throughout and tl["rolling_with_additional_batch"].peak_instances == 6
    assert tl["immutable"].full_capacity_throughout and tl["immutable"].peak_instances == 8
    assert tl["blue_green"].full_capacity_throughout
    assert all(t.points[-1][1:] == (0, 4, 4) for t in tl.values())


def test_batch_one_and_errors():
    assert beanstalk.simulate("rolling", 5, batch=1).min_in_service == 4
    with pytest.raises(ValueError, match="did you mean 'immutable'"):
        beanstalk.simulate("imutable")
    with pytest.raises(ValueError, match="batch"):
        beanstalk.simulate("rolling", 2, batch=3)


def test_plot():
    import matplotlib

    matplotlib.use("Agg")
    fig, axes = beanstalk.plot_capacity(4, batch=2)
    assert len(axes) == 4
