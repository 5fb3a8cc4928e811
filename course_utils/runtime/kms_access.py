"""KMS keys used from another AWS account: the key policy *and* the caller's identity policy decide.

AWS (KMS Developer Guide, "Allowing users in other accounts to use a KMS key",
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html, and
the API reference of Encrypt, Decrypt and GenerateDataKey):

* a principal of account B may use a KMS key of account A only when the key policy (in A) allows
  account B or that principal, *and* an IAM policy in B allows the principal: neither policy is
  sufficient on its own;
* to name a key of another account the caller uses its key ARN or alias ARN; an alias name
  (``alias/orders``) or a bare key id is looked up in the caller's own account. Decrypt finds the
  key of a symmetric ciphertext in the ciphertext's metadata, so it needs no ``KeyId``;
* a refusal is ``AccessDeniedException`` with IAM's access-denied wording: "User: <caller ARN> is
  not authorized to perform: kms:Decrypt on resource: <key ARN> because no resource-based policy
  allows the kms:Decrypt action" (or "... no identity-based policy ...", or "... with an explicit
  deny in a resource-based policy"; https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).

Simulated: moto 5.2.5 keeps each account's keys apart (a key ARN of another account answers
``NotFoundException``; a ciphertext of another account's key ``AccessDeniedException`` with moto's
own text) and evaluates no key policy. Here, Encrypt, Decrypt, GenerateDataKey and
GenerateDataKeyWithoutPlaintext that name (or, for Decrypt, carry) a key of another account in the
same Region are decided by :func:`course_utils.rules.policy.evaluate`: the key policy is the
resource policy, the caller's identity policies are those of its access key (an IAM user's inline
and attached policies and its groups'; an assumed role's inline and attached policies; the account
root: everything). Condition keys given: ``kms:CallerAccount``, ``kms:EncryptionContext:<key>``,
``kms:EncryptionContextKeys``. When both allow, moto runs the operation in the key's account.
Calls within one account are moto's, unchanged. Not simulated: grants, the caller's permissions
boundary, session policies and SCPs, ReEncrypt, and key states.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from ..rules import policy
from .moto_adapter import JsonRESTError, assumed_role_for_key, kms_ciphertext_key_id, kms_key, kms_key_owner, role_policies
from .sigv4 import identity_for_key, user_policies

__all__ = ["wrap_encrypt", "wrap_decrypt", "wrap_generate_data_key", "caller_of", "decide", "AccessDeniedException"]

_KEY = re.compile(r"Credential=([^/,\s]+)/")
_ALLOW_ALL = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


def caller_of(response: Any) -> dict[str, Any]:
    """``{"arn", "account", "policies"}`` of the signed caller (``policies`` None: the account root)."""
    account = response.current_account
    match = _KEY.search(str(response.headers.get("Authorization", "")))
    access_key = match.group(1) if match else ""
    who = identity_for_key(access_key, account)
    if who is not None and who["user_name"]:
        return {"arn": who["arn"], "account": account, "policies": user_policies(account, who["user_name"])}
    role = assumed_role_for_key(account, access_key)
    if role is not None:
        docs = [json.loads(d) if isinstance(d, str) else d for d in role_policies(account, role[0])]
        return {"arn": role[1], "account": account, "policies": docs}
    return {"arn": f"arn:aws:iam::{account}:root", "account": account, "policies": None}


def decide(caller: dict[str, Any], action: str, key_arn: str, key_policy: str | None,
           encryption_context: dict[str, str] | None = None) -> str | None:
    """None when ``caller`` may perform ``action`` on the key of another account, else AWS's refusal text."""
    context: dict[str, Any] = {"kms:CallerAccount": caller["account"]}
    for name, value in (encryption_context or {}).items():
        context[f"kms:EncryptionContext:{name}"] = value
    if encryption_context:
        context["kms:EncryptionContextKeys"] = sorted(encryption_context)
    identity = caller["policies"] if caller["policies"] is not None else [_ALLOW_ALL]
    text = f"User: {caller['arn']} is not authorized to perform: {action} on resource: {key_arn} "
    try:
        decision = policy.evaluate(action, key_arn, identity_policies=identity, resource_policy=key_policy or "",
                                   principal=caller["arn"], context=context, cross_account=True)
    except ValueError:  # a key policy (or identity policy) the evaluator cannot read grants nothing
        return text + f"because no resource-based policy allows the {action} action"
    if decision.allowed:
        return None
    if decision.decision == "ExplicitDeny":
        where = "resource-based" if any(s.source == "resource policy" for s in decision.statements) else "identity-based"
        return text + f"with an explicit deny in a{'n' if where[0] == 'i' else ''} {where} policy"
    allowed = {m.source.split(" ")[0] for m in decision.matched if m.effect == "Allow"}
    side = "identity-based" if "resource" in allowed else "resource-based"
    return text + f"because no {side} policy allows the {action} action"


def _action(response: Any, default: str) -> str:
    """``kms:<Operation>`` from the request's ``X-Amz-Target`` (GenerateDataKeyWithoutPlaintext runs through GenerateDataKey)."""
    target = next((v for k, v in response.headers.items() if k.lower() == "x-amz-target"), "")
    return "kms:" + str(target).rpartition(".")[2] if target else default


def _owner_of_reference(response: Any, key_ref: str | None) -> str | None:
    """The account of a key ARN or alias ARN in the request's Region, when it is not the caller's."""
    if not key_ref or not key_ref.startswith("arn:"):
        return None
    parts = key_ref.split(":")
    if len(parts) < 6 or parts[3] != response.region or parts[4] == response.current_account:
        return None
    return parts[4]


def _in_account(response: Any, original: Callable[[Any], Any], owner: str, action: str,
                key_ref: str, encryption_context: dict[str, str]) -> Any:
    """Authorize the cross-account call, then let moto answer it as the key's account."""
    key = kms_key(owner, response.region, key_ref)
    if key is not None:
        refusal = decide(caller_of(response), action, key.arn, key.policy, encryption_context)
        if refusal is not None:
            raise AccessDeniedException(refusal)
    caller_account = response.current_account
    response.current_account = owner  # moto's kms_backend and ARNs follow current_account
    try:
        return original(response)  # a key that does not exist: moto's NotFoundException, with the owner's ARN
    finally:
        response.current_account = caller_account


def _by_key_id(action: str) -> Callable[[Callable[[Any], Any]], Callable[[Any], Any]]:
    def wrap(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def operation(self: Any) -> Any:
            key_ref = self._get_param("KeyId")
            owner = _owner_of_reference(self, key_ref)
            if owner is None:
                return original(self)
            return _in_account(self, original, owner, _action(self, action), key_ref, self._get_param("EncryptionContext", {}) or {})

        operation.__wrapped__ = original  # type: ignore[attr-defined]
        return operation

    return wrap


#: ``Encrypt``: a key ARN or alias ARN of another account is decided by key policy + identity policy.
wrap_encrypt = _by_key_id("kms:Encrypt")
#: ``GenerateDataKey`` (and ``GenerateDataKeyWithoutPlaintext``, which moto answers through it).
wrap_generate_data_key = _by_key_id("kms:GenerateDataKey")


def wrap_decrypt(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``Decrypt``: the key comes from ``KeyId`` or, without it, from the ciphertext itself."""

    def decrypt(self: Any) -> Any:
        key_ref = self._get_param("KeyId")
        context = self._get_param("EncryptionContext", {}) or {}
        owner = _owner_of_reference(self, key_ref)
        if owner is None and not key_ref:
            key_id = kms_ciphertext_key_id(self._get_param("CiphertextBlob") or b"")
            if key_id and kms_key(self.current_account, self.region, key_id) is None:
                owner = kms_key_owner(self.region, key_id)
                key_ref = key_id
        if owner is None or owner == self.current_account:
            return original(self)
        return _in_account(self, original, owner, "kms:Decrypt", key_ref, context)

    decrypt.__wrapped__ = original  # type: ignore[attr-defined]
    return decrypt
