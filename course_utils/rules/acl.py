"""Authorization inside an application: an access control list stored with each resource.

IAM decides which AWS API calls a role may make; it cannot say that *this* user may read *this*
document of a multi-user application when every request reaches the database with the same
function role. The application decides that itself, on every request, from two things it
trusts: the caller's identity from a verified token (a Cognito ID token's ``sub`` and
``cognito:groups`` claims) and the ACL kept with the item (owner, readers, writers). AWS's managed
alternative is Amazon Verified Permissions (Cedar policies evaluated by ``IsAuthorized``).

The rules here are the course's example application's, written down as data:

* an ACL entry is ``user:<sub>`` or ``group:<Cognito group name>``;
* ``read`` needs the owner, a reader or a writer; ``write`` the owner or a writer; ``share`` (change
  the ACL) and ``delete`` only the owner;
* anything not granted is denied, and a request without a ``sub`` claim is denied.

Pure functions: plain data in, a decision out. :func:`from_item` / :func:`to_item` convert between an
:class:`Acl` and a DynamoDB item in the low-level client's typed format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["ACTIONS", "Acl", "AclDecision", "principals_of", "check", "from_item", "to_item"]

#: Which ACL roles may perform each action.
ACTIONS: dict[str, tuple[str, ...]] = {
    "read": ("owner", "readers", "writers"),
    "write": ("owner", "writers"),
    "share": ("owner",),
    "delete": ("owner",),
}


@dataclass(frozen=True)
class Acl:
    """The access control list of one resource."""

    owner: str  # "user:<sub>"
    readers: frozenset[str] = field(default_factory=frozenset)
    writers: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for entry in (self.owner, *self.readers, *self.writers):
            _check_entry(entry)
        if not self.owner.startswith("user:"):
            raise ValueError(f"the owner must be a user entry ('user:<sub>'), got {self.owner!r}")
        object.__setattr__(self, "readers", frozenset(self.readers))
        object.__setattr__(self, "writers", frozenset(self.writers))


@dataclass(frozen=True)
class AclDecision:
    """The outcome of :func:`check`."""

    allowed: bool
    action: str
    reason: str
    matched: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{'ALLOW' if self.allowed else 'DENY'} {self.action}: {self.reason}"


def _check_entry(entry: str) -> None:
    kind, _, name = str(entry).partition(":")
    if kind not in ("user", "group") or not name:
        raise ValueError(f"an ACL entry is 'user:<sub>' or 'group:<name>', got {entry!r}")


def principals_of(claims: Mapping[str, Any]) -> frozenset[str]:
    """The ACL entries a caller matches: ``user:<sub>`` and one ``group:<name>`` per ``cognito:groups`` claim."""
    sub = claims.get("sub")
    if not sub:
        return frozenset()
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [groups]
    return frozenset({f"user:{sub}", *(f"group:{g}" for g in groups)})


def check(acl: Acl, claims: Mapping[str, Any], action: str) -> AclDecision:
    """May the caller with these (verified) token claims perform ``action`` on the resource?"""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}: one of {', '.join(ACTIONS)}")
    who = principals_of(claims)
    if not who:
        return AclDecision(False, action, "no authenticated caller (the token has no 'sub' claim)")
    roles = {"owner": {acl.owner}, "readers": acl.readers, "writers": acl.writers}
    for role in ACTIONS[action]:
        hits = tuple(sorted(who & roles[role]))
        if hits:
            return AclDecision(True, action, f"{hits[0]} is {'the owner' if role == 'owner' else 'in ' + role}", hits)
    needed = " or ".join(ACTIONS[action])
    return AclDecision(False, action, f"user:{claims['sub']} is not {needed} of this resource: denied by default")


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):  # typed: {"SS": [...]}, {"L": [{"S": ...}]}, {"S": ...}
        if "SS" in value:
            return value["SS"]
        if "L" in value:
            return [v["S"] for v in value["L"]]
        if "S" in value:
            return [value["S"]]
        return []
    if isinstance(value, str):
        return [value]
    return value or []


def from_item(item: Mapping[str, Any]) -> Acl:
    """The :class:`Acl` of a DynamoDB item (the low-level client's typed format, or plain values)."""
    owner = item.get("owner")
    owner = owner["S"] if isinstance(owner, Mapping) else owner
    if not owner:
        raise ValueError("the item has no 'owner' attribute")
    return Acl(owner, frozenset(_strings(item.get("readers"))), frozenset(_strings(item.get("writers"))))


def to_item(acl: Acl) -> dict[str, Any]:
    """The ACL attributes of a DynamoDB item in the client's typed format (empty sets are left out:
    DynamoDB refuses an empty string set)."""
    item: dict[str, Any] = {"owner": {"S": acl.owner}}
    for name in ("readers", "writers"):
        values = sorted(getattr(acl, name))
        if values:
            item[name] = {"SS": values}
    return item
