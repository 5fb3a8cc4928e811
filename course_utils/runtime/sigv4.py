"""``AWS_IAM`` method authorization for REST APIs: Signature Version 4 and ``execute-api:Invoke``.

AWS: a method with ``authorizationType=AWS_IAM`` needs a request signed with SigV4 for the
service ``execute-api``. No ``Authorization`` header gives 403 ``{"message":"Missing
Authentication Token"}``; an unknown access key gives 403 ``{"message":"The security token
included in the request is invalid."}``; a wrong signature gives 403 ``{"message":"The request
signature we calculated does not match the signature you provided. ..."}``. A valid signature
whose IAM identity has no policy allowing ``execute-api:Invoke`` on the method's ARN
(``arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}``) gives 403
``{"Message":"User: <arn> is not authorized to perform: execute-api:Invoke on resource: <arn>"}``.
The caller's identity reaches the integration as ``requestContext.identity`` (``accessKey``,
``caller``, ``user``, ``userArn``, ``accountId``).

Simulated: the signature is recomputed with botocore's own SigV4 signer over exactly the
headers the client signed, using the secret key of the access key: the sandbox's own key
(``testing``, treated as the account's root: every action allowed) or an access key created
with IAM ``CreateAccessKey`` in the sandbox. For an IAM user the identity policies (inline and
attached managed policies of the user and of its groups) are evaluated: an explicit ``Deny``
wins, then an ``Allow`` is needed. Conditions, resource policies, permissions boundaries and
temporary (STS) credentials are not evaluated. The request time is not checked for the
15-minute skew window.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

__all__ = ["authorize_iam", "identity_for_key", "policy_decision", "user_policies"]

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request,\s*"
    r"SignedHeaders=(?P<signed>[^,]+),\s*Signature=(?P<signature>[0-9a-f]+)"
)

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


def _forbidden(message: str, key: str = "message") -> tuple[int, dict[str, str], str]:
    return 403, {"Content-Type": "application/json", "x-amzn-ErrorType": "ForbiddenException"}, json.dumps({key: message})


def identity_for_key(access_key: str, account_id: str) -> dict[str, Any] | None:
    """``{"secret", "arn", "user"}`` for a known access key, else None."""
    import os

    from .moto_adapter import iam_backend

    sandbox_key = os.environ.get("AWS_ACCESS_KEY_ID", "testing")
    if access_key == sandbox_key:
        return {"secret": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"), "arn": f"arn:aws:iam::{account_id}:root",
                "user": None, "user_name": None}
    backend = iam_backend(account_id)
    for user in backend.users.values():
        for key in user.access_keys:
            if key.access_key_id == access_key and key.status == "Active":
                return {"secret": key.secret_access_key, "arn": user.arn, "user": user.id, "user_name": user.name}
    return None


def user_policies(account_id: str, user_name: str) -> list[dict[str, Any]]:
    """The identity policies of an IAM user: inline and attached managed, its own and its groups'."""
    from .moto_adapter import iam_backend, policy_document

    backend = iam_backend(account_id)
    user = backend.get_user(user_name)
    docs: list[Any] = list(user.policies.values())
    docs += [policy_document(p) for p in user.managed_policies.values()]
    for group in backend.groups.values():
        if any(u.name == user_name for u in group.users):
            docs += list(group.policies.values())
            docs += [policy_document(p) for p in group.managed_policies.values()]
    return [json.loads(d) if isinstance(d, str) else d for d in docs]


def policy_decision(policies: list[dict[str, Any]], action: str, resource: str) -> str:
    """``"Allow"``, ``"Deny"`` (explicit) or ``"ImplicitDeny"`` for one action on one resource.

    The course's policy evaluator (:mod:`course_utils.rules.policy`) decides, so wildcards and
    conditions follow the same rules everywhere; a policy it cannot read allows nothing.
    """
    from ..rules import policy

    try:
        decision = policy.evaluate(action, resource, identity_policies=policies).decision
    except ValueError:
        return "ImplicitDeny"
    return {"Allow": "Allow", "ExplicitDeny": "Deny"}.get(decision, "ImplicitDeny")


def _expected_signature(request: Any, match: re.Match[str], secret: str) -> str:
    from .moto_adapter import sigv4_signature

    signed = match.group("signed").split(";")
    headers = {}
    for name in signed:
        value = next((v for k, v in request.headers.items() if k.lower() == name), None)
        if value is not None:
            headers[name] = value
    body = request.body if request.body is not None else b""
    return sigv4_signature(str(request.method).upper(), request.url, headers, body, amz_date=headers.get("x-amz-date", ""),
                           access_key=match.group("key"), secret_key=secret, service=match.group("service"),
                           region=match.group("region"))


def authorize_iam(request: Any, method_arn: str, account_id: str, identity: dict[str, Any]) -> tuple[int, dict[str, str], str] | None:
    """None when the signed caller may invoke ``method_arn`` (``identity`` is then filled in)."""
    header = next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)
    if not header:
        return _forbidden("Missing Authentication Token")
    match = _AUTH.match(header.strip())
    if match is None:
        return _forbidden(f"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'. Authorization={header}")
    who = identity_for_key(match.group("key"), account_id)
    if who is None:
        return _forbidden("The security token included in the request is invalid.")
    if match.group("service") != "execute-api":
        return _forbidden(MISMATCH)
    if _expected_signature(request, match, who["secret"]) != match.group("signature"):
        return _forbidden(MISMATCH)
    if who["user_name"]:
        decision = policy_decision(user_policies(account_id, who["user_name"]), "execute-api:Invoke", unquote(method_arn))
        if decision != "Allow":
            text = f"User: {who['arn']} is not authorized to perform: execute-api:Invoke on resource: {method_arn}"
            if decision == "Deny":
                text += " with an explicit deny"
            return _forbidden(text, key="Message")
    identity.update(
        {"accessKey": match.group("key"), "accountId": account_id, "caller": who["user"] or account_id,
         "user": who["user"] or account_id, "userArn": who["arn"]}
    )
    return None
