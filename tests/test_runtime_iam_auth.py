"""AWS_IAM method authorization: SigV4 signatures and execute-api:Invoke policies give real 403s."""

from __future__ import annotations

import json

import boto3
import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from test_runtime_apigateway import Api

REGION = "us-east-1"


def signed_get(url: str, key: str, secret: str, service: str = "execute-api") -> requests.Response:
    req = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials(key, secret), service, REGION).add_auth(req)
    return requests.get(url, headers=dict(req.headers))


def iam_api() -> tuple[Api, str]:
    api = Api()
    rid = api.resource("/private")
    api.c.put_method(restApiId=api.id, resourceId=rid, httpMethod="GET", authorizationType="AWS_IAM")
    api.c.put_integration(restApiId=api.id, resourceId=rid, httpMethod="GET", type="MOCK",
                          requestTemplates={"application/json": '{"statusCode": 200}'})
    api.c.put_method_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200")
    api.c.put_integration_response(restApiId=api.id, resourceId=rid, httpMethod="GET", statusCode="200",
                                   responseTemplates={"application/json": '{"caller": "$context.identity.userArn"}'})
    return api, api.deploy("dev") + "/private"


def user_key(name: str, policy: dict | None) -> tuple[str, str]:
    iam = boto3.client("iam")
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def test_unsigned_and_badly_signed_requests(aws):
    _, url = iam_api()
    r = requests.get(url)
    assert r.status_code == 403 and r.json() == {"message": "Missing Authentication Token"}
    r = signed_get(url, "testing", "wrong-secret")
    assert r.status_code == 403 and r.json()["message"].startswith("The request signature we calculated does not match")
    r = signed_get(url, "AKIAUNKNOWN000000000", "x")
    assert r.status_code == 403 and r.json() == {"message": "The security token included in the request is invalid."}


def test_signed_by_the_sandbox_identity(aws):
    _, url = iam_api()
    r = signed_get(url, "testing", "testing")
    assert r.status_code == 200 and r.json() == {"caller": "arn:aws:iam::123456789012:root"}


def test_user_policy_decides(aws):
    api, url = iam_api()
    arn = f"arn:aws:execute-api:{REGION}:123456789012:{api.id}/dev/GET/private"
    allowed = user_key("alice", {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": f"arn:aws:execute-api:{REGION}:*:{api.id}/*"}]})
    r = signed_get(url, *allowed)
    assert r.status_code == 200 and r.json() == {"caller": "arn:aws:iam::123456789012:user/alice"}
    nothing = user_key("bob", None)
    r = signed_get(url, *nothing)
    assert r.status_code == 403
    assert r.json() == {"Message": f"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: execute-api:Invoke on resource: {arn}"}
    denied = user_key("carol", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "execute-api:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": arn}]})
    r = signed_get(url, *denied)
    assert r.status_code == 403 and r.json()["Message"].endswith("with an explicit deny")


def test_signature_for_another_service_is_rejected(aws):
    _, url = iam_api()
    r = signed_get(url, "testing", "testing", service="lambda")
    assert r.status_code == 403 and "signature" in r.json()["message"]


def test_attached_managed_policies_of_the_user_and_its_group_decide(aws):
    """The default version of an attached policy is read (the first version after an update)."""
    _, url = iam_api()
    iam = boto3.client("iam")
    allow = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": "*"}]}
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": "*"}]}
    arn = iam.create_policy(PolicyName="invoke", PolicyDocument=json.dumps(deny))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(allow), SetAsDefault=True)
    dave = user_key("dave", None)
    iam.attach_user_policy(UserName="dave", PolicyArn=arn)
    assert signed_get(url, *dave).status_code == 200
    erin = user_key("erin", None)
    iam.create_group(GroupName="callers")
    iam.add_user_to_group(GroupName="callers", UserName="erin")
    assert signed_get(url, *erin).status_code == 403
    iam.attach_group_policy(GroupName="callers", PolicyArn=arn)
    assert signed_get(url, *erin).status_code == 200
