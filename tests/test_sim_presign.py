"""course_utils.sim.presign: expiry, signature and POST policy checks that moto skips."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.config import Config
from freezegun import freeze_time

from course_utils.sim import presign

UTC = timezone.utc
SIGNED_AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
V4 = Config(signature_version="s3v4")


def _url(method: str = "get_object", expires: int = 3600, **params) -> str:
    s3 = boto3.client("s3", config=V4)
    with freeze_time(SIGNED_AT):
        return s3.generate_presigned_url(method, Params={"Bucket": "docs", "Key": "report.pdf", **params}, ExpiresIn=expires)


def test_fresh_url_is_valid_and_expires_on_time(aws):
    url = _url(expires=900)
    ok = presign.check_url(url, SIGNED_AT + timedelta(minutes=5))
    assert ok.valid and ok.status == 200 and "signature matches" in ok.reason
    assert presign.expires_at(url) == SIGNED_AT + timedelta(seconds=900)
    late = presign.check_url(url, SIGNED_AT + timedelta(minutes=15))
    assert not late.valid and late.status == 403 and late.code == "AccessDenied" and "expired" in late.reason


def test_seven_day_maximum(aws):
    week = _url(expires=presign.MAX_EXPIRES_SECONDS)
    assert presign.check_url(week, SIGNED_AT + timedelta(days=6)).valid
    url = _url(expires=presign.MAX_EXPIRES_SECONDS + 1)
    v = presign.check_url(url, SIGNED_AT)
    assert not v.valid and "7 days" in v.reason and v.code == "AuthorizationQueryParametersError"


def test_signature_covers_method_key_and_signature(aws):
    url = _url()
    at = SIGNED_AT + timedelta(minutes=1)
    assert presign.check_url(url, at, method="PUT").code == "SignatureDoesNotMatch"
    assert presign.check_url(url.replace("report.pdf", "salary.pdf"), at).code == "SignatureDoesNotMatch"
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert presign.check_url(tampered, at).code == "SignatureDoesNotMatch"
    assert presign.check_url(url, at, secret_key="someone-else").code == "SignatureDoesNotMatch"


def test_put_url_with_signed_content_type(aws):
    url = _url("put_object", ContentType="application/pdf")
    at = SIGNED_AT + timedelta(minutes=1)
    assert presign.check_url(url, at, method="PUT", headers={"Content-Type": "application/pdf"}).valid
    bad = presign.check_url(url, at, method="PUT", headers={"Content-Type": "text/html"})
    assert bad.code == "SignatureDoesNotMatch"


def test_url_never_outlives_temporary_credentials(aws):
    url = _url(expires=presign.MAX_EXPIRES_SECONDS)
    creds_end = SIGNED_AT + timedelta(hours=1)
    assert presign.check_url(url, SIGNED_AT + timedelta(minutes=30), credentials_expire_at=creds_end).valid
    v = presign.check_url(url, SIGNED_AT + timedelta(hours=2), credentials_expire_at=creds_end)
    assert not v.valid and v.code == "ExpiredToken" and "never outlives" in v.reason
    assert v.expires_at == creds_end


def test_not_presigned(aws):
    v = presign.check_url("https://docs.s3.amazonaws.com/report.pdf")
    assert not v.valid and "SigV4" in v.reason
    with freeze_time(SIGNED_AT):
        v2 = boto3.client("s3").generate_presigned_url("get_object", Params={"Bucket": "b", "Key": "k"})
    legacy = presign.check_url(v2, SIGNED_AT)
    assert not legacy.valid and "signature_version" in legacy.reason
    with pytest.raises(ValueError, match="X-Amz-Date"):
        presign.expires_at("https://x/?a=1")


def test_check_post_policy(aws):
    s3 = boto3.client("s3", config=V4)
    with freeze_time(SIGNED_AT):
        post = s3.generate_presigned_post("docs", "uploads/${filename}", ExpiresIn=600,
                                          Conditions=[["content-length-range", 1, 1024], ["starts-with", "$key", "uploads/"]])
    at = SIGNED_AT + timedelta(minutes=1)
    assert presign.check_post(post, key="uploads/a.txt", content_length=10, at=at).valid
    big = presign.check_post(post, key="uploads/a.txt", content_length=5000, at=at)
    assert not big.valid and big.code == "EntityTooLarge"
    wrong_key = presign.check_post(post, key="other/a.txt", content_length=10, at=at)
    assert not wrong_key.valid and "starts-with" in wrong_key.reason
    late = presign.check_post(post, key="uploads/a.txt", content_length=10, at=SIGNED_AT + timedelta(minutes=11))
    assert not late.valid and "expired" in late.reason
    with pytest.raises(ValueError, match="presigned POST"):
        presign.check_post({"fields": {}}, key="k", content_length=1)
