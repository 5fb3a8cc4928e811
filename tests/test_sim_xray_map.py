"""The X-Ray service graph built from segment documents, traced traffic, root causes and the map."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import matplotlib
import pytest

from course_utils.sim import xray_map
from course_utils.sim.xray_map import Hop

matplotlib.use("Agg")

T = datetime(2026, 11, 2, 13, 0, tzinfo=timezone.utc)
TID = "1-6905a3d0-000000000000000000000001"


def _path(fault_rate=0.3):
    fn = Hop("orders", "AWS::Lambda::Function", 40, calls=[Hop("Orders", "AWS::DynamoDB::Table", 10, throttle_rate=0.2),
                                                          Hop("pay.example.com", "remote", 150, fault_rate=fault_rate)])
    return Hop("shop/prod", "AWS::ApiGateway::Stage", 5, calls=[Hop("orders", "AWS::Lambda", 3, calls=[fn])])


def _handmade():
    """Two requests: one OK; one where the function's HTTP call fails (5xx) and DynamoDB throttles."""
    t = T.timestamp()
    docs = []
    for n, (bad, start) in enumerate([(False, t), (True, t + 1)]):
        tid = f"{TID[:-1]}{n}"
        docs.append({"name": "api", "id": f"a{n}", "trace_id": tid, "start_time": start, "end_time": start + 0.3,
                     "origin": "AWS::ApiGateway::Stage", **({"fault": True} if bad else {}),
                     "subsegments": [{"name": "fn", "id": f"as{n}", "start_time": start, "end_time": start + 0.25}]})
        docs.append({"name": "fn", "id": f"f{n}", "trace_id": tid, "parent_id": f"as{n}", "start_time": start,
                     "end_time": start + 0.2, "origin": "AWS::Lambda::Function", **({"fault": True} if bad else {}),
                     "subsegments": [
                         {"name": "DynamoDB", "id": f"d{n}", "start_time": start, "end_time": start + 0.05, "namespace": "aws",
                          "aws": {"table_name": "Orders"}, **({"error": True, "throttle": True} if bad else {})},
                         {"name": "pay.example.com", "id": f"p{n}", "start_time": start, "end_time": start + 0.1,
                          "namespace": "remote", **({"fault": True} if bad else {})}]})
    return docs


def test_hop_rejects_impossible_settings():
    with pytest.raises(ValueError, match="between 0 and 1"):
        Hop("x", "remote", 1, fault_rate=1.5)
    with pytest.raises(ValueError, match="more than 1"):
        Hop("x", "remote", 1, fault_rate=0.6, error_rate=0.6)
    with pytest.raises(ValueError, match="only a service that sends segments"):
        Hop("t", "AWS::DynamoDB::Table", 1, calls=[Hop("r", "remote", 1)])


def test_service_graph_nodes_edges_and_counts():
    graph = xray_map.graph_from_segments(_handmade())
    by_key = {(s["Name"], s["Type"]): s for s in graph["Services"]}
    assert set(by_key) == {("api", "AWS::ApiGateway::Stage"), ("fn", "AWS::Lambda::Function"),
                           ("Orders", "AWS::DynamoDB::Table"), ("pay.example.com", "remote")}
    api, fn = by_key[("api", "AWS::ApiGateway::Stage")], by_key[("fn", "AWS::Lambda::Function")]
    assert api["Root"] and not fn["Root"]
    assert [e["ReferenceId"] for e in api["Edges"]] == [fn["ReferenceId"]]
    assert sorted(e["ReferenceId"] for e in fn["Edges"]) == sorted(
        by_key[k]["ReferenceId"] for k in [("Orders", "AWS::DynamoDB::Table"), ("pay.example.com", "remote")])
    assert fn["SummaryStatistics"] == {"OkCount": 1, "ErrorStatistics": {"ThrottleCount": 0, "OtherCount": 0, "TotalCount": 0},
                                       "FaultStatistics": {"OtherCount": 1, "TotalCount": 1}, "TotalCount": 2,
                                       "TotalResponseTime": pytest.approx(0.4)}
    table = by_key[("Orders", "AWS::DynamoDB::Table")]["SummaryStatistics"]
    assert table["ErrorStatistics"] == {"ThrottleCount": 1, "OtherCount": 0, "TotalCount": 1} and table["OkCount"] == 1
    assert graph["StartTime"] == T and graph["EndTime"] == T + timedelta(seconds=1.3)


def test_root_cause_is_the_deepest_faulting_node():
    graph = xray_map.graph_from_segments(_handmade())
    assert xray_map.root_causes(graph) == ["pay.example.com"]


def test_a_segment_sent_twice_counts_once():
    docs = _handmade()
    graph = xray_map.graph_from_segments(docs + docs)
    assert all(s["SummaryStatistics"]["TotalCount"] == 2 for s in graph["Services"])


def test_make_traces_is_seeded_and_faults_propagate_upstream():
    docs = xray_map.make_traces(_path(), 30, T, seed=5)
    assert docs == xray_map.make_traces(_path(), 30, T, seed=5)
    assert docs != xray_map.make_traces(_path(), 30, T, seed=6)
    segs = {(d["trace_id"], d["origin"]): d for d in docs}
    traces = {d["trace_id"] for d in docs}
    assert len(traces) == 30 and len(docs) == 90
    for tid in traces:
        fn = segs[(tid, "AWS::Lambda::Function")]
        pay_fault = any(s.get("fault") for s in fn["subsegments"] if s["name"] == "pay.example.com")
        assert bool(fn.get("fault")) == pay_fault
        assert bool(segs[(tid, "AWS::ApiGateway::Stage")].get("fault")) == pay_fault
        assert segs[(tid, "AWS::Lambda")]["parent_id"] in {s["id"] for s in segs[(tid, "AWS::ApiGateway::Stage")]["subsegments"]}
    graph = xray_map.graph_from_segments(docs)
    stage = next(s for s in graph["Services"] if s["Type"] == "AWS::ApiGateway::Stage")["SummaryStatistics"]
    pay = next(s for s in graph["Services"] if s["Type"] == "remote")["SummaryStatistics"]
    assert stage["FaultStatistics"]["TotalCount"] == pay["FaultStatistics"]["TotalCount"] > 0
    assert xray_map.root_causes(graph) == ["pay.example.com"]


def test_throttles_downstream_do_not_fault_the_caller():
    docs = xray_map.make_traces(_path(fault_rate=0), 40, T, seed=1)
    graph = xray_map.graph_from_segments(docs)
    table = next(s for s in graph["Services"] if s["Type"] == "AWS::DynamoDB::Table")["SummaryStatistics"]
    assert table["ErrorStatistics"]["ThrottleCount"] > 0
    assert all(s["SummaryStatistics"]["FaultStatistics"]["TotalCount"] == 0 for s in graph["Services"])
    assert xray_map.root_causes(graph) == []


def test_timeline_lists_the_trace_under_its_parents():
    text = xray_map.timeline(_handmade(), f"{TID[:-1]}1")
    lines = text.splitlines()
    assert [line.split()[0] for line in lines] == ["api", "fn", "DynamoDB", "pay.example.com"]
    assert lines[0].endswith("fault") and "remote" in lines[3] and lines[3].endswith("fault")
    assert "throttle" in lines[2]
    with pytest.raises(ValueError, match="no segments"):
        xray_map.timeline(_handmade(), "1-00000000-nope")


def test_describe_and_plot():
    import matplotlib.pyplot as plt

    graph = xray_map.graph_from_segments(_handmade())
    text = xray_map.describe(graph)
    assert "pay.example.com" in text and "5xx 1" in text
    ax = xray_map.plot(graph)
    try:
        # rings: api (ok, 5xx), fn (ok, 5xx), Orders (ok, 429), pay (ok, 5xx)
        assert len(ax.patches) == 8
        assert "Service map" in ax.get_title()
    finally:
        plt.close(ax.figure)


def test_sandbox_graph_is_built_from_the_stored_segments(aws):
    xray = boto3.client("xray")
    ids = xray_map.send(_path(), 10, T, seed=3)
    assert len(ids) == 10
    window = {"StartTime": T - timedelta(minutes=1), "EndTime": T + timedelta(minutes=1)}
    assert xray.get_service_graph(**window)["Services"] == []  # moto 5.2.5: drop the fallback when this fails
    graph, simulated = xray_map.service_graph(window["StartTime"], window["EndTime"])
    assert simulated
    assert graph == xray_map.graph_from_segments(xray_map.make_traces(_path(), 10, T, seed=3), window["StartTime"], window["EndTime"])
    segments = xray_map.stored_segments(window["StartTime"], window["EndTime"])
    assert len(segments) == 30
    xray_map.send(_path(), 10, T, seed=3)  # the same segments again (a re-run cell)
    assert len(xray_map.stored_segments(window["StartTime"], window["EndTime"])) == 30


def test_the_legend_covers_no_node_label_on_a_one_row_map():
    """A chain of four nodes makes a map one row high: the legend sits under it, clear of every label."""
    import matplotlib.pyplot as plt

    t = T.timestamp()
    docs = [{"name": "api", "id": "a0", "trace_id": TID, "start_time": t, "end_time": t + 0.3, "origin": "AWS::ApiGateway::Stage",
             "subsegments": [{"name": "fn", "id": "as0", "start_time": t, "end_time": t + 0.25}]},
            {"name": "fn", "id": "f0", "trace_id": TID, "parent_id": "as0", "start_time": t, "end_time": t + 0.2,
             "origin": "AWS::Lambda::Function", "subsegments": [
                 {"name": "DynamoDB", "id": "d0", "start_time": t, "end_time": t + 0.05, "namespace": "aws",
                  "aws": {"table_name": "Orders"}}]}]
    ax = xray_map.plot(xray_map.graph_from_segments(docs))
    try:
        fig = ax.figure
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        legend = ax.get_legend().get_window_extent(renderer)
        labels = [t for t in ax.texts if "\n" in t.get_text()]  # "name\nType" under each node
        assert len(labels) == 3
        assert not [t.get_text() for t in labels if t.get_window_extent(renderer).overlaps(legend)]
    finally:
        plt.close(ax.figure)
