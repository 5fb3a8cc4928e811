"""The alarm evaluator: M of N, missing-data treatments, sandbox alarms, composite rules."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from freezegun import freeze_time

from course_utils.sim import alarms
from course_utils.sim.alarms import AlarmConfig


def test_m_of_n_goes_to_alarm_and_back():
    cfg = AlarmConfig(threshold=100, evaluation_periods=3, datapoints_to_alarm=2)
    tl = alarms.evaluate(cfg, [50, 150, 60, 170, 40, 30, 20])
    assert tl.states == ["INSUFFICIENT_DATA", "INSUFFICIENT_DATA", "OK", "ALARM", "OK", "OK", "OK"]
    assert [(t.index, t.old, t.new) for t in tl.transitions] == [(2, "INSUFFICIENT_DATA", "OK"), (3, "OK", "ALARM"), (4, "ALARM", "OK")]
    tl = alarms.evaluate(cfg, [50, 150, 60, 170, 180, 30, 20])
    assert tl.states[3:] == ["ALARM", "ALARM", "ALARM", "OK"]


@pytest.mark.parametrize(
    "treatment, expected",
    [("breaching", "ALARM"), ("notBreaching", "OK"), ("missing", "INSUFFICIENT_DATA"), ("ignore", "ALARM")],
)
def test_missing_data_treatments(treatment, expected):
    cfg = AlarmConfig(threshold=10, evaluation_periods=2, treat_missing_data=treatment)
    tl = alarms.evaluate(cfg, [20, 20] + [None] * 6)
    assert tl.states[1] == "ALARM"
    assert tl.final == expected


def test_missing_uses_existing_points_in_range():
    cfg = AlarmConfig(threshold=10, evaluation_periods=3, treat_missing_data="missing")
    tl = alarms.evaluate(cfg, [20, None, 20, None, 20])
    assert tl.final == "ALARM"  # three breaching points exist in the evaluation range


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="comparison"):
        AlarmConfig(threshold=1, comparison="Above")
    with pytest.raises(ValueError, match="datapoints_to_alarm"):
        AlarmConfig(threshold=1, evaluation_periods=2, datapoints_to_alarm=3)
    with pytest.raises(ValueError, match="treat_missing_data"):
        AlarmConfig(threshold=1, treat_missing_data="zero")


@pytest.mark.parametrize("period", [10, 20, 30, 60, 120, 3600])
def test_periods_aws_accepts(period):
    assert AlarmConfig(threshold=1, period=period).period == period


@pytest.mark.parametrize("period", [0, -60, 1, 5, 15, 45, 90])
def test_periods_aws_rejects(period):
    with pytest.raises(ValueError, match="10, 20 or 30 seconds or a multiple of 60"):
        AlarmConfig(threshold=1, period=period)


def test_evaluation_range_limits():
    AlarmConfig(threshold=1, period=60, evaluation_periods=1440)  # exactly one day
    with pytest.raises(ValueError, match="at most 86400"):
        AlarmConfig(threshold=1, period=60, evaluation_periods=1441)
    AlarmConfig(threshold=1, period=3600, evaluation_periods=168)  # periods of an hour or more: seven days
    with pytest.raises(ValueError, match="at most 604800"):
        AlarmConfig(threshold=1, period=3600, evaluation_periods=169)


def test_composite_rule():
    states = {"errors": "ALARM", "latency": "OK", "deploy": "ALARM"}
    assert alarms.composite('ALARM("errors") OR ALARM("latency")', states) == "ALARM"
    assert alarms.composite('ALARM("errors") AND NOT ALARM("deploy")', states) == "OK"
    assert alarms.composite('(ALARM(errors) AND OK(latency)) OR FALSE', states) == "ALARM"
    assert alarms.composite_timeline('ALARM("a") AND ALARM("b")', {"a": ["OK", "ALARM", "ALARM"], "b": ["ALARM", "OK", "ALARM"]}) == ["OK", "OK", "ALARM"]
    with pytest.raises(ValueError, match="no state was given"):
        alarms.composite('ALARM("nope")', states)
    with pytest.raises(ValueError, match="cannot read"):
        alarms.composite('ALARM("a") XOR ALARM("b")', {"a": "OK", "b": "OK"})


def test_sandbox_alarm_with_time_travel(aws):
    cw = boto3.client("cloudwatch")
    cw.put_metric_alarm(AlarmName="high-latency", Namespace="Test/App", MetricName="Latency", Statistic="Average",
                        Period=60, EvaluationPeriods=3, DatapointsToAlarm=2, Threshold=500,
                        ComparisonOperator="GreaterThanThreshold", TreatMissingData="notBreaching")  # fmt: skip
    t0 = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    for i, v in enumerate([100, 900, 950]):
        cw.put_metric_data(Namespace="Test/App", MetricData=[{"MetricName": "Latency", "Value": v, "Timestamp": t0 + timedelta(minutes=i, seconds=5)}])
    with freeze_time(t0 + timedelta(minutes=3, seconds=1)):
        state, reason = alarms.evaluate_sandbox("high-latency")
    assert state == "ALARM" and "2 of 3" in reason
    assert cw.describe_alarms(AlarmNames=["high-latency"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    with freeze_time(t0 + timedelta(minutes=9)):  # no data for six minutes: notBreaching
        state, _ = alarms.evaluate_sandbox("high-latency")
    assert state == "OK"


def test_plot_draws_state_band():
    import matplotlib

    matplotlib.use("Agg")
    tl = alarms.evaluate(AlarmConfig(threshold=5, evaluation_periods=1), [1, 9, None, 2])
    ax = alarms.plot(tl)
    assert "threshold 5" in [t.get_text() for t in ax.get_legend().get_texts()] or ax.get_title()
    import matplotlib.pyplot as plt

    plt.close("all")
