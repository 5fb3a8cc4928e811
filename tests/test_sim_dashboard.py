"""CloudWatch dashboards: the body's metric widgets, their queries, aligned data, metric math, drawing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import matplotlib
import pytest

from course_utils.sim import dashboard
from course_utils.sim.dashboard import parse_body

matplotlib.use("Agg")

T = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)

BODY = {"widgets": [
    {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2, "properties": {"markdown": "# Orders"}},
    {"type": "metric", "x": 12, "y": 2, "width": 12, "height": 6, "properties": {
        "title": "latency", "period": 60,
        "metrics": [["Shop/Orders", "Latency", "Service", "orders", {"id": "avg"}],
                    [".", ".", ".", ".", {"id": "p99", "stat": "p99", "label": "p99"}]]}},
    {"type": "metric", "x": 0, "y": 2, "width": 12, "height": 6, "properties": {
        "title": "error rate", "period": 60, "stat": "Sum",
        "metrics": [["Shop/Orders", "Errors", "Service", "orders", {"id": "errors", "visible": False}],
                    [".", "Requests", ".", ".", {"id": "requests", "visible": False}],
                    [{"expression": "100*errors/requests", "id": "rate", "label": "error rate %"}]],
        "annotations": {"horizontal": [{"label": "alarm", "value": 5, "fill": "above"}],
                        "vertical": [{"label": "deploy", "value": "2026-11-02T12:03:00Z"}]}}}]}


def test_parse_body_expands_dots_and_keeps_options():
    rate, latency = parse_body(json.dumps(BODY))  # text widget skipped; reading order: y, then x
    assert (rate.title, latency.title) == ("error rate", "latency")
    errors, requests, expr = rate.lines
    assert (requests.namespace, requests.metric_name, requests.dimensions) == ("Shop/Orders", "Requests", (("Service", "orders"),))
    assert (errors.visible, requests.stat, errors.period) == (False, "Sum", 60)
    assert (expr.id, expr.expression, expr.label, expr.visible) == ("rate", "100*errors/requests", "error rate %", True)
    assert latency.lines[0].stat == "Average" and latency.lines[1].stat == "p99"
    assert latency.lines[1].metric_name == "Latency"
    assert rate.horizontal[0].value == 5.0 and rate.horizontal[0].fill == "above"
    assert rate.vertical[0].value == datetime(2026, 11, 2, 12, 3, tzinfo=timezone.utc)


@pytest.mark.parametrize("metrics, message", [
    ([[".", "Errors"]], "'.' at position 0"),
    ([["Shop/Orders", "Errors", "Service"]], "expected \\[namespace"),
    ([["Shop/Orders", "Errors", {"stat": "Median"}]], "unknown stat 'Median'"),
    ([["A", "B", {"id": "x"}], ["A", "C", {"id": "x"}]], "duplicate ids"),
    ([], "non-empty properties.metrics"),
])
def test_malformed_metric_rows_are_named(metrics, message):
    body = {"widgets": [{"type": "metric", "properties": {"title": "t", "metrics": metrics}}]}
    with pytest.raises(ValueError, match=message):
        parse_body(body)


def test_a_body_needs_a_widgets_array():
    with pytest.raises(ValueError, match="widgets"):
        parse_body("{}")


def test_queries_are_get_metric_data_queries():
    rate = parse_body(BODY)[0]
    q = dashboard.queries(rate)
    assert q[0] == {"Id": "errors", "Label": "Errors Sum", "ReturnData": True, "MetricStat": {
        "Metric": {"Namespace": "Shop/Orders", "MetricName": "Errors", "Dimensions": [{"Name": "Service", "Value": "orders"}]},
        "Period": 60, "Stat": "Sum"}}
    assert q[2] == {"Id": "rate", "Expression": "100*errors/requests", "Label": "error rate %", "Period": 60}


def test_align_leaves_gaps_and_evaluates_expressions():
    rate = parse_body(BODY)[0]
    fetched = {"errors": {T: 1.0, T + timedelta(minutes=1): 6.0, T + timedelta(minutes=3): 0.0},
               "requests": {T: 100.0, T + timedelta(minutes=1): 50.0, T + timedelta(minutes=3): 0.0}}
    grid, series = dashboard.align(rate, fetched, T, T + timedelta(minutes=4))
    assert grid == [T + timedelta(minutes=i) for i in range(4)]
    assert series["errors"] == [1.0, 6.0, None, 0.0]
    assert series["rate"] == [1.0, 12.0, None, None]  # missing stays missing; 0/0 is dropped


def test_describe_says_peak_gap_and_threshold():
    rate = parse_body(BODY)[0]
    grid = [T + timedelta(minutes=i) for i in range(4)]
    text = dashboard.describe(rate, grid, {"rate": [1.0, 12.0, None, 2.0]})
    assert "error rate %: 1 to 12, peak at 12:01; no data in 1 period from 12:02." in text
    assert "Line 'alarm' at 5." in text
    assert "Errors" not in text  # hidden rows are not described


def _publish(cw):
    dims = [{"Name": "Service", "Value": "orders"}]
    data = []
    for m in range(3):
        at = T + timedelta(minutes=m)
        data += [{"MetricName": "Requests", "Dimensions": dims, "Value": 200, "Timestamp": at},
                 {"MetricName": "Errors", "Dimensions": dims, "Value": 10 * m, "Timestamp": at}]
        data += [{"MetricName": "Latency", "Dimensions": dims, "Value": 100 + s + (500 if m == 1 and s == 59 else 0),
                  "StorageResolution": 1, "Timestamp": at + timedelta(seconds=s)} for s in range(60)]
    cw.put_metric_data(Namespace="Shop/Orders", MetricData=data)
    cw.put_dashboard(DashboardName="orders", DashboardBody=json.dumps(BODY))


def test_fetch_from_the_sandbox_fills_what_moto_leaves_out(aws):
    cw = boto3.client("cloudwatch")
    _publish(cw)
    rate, latency = dashboard.load("orders")
    got = dashboard.fetch(rate, T, T + timedelta(minutes=3))
    assert got.series["errors"] == [0.0, 10.0, 20.0]
    assert got.series["rate"] == [0.0, 5.0, 10.0]
    assert got.simulated == ["rate"]  # moto answers an expression with an empty series
    lat = dashboard.fetch(latency, T, T + timedelta(minutes=3))
    assert lat.series["avg"] == pytest.approx([129.5, 129.5 + 500 / 60, 129.5])
    assert lat.series["p99"] == [159.0, 659.0, 159.0]  # nearest rank of 60 values: the 60th
    assert lat.simulated == ["p99"]
    assert "p99: 159 to 659, peak at 12:01." in lat.describe()


def test_render_draws_every_metric_widget(aws):
    import matplotlib.pyplot as plt

    _publish(boto3.client("cloudwatch"))
    fig, data = dashboard.render("orders", T, T + timedelta(minutes=3))
    try:
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert [ax.get_title() for ax in axes] == ["error rate", "latency"]
        assert [line.get_label() for line in axes[0].get_lines()][:2] == ["error rate %", "alarm"]
        assert [len(d.grid) for d in data] == [3, 3]
        assert fig.get_suptitle() == "Dashboard 'orders', 2026-11-02 12:00-12:03 UTC"
    finally:
        plt.close(fig)


def test_plot_widget_keeps_gaps_as_gaps():
    import math

    import matplotlib.pyplot as plt

    rate = parse_body(BODY)[0]
    grid = [T + timedelta(minutes=i) for i in range(3)]
    ax = dashboard.plot_widget(rate, grid, {"rate": [1.0, None, 3.0]})
    try:
        y = list(ax.get_lines()[0].get_ydata())
        assert y[0] == 1.0 and math.isnan(y[1]) and y[2] == 3.0
        assert any(line.get_label() == "alarm" and list(line.get_ydata()) == [5, 5] for line in ax.get_lines())
    finally:
        plt.close(ax.figure)


def test_a_widget_of_percentiles_only(aws):
    cw = boto3.client("cloudwatch")
    _publish(cw)
    body = {"widgets": [{"type": "metric", "properties": {"title": "p90", "period": 60, "metrics": [
        ["Shop/Orders", "Latency", "Service", "orders", {"id": "p90", "stat": "p90"}]]}}]}
    (widget,) = parse_body(body)
    got = dashboard.fetch(widget, T, T + timedelta(minutes=2), client=cw)
    assert got.series["p90"] == [153.0, 153.0]  # nearest rank ceil(0.9 * 60) = 54th of 100, 101, ...: 153
    assert got.simulated == ["p90"]
