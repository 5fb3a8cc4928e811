"""S3 presigned URLs served by the sandbox: the signature and the expiry are checked, as on AWS.

AWS: a request authenticated in the query string (a presigned URL) is refused when

* it is used after ``X-Amz-Date + X-Amz-Expires`` (SigV4) or after ``Expires`` (SigV2, a Unix
  time): 403 ``AccessDenied`` "Request has expired";
* the signature does not match the request actually sent (method, bucket and key, query string,
  signed headers), or was made with another secret: 403 ``SignatureDoesNotMatch``;
* the access key is unknown: 403 ``InvalidAccessKeyId``;
* ``X-Amz-Expires`` is more than 604,800 seconds (7 days): 400 ``AuthorizationQueryParametersError``;
* it was signed with temporary credentials that have expired since: 400 ``ExpiredToken``.

moto 5.2.5 serves such URLs without checking any of this (a tampered or expired URL gets 200).

Simulated: :func:`wrap_response` wraps moto's ``S3Response.bucket_response`` and ``key_response``
(the two entry points of every S3 request). A request carrying query-string authentication and
no ``Authorization`` header is checked first: SigV4 with :func:`course_utils.rules.presign.check_url`
(the course's own canonical-request code), SigV2 with botocore's ``HmacV1Auth`` (:func:`.moto_adapter.sigv2_query_signature`). The secret is that
of the access key in the URL: the sandbox's own key, an IAM user's key
(:func:`.sigv4.identity_for_key`) or STS ``AssumeRole`` credentials (whose expiry then also
bounds the URL). Time is ``datetime.now`` (freezegun-aware). Requests signed in the
``Authorization`` header (every boto3 call) are not touched.
"""

from __future__ import annotations

import hmac
import re
from datetime import datetime, timezone
from typing import Any, Callable
from urllib.parse import parse_qsl, urlsplit
from xml.sax.saxutils import escape

__all__ = ["check_request", "wrap_response", "MESSAGES"]

#: The ``Message`` S3 returns with each error code.
MESSAGES: dict[str, str] = {
    "AccessDenied": "Request has expired",
    "SignatureDoesNotMatch": ("The request signature we calculated does not match the signature you provided. "
                              "Check your key and signing method."),
    "InvalidAccessKeyId": "The AWS Access Key Id you provided does not exist in our records.",
    "ExpiredToken": "The provided token has expired.",
    "AuthorizationQueryParametersError": "X-Amz-Expires must be less than a week (in seconds) that is 604800",
}

_VIRTUAL_HOST = re.compile(r"^(?P<bucket>.+)\.s3[.-](?:[a-z0-9-]+\.)?amazonaws\.com$")

Answer = tuple[int, dict[str, str], str]


def _error(method: str, status: int, code: str, extra: dict[str, str]) -> Answer:
    if method.upper() == "HEAD":  # S3 sends no body with a HEAD error
        return status, {"x-amz-error-code": code}, ""
    fields = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in extra.items())
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{escape(MESSAGES[code])}</Message>{fields}<RequestId>presign</RequestId></Error>")
    return status, {"Content-Type": "application/xml"}, body


def _iso(when: datetime) -> str:
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _secret_for(access_key: str) -> tuple[str, datetime | None] | None:
    """(secret key, expiry of temporary credentials or None) of an access key the sandbox knows."""
    from .moto_adapter import default_account_id, sts_credentials
    from .sigv4 import identity_for_key

    who = identity_for_key(access_key, default_account_id())
    if who is not None:
        return str(who["secret"]), None
    return sts_credentials(access_key)


def _check_v4(method: str, url: str, headers: dict[str, str], params: dict[str, str], now: datetime) -> Answer | None:
    from ..rules import presign

    access_key = params.get("X-Amz-Credential", "").split("/", 1)[0]
    secret = _secret_for(access_key)
    if secret is None:
        return _error(method, 403, "InvalidAccessKeyId", {"AWSAccessKeyId": access_key})
    verdict = presign.check_url(url, now, method=method, headers=headers, secret_key=secret[0],
                                credentials_expire_at=secret[1])
    if verdict.valid:
        return None
    if verdict.code == "AuthorizationQueryParametersError":
        if not params.get("X-Amz-Expires", "").isdigit() or int(params["X-Amz-Expires"]) <= presign.MAX_EXPIRES_SECONDS:
            return None  # a malformed URL: moto answers as it would
        return _error(method, 400, verdict.code, {})
    if verdict.code == "AccessDenied":
        return _error(method, 403, "AccessDenied", {"X-Amz-Expires": params["X-Amz-Expires"],
                                                   "Expires": _iso(verdict.expires_at or now), "ServerTime": _iso(now)})
    if verdict.code == "ExpiredToken":
        return _error(method, 400, "ExpiredToken", {})
    return _error(method, 403, "SignatureDoesNotMatch",
                  {"AWSAccessKeyId": access_key, "SignatureProvided": params["X-Amz-Signature"]})


def _v2_signature(method: str, url: str, headers: dict[str, str], params: dict[str, str], secret: str) -> str:
    from .moto_adapter import sigv2_query_signature

    parts = urlsplit(url)
    signed = {name: value for name, value in headers.items() if name.lower() in ("content-md5", "content-type")}
    for name, value in params.items():  # query auth carries x-amz-* headers (the security token) in the query
        if name.lower().startswith("x-amz-"):
            signed[name.lower()] = value
    path = parts.path or "/"
    match = _VIRTUAL_HOST.match(parts.hostname or "")
    if match and not (parts.hostname or "").startswith("s3."):
        path = f"/{match.group('bucket')}{path}"
    return sigv2_query_signature(method, url, signed, expires=params["Expires"], auth_path=path,
                                 access_key=params["AWSAccessKeyId"], secret_key=secret)


def _check_v2(method: str, url: str, headers: dict[str, str], params: dict[str, str], now: datetime) -> Answer | None:
    access_key = params["AWSAccessKeyId"]
    if not params["Expires"].isdigit():
        return None
    secret = _secret_for(access_key)
    if secret is None:
        return _error(method, 403, "InvalidAccessKeyId", {"AWSAccessKeyId": access_key})
    expected = _v2_signature(method, url, headers, params, secret[0])
    if not hmac.compare_digest(expected, params["Signature"]):
        return _error(method, 403, "SignatureDoesNotMatch",
                      {"AWSAccessKeyId": access_key, "SignatureProvided": params["Signature"]})
    if secret[1] is not None and now >= secret[1]:
        return _error(method, 400, "ExpiredToken", {})
    ends = datetime.fromtimestamp(int(params["Expires"]), timezone.utc)
    if now >= ends:
        return _error(method, 403, "AccessDenied", {"Expires": _iso(ends), "ServerTime": _iso(now)})
    return None


def check_request(method: str, url: str, headers: dict[str, str], now: datetime | None = None) -> Answer | None:
    """The error S3 returns for a presigned request (status, headers, XML body), or None to serve it.

    Requests without query-string authentication, or with an ``Authorization`` header, give None.
    """
    if any(k.lower() == "authorization" for k in headers):
        return None
    params = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    when = now or datetime.now(timezone.utc)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if params.get("X-Amz-Algorithm") == "AWS4-HMAC-SHA256" and "X-Amz-Signature" in params:
        if not all(k in params for k in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders")):
            return None
        return _check_v4(method, url, headers, params, when)
    if all(k in params for k in ("AWSAccessKeyId", "Signature", "Expires")):
        return _check_v2(method, url, headers, params, when)
    return None


def wrap_response(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``S3Response.bucket_response`` / ``key_response``: check a presigned request first."""

    def response(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        url = str(full_url or getattr(request, "raw_url", ""))  # as sent: moto's request.url is percent-decoded
        refused = check_request(str(request.method), url, dict(request.headers))
        if refused is not None:
            status, answer_headers, body = refused
            return status, answer_headers, body.encode()
        return original(self, request, full_url, headers)

    response.__wrapped__ = original  # type: ignore[attr-defined]
    return response
