"""REST API integration timeout in the sandbox: AWS's 50-29,000 ms range and its 29,000 ms default."""

from __future__ import annotations

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from course_utils.runtime import apigw_limits

REGION = "us-east-1"
MESSAGE = "Timeout should be between 50 ms and 29000 ms"


def method(c, verb: str = "GET") -> tuple[str, str]:
    api = c.create_rest_api(name="limits")["id"]
    root = next(r["id"] for r in c.get_resources(restApiId=api)["items"] if r["path"] == "/")
    rid = c.create_resource(restApiId=api, parentId=root, pathPart="slow")["id"]
    c.put_method(restApiId=api, resourceId=rid, httpMethod=verb, authorizationType="NONE")
    return api, rid


def mock(c, api: str, rid: str, **extra):
    return c.put_integration(restApiId=api, resourceId=rid, httpMethod="GET", type="MOCK",
                             requestTemplates={"application/json": '{"statusCode": 200}'}, **extra)


@pytest.mark.parametrize("millis", [49, 29_001, 120_000])
def test_out_of_range_timeout_is_a_400_bad_request(aws, millis):
    c = boto3.client("apigateway", region_name=REGION)
    api, rid = method(c)
    with pytest.raises(ClientError) as err:
        mock(c, api, rid, timeoutInMillis=millis)
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    assert err.value.response["Error"]["Message"] == MESSAGE
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "methodIntegration" not in c.get_method(restApiId=api, resourceId=rid, httpMethod="GET")  # nothing stored


@pytest.mark.parametrize("millis", [50, 5_000, 29_000])
def test_timeouts_within_range_are_kept(aws, millis):
    c = boto3.client("apigateway", region_name=REGION)
    api, rid = method(c)
    assert mock(c, api, rid, timeoutInMillis=millis)["timeoutInMillis"] == millis
    assert c.get_integration(restApiId=api, resourceId=rid, httpMethod="GET")["timeoutInMillis"] == millis


def test_default_timeout_is_29_seconds(aws):
    c = boto3.client("apigateway", region_name=REGION)
    api, rid = method(c)
    assert mock(c, api, rid)["timeoutInMillis"] == 29_000
    assert c.get_integration(restApiId=api, resourceId=rid, httpMethod="GET")["timeoutInMillis"] == 29_000


def test_a_refused_update_keeps_the_previous_integration_serving(aws):
    c = boto3.client("apigateway", region_name=REGION)
    api, rid = method(c)
    mock(c, api, rid, timeoutInMillis=3_000)
    c.put_method_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200")
    c.put_integration_response(restApiId=api, resourceId=rid, httpMethod="GET", statusCode="200",
                               responseTemplates={"application/json": '{"ok": true}'})
    with pytest.raises(ClientError):
        mock(c, api, rid, timeoutInMillis=60_000)
    assert c.get_integration(restApiId=api, resourceId=rid, httpMethod="GET")["timeoutInMillis"] == 3_000
    c.create_deployment(restApiId=api, stageName="dev")
    r = requests.get(f"https://{api}.execute-api.{REGION}.amazonaws.com/dev/slow")
    assert (r.status_code, r.json()) == (200, {"ok": True})


def test_check_timeout_rule():
    assert apigw_limits.check_timeout(None) == 29_000
    assert apigw_limits.check_timeout("750") == 750
    with pytest.raises(apigw_limits.BadRequestException) as err:
        apigw_limits.check_timeout(29_001)
    assert err.value.code == 400 and MESSAGE in err.value.description
    with pytest.raises(apigw_limits.BadRequestException) as raised:
        apigw_limits.check_timeout(60_001, maximum_ms=60_000)
    assert "between 50 ms and 60000 ms" in raised.value.description
