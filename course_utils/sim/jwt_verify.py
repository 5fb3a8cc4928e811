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
this module runs those checks for real against the sandbox. The checks themselves are
:mod:`course_utils.rules.jwt`, the same ones the API Gateway authorizers of the runtime run. The
clock is ``time.time()``, so ``freezegun`` can move it past ``exp``.
"""

from __future__ import annotations

from typing import Any, Mapping

from ..rules import jwt
from ..rules.jwt import TokenRejected, peek

__all__ = ["TokenRejected", "issuer", "jwks_url", "fetch_jwks", "peek", "verify"]


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
    peek(token)  # a malformed token is rejected before any network call
    keys = dict(jwks) if jwks is not None else fetch_jwks(region, user_pool_id)
    return jwt.verify(token, jwks=keys, issuers=issuer(region, user_pool_id), audiences=client_ids, token_use=token_use)
