"""S3 presigned URLs: the checks S3 makes and moto skips.

What AWS does with a presigned URL (Signature Version 4, query-string authentication):

* The URL carries ``X-Amz-Date`` (when it was signed) and ``X-Amz-Expires`` (seconds, at most
  604,800 = 7 days for SigV4). After ``X-Amz-Date + X-Amz-Expires`` S3 answers 403
  ``AccessDenied`` "Request has expired".
* The URL can never outlive the credentials that signed it: a URL signed with temporary
  credentials (a role session, an instance profile; ``X-Amz-Security-Token`` is then in the URL)
  stops working when those credentials expire, even if ``X-Amz-Expires`` is later.
* ``X-Amz-Signature`` is an HMAC over the canonical request: the HTTP method, the path (bucket
  and key), every query parameter and the signed headers (``host`` at least, plus any header such
  as ``content-type`` that was signed). Changing any of them gives 403 ``SignatureDoesNotMatch``.
* A presigned POST carries a base64 policy with an ``expiration`` and ``conditions``
  (``content-length-range``, exact fields, ``starts-with``); an upload breaking one is refused.

What moto does: serves presigned URLs without checking expiry, signature or POST conditions.

What this module does: :func:`check_url` recomputes the SigV4 signature of a presigned URL with
the secret key and applies the expiry and credential-lifetime rules at a given time;
:func:`check_post` applies a presigned POST's policy to an upload. Both return a
:class:`Verdict` saying valid or not and why, with the status and error code S3 would return.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, quote, urlsplit

__all__ = ["MAX_EXPIRES_SECONDS", "Verdict", "check_url", "check_post", "expires_at"]

#: SigV4 presigned URLs are valid for at most 7 days.
MAX_EXPIRES_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Verdict:
    """The outcome S3 would give: ``valid``, the HTTP status and error code, and why."""

    valid: bool
    status: int
    code: str
    reason: str
    expires_at: datetime | None = None

    def __str__(self) -> str:
        head = "VALID" if self.valid else f"REJECTED {self.status} {self.code}"
        return f"{head}: {self.reason}"


def _utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc)
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def _params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def expires_at(url: str) -> datetime:
    """When a SigV4 presigned URL stops working by its own ``X-Amz-Expires``."""
    p = _params(url)
    try:
        signed = datetime.strptime(p["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return signed + timedelta(seconds=int(p["X-Amz-Expires"]))
    except KeyError as err:
        raise ValueError(f"not a SigV4 presigned URL: query parameter {err.args[0]} is missing") from None


def _signature(url: str, method: str, headers: Mapping[str, str], secret: str) -> str:
    parts = urlsplit(url)
    params = parse_qsl(parts.query, keep_blank_values=True)
    p = dict(params)
    signed_headers = p["X-Amz-SignedHeaders"].split(";")
    lower = {k.lower(): v for k, v in headers.items()}
    lower.setdefault("host", parts.netloc)
    canonical_headers = "".join(f"{h}:{' '.join(str(lower.get(h, '')).split())}\n" for h in signed_headers)
    query = "&".join(
        f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
        for k, v in sorted(params) if k != "X-Amz-Signature"
    )
    canonical = "\n".join([method.upper(), parts.path or "/", query, canonical_headers,
                           ";".join(signed_headers), "UNSIGNED-PAYLOAD"])
    scope = p["X-Amz-Credential"].split("/", 1)[1]
    date, region, service, _ = scope.split("/")
    to_sign = "\n".join(["AWS4-HMAC-SHA256", p["X-Amz-Date"], scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def check_url(url: str, at: datetime | None = None, *, method: str = "GET",
              headers: Mapping[str, str] | None = None, secret_key: str | Callable[[], str],
              credentials_expire_at: datetime | None = None) -> Verdict:
    """Would S3 accept this presigned URL at time ``at`` (default now, freezegun-aware)?

    ``method`` and ``headers`` describe the request actually sent; ``secret_key`` is the signer's
    secret, or a function returning it (called only once the signature is checked);
    ``credentials_expire_at`` is when temporary signing credentials expire (a role session's
    ``Expiration``). :func:`course_utils.sim.presign.check_url` defaults the secret to the current
    boto3 credentials.
    """
    p = _params(url)
    if "Signature" in p and "AWSAccessKeyId" in p:
        return Verdict(False, 400, "AuthorizationQueryParametersError",
                       "a legacy SigV2 URL: sign with boto3.client('s3', config=Config(signature_version='s3v4'))")
    if p.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return Verdict(False, 400, "AuthorizationQueryParametersError",
                       "not a SigV4 presigned URL (X-Amz-Algorithm must be AWS4-HMAC-SHA256)")
    missing = [k for k in ("X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders",
                           "X-Amz-Signature") if k not in p]
    if missing:
        return Verdict(False, 400, "AuthorizationQueryParametersError", f"missing {', '.join(missing)}")
    seconds = int(p["X-Amz-Expires"])
    if not 1 <= seconds <= MAX_EXPIRES_SECONDS:
        return Verdict(False, 400, "AuthorizationQueryParametersError",
                       f"X-Amz-Expires={seconds}: must be 1..{MAX_EXPIRES_SECONDS} seconds (7 days) for SigV4")
    ends = expires_at(url)
    now = _utc(at)
    if credentials_expire_at is not None:
        cred_end = _utc(credentials_expire_at)
        if cred_end < ends:
            ends = cred_end
            if now >= cred_end:
                return Verdict(False, 400, "ExpiredToken",
                               f"the temporary credentials that signed the URL expired at {cred_end:%Y-%m-%d %H:%M:%S} UTC "
                               "(a URL never outlives its signer's credentials)", ends)
    expected = _signature(url, method, headers or {}, secret_key if isinstance(secret_key, str) else secret_key())
    if not hmac.compare_digest(expected, p["X-Amz-Signature"]):
        return Verdict(False, 403, "SignatureDoesNotMatch",
                       f"the signature does not cover this request ({method.upper()} {urlsplit(url).path}, "
                       f"signed headers {p['X-Amz-SignedHeaders']})", ends)
    if now >= ends:
        return Verdict(False, 403, "AccessDenied",
                       f"Request has expired: valid until {ends:%Y-%m-%d %H:%M:%S} UTC, "
                       f"now {now:%Y-%m-%d %H:%M:%S} UTC", ends)
    left = ends - now
    return Verdict(True, 200, "OK", f"signature matches; {left} left (until {ends:%Y-%m-%d %H:%M:%S} UTC)", ends)


def check_post(presigned: Mapping[str, Any], *, key: str, content_length: int,
               fields: Mapping[str, str] | None = None, at: datetime | None = None) -> Verdict:
    """Would S3 accept this upload through a presigned POST (``generate_presigned_post`` output)?

    Applies the policy's ``expiration`` and its ``content-length-range``, exact-match and
    ``starts-with`` conditions to the form fields sent (``key`` plus ``fields``).
    """
    try:
        policy = json.loads(base64.b64decode(presigned["fields"]["policy"]))
    except (KeyError, ValueError) as err:
        raise ValueError(f"not a presigned POST (no readable policy field): {err}") from None
    ends = datetime.strptime(policy["expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    now = _utc(at)
    if now >= ends:
        return Verdict(False, 403, "AccessDenied", f"Invalid according to Policy: Policy expired at {ends:%Y-%m-%d %H:%M:%S} UTC", ends)
    sent = {**{k.lower(): v for k, v in presigned["fields"].items()},
            **{k.lower(): v for k, v in (fields or {}).items()}, "key": key}
    for cond in policy.get("conditions", []):
        if isinstance(cond, dict):
            (name, value), = cond.items()
            if name.lower() == "bucket":
                continue
            if str(sent.get(name.lower())) != str(value):
                return Verdict(False, 403, "AccessDenied",
                               f"Invalid according to Policy: Policy Condition failed: [\"eq\", \"${name}\", \"{value}\"]", ends)
        elif cond[0] == "content-length-range":
            lo, hi = int(cond[1]), int(cond[2])
            if not lo <= content_length <= hi:
                code = "EntityTooLarge" if content_length > hi else "EntityTooSmall"
                return Verdict(False, 400, code, f"{content_length} bytes is outside content-length-range [{lo}, {hi}]", ends)
        elif cond[0] in ("eq", "starts-with"):
            name, value = cond[1].lstrip("$").lower(), str(cond[2])
            if name == "bucket":
                continue
            got = str(sent.get(name, ""))
            ok = got == value if cond[0] == "eq" else got.startswith(value)
            if not ok:
                return Verdict(False, 403, "AccessDenied",
                               f"Invalid according to Policy: Policy Condition failed: {json.dumps(cond)} (got {got!r})", ends)
    return Verdict(True, 204, "OK", f"policy conditions met; policy valid until {ends:%Y-%m-%d %H:%M:%S} UTC", ends)
