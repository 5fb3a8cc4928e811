"""AWS managed policies (``arn:aws:iam::aws:policy/...``) in the sandbox's IAM, loaded when first named.

AWS (IAM User Guide, "Managed policies and inline policies",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html): an AWS
managed policy is a standalone policy created and administered by AWS, with its own ARN in the
``aws`` account (``arn:aws:iam::aws:policy/ReadOnlyAccess``,
``arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole``). Every account can read it
(``GetPolicy``, ``GetPolicyVersion``) and attach it to its users, groups and roles, but cannot
change it.

Simulated: moto 5.2.5 ships a copy of AWS's managed policies but loads none unless its
``iam.load_aws_managed_policies`` option is on (about 1,600 policies: 0.1 s for every account's
IAM backend). Here, ``GetPolicy`` (and so ``GetPolicyVersion``, ``ListPolicyVersions``) and
``AttachRolePolicy`` / ``AttachUserPolicy`` / ``AttachGroupPolicy`` naming an AWS managed policy
that moto's copy has add that one policy to the account first; a name moto's copy lacks keeps
moto's ``NoSuchEntity``. Not simulated: ``ListPolicies(Scope="AWS")`` shows only the AWS managed
policies loaded so far; moto accepts ``CreatePolicyVersion``/``DeletePolicy`` on a loaded AWS
managed policy (AWS refuses them); moto's copy is as recent as moto 5.2.5's release, not today's.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Callable

from .moto_adapter import aws_managed_policies_text, new_aws_managed_policy

__all__ = ["PREFIX", "aws_policy_data", "ensure_loaded", "wrap_get_policy", "wrap_attach"]

#: The ARN prefix of AWS managed policies (partition ``aws``).
PREFIX = "arn:aws:iam::aws:policy/"


@lru_cache(maxsize=256)
def _entry(name: str) -> str | None:
    """The JSON text of one policy of moto's copy (found by its top-level key: no full parse, ~1 ms)."""
    text = aws_managed_policies_text()
    at = text.find(f'\n "{name}":{{')
    if at < 0:
        return None
    start = text.index("{", at + len(name) + 4)
    data, _ = json.JSONDecoder().raw_decode(text, start)
    return json.dumps(data)


def aws_policy_data(policy_arn: str) -> tuple[str, dict[str, Any]] | None:
    """(name, data) of the AWS managed policy ``policy_arn`` in moto's copy, or None."""
    if not isinstance(policy_arn, str) or not policy_arn.startswith(PREFIX):
        return None
    path_and_name = policy_arn[len(PREFIX) - 1:]  # "/service-role/AWSLambdaBasicExecutionRole"
    path, _, name = path_and_name.rpartition("/")
    entry = _entry(name) if name else None
    if entry is None:
        return None
    data = json.loads(entry)
    if data.get("Path", "/") != path + "/":
        return None
    return name, data


def ensure_loaded(backend: Any, policy_arn: str) -> None:
    """Add the AWS managed policy ``policy_arn`` to an account's IAM backend if moto's copy has it."""
    if policy_arn in backend.managed_policies:
        return
    found = aws_policy_data(policy_arn)
    if found is None:
        return
    name, data = found
    policy = new_aws_managed_policy(name, backend.account_id, backend.region_name, data)
    backend.managed_policies[policy.arn] = policy


def wrap_get_policy(original: Callable[..., Any]) -> Callable[..., Any]:
    """``IAMBackend.get_policy``: an AWS managed policy is loaded before moto looks it up."""

    def get_policy(self: Any, policy_arn: str) -> Any:
        ensure_loaded(self, policy_arn)
        return original(self, policy_arn)

    get_policy.__wrapped__ = original  # type: ignore[attr-defined]
    return get_policy


def wrap_attach(original: Callable[..., Any]) -> Callable[..., Any]:
    """``IAMBackend.attach_{role,user,group}_policy(policy_arn, name)``: load the AWS managed policy first."""

    def attach(self: Any, policy_arn: str, *args: Any, **kwargs: Any) -> Any:
        ensure_loaded(self, policy_arn)
        return original(self, policy_arn, *args, **kwargs)

    attach.__wrapped__ = original  # type: ignore[attr-defined]
    return attach
