"""REST API data plane through `requests`: AWS_PROXY, MOCK, routing, stage variables, keys, authorizers."""

from __future__ import annotations

import json

import boto3
import pytest
import requests
from runtime_helpers import make_function

REGION = "us-east-1"
PROXY = """
import json
def handler(event, context):
    return {"statusCode": 201, "headers": {"X-Seen": event["httpMethod"]},
            "body": json.dumps({k: event[k] for k in ("resource", "path", "httpMethod", "queryStringParameters",
                "multiValueQueryStringParameters", "pathParameters", "stageVariables", "body", "isBase64Encoded")}
                | {"ctx": {k: event["requestContext"].get(k) for k in ("stage", "resourcePath", "httpMethod", "requestId")},
                   "ip": event["requestContext"]["identity"]["sourceIp"], "auth": event["requestContext"].get("authorizer"),
                   "hdr": event["headers"].get("X-Custom"), "mhdr": event["multiValueHeaders"].get("X-Custom")})}
"""


def lambda_uri(fn_arn: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn_arn}/invocations"


class Api:
    """A tiny builder over plain boto3 calls."""

    def __init__(self, name: str = "api") -> None:
        self.c = boto3.client("apigateway")
        self.id = self.c.create_rest_api(name=name)["id"]
        self.root = next(r["id"] for r in self.c.get_resources(restApiId=self.id)["items"] if r["path"] == "/")
        self.ids = {"/": self.root}

    def resource(self, path: str) -> str:
        parent = "/"
        for part in path.strip("/").split("/"):
            full = (parent.rstrip("/") + "/" + part)
            if full not in self.ids:
                self.ids[full] = self.c.create_resource(restApiId=self.id, parentId=self.ids[parent], pathPart=part)["id"]
            parent = full
        return self.ids[parent]

    def method(self, path: str, verb: str, itype: str, uri: str | None = None, **kw) -> str:
        rid = self.resource(path) if path != "/" else self.root
        auth = kw.pop("authorizationType", "NONE")
        self.c.put_method(restApiId=self.id, resourceId=rid, httpMethod=verb, authorizationType=auth, **kw)
        args = {"uri": uri} if uri else {}
        if itype == "AWS_PROXY":
            args["integrationHttpMethod"] = "POST"
        if itype == "MOCK":
            args["requestTemplates"] = {"application/json": '{"statusCode": 200}'}
        self.c.put_integration(restApiId=self.id, resourceId=rid, httpMethod=verb, type=itype, **args)
        return rid

    def deploy(self, stage: str = "dev", variables: dict | None = None) -> str:
        self.c.create_deployment(restApiId=self.id, stageName=stage, variables=variables or {})
        return f"https://{self.id}.execute-api.{REGION}.amazonaws.com/{stage}"


@pytest.fixture
def proxy_fn(aws):
    return make_function("proxy", PROXY)["FunctionArn"]


def test_aws_proxy_event_and_response(aws, proxy_fn):
    api = Api()
    api.method("/items/{id}", "POST", "AWS_PROXY", lambda_uri(proxy_fn))
    base = api.deploy("dev", {"color": "blue"})
    r = requests.post(f"{base}/items/42?x=1&x=2&y=z", data='{"a": 1}', headers={"X-Custom": "v"})
    assert r.status_code == 201
    assert r.headers["X-Seen"] == "POST"
    body = r.json()
    assert body["resource"] == "/items/{id}" and body["path"] == "/items/42" and body["httpMethod"] == "POST"
    assert body["pathParameters"] == {"id": "42"}
    assert body["queryStringParameters"] == {"x": "2", "y": "z"}
    assert body["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["z"]}
    assert body["stageVariables"] == {"color": "blue"}
    assert body["body"] == '{"a": 1}' and body["isBase64Encoded"] is False
    assert body["ctx"]["stage"] == "dev" and body["ctx"]["resourcePath"] == "/items/{id}" and body["ctx"]["httpMethod"] == "POST"
    assert body["hdr"] == "v" and body["mhdr"] == ["v"]
    assert body["ip"]


def test_greedy_proxy_and_literal_precedence(aws, proxy_fn):
    api = Api()
    api.method("/{proxy+}", "ANY", "AWS_PROXY", lambda_uri(proxy_fn))
    api.method("/health", "GET", "MOCK")
    api.c.put_method_response(restApiId=api.id, resourceId=api.ids["/health"], httpMethod="GET", statusCode="200")
    api.c.put_integration_response(restApiId=api.id, resourceId=api.ids["/health"], httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"healthy": true}'})
    base = api.deploy()
    r = requests.delete(f"{base}/a/b/c")
    assert r.status_code == 201 and r.json()["pathParameters"] == {"proxy": "a/b/c"}
    h = requests.get(f"{base}/health")
    assert h.status_code == 200 and h.json() == {"healthy": True}


def test_unknown_route_and_stage(aws, proxy_fn):
    api = Api()
    api.method("/items", "GET", "AWS_PROXY", lambda_uri(proxy_fn))
    base = api.deploy()
    r = requests.get(f"{base}/nope")
    assert r.status_code == 403 and r.json() == {"message": "Missing Authentication Token"}
    assert requests.post(f"{base}/items").status_code == 403  # method not defined
    r2 = requests.get(f"https://{api.id}.execute-api.{REGION}.amazonaws.com/prod/items")
    assert r2.status_code == 403 and r2.json() == {"message": "Forbidden"}


def test_mock_integration_selects_response_by_status(aws):
    api = Api()
    rid = api.resource("/teapot")
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 418}'})
    for code, text in (("200", '{"ok": true}'), ("418", '{"tea": "earl grey"}')):
        api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode=code)
        api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode=code,
                                       responseTemplates={"application/json": text})
    r = requests.get(api.deploy() + "/teapot")
    assert r.status_code == 418 and r.json() == {"tea": "earl grey"}


def test_stage_variable_selects_alias(aws):
    lam = boto3.client("lambda")
    arn = make_function("staged", "import os\ndef handler(e, c):\n    return {'statusCode': 200, 'body': c.function_version}\n")["FunctionArn"]
    lam.publish_version(FunctionName="staged")
    lam.update_function_configuration(FunctionName="staged", Description="2")
    lam.publish_version(FunctionName="staged")
    lam.create_alias(FunctionName="staged", Name="prod", FunctionVersion="1")
    lam.create_alias(FunctionName="staged", Name="beta", FunctionVersion="2")
    api = Api()
    api.method("/v", "GET", "AWS_PROXY", lambda_uri(arn + ":${stageVariables.lambdaAlias}"))
    prod = api.deploy("prod", {"lambdaAlias": "prod"})
    beta = api.deploy("beta", {"lambdaAlias": "beta"})
    assert requests.get(prod + "/v").text == "1"
    assert requests.get(beta + "/v").text == "2"


def test_handler_error_is_502(aws):
    arn = make_function("crash", "def handler(e, c):\n    raise KeyError('x')\n")["FunctionArn"]
    api = Api()
    api.method("/c", "GET", "AWS_PROXY", lambda_uri(arn))
    r = requests.get(api.deploy() + "/c")
    assert r.status_code == 502 and r.json() == {"message": "Internal server error"}


def _keyed_api(proxy_fn: str, throttle: dict | None = None, quota: dict | None = None) -> tuple[str, str]:
    api = Api()
    api.method("/k", "GET", "AWS_PROXY", lambda_uri(proxy_fn), apiKeyRequired=True)
    base = api.deploy()
    key = api.c.create_api_key(name="k1", enabled=True)
    plan_args = {"name": "plan", "apiStages": [{"apiId": api.id, "stage": "dev"}]}
    if throttle:
        plan_args["throttle"] = throttle
    if quota:
        plan_args["quota"] = quota
    plan = api.c.create_usage_plan(**plan_args)
    api.c.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    return base, key["value"]


def test_api_key_required(aws, proxy_fn):
    base, key = _keyed_api(proxy_fn)
    r = requests.get(base + "/k")
    assert r.status_code == 403 and r.json() == {"message": "Forbidden"}
    assert requests.get(base + "/k", headers={"x-api-key": "wrong"}).status_code == 403
    assert requests.get(base + "/k", headers={"x-api-key": key}).status_code == 201


def test_usage_plan_throttle_and_quota(aws, proxy_fn):
    from freezegun import freeze_time

    with freeze_time("2030-01-01 00:00:00") as frozen:
        base, key = _keyed_api(proxy_fn, throttle={"rateLimit": 1.0, "burstLimit": 2}, quota={"limit": 4, "period": "DAY"})
        h = {"x-api-key": key}
        codes = [requests.get(base + "/k", headers=h).status_code for _ in range(3)]
        assert codes == [201, 201, 429]
        r = requests.get(base + "/k", headers=h)
        assert r.json() == {"message": "Too Many Requests"}
        frozen.tick(1.0)  # one token back
        assert requests.get(base + "/k", headers=h).status_code == 201
        frozen.tick(5.0)
        assert requests.get(base + "/k", headers=h).status_code == 201  # 4th allowed request today
        r = requests.get(base + "/k", headers=h)
        assert r.status_code == 429 and r.json() == {"message": "Limit Exceeded"}
        frozen.tick(86400)
        assert requests.get(base + "/k", headers=h).status_code == 201  # a new day


def _cognito() -> tuple[str, str, str]:
    idp = boto3.client("cognito-idp")
    pool = idp.create_user_pool(PoolName="users")["UserPool"]
    client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    idp.admin_create_user(UserPoolId=pool["Id"], Username="ana", TemporaryPassword="Temp-Pass1!")
    idp.admin_set_user_password(UserPoolId=pool["Id"], Username="ana", Password="Real-Pass1!", Permanent=True)
    tokens = idp.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "ana", "PASSWORD": "Real-Pass1!"})["AuthenticationResult"]
    return pool["Arn"], client["ClientId"], tokens["IdToken"]


def test_cognito_authorizer(aws, proxy_fn):
    pool_arn, client_id, id_token = _cognito()
    api = Api()
    auth = api.c.create_authorizer(restApiId=api.id, name="cog", type="COGNITO_USER_POOLS", providerARNs=[pool_arn],
                                   identitySource="method.request.header.Authorization")
    api.method("/me", "GET", "AWS_PROXY", lambda_uri(proxy_fn), authorizationType="COGNITO_USER_POOLS", authorizerId=auth["id"])
    base = api.deploy()
    assert requests.get(base + "/me").status_code == 401
    bad = requests.get(base + "/me", headers={"Authorization": id_token[:-4] + "AAAA"})
    assert bad.status_code == 401 and bad.json() == {"message": "Unauthorized"}
    ok = requests.get(base + "/me", headers={"Authorization": id_token})
    assert ok.status_code == 201
    claims = ok.json()["auth"]["claims"]
    assert claims["cognito:username"] == "ana" and claims["aud"] == client_id


def test_cognito_authorizer_rejects_expired_token(aws, proxy_fn):
    from freezegun import freeze_time

    pool_arn, _, id_token = _cognito()
    api = Api()
    auth = api.c.create_authorizer(restApiId=api.id, name="cog", type="COGNITO_USER_POOLS", providerARNs=[pool_arn],
                                   identitySource="method.request.header.Authorization")
    api.method("/me", "GET", "AWS_PROXY", lambda_uri(proxy_fn), authorizationType="COGNITO_USER_POOLS", authorizerId=auth["id"])
    base = api.deploy()
    import datetime

    with freeze_time(datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)):
        assert requests.get(base + "/me", headers={"Authorization": id_token}).status_code == 401


AUTHZ = """
def handler(event, context):
    token = event.get("authorizationToken") or event["headers"].get("X-Token")
    if token == "let-me-in":
        effect = "Allow"
    elif token == "deny":
        effect = "Deny"
    else:
        raise Exception("Unauthorized")
    return {"principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event["methodArn"]}]},
            "context": {"tier": "gold"}}
"""


@pytest.mark.parametrize("kind", ["TOKEN", "REQUEST"])
def test_lambda_authorizer(aws, proxy_fn, kind):
    from course_utils import runtime

    authz = make_function("authz", AUTHZ)["FunctionArn"]
    api = Api()
    source = "method.request.header.Authorization" if kind == "TOKEN" else "method.request.header.X-Token"
    auth = api.c.create_authorizer(restApiId=api.id, name="la", type=kind, authorizerUri=lambda_uri(authz), identitySource=source)
    api.method("/secret", "GET", "AWS_PROXY", lambda_uri(proxy_fn), authorizationType="CUSTOM", authorizerId=auth["id"])
    base = api.deploy()
    header = "Authorization" if kind == "TOKEN" else "X-Token"
    ok = requests.get(base + "/secret", headers={header: "let-me-in"})
    assert ok.status_code == 201
    assert ok.json()["auth"] == {"tier": "gold", "principalId": "user-1"}
    denied = requests.get(base + "/secret", headers={header: "deny"})
    assert denied.status_code == 403
    assert denied.json()["Message"].startswith("User is not authorized to access this resource")
    unauth = requests.get(base + "/secret", headers={header: "who?"})
    assert unauth.status_code == 401 and unauth.json() == {"message": "Unauthorized"}
    assert len(runtime.invocations("authz")) == 3
