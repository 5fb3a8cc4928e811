"""CloudWatch Logs data protection policies: the document rules and the masking engine."""

from __future__ import annotations

import json

import pytest

from course_utils.rules import log_masking as lm
from course_utils.rules.log_masking import PolicyError

EMAIL = "arn:aws:dataprotection::aws:data-identifier/EmailAddress"
SSN = "arn:aws:dataprotection::aws:data-identifier/Ssn-US"


def doc(audit_ids=None, deid_ids=None, custom=None, **top) -> str:
    ids = audit_ids if audit_ids is not None else [EMAIL]
    body = {"Name": "p", "Version": "2021-06-01", **top, "Statement": [
        {"Sid": "audit", "DataIdentifier": ids, "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "redact", "DataIdentifier": deid_ids if deid_ids is not None else ids,
         "Operation": {"Deidentify": {"MaskConfig": {}}}},
    ]}
    if custom is not None:
        body["Configuration"] = {"CustomDataIdentifier": custom}
    return json.dumps(body)


def test_a_valid_policy_names_its_managed_and_custom_identifiers():
    policy = lm.parse_policy(doc([EMAIL, SSN, "EmployeeId"], custom=[{"Name": "EmployeeId", "Regex": r"EmployeeID-\d{9}"}]))
    assert policy.managed == ("EmailAddress", "Ssn-US")
    assert policy.custom == {"EmployeeId": r"EmployeeID-\d{9}"}
    assert lm.managed_arn("EmailAddress") == EMAIL


@pytest.mark.parametrize("document, fragment", [
    ("not json", "not valid JSON"),
    (doc(Version="2012-10-17"), "Version must be 2021-06-01"),
    (json.dumps({"Name": "p", "Statement": []}), "exactly two blocks"),
    (doc([EMAIL], [SSN]), "must match exactly"),
    (doc(["EmployeeId"]), "neither a managed data identifier ARN"),
    (json.dumps({"Statement": [
        {"DataIdentifier": [EMAIL], "Operation": {"Deidentify": {"MaskConfig": {}}}},
        {"DataIdentifier": [EMAIL], "Operation": {"Audit": {"FindingsDestination": {}}}}]}), "must have the Audit operation"),
    (json.dumps({"Statement": [
        {"DataIdentifier": [EMAIL], "Operation": {"Audit": {}}},
        {"DataIdentifier": [EMAIL], "Operation": {"Deidentify": {"MaskConfig": {}}}}]}), "FindingsDestination"),
    (json.dumps({"Statement": [
        {"DataIdentifier": [EMAIL], "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"DataIdentifier": [EMAIL], "Operation": {"Deidentify": {"MaskConfig": {"MaskWithCharacter": "#"}}}}]}),
     '"MaskConfig": {}'),
    (doc(["Name"], custom=[{"Name": "Name", "Regex": "x"}]), "name of a managed data identifier"),
    (doc(["c0"], custom=[{"Name": f"c{i}", "Regex": "x"} for i in range(11)]), "at most 10"),
    (doc(["c"], custom=[{"Name": "c", "Regex": "x" * 201}]), "1 to 200 characters"),
    (doc(["c"], custom=[{"Name": "c", "Regex": "(a)"}]), "supported set"),
    (doc(["bad name"], custom=[{"Name": "bad name", "Regex": "x"}]), "a-zA-Z0-9_-"),
    (doc(Description="x" * lm.MAX_POLICY_CHARS), "30720 characters"),
])
def test_documents_breaking_a_rule_are_refused_naming_it(document, fragment):
    with pytest.raises(PolicyError) as info:
        lm.parse_policy(document)
    assert fragment in str(info.value)


def test_the_identifier_lists_may_differ_in_order_only():
    assert lm.parse_policy(doc([EMAIL, SSN], [SSN, EMAIL])).managed == ("EmailAddress", "Ssn-US")


def test_each_matched_character_becomes_an_asterisk():
    policy = lm.parse_policy(doc([EMAIL, SSN]))
    text = "user bob@example.com ssn 123-45-6789 ok"
    assert lm.masked(text, [policy]) == "user " + "*" * 15 + " ssn " + "*" * 11 + " ok"


def test_only_the_identifiers_of_the_policy_are_masked():
    policy = lm.parse_policy(doc([SSN]))
    assert lm.masked("bob@example.com 123-45-6789", [policy]) == "bob@example.com " + "*" * 11
    assert lm.masked("nothing sensitive", [policy]) is None


def test_custom_identifiers_match_their_regex():
    policy = lm.parse_policy(doc(["EmployeeId"], custom=[{"Name": "EmployeeId", "Regex": r"EmployeeID-\d{9}"}]))
    findings = lm.find("id EmployeeID-123456789 and EmployeeID-12", [policy])
    assert [(f.identifier, f.begin, f.end) for f in findings] == [("EmployeeId", 3, 23)]


def test_policies_are_cumulative_and_overlaps_keep_the_longer_match():
    email = lm.parse_policy(doc([EMAIL]))
    part = lm.parse_policy(doc(["Host"], custom=[{"Name": "Host", "Regex": "example"}]))
    findings = lm.find("mail bob@example.com, see example", [email, part])
    assert [(f.identifier, f.begin, f.end) for f in findings] == [("EmailAddress", 5, 20), ("Host", 26, 33)]


def test_managed_identifiers_without_a_detector_are_accepted_and_reported():
    policy = lm.parse_policy(doc([EMAIL, "arn:aws:dataprotection::aws:data-identifier/LatLong"]))
    assert lm.undetected(policy) == ["LatLong"]
    assert lm.masked("at 47.6062, -122.3321", [policy]) is None
