"""sim.codedeploy: predefined traffic-shifting configurations and rollback."""

import pytest

from course_utils.sim import codedeploy


def test_names_and_steps():
    assert "CodeDeployDefault.ECSLinear10PercentEvery1Minutes" in codedeploy.CONFIGS
    assert codedeploy.CONFIGS["CodeDeployDefault.LambdaCanary10Percent5Minutes"].steps() == [(0.0, 10.0), (5.0, 100.0)]
    lin = codedeploy.CONFIGS["CodeDeployDefault.LambdaLinear10PercentEvery1Minute"].steps()
    assert len(lin) == 10 and lin[-1] == (9.0, 100.0)
    with pytest.raises(ValueError, match="did you mean"):
        codedeploy.deploy("LambdaCanary10Percent5Minute")


def test_rollback_on_alarm():
    d = codedeploy.deploy("LambdaCanary10Percent5Minutes", alarm_at=2)
    assert d.status == "Stopped" and d.share_at(1) == 10 and d.share_at(3) == 0
    assert abs(d.served_by_new(10) - 0.02) < 0.005
    late = codedeploy.deploy("LambdaCanary10Percent5Minutes", alarm_at=6)
    assert late.status == "Succeeded" and late.share_at(6) == 100
    assert codedeploy.deploy("LambdaAllAtOnce", alarm_at=0.5).status == "Succeeded"


def test_in_place_batches():
    assert [len(b) for b in codedeploy.in_place_batches("OneAtATime", 3)] == [1, 1, 1]
    assert [len(b) for b in codedeploy.in_place_batches("CodeDeployDefault.HalfAtATime", 9)] == [4, 4, 1]
    assert codedeploy.in_place_batches("AllAtOnce", 5) == [[0, 1, 2, 3, 4]]


def test_plot():
    import matplotlib

    matplotlib.use("Agg")
    fig, ax = codedeploy.plot_traffic(["LambdaAllAtOnce", "ECSCanary10Percent15Minutes"], alarm_at=3)
    assert len(ax.get_lines()) == 3  # two configurations + the alarm line
