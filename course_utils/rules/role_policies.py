"""A role's policies as IAM stores them, decided with the course's policy evaluator.

AWS (IAM User Guide, "Managed policies and inline policies" and "Permissions boundaries for IAM
entities"): a role's identity-based permissions are the union of its attached managed policies
(AWS managed or customer managed; IAM uses each one's **default version**) and its inline
policies; a permissions boundary, if the role has one, caps them (a request must be allowed by
an identity-based policy *and* by the boundary) and grants nothing by itself.

moto 5.2.5 stores all of these (attachments, versions, inline policies, the boundary) but
evaluates none of them. :func:`collect` reads them back with plain boto3 calls (``GetRole``,
``ListAttachedRolePolicies``, ``GetPolicy`` + ``GetPolicyVersion``, ``ListRolePolicies`` +
``GetRolePolicy``) and :meth:`RolePolicies.evaluate` decides a request with
:func:`course_utils.rules.policy.evaluate`, naming the policies that decided it.
:func:`reset_policy` creates a customer managed policy afresh so that a notebook cell can run twice.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping

from .policy import Decision, evaluate

__all__ = ["PolicyRef", "RolePolicies", "RoleDecision", "collect", "reset_policy"]

_AWS_MANAGED = "arn:aws:iam::aws:policy/"


@dataclass(frozen=True)
class PolicyRef:
    """One policy of a role: what kind it is, its name (and version), and its document."""

    kind: str  # "AWS managed" | "customer managed" | "inline" | "permissions boundary"
    name: str
    document: Mapping[str, Any]
    version: str | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name}" + (f" ({self.version})" if self.version else "")


@dataclass(frozen=True)
class RoleDecision:
    """A decision on one request, and the policies of the role that made it."""

    decision: Decision
    by: tuple[str, ...]

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def __str__(self) -> str:
        d = self.decision
        why = ("by " + ", ".join(self.by)) if self.by else d.reason
        return f"{d.decision:<13} {d.action:<24} {why}"


@dataclass(frozen=True)
class RolePolicies:
    """Everything that decides what a role may do, as read from IAM."""

    role_arn: str
    identity: tuple[PolicyRef, ...]
    boundary: PolicyRef | None = None

    def evaluate(self, action: str, resource: str, context: Mapping[str, Any] | None = None) -> RoleDecision:
        """Decide ``action`` on ``resource`` for this role (same account, no resource policy)."""
        decision = evaluate(action, resource, identity_policies=[p.document for p in self.identity],
                            boundary=self.boundary.document if self.boundary else None,
                            principal=self.role_arn, context=context)
        return RoleDecision(decision, tuple(self._label(m.source) for m in decision.statements))

    def _label(self, source: str) -> str:
        m = re.fullmatch(r"identity policy (\d+)", source)
        if m:
            return self.identity[int(m.group(1)) - 1].label
        return self.boundary.label if source == "permissions boundary" and self.boundary else source

    def __str__(self) -> str:
        lines = [f"{self.role_arn}"] + [f"  {p.label}" for p in self.identity]
        if self.boundary:
            lines.append(f"  {self.boundary.label}")
        return "\n".join(lines)


def _document(doc: Any) -> Mapping[str, Any]:
    return json.loads(doc) if isinstance(doc, str) else doc


def _managed(iam: Any, arn: str, kind: str | None = None) -> PolicyRef:
    meta = iam.get_policy(PolicyArn=arn)["Policy"]
    version = meta["DefaultVersionId"]
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    kind = kind or ("AWS managed" if arn.startswith(_AWS_MANAGED) else "customer managed")
    return PolicyRef(kind, meta["PolicyName"], _document(doc), version)


def collect(iam: Any, role_name: str) -> RolePolicies:
    """Read a role's attached policies (default versions), inline policies and boundary with ``iam`` (a boto3 client)."""
    role = iam.get_role(RoleName=role_name)["Role"]
    refs = [_managed(iam, p["PolicyArn"])
            for p in iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]]
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        refs.append(PolicyRef("inline", name, _document(doc)))
    boundary = role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
    return RolePolicies(role["Arn"], tuple(refs), _managed(iam, boundary, "permissions boundary") if boundary else None)


def reset_policy(iam: Any, name: str, document: Mapping[str, Any] | str) -> str:
    """Create the customer managed policy ``name`` with ``document`` as v1, first deleting one an
    earlier run left (detached from its roles, other versions deleted, as ``DeletePolicy`` requires). The ARN."""
    for old in (p for page in iam.get_paginator("list_policies").paginate(Scope="Local") for p in page["Policies"]):
        if old["PolicyName"] != name:
            continue
        arn = old["Arn"]
        for role in iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")["PolicyRoles"]:
            iam.detach_role_policy(RoleName=role["RoleName"], PolicyArn=arn)
        for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]:
            if not v["IsDefaultVersion"]:
                iam.delete_policy_version(PolicyArn=arn, VersionId=v["VersionId"])
        iam.delete_policy(PolicyArn=arn)
    text = document if isinstance(document, str) else json.dumps(document)
    return iam.create_policy(PolicyName=name, PolicyDocument=text)["Policy"]["Arn"]
