"""Authorizers: Cognito user pools and Lambda (TOKEN / REQUEST) for REST APIs, JWT for HTTP APIs.

AWS:

* **Cognito user pool** (REST): the token in the identity source header (``Authorization`` by
  default) must be a JWT signed by the pool (checked against its JWKS), not expired, issued by
  one of the authorizer's pools; without scopes on the method an *ID* token is expected (its
  ``aud`` is an app client of the pool), with scopes an *access* token carrying one of them.
  Failure: 401 ``{"message":"Unauthorized"}``. The claims reach the integration as
  ``requestContext.authorizer.claims``.
* **Lambda TOKEN / REQUEST** (REST): the authorizer function gets ``{type, authorizationToken |
  headers..., methodArn}`` and returns ``{principalId, policyDocument, context}``. Raising
  ``Exception("Unauthorized")`` gives 401; a policy that denies (or does not allow) ``methodArn``
  gives 403 ``{"Message":"User is not authorized to access this resource..."}``; ``context`` and
  ``principalId`` reach the integration as ``requestContext.authorizer``. A missing TOKEN header
  gives 401 without calling the function.
* **JWT** (HTTP API): ``Authorization: Bearer <jwt>`` validated against the issuer's JWKS, the
  ``iss`` and one of the configured audiences (``aud`` or, for access tokens, ``client_id``).

The checks are :mod:`course_utils.rules.jwt` (the same as ``course_utils.sim.jwt_verify``).
Simulated: the JWKS is moto's Cognito signing key (moto signs every pool's tokens with the same
key, kid ``dummy``), fetched from the issuer's ``/.well-known/jwks.json`` URL through moto.
Authorizer results are not cached (AWS caches them for ``authorizerResultTtlInSeconds``).
"""

from __future__ import annotations

import json
from typing import Any

from ..rules import jwt
from ..rules.jwt import TokenRejected, peek

__all__ = ["authorize_rest", "validate_jwt", "reset_state", "JwtError"]

_jwks_cache: dict[str, Any] = {}


def reset_state() -> None:
    _jwks_cache.clear()


#: A token the authorizer rejects (the engine's error: ``check`` names the failed check).
JwtError = TokenRejected


def _unauthorized() -> tuple[int, dict[str, str], str]:
    return 401, {"Content-Type": "application/json", "x-amzn-ErrorType": "UnauthorizedException"}, json.dumps({"message": "Unauthorized"})


def _forbidden(explicit: bool) -> tuple[int, dict[str, str], str]:
    text = "User is not authorized to access this resource" + (" with an explicit deny" if explicit else "")
    return 403, {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException"}, json.dumps({"Message": text})


def _server_error() -> tuple[int, dict[str, str], str]:
    return 500, {"Content-Type": "application/json", "x-amzn-ErrorType": "AuthorizerConfigurationException"}, json.dumps({"message": None})


def _jwks(issuer: str) -> dict[str, Any]:
    if issuer not in _jwks_cache:
        import requests

        resp = requests.get(issuer.rstrip("/") + "/.well-known/jwks.json", timeout=5)
        if resp.status_code != 200:
            raise JwtError("jwks", f"no JWKS at the issuer ({resp.status_code})")
        _jwks_cache[issuer] = resp.json()
    return _jwks_cache[issuer]


def validate_jwt(token: str, *, issuers: list[str], audiences: list[str] | None = None) -> dict[str, Any]:
    """Verify signature, expiry, issuer and (if given) audience with :mod:`course_utils.rules.jwt`;
    return the claims or raise :class:`JwtError`."""
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    _, unverified = peek(token)
    issuer = unverified.get("iss")
    if issuer not in issuers:  # before fetching anything from an issuer we do not trust
        raise JwtError("iss", f"issued by {issuer!r}, expected one of {issuers}")
    return jwt.verify(token, jwks=_jwks(issuer), issuers=issuers, audiences=audiences)


def _header(event: dict[str, Any], identity_source: str | None, default: str = "Authorization") -> str | None:
    name = default
    if identity_source and identity_source.startswith("method.request.header."):
        name = identity_source.split(".", 3)[3]
    for k, v in (event.get("headers") or {}).items():
        if k.lower() == name.lower():
            return v
    return None


def _cognito(api: Any, method: Any, authorizer: Any, event: dict[str, Any]) -> tuple[int, dict[str, str], str] | None:
    from .moto_adapter import cognito_backend

    token = _header(event, authorizer.identity_source)
    if not token:
        return _unauthorized()
    pools = []
    for arn in authorizer.provider_arns or []:
        parts = arn.split(":")
        region, account, pool_id = parts[3], parts[4], arn.split("/")[-1]
        pools.append((f"https://cognito-idp.{region}.amazonaws.com/{pool_id}", account, region, pool_id))
    try:
        claims = validate_jwt(token, issuers=[p[0] for p in pools])
    except JwtError:
        return _unauthorized()
    issuer = claims["iss"]
    _, account, region, pool_id = next(p for p in pools if p[0] == issuer)
    pool = cognito_backend(account, region).user_pools.get(pool_id)
    if pool is None:
        return _unauthorized()
    scopes = method.authorization_scopes or []
    if scopes:
        granted = str(claims.get("scope", "")).split()
        if claims.get("token_use") != "access" or not set(granted) & set(scopes):
            return _unauthorized()
        if claims.get("client_id") not in pool.clients:
            return _unauthorized()
    else:
        if claims.get("token_use") != "id" or claims.get("aud") not in pool.clients:
            return _unauthorized()
    event["requestContext"]["authorizer"] = {"claims": {k: str(v) for k, v in claims.items()}}
    return None


def _policy_allows(policy_document: dict[str, Any], method_arn: str) -> tuple[bool, bool]:
    """Return (allowed, explicitly denied) for ``execute-api:Invoke`` on the method's ARN.

    The course's policy evaluator (:mod:`course_utils.rules.policy`) decides; a policy it cannot
    read allows nothing.
    """
    from ..rules import policy

    try:
        decision = policy.evaluate("execute-api:Invoke", method_arn, identity_policies=[policy_document]).decision
    except ValueError:
        return False, False
    return decision == "Allow", decision == "ExplicitDeny"


def _lambda(api: Any, authorizer: Any, event: dict[str, Any], method_arn: str) -> tuple[int, dict[str, str], str] | None:
    from .lambda_target import invoke_lambda_for_api, lambda_arn_from_uri

    stage_vars = event.get("stageVariables") or {}
    if authorizer.type == "TOKEN":
        token = _header(event, authorizer.identity_source)
        if not token:
            return _unauthorized()
        auth_event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
    else:
        auth_event = {"type": "REQUEST", "methodArn": method_arn}
        auth_event.update({k: event[k] for k in ("resource", "path", "httpMethod", "headers", "multiValueHeaders",
                                                   "queryStringParameters", "multiValueQueryStringParameters",
                                                   "pathParameters", "stageVariables", "requestContext")})
    function_arn = lambda_arn_from_uri(authorizer.authorizer_uri or "", stage_vars)
    try:
        result = invoke_lambda_for_api(function_arn, auth_event)
    except Exception:
        return _server_error()
    if result.function_error:
        body = result.payload_json() or {}
        if isinstance(body, dict) and body.get("errorMessage") == "Unauthorized":
            return _unauthorized()
        return _server_error()
    answer = result.payload_json()
    if not isinstance(answer, dict) or not isinstance(answer.get("policyDocument"), dict):
        return _server_error()
    allowed, denied = _policy_allows(answer["policyDocument"], method_arn)
    if not allowed:
        return _forbidden(denied)
    context = {k: v for k, v in (answer.get("context") or {}).items()}
    context["principalId"] = answer.get("principalId")
    event["requestContext"]["authorizer"] = context
    return None


def authorize_rest(api: Any, method: Any, event: dict[str, Any], method_arn: str) -> tuple[int, dict[str, str], str] | None:
    """None when the request may proceed; otherwise the 401/403/500 response."""
    kind = (method.authorization_type or "NONE").upper()
    if kind in ("NONE", "AWS_IAM"):
        return None
    authorizer = api.authorizers.get(method.authorizer_id) if method.authorizer_id else None
    if authorizer is None:
        return _server_error()
    if kind == "COGNITO_USER_POOLS" or authorizer.type == "COGNITO_USER_POOLS":
        return _cognito(api, method, authorizer, event)
    return _lambda(api, authorizer, event, method_arn)
