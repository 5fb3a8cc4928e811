"""Filter patterns, metric filters, the Logs Insights subset and EMF parsing."""

from __future__ import annotations

import json
import time

import boto3
import pytest

from course_utils.sim import logs_query as q

EVENTS = [
    '{"level": "ERROR", "latency": 900, "path": "/pay", "user": {"tier": "gold"}}',
    '{"level": "INFO", "latency": 20, "path": "/pay"}',
    '{"level": "INFO", "latency": 700, "path": "/cart"}',
    "ERROR db timeout after 3000 ms",
    "INFO started",
    '10.0.0.1 - alice [10/Oct/2026:13:55:36 +0000] "GET /index.html HTTP/1.1" 404 2326',
]


def _hits(pattern):
    return [EVENTS.index(e) for e in q.filter_events(pattern, EVENTS)]


def test_term_patterns_are_case_sensitive_and_anded():
    assert _hits("ERROR") == [0, 3]
    assert _hits("error") == []
    assert _hits("ERROR timeout") == [3]
    assert _hits('"db timeout"') == [3]
    assert _hits("?started ?timeout") == [3, 4]
    assert _hits("INFO -started") == [1, 2]
    assert _hits("") == list(range(len(EVENTS)))


def test_json_patterns():
    assert _hits('{ $.level = "ERROR" }') == [0]
    assert _hits("{ $.latency > 500 }") == [0, 2]
    assert _hits('{ $.level = "INFO" && $.latency >= 700 }') == [2]
    assert _hits('{ $.path = "/ca*" || $.user.tier = "gold" }') == [0, 2]
    assert _hits("{ $.user.tier NOT EXISTS }") == [1, 2]


def test_space_delimited_pattern():
    assert _hits("[ip, id, user, timestamp, request, status_code = 4*, bytes > 1000]") == [5]
    assert _hits("[ip, ..., status_code = 5*, bytes]") == []


def test_bad_patterns_raise_clear_errors():
    with pytest.raises(ValueError, match="operator"):
        q.matches("{ $.level }", EVENTS[0])
    with pytest.raises(ValueError, match="must end"):
        q.matches('{ $.level = "x"', EVENTS[0])
    with pytest.raises(ValueError, match="not supported"):
        q.matches("%ERR.*%", EVENTS[0])


def test_metric_filter_values():
    assert q.metric_filter("ERROR", EVENTS) == [1.0, 1.0]
    assert q.metric_filter("{ $.latency > 0 }", EVENTS, "$.latency") == [900.0, 20.0, 700.0]


def test_insights_fields_filter_sort_limit():
    rows = q.insights("fields path, latency | filter latency > 10 | sort latency desc | limit 2", EVENTS)
    assert rows == [{"path": "/pay", "latency": 900}, {"path": "/cart", "latency": 700}]


def test_insights_stats_by():
    rows = q.insights("filter ispresent = 1 or level like /ERROR|INFO/ | stats count(*) as n, max(latency) as worst by level", EVENTS)
    assert sorted((r["level"], r["n"], r["worst"]) for r in rows) == [("ERROR", 1, 900.0), ("INFO", 2, 700.0)]
    rows = q.insights("stats pct(latency, 50) as p50", EVENTS)
    assert rows == [{"p50": 700.0}]


def test_insights_parse():
    rows = q.insights('filter @message like "db timeout" | parse @message "ERROR * timeout after * ms" as what, ms | fields what, ms', EVENTS)
    assert rows == [{"what": "db", "ms": "3000"}]
    rows = q.insights("parse @message /(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+) - (?<user>\\w+)/ | filter user = 'alice' | display ip", EVENTS)
    assert rows == [{"ip": "10.0.0.1"}]


def test_insights_unsupported_command():
    with pytest.raises(ValueError, match="'dedup' is not supported"):
        q.insights("fields @message | dedup @message", EVENTS)


def test_emf_metrics():
    line = json.dumps({
        "_aws": {"Timestamp": 1, "CloudWatchMetrics": [{"Namespace": "Shop", "Dimensions": [["Service"]],
                 "Metrics": [{"Name": "Latency", "Unit": "Milliseconds"}]}]},
        "Service": "checkout", "Latency": 123, "orderId": "o-1"})  # fmt: skip
    assert q.emf_metrics(line) == [{"Namespace": "Shop", "MetricName": "Latency", "Unit": "Milliseconds", "Value": 123,
                                    "Dimensions": {"Service": "checkout"}, "StorageResolution": 60}]  # fmt: skip
    assert q.emf_metrics("plain text") == []


def test_read_events_from_sandbox(aws):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/test/app")
    logs.create_log_stream(logGroupName="/test/app", logStreamName="s1")
    logs.put_log_events(logGroupName="/test/app", logStreamName="s1",
                        logEvents=[{"timestamp": int(time.time() * 1000) + i, "message": m} for i, m in enumerate(EVENTS[:3])])  # fmt: skip
    events = q.read_events("/test/app")
    assert [e["message"] for e in events] == EVENTS[:3]
    assert q.insights("stats avg(latency) as avg", events) == [{"avg": 540.0}]
