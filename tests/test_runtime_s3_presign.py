"""S3 presigned URLs served by the sandbox: expired, tampered or foreign URLs are refused as on AWS."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests
from botocore.config import Config
from freezegun import freeze_time

UTC = timezone.utc
SIGNED_AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
V4 = Config(signature_version="s3v4")


@pytest.fixture
def bucket(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="signed-docs")
    s3.put_object(Bucket="signed-docs", Key="report.pdf", Body=b"%PDF numbers")
    return s3


def _url(client=None, method="get_object", expires=900, signed_at=SIGNED_AT, **params):
    client = client or boto3.client("s3", config=V4)
    with freeze_time(signed_at):
        return client.generate_presigned_url(method, Params={"Bucket": "signed-docs", "Key": "report.pdf", **params},
                                             ExpiresIn=expires)


def _get(url, at, method="GET", **kwargs):
    with freeze_time(at):
        return requests.request(method, url, **kwargs)


def _code(response):
    return response.text.split("<Code>")[1].split("</Code>")[0]


def test_sigv4_url_works_until_it_expires(bucket):
    url = _url()
    ok = _get(url, SIGNED_AT + timedelta(minutes=14, seconds=59))
    assert (ok.status_code, ok.content) == (200, b"%PDF numbers")
    late = _get(url, SIGNED_AT + timedelta(minutes=15))
    assert late.status_code == 403 and _code(late) == "AccessDenied"
    assert "<Message>Request has expired</Message>" in late.text
    assert "<Expires>2026-05-04T09:15:00Z</Expires>" in late.text and "<X-Amz-Expires>900</X-Amz-Expires>" in late.text


def test_tampered_signature_key_or_method_is_refused(bucket):
    url = _url()
    at = SIGNED_AT + timedelta(minutes=1)
    for bad in (url[:-6] + "000000", url.replace("report.pdf", "other.pdf")):
        answer = _get(bad, at)
        assert answer.status_code == 403 and _code(answer) == "SignatureDoesNotMatch", bad
    put = _get(url, at, method="PUT", data=b"overwrite")
    assert put.status_code == 403 and _code(put) == "SignatureDoesNotMatch"
    assert bucket.get_object(Bucket="signed-docs", Key="report.pdf")["Body"].read() == b"%PDF numbers"


def test_head_error_has_no_body(bucket):
    head = _get(_url(method="head_object"), SIGNED_AT + timedelta(hours=1), method="HEAD")
    assert head.status_code == 403 and head.content == b""
    assert head.headers["x-amz-error-code"] == "AccessDenied"


def test_presigned_put_with_signed_content_type(bucket):
    url = _url(method="put_object", expires=300, Key="uploads/cv.txt", ContentType="text/plain")
    at = SIGNED_AT + timedelta(minutes=2)
    wrong = _get(url, at, method="PUT", data=b"<html>", headers={"Content-Type": "text/html"})
    assert wrong.status_code == 403 and _code(wrong) == "SignatureDoesNotMatch"
    ok = _get(url, at, method="PUT", data=b"my cv", headers={"Content-Type": "text/plain"})
    assert ok.status_code == 200
    assert bucket.get_object(Bucket="signed-docs", Key="uploads/cv.txt")["Body"].read() == b"my cv"


def test_more_than_seven_days_is_a_bad_request(bucket):
    answer = _get(_url(expires=7 * 24 * 3600 + 1), SIGNED_AT + timedelta(minutes=1))
    assert answer.status_code == 400 and _code(answer) == "AuthorizationQueryParametersError"
    assert _get(_url(expires=7 * 24 * 3600), SIGNED_AT + timedelta(days=6)).status_code == 200


def test_sigv2_urls_are_checked_too(bucket):
    url = _url(client=boto3.client("s3", config=Config(signature_version="s3")), expires=60)
    assert "AWSAccessKeyId=" in url and "X-Amz-Signature" not in url
    assert _get(url, SIGNED_AT + timedelta(seconds=30)).status_code == 200
    late = _get(url, SIGNED_AT + timedelta(seconds=61))
    assert late.status_code == 403 and _code(late) == "AccessDenied"
    tampered = _get(url.replace("report.pdf", "other.pdf"), SIGNED_AT)
    assert tampered.status_code == 403 and _code(tampered) == "SignatureDoesNotMatch"


def test_bucket_level_presigned_request(bucket):
    url = boto3.client("s3", config=V4).generate_presigned_url("list_objects_v2", Params={"Bucket": "signed-docs"},
                                                               ExpiresIn=60)
    assert requests.get(url).status_code == 200
    assert requests.get(url.replace("list-type=2", "list-type=1")).status_code == 403


def test_unknown_key_and_other_users_secret(bucket):
    stranger = boto3.client("s3", config=V4, aws_access_key_id="AKIANOTINTHESANDBOX", aws_secret_access_key="x")
    answer = _get(_url(client=stranger), SIGNED_AT)
    assert answer.status_code == 403 and _code(answer) == "InvalidAccessKeyId"
    iam = boto3.client("iam")
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    reader = boto3.client("s3", config=V4, aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    assert _get(_url(client=reader), SIGNED_AT).status_code == 200
    forged = boto3.client("s3", config=V4, aws_access_key_id=key["AccessKeyId"], aws_secret_access_key="guessed")
    assert _code(_get(_url(client=forged), SIGNED_AT)) == "SignatureDoesNotMatch"


def test_url_dies_with_the_role_session_that_signed_it(bucket):
    iam, sts = boto3.client("iam"), boto3.client("sts")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="signer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    with freeze_time(SIGNED_AT):
        creds = sts.assume_role(RoleArn=role, RoleSessionName="signer-session", DurationSeconds=3600)["Credentials"]
    client = boto3.client("s3", config=V4, aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    url = _url(client=client, expires=7 * 24 * 3600)
    assert _get(url, SIGNED_AT + timedelta(minutes=59)).status_code == 200
    gone = _get(url, SIGNED_AT + timedelta(hours=2))
    assert gone.status_code == 400 and _code(gone) == "ExpiredToken"


def test_header_signed_requests_are_untouched(bucket):
    with freeze_time(SIGNED_AT):
        assert bucket.get_object(Bucket="signed-docs", Key="report.pdf")["Body"].read() == b"%PDF numbers"


@pytest.mark.parametrize("config", [V4, Config(signature_version="s3")], ids=["sigv4", "sigv2"])
def test_keys_with_reserved_characters(bucket, config):
    client = boto3.client("s3", config=config)
    for key in ("a+b=c.txt", "reports 2026/ü.txt"):
        bucket.put_object(Bucket="signed-docs", Key=key, Body=b"odd")
        url = client.generate_presigned_url("get_object", Params={"Bucket": "signed-docs", "Key": key}, ExpiresIn=60)
        answer = requests.get(url)
        assert (answer.status_code, answer.content) == (200, b"odd"), key
