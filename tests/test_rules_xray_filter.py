"""X-Ray filter expressions: the parser (what it accepts and rejects) and the evaluator over segment documents."""

from __future__ import annotations

import pytest

from course_utils.rules import xray_filter
from course_utils.rules.xray_filter import FilterSyntaxError, matches, parse

TRACE = "1-6920f4e0-0123456789abcdef01234567"


def stage(status: int = 200, start: float = 100.0, end: float = 100.8, **extra) -> dict:
    """An API Gateway stage segment: the trace's entry point."""
    doc = {"name": "shop/prod", "id": "a" * 16, "trace_id": TRACE, "start_time": start, "end_time": end,
           "origin": "AWS::ApiGateway::Stage", "aws": {"account_id": "123456789012"},
           "http": {"request": {"method": "POST", "url": "https://api.example.com/prod/v2/orders",
                                "user_agent": "curl/8.5", "client_ip": "203.0.113.7"},
                    "response": {"status": status}},
           "subsegments": [{"name": "Lambda", "id": "b" * 16, "start_time": start, "end_time": end}]}
    if status >= 500:
        doc["fault"] = True
    elif status >= 400:
        doc["error"] = True
        if status == 429:
            doc["throttle"] = True
    doc.update(extra)
    return doc


def function(annotations: dict, start: float = 100.1, end: float = 101.5, fault: bool = False) -> dict:
    """The Lambda function segment, with Powertools' ``## handler`` subsegment carrying the annotations."""
    doc = {"name": "orders", "id": "c" * 16, "trace_id": TRACE, "parent_id": "b" * 16, "start_time": start,
           "end_time": end, "origin": "AWS::Lambda::Function",
           "subsegments": [{"name": "## handler", "id": "d" * 16, "start_time": start, "end_time": end,
                            "annotations": annotations,
                            "subsegments": [{"name": "dynamodb", "id": "e" * 16, "start_time": start,
                                             "end_time": end, "namespace": "aws",
                                             "aws": {"operation": "PutItem", "table_name": "Orders"},
                                             "http": {"response": {"status": 500 if fault else 200}},
                                             **({"fault": True} if fault else {})}]}]}
    return doc


GOLD = [stage(), function({"ColdStart": True, "Service": "orders", "customer_tier": "gold", "items": 3})]


@pytest.mark.parametrize("expression, expected", [
    ('annotation.customer_tier = "gold"', True),
    ('annotation.customer_tier = "silver"', False),
    ('annotation.customer_tier != "silver"', True),
    ('annotation.customer_tier BEGINSWITH "go"', True),
    ('annotation.customer_tier ENDSWITH "ld"', True),
    ('annotation.customer_tier CONTAINS "ol"', True),
    ("annotation.ColdStart = true", True),
    ("annotation.ColdStart = false", False),
    ("annotation.ColdStart != false", True),
    ("annotation.items > 2", True),
    ("annotation.items >= 4", False),
    ("annotation.items = 3", True),
    ('annotation.items = "3"', False),  # a number annotation does not equal a string
    ("annotation.customer_tier", True),  # the key is present
    ("annotation.missing", False),
    ("!annotation.missing", True),
])
def test_annotations_are_found_on_subsegments_with_their_type(expression, expected):
    assert matches(expression, GOLD) is expected


@pytest.mark.parametrize("expression, expected", [
    ("responsetime > 0.5", True),      # the stage took 0.8 s
    ("responsetime < 0.5", False),
    ("duration >= 1.4", True),         # 100.0 .. 101.5 including the downstream function
    ("duration <= 1", False),
    ("duration >= 1 AND duration <= 2", True),
    ("http.status = 200", True),
    ("http.status != 200", False),
    ('http.method = "POST"', True),
    ('http.url BEGINSWITH "https://api.example.com/" AND http.url CONTAINS "/v2/"', True),
    ('http.url ENDSWITH "/users"', False),
    ('http.useragent CONTAINS "curl"', True),
    ('http.clientip = "203.0.113.7"', True),
    ("ok", True), ("!ok", False), ("ok = true", True), ("ok != true", False),
    ("error", False), ("fault", False), ("throttle", False), ("!partial", True),
    ("ok !partial duration < 3", True),  # terms side by side are ANDed (the guide's example)
])
def test_trace_level_keywords_read_the_entry_point(expression, expected):
    assert matches(expression, GOLD) is expected


@pytest.mark.parametrize("status, flags", [
    (200, {"ok"}), (404, {"error"}), (429, {"error", "throttle"}), (503, {"fault"}),
])
def test_boolean_keywords_follow_the_entry_points_status(status, flags):
    docs = [stage(status), function({})]
    assert {k for k in ("ok", "error", "throttle", "fault") if matches(k, docs)} == flags


def test_a_handled_downstream_fault_is_not_a_trace_fault_but_service_braces_find_it():
    docs = [stage(200), function({}, fault=True)]
    assert not matches("fault", docs)
    assert matches('service("Orders") { fault }', docs)          # the table's inferred node
    assert matches('service("Orders") { fault = true OR responsetime > 2.5 }', docs)
    assert not matches('service("shop/prod") { fault }', docs)
    assert matches('service("orders")', docs) and not matches('service("billing")', docs)
    assert matches('!service("billing") AND ok', docs)


def test_and_or_not_and_parentheses_combine_as_usual():
    assert matches('(annotation.customer_tier = "silver" OR annotation.ColdStart = true) AND ok', GOLD)
    assert not matches('annotation.customer_tier = "silver" OR annotation.ColdStart = false', GOLD)
    assert matches('!(error OR fault)', GOLD)
    assert not matches('ok AND fault OR error', GOLD)  # AND binds tighter than OR
    assert matches('fault OR ok AND annotation.items = 3', GOLD)
    assert matches('annotation.customer_tier = "gold" and responsetime > 0', GOLD)


def test_an_incomplete_segment_is_partial_and_duplicates_count_once():
    open_fn = function({"customer_tier": "gold"})
    del open_fn["end_time"]
    open_fn["in_progress"] = True
    assert matches("partial", [stage(), open_fn])
    assert matches('annotation.customer_tier = "gold"', GOLD + [dict(GOLD[1])])


def test_user_keyword_reads_any_segments_user_field():
    assert matches('user = "alice"', [stage(user="alice"), function({})])
    assert not matches('user = "bob"', [stage(user="alice"), function({})])


@pytest.mark.parametrize("expression, fragment", [
    ("", "Empty"),
    ("responsetime >", "Expected a value"),
    ("responsetime > \"5\"", "compares with a number"),
    ("responsetime CONTAINS 5", "not valid for 'responsetime'"),
    ('http.url > "a"', "not valid for 'http.url'"),
    ("http.url = 5", "double-quoted string"),
    ('annotation.customer_tier = "gold', "Unterminated string"),
    ("(ok AND fault", "Expected ')'"),
    ("ok AND", "Expected a keyword"),
    ("ok fault)", "Unexpected ')'"),
    ("latency > 5", "Unknown keyword 'latency'"),
    ('edge("a", "b") { fault }', "not supported"),
    ('id(name: "a", type: "AWS::Lambda")', "not supported"),
    ('service("a", "AWS::Lambda")', "not supported"),
    ("annotation.ColdStart > true", "not valid for a boolean"),
    ('annotation.tier > "gold"', "not valid for a string"),
    ("annotation.items CONTAINS 3", "not valid for a int"),
    ("fault = 1", "true or false"),
    ("ok # 1", "Unexpected character '#'"),
])
def test_malformed_or_unsupported_expressions_are_rejected_with_a_reason(expression, fragment):
    with pytest.raises(FilterSyntaxError) as caught:
        parse(expression)
    assert fragment in str(caught.value)


def test_the_error_names_the_position():
    with pytest.raises(FilterSyntaxError) as caught:
        parse("ok AND latency > 5")
    assert caught.value.position == 7 and str(caught.value).endswith("at position 7")


def test_annotations_summary_has_the_shape_of_trace_summary_annotations():
    out = xray_filter.annotations_summary(GOLD)
    service = {"Name": "orders", "Names": ["orders"], "Type": "AWS::Lambda::Function"}
    assert out["customer_tier"] == [{"AnnotationValue": {"StringValue": "gold"}, "ServiceIds": [service]}]
    assert out["ColdStart"] == [{"AnnotationValue": {"BooleanValue": True}, "ServiceIds": [service]}]
    assert out["items"] == [{"AnnotationValue": {"NumberValue": 3.0}, "ServiceIds": [service]}]
