"""CloudFront signed URLs and signed cookies: the checks CloudFront makes on a viewer request.

AWS (CloudFront Developer Guide, "Serve private content with signed URLs and signed cookies"):

* A cache behavior with *trusted key groups* accepts a request only with a signed URL or signed
  cookies made with a private key whose public key is in one of those groups (the URL's
  ``Key-Pair-Id``, the ``CloudFront-Key-Pair-Id`` cookie). Keys: RSA 2048 or ECDSA P-256.
* **Canned policy**: the URL carries ``Expires`` (Unix time); the signature covers the policy
  ``{"Statement":[{"Resource":"<url>","Condition":{"DateLessThan":{"AWS:EpochTime":<expires>}}}]}``
  rebuilt from the URL itself, so it is valid for that one URL until ``Expires``.
* **Custom policy**: the URL (or the ``CloudFront-Policy`` cookie) carries the policy, base64 with
  ``+ = /`` replaced by ``- _ ~``. It may use wildcards in ``Resource`` (one policy for many
  files), ``DateGreaterThan`` (not before) and ``IpAddress`` (``AWS:SourceIp``, a CIDR range);
  ``DateLessThan`` is required.
* The signature is over the policy bytes, SHA-1 unless ``Hash-Algorithm=SHA256`` (URL) or
  ``CloudFront-Hash-Algorithm=SHA256`` (cookie) says SHA-256; URL-safe base64 like the policy.
* A signed URL takes precedence: if the URL has signing parameters, the cookies are ignored.
* CloudFront checks the dates when the request arrives (a download already started finishes).
  Any failed check gives HTTP 403.

Pure: the public keys are given (:func:`trusted_public_keys` reads them with plain boto3 calls),
the time is ``datetime.now`` (freezegun-aware) unless ``at`` is given. :func:`signed_cookies`
builds the three cookies with the same signer as botocore's ``CloudFrontSigner``, and
:func:`demo_rsa_key` is a fixed, public teaching key (instant and reproducible; never use it).
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import ipaddress
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit, urlunsplit

__all__ = ["Decision", "check_url", "check_cookies", "signed_cookies", "canned_policy", "trusted_public_keys",
           "demo_rsa_key", "SIGNING_PARAMS", "COOKIES"]

#: Query parameters CloudFront reads for a signed URL (removed before the URL is compared).
SIGNING_PARAMS = ("Expires", "Policy", "Signature", "Key-Pair-Id", "Hash-Algorithm")
#: Cookie names for signed cookies (``CloudFront-Expires`` for a canned policy, ``-Policy`` for custom).
COOKIES = ("CloudFront-Expires", "CloudFront-Policy", "CloudFront-Signature", "CloudFront-Key-Pair-Id",
           "CloudFront-Hash-Algorithm")


@dataclass(frozen=True)
class Decision:
    """What CloudFront does with the request: serve it (200) or refuse it (403), and why."""

    allowed: bool
    status: int
    reason: str
    policy: dict[str, Any] | None = None

    def __str__(self) -> str:
        return f"{'ALLOWED 200' if self.allowed else 'DENIED 403'}: {self.reason}"


def _deny(reason: str, policy: dict[str, Any] | None = None) -> Decision:
    return Decision(False, 403, reason, policy)


def _b64encode(data: bytes) -> str:
    return base64.b64encode(data).replace(b"+", b"-").replace(b"=", b"_").replace(b"/", b"~").decode()


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"), validate=True)


def _strip(url: str) -> str:
    """The URL without CloudFront's signing parameters (what the policy's Resource is compared to)."""
    parts = urlsplit(url)
    kept = [pair for pair in parts.query.split("&") if pair and pair.split("=", 1)[0] not in SIGNING_PARAMS]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(kept), ""))


def canned_policy(url: str, expires: int) -> str:
    """The canned policy CloudFront rebuilds (and botocore signs) for ``url`` and ``Expires``."""
    return json.dumps({"Statement": [{"Resource": url, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
                      separators=(",", ":"))


def _utc(at: datetime | None) -> datetime:
    if at is None:
        return datetime.now(timezone.utc)
    return at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)


def _verify(pem: str | bytes, signature: bytes, message: bytes, algorithm: str) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    key = serialization.load_pem_public_key(pem.encode() if isinstance(pem, str) else pem)
    digest = hashes.SHA256() if algorithm == "SHA256" else hashes.SHA1()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), digest)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(digest))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def _epoch(condition: Mapping[str, Any], name: str) -> int | None:
    value = condition.get(name, {}).get("AWS:EpochTime")
    return None if value is None else int(value)


def _check(resource_url: str, fields: Mapping[str, str], keys: Mapping[str, str | bytes], at: datetime | None,
           client_ip: str | None, prefix: str) -> Decision:
    key_id = fields.get(f"{prefix}Key-Pair-Id")
    if not key_id:
        return _deny(f"missing {prefix}Key-Pair-Id")
    if key_id not in keys:
        return _deny(f"{prefix}Key-Pair-Id={key_id} is not a public key in the behavior's trusted key groups")
    algorithm = fields.get(f"{prefix}Hash-Algorithm", "SHA1").upper()
    if algorithm not in ("SHA1", "SHA256"):
        return _deny(f"{prefix}Hash-Algorithm={algorithm}: SHA1 or SHA256")
    try:
        signature = _b64decode(fields.get(f"{prefix}Signature", ""))
        if f"{prefix}Policy" in fields:
            raw = _b64decode(fields[f"{prefix}Policy"])
            kind = "custom"
        elif f"{prefix}Expires" in fields:
            raw = canned_policy(resource_url, int(fields[f"{prefix}Expires"])).encode()
            kind = "canned"
        else:
            return _deny(f"neither {prefix}Expires (canned policy) nor {prefix}Policy (custom policy)")
        policy = json.loads(raw)
        statement = policy["Statement"][0]
    except (binascii.Error, ValueError, KeyError, IndexError, TypeError) as err:
        return _deny(f"malformed signature or policy ({type(err).__name__})")
    if not signature or not _verify(keys[key_id], signature, raw, algorithm):
        return _deny(f"signature does not match the {kind} policy (tampered URL, policy or key)", policy)
    resource = statement.get("Resource")
    if resource is not None and not fnmatch.fnmatchcase(resource_url, resource):
        return _deny(f"{resource_url} is not covered by Resource {resource}", policy)
    condition = statement.get("Condition", {})
    now = _utc(at)
    ends = _epoch(condition, "DateLessThan")
    if ends is None:
        return _deny("the policy has no DateLessThan", policy)
    if now.timestamp() >= ends:
        return _deny(f"expired at {datetime.fromtimestamp(ends, timezone.utc):%Y-%m-%d %H:%M:%S} UTC "
                     f"(DateLessThan), now {now:%Y-%m-%d %H:%M:%S} UTC", policy)
    starts = _epoch(condition, "DateGreaterThan")
    if starts is not None and now.timestamp() < starts:
        return _deny(f"not valid before {datetime.fromtimestamp(starts, timezone.utc):%Y-%m-%d %H:%M:%S} UTC "
                     "(DateGreaterThan)", policy)
    source = condition.get("IpAddress", {}).get("AWS:SourceIp")
    if source is not None:
        if client_ip is None or ipaddress.ip_address(client_ip) not in ipaddress.ip_network(source, strict=False):
            return _deny(f"viewer IP {client_ip} is outside IpAddress {source}", policy)
    left = datetime.fromtimestamp(ends, timezone.utc) - now
    return Decision(True, 200, f"{kind} policy, signature OK ({algorithm}), {left} left", policy)


def check_url(url: str, public_keys: Mapping[str, str | bytes], *, at: datetime | None = None,
              client_ip: str | None = None) -> Decision:
    """Would CloudFront serve this signed URL? ``public_keys``: key id -> PEM of the trusted key groups."""
    fields = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    if not any(k in fields for k in ("Signature", "Key-Pair-Id", "Expires", "Policy")):
        return _deny("no signed URL parameters and no signed cookies: the behavior requires one of them")
    return _check(_strip(url), fields, public_keys, at, client_ip, "")


def check_cookies(url: str, cookies: Mapping[str, str], public_keys: Mapping[str, str | bytes], *,
                  at: datetime | None = None, client_ip: str | None = None) -> Decision:
    """Would CloudFront serve ``url`` to a viewer sending these cookies? A signed URL wins over cookies."""
    fields = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    if any(k in fields for k in ("Signature", "Key-Pair-Id")):
        return check_url(url, public_keys, at=at, client_ip=client_ip)
    if "CloudFront-Signature" not in cookies:
        return _deny("no signed URL parameters and no signed cookies: the behavior requires one of them")
    return _check(_strip(url), cookies, public_keys, at, client_ip, "CloudFront-")


def signed_cookies(key_id: str, signer: Callable[[bytes], bytes], *, policy: str | None = None,
                   url: str | None = None, date_less_than: datetime | None = None) -> dict[str, str]:
    """The signed cookies for a custom ``policy`` (``CloudFrontSigner.build_policy``) or, with ``url``
    and ``date_less_than``, a canned policy. ``signer`` signs bytes (the ``rsa_signer`` of botocore)."""
    if policy is not None:
        raw = policy.encode()
        cookies = {"CloudFront-Policy": _b64encode(raw)}
    elif url is not None and date_less_than is not None:
        expires = int(_utc(date_less_than).timestamp())
        raw = canned_policy(url, expires).encode()
        cookies = {"CloudFront-Expires": str(expires)}
    else:
        raise ValueError("give policy=..., or url=... and date_less_than=...")
    cookies["CloudFront-Signature"] = _b64encode(signer(raw))
    cookies["CloudFront-Key-Pair-Id"] = key_id
    return cookies


def trusted_public_keys(cloudfront: Any, key_group_ids: list[str]) -> dict[str, str]:
    """Public key id -> PEM for the key groups (plain CloudFront GetKeyGroup / GetPublicKey calls)."""
    keys: dict[str, str] = {}
    for group in key_group_ids:
        for key_id in cloudfront.get_key_group(Id=group)["KeyGroup"]["KeyGroupConfig"]["Items"]:
            keys[key_id] = cloudfront.get_public_key(Id=key_id)["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
    return keys


# A published 2048-bit RSA key for the course's demos: deterministic and instant (no key generation
# in a notebook cell). Anyone can rebuild it from these primes: never trust it for anything real.
_P = int(
    "ff066b1b1e2e107a690501546b1eadbe56bd14d13da4853c567a6a6c7fd2ab8772aad1f7cdc770a6cd298de1474dbdffdde88cde65"
    "205fe5ba7137f3585e7fdb3c3f322332f6545f72f398255773dc92941511bbeb28ccbd8d39e847c6a50232e51ee461614bb1924b80"
    "68af7f3f89c204f768e0bc60d5a735b94a4cf58d23a1", 16)
_Q = int(
    "fbdff2e27359310f6785621ab19841acf15b6cc1ca6445ebc007eba56e36e4956979bc8cb9cd22d8b2925e74b03f5d52e3a869abd7"
    "cced1d02aeed064d0bebbead67ce5c89ef5fd80dc1a2101223305f2832fad97090ccb75272f46bc5ca5f8fe96cfd4074ee7848e229"
    "1fff0bc4a5e4202cbb664da08bbddb98b1077786c2e1", 16)


def demo_rsa_key() -> Any:
    """The course's public 2048-bit RSA demo key (a ``cryptography`` private key object)."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    e = 65537
    d = pow(e, -1, (_P - 1) * (_Q - 1))
    public = rsa.RSAPublicNumbers(e, _P * _Q)
    numbers = rsa.RSAPrivateNumbers(_P, _Q, d, d % (_P - 1), d % (_Q - 1), pow(_Q, -1, _P), public)
    return numbers.private_key()
