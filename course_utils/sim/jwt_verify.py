"""Verify Amazon Cognito user pool JWTs the way AWS documents it.

AWS ("Verifying a JSON Web Token", Cognito developer guide): an API that accepts a Cognito
token must

1. decode the header and find the signing key whose ``kid`` it names in the pool's JWKS,
   published at ``https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json``;
2. check the RS256 signature with that key;
3. check that ``exp`` is in the future (ID and access tokens last 1 hour by default);
4. check that ``iss`` is exactly the pool's issuer URL;
5. check the audience: ``aud`` (ID token) or ``client_id`` (access token) is one of the app
   client IDs the API accepts;
6. check ``token_use``: ``id`` or ``access``, whichever the API expects.

moto serves the JWKS and signs its tokens (one RSA key, ``kid`` "dummy", for every pool), so
this module runs those checks for real against the sandbox. The clock is ``time.time()``,
so ``freezegun`` can move it past ``exp``.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any, Mapping

__all__ = ["TokenRejected", "issuer", "jwks_url", "fetch_jwks", "peek", "verify"]


class TokenRejected(ValueError):
    """The token failed one check; ``check`` names it (signature, exp, iss, aud, token_use, ...)."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(f"{check}: {message}")
        self.check = check


def issuer(region: str, user_pool_id: str) -> str:
    return f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"


def jwks_url(region: str, user_pool_id: str) -> str:
    return issuer(region, user_pool_id) + "/.well-known/jwks.json"


def fetch_jwks(region: str, user_pool_id: str) -> dict[str, Any]:
    """The pool's public keys (a JWKS document), fetched over HTTPS (from moto in the sandbox)."""
    import requests

    resp = requests.get(jwks_url(region, user_pool_id), timeout=5)
    resp.raise_for_status()
    return resp.json()


def _b64json(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) decoded WITHOUT any check: fine for reading, never for trusting."""
    parts = token.split(".")
    if len(parts) != 3:
        raise TokenRejected("format", f"a JWT has 3 dot-separated parts, this has {len(parts)}")
    try:
        return _b64json(parts[0]), _b64json(parts[1])
    except (ValueError, json.JSONDecodeError) as exc:
        raise TokenRejected("format", f"header or payload is not base64url JSON ({exc})") from None


def verify(
    token: str,
    *,
    region: str,
    user_pool_id: str,
    client_ids: str | list[str],
    token_use: str | None = None,
    jwks: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the six checks; return the claims or raise :class:`TokenRejected`."""
    from joserfc import jwt
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

    header, _ = peek(token)
    jwks = dict(jwks) if jwks is not None else fetch_jwks(region, user_pool_id)
    kids = [k.get("kid") for k in jwks.get("keys", [])]
    if header.get("kid") not in kids:
        raise TokenRejected("kid", f"no key {header.get('kid')!r} in the pool's JWKS (has {kids})")
    if header.get("alg") != "RS256":
        raise TokenRejected("alg", f"expected RS256, got {header.get('alg')!r}")
    try:
        claims = dict(jwt.decode(token, KeySet.import_key_set(jwks), algorithms=["RS256"]).claims)
    except (JoseError, ValueError) as exc:
        raise TokenRejected("signature", f"the signature does not verify with the pool's key ({type(exc).__name__})") from None
    now = time.time()
    if float(claims.get("exp", 0)) <= now:
        raise TokenRejected("exp", f"expired {int(now - float(claims.get('exp', 0)))} s ago")
    expected_iss = issuer(region, user_pool_id)
    if claims.get("iss") != expected_iss:
        raise TokenRejected("iss", f"issued by {claims.get('iss')!r}, expected {expected_iss!r}")
    use = claims.get("token_use")
    if token_use is not None and use != token_use:
        raise TokenRejected("token_use", f"this is an {use!r} token, the API expects {token_use!r}")
    audience = claims.get("aud") if use == "id" else claims.get("client_id")
    allowed = [client_ids] if isinstance(client_ids, str) else list(client_ids)
    if audience not in allowed:
        raise TokenRejected("aud", f"issued to app client {audience!r}, not one of {allowed}")
    return claims
