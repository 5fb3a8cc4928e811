"""Stages: deployments are snapshots, canary settings split traffic, the stage cache honours its TTL."""

from __future__ import annotations

import json
from collections import Counter

import boto3
import requests
from freezegun import freeze_time
from runtime_helpers import make_function
from test_runtime_apigateway import Api, lambda_uri

from course_utils import runtime

COUNTER = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"version": context.function_version,
            "q": (event.get("queryStringParameters") or {}).get("id")})}
"""


def mock_get(api: Api, path: str, text: str) -> str:
    rid = api.method(path, "GET", "MOCK")
    api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200")
    api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": text})
    return rid


def test_changes_need_a_new_deployment(aws):
    api = Api()
    rid = mock_get(api, "/v", '{"v": 1}')
    base = api.deploy("prod")
    api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"v": 2}'})
    assert requests.get(base + "/v").json() == {"v": 1}  # still the deployed snapshot
    api.deploy("prod")
    assert requests.get(base + "/v").json() == {"v": 2}


def test_canary_percent_traffic_and_promotion(aws):
    api = Api()
    rid = mock_get(api, "/v", '{"v": "old", "color": "$stageVariables.color"}')
    base = api.deploy("prod", {"color": "blue"})
    api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"v": "new", "color": "$stageVariables.color"}'})
    dep = api.c.create_deployment(restApiId=api.id, stageName="prod",
                                  canarySettings={"percentTraffic": 25.0, "stageVariableOverrides": {"color": "green"}})
    stage = api.c.get_stage(restApiId=api.id, stageName="prod")
    assert stage["canarySettings"]["deploymentId"] == dep["id"] and stage["deploymentId"] != dep["id"]
    seen = Counter(json.dumps(requests.get(base + "/v").json(), sort_keys=True) for _ in range(400))
    new = seen['{"color": "green", "v": "new"}']
    assert set(seen) == {'{"color": "blue", "v": "old"}', '{"color": "green", "v": "new"}'}
    assert 70 <= new <= 130, seen  # about 25 % of 400
    api.c.update_stage(restApiId=api.id, stageName="prod", patchOperations=[
        {"op": "copy", "from": "/canarySettings/deploymentId", "path": "/deploymentId"},
        {"op": "copy", "from": "/canarySettings/stageVariableOverrides", "path": "/variables"},
        {"op": "remove", "path": "/canarySettings"},
    ])
    stage = api.c.get_stage(restApiId=api.id, stageName="prod")
    assert "canarySettings" not in stage and stage["deploymentId"] == dep["id"] and stage["variables"] == {"color": "green"}
    assert {json.dumps(requests.get(base + "/v").json(), sort_keys=True) for _ in range(20)} == {'{"color": "green", "v": "new"}'}


def test_update_stage_sets_canary_percentage(aws):
    api = Api()
    mock_get(api, "/v", '{"c": "$stageVariables.c"}')
    base = api.deploy("prod", {"c": "main"})
    api.c.update_stage(restApiId=api.id, stageName="prod", patchOperations=[
        {"op": "replace", "path": "/canarySettings/percentTraffic", "value": "100"},
        {"op": "replace", "path": "/canarySettings/stageVariableOverrides/c", "value": "canary"},
    ])
    assert requests.get(base + "/v").json() == {"c": "canary"}


def enable_cache(api: Api, stage: str, ttl: int, extra: list | None = None) -> None:
    api.c.update_stage(restApiId=api.id, stageName=stage, patchOperations=[
        {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
        {"op": "replace", "path": "/cacheClusterSize", "value": "0.5"},
        {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
        {"op": "replace", "path": "/*/*/caching/ttlInSeconds", "value": str(ttl)},
        *(extra or []),
    ])


def test_cache_hits_until_ttl_expires(aws):
    arn = make_function("counted", COUNTER)["FunctionArn"]
    api = Api()
    api.method("/items", "GET", "AWS_PROXY", lambda_uri(arn))
    api.method("/items", "POST", "AWS_PROXY", lambda_uri(arn))
    base = api.deploy("prod")
    enable_cache(api, "prod", 60)
    with freeze_time("2030-01-01 12:00:00") as clock:
        for _ in range(5):
            assert requests.get(base + "/items").status_code == 200
        assert len(runtime.invocations("counted")) == 1  # 4 cache hits
        requests.post(base + "/items")
        requests.post(base + "/items")
        assert len(runtime.invocations("counted")) == 3  # POST is not cached by */*
        clock.tick(61)
        requests.get(base + "/items")
        assert len(runtime.invocations("counted")) == 4  # expired: back to the function


def test_cache_key_ignores_undeclared_query_strings(aws):
    arn = make_function("counted", COUNTER)["FunctionArn"]
    api = Api()
    rid = api.method("/items", "GET", "AWS_PROXY", lambda_uri(arn))
    base = api.deploy("prod")
    enable_cache(api, "prod", 300)
    assert requests.get(base + "/items?id=1").json()["q"] == "1"
    assert requests.get(base + "/items?id=2").json()["q"] == "1"  # same cache entry: wrong answer!
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="NONE",
                     requestParameters={"method.request.querystring.id": False})
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                          uri=lambda_uri(arn), cacheKeyParameters=["method.request.querystring.id"])
    api.deploy("prod")
    enable_cache(api, "prod", 300)
    assert requests.get(base + "/items?id=1").json()["q"] == "1"
    assert requests.get(base + "/items?id=2").json()["q"] == "2"
    assert runtime.stages.cache_stats()["hits"] >= 1


def test_cache_control_refresh_needs_the_setting(aws):
    arn = make_function("counted", COUNTER)["FunctionArn"]
    api = Api()
    api.method("/items", "GET", "AWS_PROXY", lambda_uri(arn))
    base = api.deploy("prod")
    enable_cache(api, "prod", 300)
    requests.get(base + "/items")
    requests.get(base + "/items", headers={"Cache-Control": "max-age=0"})
    assert len(runtime.invocations("counted")) == 1  # header ignored: authorization required by default
    enable_cache(api, "prod", 300, [{"op": "replace", "path": "/*/*/caching/requireAuthorizationForCacheControl", "value": "false"}])
    requests.get(base + "/items", headers={"Cache-Control": "max-age=0"})
    assert len(runtime.invocations("counted")) == 2
    enable_cache(api, "prod", 300, [{"op": "replace", "path": "/*/*/caching/unauthorizedCacheControlHeaderStrategy", "value": "FAIL_WITH_403"},
                                    {"op": "replace", "path": "/*/*/caching/requireAuthorizationForCacheControl", "value": "true"}])
    assert requests.get(base + "/items", headers={"Cache-Control": "max-age=0"}).status_code == 403


def test_ttl_zero_disables_caching(aws):
    arn = make_function("counted", COUNTER)["FunctionArn"]
    api = Api()
    api.method("/items", "GET", "AWS_PROXY", lambda_uri(arn))
    base = api.deploy("prod")
    enable_cache(api, "prod", 0)
    requests.get(base + "/items")
    requests.get(base + "/items")
    assert len(runtime.invocations("counted")) == 2
