"""Cognito JWTs issued by the sandbox, verified against the pool's JWKS: each check can fail."""

from __future__ import annotations

import datetime

import boto3
import pytest
from freezegun import freeze_time

from course_utils.sim import jwt_verify
from course_utils.sim.jwt_verify import TokenRejected

REGION = "us-east-1"


@pytest.fixture
def pool(aws):
    idp = boto3.client("cognito-idp")
    pool_id = idp.create_user_pool(PoolName="users")["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(UserPoolId=pool_id, ClientName="web",
                                            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]  # fmt: skip
    idp.admin_create_user(UserPoolId=pool_id, Username="ana", TemporaryPassword="Temp-Pass1!")
    idp.admin_set_user_password(UserPoolId=pool_id, Username="ana", Password="Real-Pass1!", Permanent=True)
    tokens = idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": "ana", "PASSWORD": "Real-Pass1!"})["AuthenticationResult"]  # fmt: skip
    return pool_id, client_id, tokens


def test_id_and_access_tokens_verify(pool):
    pool_id, client_id, tokens = pool
    claims = jwt_verify.verify(tokens["IdToken"], region=REGION, user_pool_id=pool_id, client_ids=client_id, token_use="id")
    assert claims["cognito:username"] == "ana" and claims["aud"] == client_id
    access = jwt_verify.verify(tokens["AccessToken"], region=REGION, user_pool_id=pool_id, client_ids=[client_id], token_use="access")
    assert access["client_id"] == client_id and access["token_use"] == "access"
    header, _ = jwt_verify.peek(tokens["IdToken"])
    assert header["alg"] == "RS256"


def _check(pool, token, **kw):
    pool_id, client_id, _ = pool
    args = {"region": REGION, "user_pool_id": pool_id, "client_ids": client_id} | kw
    with pytest.raises(TokenRejected) as info:
        jwt_verify.verify(token, **args)
    return info.value


def test_tampered_signature(pool):
    token = pool[2]["IdToken"]
    head, body, sig = token.split(".")
    assert _check(pool, f"{head}.{body}.{sig[:-6]}AAAAAA").check == "signature"


def test_tampered_payload(pool):
    import base64
    import json

    head, body, sig = pool[2]["IdToken"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["cognito:groups"] = ["admins"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    assert _check(pool, f"{head}.{forged}.{sig}").check == "signature"


def test_expired(pool):
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1, minutes=1)
    with freeze_time(later):
        err = _check(pool, pool[2]["IdToken"])
    assert err.check == "exp" and "expired" in str(err)


def test_wrong_issuer_audience_and_use(pool):
    idp = boto3.client("cognito-idp")
    other_pool = idp.create_user_pool(PoolName="other")["UserPool"]["Id"]
    assert _check(pool, pool[2]["IdToken"], user_pool_id=other_pool).check == "iss"
    assert _check(pool, pool[2]["IdToken"], client_ids=["someone-else"]).check == "aud"
    assert _check(pool, pool[2]["IdToken"], token_use="access").check == "token_use"


def test_unknown_kid_and_garbage(pool):
    err = _check(pool, pool[2]["IdToken"], jwks={"keys": [{"kid": "other", "kty": "RSA", "n": "x", "e": "AQAB"}]})
    assert err.check == "kid"
    assert _check(pool, "not-a-jwt").check == "format"
