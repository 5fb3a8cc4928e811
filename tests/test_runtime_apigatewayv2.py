"""HTTP APIs (apigatewayv2) through `requests`: routes, payload 2.0, JWT authorizer."""

from __future__ import annotations

import boto3
import requests
from runtime_helpers import make_function
from test_runtime_apigateway import _cognito

V2 = """
import json
def handler(event, context):
    if event["rawPath"].endswith("/plain"):
        return {"plain": True}
    return {"statusCode": 200, "headers": {"x-route": event["routeKey"]},
            "body": json.dumps({k: event.get(k) for k in ("version", "routeKey", "rawPath", "rawQueryString",
                "queryStringParameters", "pathParameters", "body", "isBase64Encoded")}
                | {"http": event["requestContext"]["http"], "hdr": event["headers"].get("x-custom"),
                   "jwt": event["requestContext"].get("authorizer")})}
"""


def _api(fn_arn: str, routes: list[str], **route_kw) -> tuple[str, str]:
    c = boto3.client("apigatewayv2")
    api = c.create_api(Name="http", ProtocolType="HTTP")
    integ = c.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri=fn_arn, PayloadFormatVersion="2.0")
    for key in routes:
        c.create_route(ApiId=api["ApiId"], RouteKey=key, Target=f"integrations/{integ['IntegrationId']}", **route_kw)
    c.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
    return api["ApiId"], api["ApiEndpoint"]


def test_http_api_routes_and_payload_v2(aws):
    arn = make_function("v2", V2)["FunctionArn"]
    _, endpoint = _api(arn, ["GET /hello", "POST /items/{id}", "GET /plain"])
    r = requests.get(endpoint + "/hello?a=1&a=2&b=x", headers={"X-Custom": "yes"})
    assert r.status_code == 200 and r.headers["x-route"] == "GET /hello"
    body = r.json()
    assert body["version"] == "2.0" and body["routeKey"] == "GET /hello"
    assert body["rawPath"] == "/hello" and body["rawQueryString"] == "a=1&a=2&b=x"
    assert body["queryStringParameters"] == {"a": "1,2", "b": "x"}
    assert body["http"]["method"] == "GET" and body["http"]["path"] == "/hello"
    assert body["hdr"] == "yes" and body["isBase64Encoded"] is False
    p = requests.post(endpoint + "/items/9", data="payload")
    assert p.json()["pathParameters"] == {"id": "9"} and p.json()["body"] == "payload"
    plain = requests.get(endpoint + "/plain")
    assert plain.status_code == 200 and plain.json() == {"plain": True}
    assert plain.headers["Content-Type"] == "application/json"
    missing = requests.get(endpoint + "/nothing")
    assert missing.status_code == 404 and missing.json() == {"message": "Not Found"}


def test_default_route_catches_everything(aws):
    arn = make_function("v2d", V2)["FunctionArn"]
    _, endpoint = _api(arn, ["$default"])
    r = requests.put(endpoint + "/any/path")
    assert r.status_code == 200 and r.json()["routeKey"] == "$default"


def test_jwt_authorizer(aws):
    pool_arn, client_id, id_token = _cognito()
    pool_id = pool_arn.split("/")[-1]
    arn = make_function("v2j", V2)["FunctionArn"]
    c = boto3.client("apigatewayv2")
    api_id, endpoint = _api(arn, [])
    auth = c.create_authorizer(ApiId=api_id, Name="jwt", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
                               JwtConfiguration={"Audience": [client_id], "Issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"})
    integ = c.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    c.create_route(ApiId=api_id, RouteKey="GET /me", Target=f"integrations/{integ}", AuthorizationType="JWT", AuthorizerId=auth["AuthorizerId"])
    assert requests.get(endpoint + "/me").status_code == 401
    bad = requests.get(endpoint + "/me", headers={"Authorization": "Bearer " + id_token[:-3] + "abc"})
    assert bad.status_code == 401 and bad.json() == {"message": "Unauthorized"}
    ok = requests.get(endpoint + "/me", headers={"Authorization": "Bearer " + id_token})
    assert ok.status_code == 200
    assert ok.json()["jwt"]["jwt"]["claims"]["cognito:username"] == "ana"
    c.update_authorizer(ApiId=api_id, AuthorizerId=auth["AuthorizerId"], JwtConfiguration={"Audience": ["someone-else"], "Issuer": f"https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"})
    assert requests.get(endpoint + "/me", headers={"Authorization": "Bearer " + id_token}).status_code == 401
