"""Verify a JSON Web Token the way AWS documents it for Cognito and API Gateway JWT authorizers.

AWS ("Verifying a JSON Web Token", Cognito developer guide; HTTP API JWT authorizers):

1. find the signing key named by the header's ``kid`` in the issuer's JWKS;
2. check the RS256 signature with that key;
3. check ``exp`` (in the future) and ``nbf`` (if present, not in the future);
4. check that ``iss`` is one of the accepted issuers;
5. check ``token_use`` (``id`` or ``access``) when the caller expects one;
6. check the audience: ``aud`` or, for an access token, ``client_id``, is one accepted.

Pure: the key set is given (fetching it is the caller's job), the signature is checked with
``cryptography``, and the clock is ``time.time()`` unless ``now`` is given (``freezegun`` can
move it).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from typing import Any, Iterable, Mapping

__all__ = ["TokenRejected", "peek", "verify"]


class TokenRejected(ValueError):
    """The token failed one check; ``check`` names it (format, kid, alg, signature, exp, nbf, iss,
    token_use, aud)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"{check}: {message}")
        self.check = check


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) decoded WITHOUT any check: fine for reading, never for trusting."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("format", f"a JWT has 3 dot-separated parts, this has {len(parts)}")
    try:
        header, claims = json.loads(_b64(parts[0])), json.loads(_b64(parts[1]))
    except (ValueError, binascii.Error) as exc:
        raise TokenRejected("format", f"header or payload is not base64url JSON ({exc})") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise TokenRejected("format", "header and payload must be JSON objects")
    return header, claims


def _check_signature(token: str, key: Mapping[str, Any]) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    signing_input, _, signature = token.rpartition(".")
    try:
        numbers = rsa.RSAPublicNumbers(int.from_bytes(_b64(str(key["e"])), "big"), int.from_bytes(_b64(str(key["n"])), "big"))
        public_key = numbers.public_key()
        public_key.verify(_b64(signature), signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise TokenRejected("signature", "the signature does not verify with the issuer's key") from None
    except (KeyError, ValueError, TypeError, binascii.Error) as exc:
        raise TokenRejected("signature", f"the key or the signature cannot be read ({type(exc).__name__})") from None


def _one_of(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def verify(
    token: str,
    *,
    jwks: Mapping[str, Any],
    issuers: str | Iterable[str],
    audiences: str | Iterable[str] | None,
    token_use: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Run the checks in the order above; return the claims or raise :class:`TokenRejected`.

    ``audiences=None`` skips the audience check (an authorizer configured without audiences).
    """
    header, claims = peek(token)
    keys = [k for k in jwks.get("keys", []) if isinstance(k, Mapping)]
    kids = [k.get("kid") for k in keys]
    if header.get("kid") not in kids:
        raise TokenRejected("kid", f"no key {header.get('kid')!r} in the issuer's JWKS (has {kids})")
    if header.get("alg") != "RS256":
        raise TokenRejected("alg", f"expected RS256, got {header.get('alg')!r}")
    _check_signature(token, next(k for k in keys if k.get("kid") == header.get("kid")))
    now = time.time() if now is None else now
    try:
        exp, nbf = float(claims.get("exp", 0)), float(claims.get("nbf", 0))
    except (TypeError, ValueError):
        raise TokenRejected("exp", "exp/nbf are not numbers") from None
    if exp <= now:
        raise TokenRejected("exp", f"expired {int(now - exp)} s ago")
    if nbf > now:
        raise TokenRejected("nbf", f"not valid for another {int(nbf - now)} s")
    accepted = _one_of(issuers)
    if claims.get("iss") not in accepted:
        expected = repr(accepted[0]) if len(accepted) == 1 else f"one of {accepted}"
        raise TokenRejected("iss", f"issued by {claims.get('iss')!r}, expected {expected}")
    use = claims.get("token_use")
    if token_use is not None and use != token_use:
        raise TokenRejected("token_use", f"this is an {use!r} token, the API expects {token_use!r}")
    if audiences is not None:
        audience = claims.get("client_id") if use == "access" else claims.get("aud")
        allowed = _one_of(audiences)
        if not any(a in allowed for a in (audience if isinstance(audience, list) else [audience])):
            raise TokenRejected("aud", f"issued to app client {audience!r}, not one of {allowed}")
    return claims
