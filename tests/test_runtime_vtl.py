"""VTL mapping templates: the subset API Gateway templates use ($input, $context, $util, #set/#if/#foreach)."""

from __future__ import annotations

import json

import pytest

from course_utils.runtime.vtl import InputVariable, VtlError, json_path, render

BODY = json.dumps({"name": "Ana", "items": [{"id": 1}, {"id": 2}], "quote": 'say "hi"'})
PARAMS = {"path": {"id": "7"}, "querystring": {"sort": "asc"}, "header": {"X-Trace": "abc"}}


def ctx(body: str = BODY) -> dict:
    return {"input": InputVariable(body, PARAMS), "context": {"stage": "dev", "requestId": "r-1",
            "identity": {"sourceIp": "10.0.0.1"}}, "stageVariables": {"table": "orders"}}


def test_input_json_path_and_params():
    out = render('{"n": "$input.path(\'$.name\')", "first": $input.json(\'$.items[0]\'), '
                 '"id": "$input.params(\'id\')", "sort": "$input.params(\'sort\')", "trace": "$input.params(\'x-trace\')"}', ctx())
    assert json.loads(out) == {"n": "Ana", "first": {"id": 1}, "id": "7", "sort": "asc", "trace": "abc"}


def test_whole_body_and_wildcard():
    assert json.loads(render("$input.json('$')", ctx())) == json.loads(BODY)
    assert json.loads(render("$input.json('$.items[*].id')", ctx())) == [1, 2]
    assert render("$input.body", ctx()) == BODY


def test_context_stage_variables_and_util():
    out = render('$context.stage/$context.identity.sourceIp/$stageVariables.table/"$util.escapeJavaScript($input.path(\'$.quote\'))"', ctx())
    assert out == 'dev/10.0.0.1/orders/"say \\"hi\\""'
    assert render("$util.urlEncode('a b&c')|$util.base64Encode('hi')", ctx()) == "a%20b%26c|aGk="


def test_set_if_foreach():
    template = (
        "#set($items = $input.path('$.items'))\n"
        "[#foreach($i in $items){\"id\": $i.id}#if($foreach.hasNext),#end#end]\n"
        "#if($items.size() > 1)many#elseif($items.size() == 1)one#else none#end"
    )
    lines = render(template, ctx()).split("\n")
    assert json.loads(lines[0]) == [{"id": 1}, {"id": 2}]
    assert lines[1] == "many"


def test_undefined_references():
    assert render("[$nothing][$!nothing][${stageVariables.missing}]", ctx()) == "[$nothing][][${stageVariables.missing}]"


def test_json_path_rules():
    doc = {"a": {"b": [10, 20]}, "c d": 1}
    assert json_path(doc, "$.a.b[1]") == 20
    assert json_path(doc, "$['c d']") == 1
    assert json_path(doc, "$.missing") is None
    with pytest.raises(VtlError, match="unsupported JSONPath"):
        json_path(doc, "$.a[?(@.b)]")


@pytest.mark.parametrize("template, message", [
    ("#macro(x)#end", "#macro is not supported"),
    ("#if(true) yes", "missing #end"),
    ("#set($x = [1..3])", "ranges"),
])
def test_unsupported_constructs_are_named(template, message):
    with pytest.raises(VtlError, match=message):
        render(template, ctx())


def test_body_that_is_not_json():
    with pytest.raises(VtlError, match="not JSON"):
        render("$input.json('$')", ctx("plain text"))
    assert render("$input.body", ctx("plain text")) == "plain text"
