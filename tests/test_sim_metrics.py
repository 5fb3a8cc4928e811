"""Percentiles and metric math computed where moto returns none."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from course_utils.sim import metrics


def test_percentiles_nearest_rank():
    values = list(range(1, 101))
    s = metrics.summarize(values)
    assert (s["p50"], s["p90"], s["p99"]) == (50.0, 90.0, 99.0)
    assert s["SampleCount"] == 100 and s["Average"] == 50.5 and s["Maximum"] == 100
    assert metrics.percentile([5, 1, 3], 50) == 3.0
    assert metrics.percentile([10], 99) == 10.0


def test_percentile_rejects_bad_input():
    with pytest.raises(ValueError, match="empty"):
        metrics.percentile([], 50)
    with pytest.raises(ValueError, match="percentile p"):
        metrics.percentile([1], 0)


def test_metric_math_error_rate_and_division_by_zero():
    out = metrics.evaluate("errors/requests*100", {"errors": [1, 0, 5], "requests": [50, 0, 10]})
    assert out == [2.0, None, 50.0]


def test_metric_math_functions():
    series = {"a": [1.0, None, 3.0], "b": [2.0, 2.0, None]}
    assert metrics.evaluate("SUM(METRICS())", series) == [3.0, 2.0, 3.0]
    assert metrics.evaluate("SUM(a)", series) == 4.0
    assert metrics.evaluate("AVG(b)", series) == 2.0
    assert metrics.evaluate("FILL(a, 0)", series) == [1.0, 0, 3.0]
    assert metrics.evaluate("FILL(a, REPEAT)", series) == [1.0, 1.0, 3.0]
    assert metrics.evaluate("IF(b > 1, 1, 0)", series) == [1, 1, 0]
    assert metrics.evaluate("RATE(c)", {"c": [0, 60, 180]}, period=60) == [None, 1.0, 2.0]
    assert metrics.evaluate("(a + b) * 2", series) == [6.0, None, None]
    assert metrics.evaluate("-a + 1", {"a": [1.0]}) == [0.0]


def test_metric_math_errors_are_clear():
    with pytest.raises(ValueError, match="unknown id 'm3'"):
        metrics.evaluate("m1/m3", {"m1": [1], "m2": [2]})
    with pytest.raises(ValueError, match="ANOMALY_DETECTION_BAND"):
        metrics.evaluate("ANOMALY_DETECTION_BAND(m1)", {"m1": [1]})
    with pytest.raises(ValueError, match="same length"):
        metrics.evaluate("a+b", {"a": [1], "b": [1, 2]})
    with pytest.raises(ValueError, match="empty"):
        metrics.evaluate("  ", {})


def test_fetch_values_reads_sandbox_high_resolution_metric(aws):
    cw = boto3.client("cloudwatch")
    start = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
    data = [{"MetricName": "Latency", "Value": float(v), "Timestamp": start + timedelta(seconds=i), "StorageResolution": 1,
             "Dimensions": [{"Name": "Service", "Value": "api"}]} for i, v in enumerate([30, 10, 20])]  # fmt: skip
    cw.put_metric_data(Namespace="Test/App", MetricData=data)
    got = metrics.fetch_values("Test/App", "Latency", start, start + timedelta(seconds=10), {"Service": "api"})
    assert got == [30.0, 10.0, 20.0]
    assert metrics.summarize(got)["p50"] == 20.0
