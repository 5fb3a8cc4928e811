"""REST API non-proxy integrations through `requests`: AWS (Lambda, service action), HTTP, HTTP_PROXY, MOCK."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest
import requests
from runtime_helpers import make_function
from test_runtime_apigateway import Api, lambda_uri

REGION = "us-east-1"
GREET = """
def handler(event, context):
    if event.get("name") == "boom":
        raise ValueError("NotFound: no such user")
    return {"greeting": "hello " + event.get("name", "?"), "event": event}
"""


def custom_lambda(api: Api, path: str, fn_arn: str, request_template: str | None, responses: list[dict]) -> str:
    rid = api.resource(path)
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="POST", authorizationType="NONE")
    kwargs = {"requestTemplates": {"application/json": request_template}} if request_template else {}
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
                          uri=lambda_uri(fn_arn), **kwargs)
    for r in responses:
        api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode=r["statusCode"])
        api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="POST", **r)
    return rid


def test_aws_lambda_request_and_response_templates(aws):
    arn = make_function("greet", GREET)["FunctionArn"]
    api = Api()
    custom_lambda(
        api, "/users/{id}", arn,
        '{"name": "$input.path(\'$.name\')", "id": "$input.params(\'id\')", "stage": "$context.stage"}',
        [{"statusCode": "200", "responseTemplates": {"application/json": '{"message": "$input.path(\'$.greeting\')"}'}}],
    )
    base = api.deploy("dev")
    r = requests.post(f"{base}/users/42", json={"name": "Ana", "extra": 1})
    assert r.status_code == 200 and r.json() == {"message": "hello Ana"}
    # the function saw the mapped event, not the client's body
    r2 = requests.post(f"{base}/users/42", json={"name": "Bo"})
    assert r2.json() == {"message": "hello Bo"}


def test_unmapped_lambda_error_is_200_until_a_selection_pattern_maps_it(aws):
    arn = make_function("greet", GREET)["FunctionArn"]
    api = Api()
    rid = custom_lambda(api, "/u", arn, None, [{"statusCode": "200"}])
    base = api.deploy("dev")
    r = requests.post(f"{base}/u", json={"name": "boom"})
    assert r.status_code == 200 and r.json()["errorMessage"] == "NotFound: no such user"
    api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode="404")
    api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode="404",
                                   selectionPattern="NotFound:.*",
                                   responseTemplates={"application/json": '{"error": "$input.path(\'$.errorMessage\')"}'})
    base = api.deploy("dev")
    r = requests.post(f"{base}/u", json={"name": "boom"})
    assert r.status_code == 404 and r.json() == {"error": "NotFound: no such user"}
    ok = requests.post(f"{base}/u", json={"name": "Cy"})
    assert ok.status_code == 200 and ok.json()["greeting"] == "hello Cy"


def test_passthrough_behaviour_never_gives_415(aws):
    arn = make_function("greet", GREET)["FunctionArn"]
    api = Api()
    rid = api.resource("/strict")
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="POST", authorizationType="NONE")
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
                          uri=lambda_uri(arn), passthroughBehavior="NEVER",
                          requestTemplates={"application/json": '{"name": "json"}'})
    api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode="200")
    api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode="200")
    base = api.deploy()
    assert requests.post(f"{base}/strict", json={}).json()["greeting"] == "hello json"
    r = requests.post(f"{base}/strict", data="a=b", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415 and r.json() == {"message": "Unsupported Media Type"}


def test_aws_service_action_dynamodb_put_item(aws):
    ddb = boto3.client("dynamodb")
    ddb.create_table(TableName="notes", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    api = Api()
    rid = api.resource("/notes")
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="POST", authorizationType="NONE")
    template = ('{"TableName": "notes", "Item": {"id": {"S": "$context.requestId"}, '
                '"text": {"S": "$util.escapeJavaScript($input.path(\'$.text\'))"}}}')
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="POST", type="AWS", integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:{REGION}:dynamodb:action/PutItem",
                          requestTemplates={"application/json": template})
    for code, pattern, tpl in (("200", None, '{"saved": true}'), ("400", "4\\d\\d", '{"saved": false}')):
        api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode=code)
        kw = {"selectionPattern": pattern} if pattern else {}
        api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="POST", statusCode=code,
                                       responseTemplates={"application/json": tpl}, **kw)
    base = api.deploy()
    r = requests.post(f"{base}/notes", json={"text": 'a "quoted" note'})
    assert r.status_code == 200 and r.json() == {"saved": True}
    items = ddb.scan(TableName="notes")["Items"]
    assert [i["text"]["S"] for i in items] == ['a "quoted" note']
    ddb.delete_table(TableName="notes")
    r = requests.post(f"{base}/notes", json={"text": "x"})
    assert r.status_code == 400 and r.json() == {"saved": False}


class _Backend(BaseHTTPRequestHandler):
    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        data = json.dumps({"method": self.command, "path": self.path, "body": body, "hdr": self.headers.get("X-Custom")})
        self.send_response(201 if self.path.startswith("/made") else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Backend", "yes")
        self.end_headers()
        self.wfile.write(data.encode())

    do_GET = do_POST = do_DELETE = _answer

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def backend():
    server = HTTPServer(("127.0.0.1", 0), _Backend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_http_proxy_passes_everything_through(aws, backend):
    api = Api()
    rid = api.resource("/shop/{proxy+}")
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="ANY", authorizationType="NONE")
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="ANY", type="HTTP_PROXY", integrationHttpMethod="ANY",
                          uri=backend + "/{proxy}")
    base = api.deploy()
    r = requests.delete(f"{base}/shop/made/9?x=1", headers={"X-Custom": "v"})
    assert r.status_code == 201 and r.headers["X-Backend"] == "yes"
    assert r.json() == {"method": "DELETE", "path": "/made/9?x=1", "body": "", "hdr": "v"}


def test_http_custom_integration_maps_request_and_response(aws, backend):
    api = Api()
    rid = api.resource("/echo")
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="GET", type="HTTP", integrationHttpMethod="POST",
                          uri=backend + "/orders", requestTemplates={"application/json": '{"q": "$input.params(\'q\')"}'})
    api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200")
    api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseParameters={"method.response.header.X-From": "integration.response.header.X-Backend",
                                                       "method.response.header.X-Static": "'fixed'"},
                                   responseTemplates={"application/json": '{"sent": $input.json(\'$.body\'), "verb": "$input.path(\'$.method\')"}'})
    r = requests.get(api.deploy() + "/echo?q=books")
    assert r.status_code == 200 and r.headers["X-From"] == "yes" and r.headers["X-Static"] == "fixed"
    assert r.json() == {"sent": '{"q": "books"}', "verb": "POST"}


def test_mock_with_vtl_and_selection_pattern(aws):
    api = Api()
    rid = api.resource("/mock")
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '#if($input.params(\'fail\') == "yes"){"statusCode": 500}#else{"statusCode": 200}#end'})
    for code, pattern, tpl in (("200", None, '{"ok": true, "stage": "$context.stage"}'), ("503", "5\\d\\d", '{"ok": false}')):
        api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode=code)
        kw = {"selectionPattern": pattern} if pattern else {}
        api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode=code,
                                       responseTemplates={"application/json": tpl}, **kw)
    base = api.deploy("test")
    assert requests.get(f"{base}/mock").json() == {"ok": True, "stage": "test"}
    r = requests.get(f"{base}/mock?fail=yes")
    assert r.status_code == 503 and r.json() == {"ok": False}
