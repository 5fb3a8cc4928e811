"""The application-level ACL rules: owner, readers, writers, Cognito groups, deny by default."""

from __future__ import annotations

import pytest

from course_utils.rules.acl import Acl, check, from_item, principals_of, to_item

ANA, BOB, EVE = "sub-ana", "sub-bob", "sub-eve"
DOC = Acl(owner=f"user:{ANA}", readers=frozenset({"group:auditors"}), writers=frozenset({f"user:{BOB}"}))


def claims(sub, *groups):
    return {"sub": sub, "cognito:groups": list(groups)} if groups else {"sub": sub}


@pytest.mark.parametrize("sub,groups,action,allowed", [
    (ANA, (), "read", True), (ANA, (), "write", True), (ANA, (), "share", True), (ANA, (), "delete", True),
    (BOB, (), "read", True), (BOB, (), "write", True), (BOB, (), "share", False), (BOB, (), "delete", False),
    (EVE, ("auditors",), "read", True), (EVE, ("auditors",), "write", False),
    (EVE, (), "read", False), (EVE, ("admins",), "read", False),
])
def test_who_may_do_what(sub, groups, action, allowed):
    assert check(DOC, claims(sub, *groups), action).allowed is allowed


def test_reasons_name_the_matching_entry_or_the_default_deny():
    assert str(check(DOC, claims(EVE, "auditors"), "read")) == "ALLOW read: group:auditors is in readers"
    assert check(DOC, claims(ANA), "delete").reason == f"user:{ANA} is the owner"
    denied = check(DOC, claims(EVE), "write")
    assert str(denied) == f"DENY write: user:{EVE} is not owner or writers of this resource: denied by default"


def test_a_caller_without_sub_is_denied():
    decision = check(DOC, {"cognito:groups": ["auditors"]}, "read")
    assert not decision.allowed and "no authenticated caller" in decision.reason


def test_principals_from_claims_accept_a_single_group_string():
    assert principals_of({"sub": "x", "cognito:groups": "admins"}) == {"user:x", "group:admins"}
    assert principals_of({}) == frozenset()


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown action"):
        check(DOC, claims(ANA), "publish")
    with pytest.raises(ValueError, match="'user:<sub>' or 'group:<name>'"):
        Acl(owner=f"user:{ANA}", readers=frozenset({"everyone"}))
    with pytest.raises(ValueError, match="owner must be a user"):
        Acl(owner="group:admins")
    with pytest.raises(ValueError, match="no 'owner'"):
        from_item({"readers": {"SS": ["user:x"]}})


def test_dynamodb_items_round_trip():
    item = to_item(DOC)
    assert item == {"owner": {"S": f"user:{ANA}"}, "readers": {"SS": ["group:auditors"]}, "writers": {"SS": [f"user:{BOB}"]}}
    assert from_item(item) == DOC
    assert to_item(Acl(owner=f"user:{ANA}")) == {"owner": {"S": f"user:{ANA}"}}  # no empty string sets
    assert from_item({"owner": f"user:{ANA}", "readers": ["group:a"]}).readers == {"group:a"}
    assert from_item({"owner": {"S": "user:a"}, "writers": {"L": [{"S": "user:b"}]}}).writers == {"user:b"}
