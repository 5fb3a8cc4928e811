"""The PII recognisers of course_utils.rules.pii: real validators, exact offsets, overlaps."""

from __future__ import annotations

import pytest

from course_utils.rules import pii


def found(text: str, types=None) -> list[tuple[str, str]]:
    return [(e.type, text[e.begin:e.end]) for e in pii.find(text, types)]


def test_entity_types_are_bedrocks_enum():
    assert len(pii.ENTITY_TYPES) == 31
    assert {"EMAIL", "PHONE", "NAME", "ADDRESS", "US_SOCIAL_SECURITY_NUMBER", "CREDIT_DEBIT_CARD_NUMBER"} <= set(pii.ENTITY_TYPES)
    assert pii.SUPPORTED <= set(pii.ENTITY_TYPES)
    assert "US_PASSPORT_NUMBER" not in pii.SUPPORTED and "DRIVER_ID" not in pii.SUPPORTED


def test_unknown_type_raises_naming_it():
    with pytest.raises(ValueError, match="SOCIAL_SECURITY"):
        pii.find("x", ["EMAIL", "SOCIAL_SECURITY"])


def test_known_but_unsupported_type_finds_nothing():
    assert pii.find("passport 123456789", ["US_PASSPORT_NUMBER"]) == []


def test_offsets_are_exact_and_end_exclusive():
    text = "Mail bob@example.com now"
    (e,) = pii.find(text, ["EMAIL"])
    assert (e.begin, e.end) == (5, 20) and text[e.begin:e.end] == "bob@example.com"


@pytest.mark.parametrize("number, ok", [
    ("4111 1111 1111 1111", True), ("4111-1111-1111-1111", True), ("5500005555555559", True),
    ("378282246310005", True),  # Amex, 15 digits
    ("4111 1111 1111 1112", False), ("1111-0000-1111-0000", False), ("0000 0000 0000 0000", False),
])
def test_card_numbers_need_luhn(number, ok):
    assert (("CREDIT_DEBIT_CARD_NUMBER", number) in found(f"card {number} ok")) is ok


@pytest.mark.parametrize("ssn, ok", [
    ("123-45-6789", True), ("078 05 1120", True),
    ("000-12-3456", False), ("666-12-3456", False), ("900-12-3456", False), ("123-00-4567", False),
    ("123-45-0000", False), ("123-45-67890", False),
])
def test_ssn_area_group_serial_rules(ssn, ok):
    assert (("US_SOCIAL_SECURITY_NUMBER", ssn) in found(f"SSN {ssn}.", ["US_SOCIAL_SECURITY_NUMBER"])) is ok


def test_itin_is_not_an_ssn():
    assert found("ITIN 912-70-1234", None) == [("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "912-70-1234")]
    assert found("ITIN 912-93-1234", ["US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER"]) == []


@pytest.mark.parametrize("text, match", [
    ("from 192.168.1.10 today", "192.168.1.10"), ("host 2001:db8::1 up", "2001:db8::1"),
    ("addr fe80::1ff:fe23:4567:890a.", "fe80::1ff:fe23:4567:890a"),
])
def test_ip_addresses(text, match):
    assert found(text, ["IP_ADDRESS"]) == [("IP_ADDRESS", match)]


@pytest.mark.parametrize("text", ["version 1.2.3.4.5", "ip 256.1.1.1", "at 12:30:45", "ratio 3:4"])
def test_not_ip_addresses(text):
    assert found(text, ["IP_ADDRESS"]) == []


def test_aws_access_keys_and_mac():
    assert found("key AKIAIOSFODNN7EXAMPLE and ASIAY34FZKBOKMUTVV7A", ["AWS_ACCESS_KEY"]) == [
        ("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE"), ("AWS_ACCESS_KEY", "ASIAY34FZKBOKMUTVV7A")]
    assert found("key AKIAIOSFODNN7EXAMPL and ABIAIOSFODNN7EXAMPLE", ["AWS_ACCESS_KEY"]) == []
    assert found("mac 00:1A:2B:3C:4D:5E or 00-1a-2b-3c-4d-5e", ["MAC_ADDRESS"]) == [
        ("MAC_ADDRESS", "00:1A:2B:3C:4D:5E"), ("MAC_ADDRESS", "00-1a-2b-3c-4d-5e")]
    assert found("mixed 00:1A-2B:3C:4D:5E", ["MAC_ADDRESS"]) == []


def test_iban_checksum():
    assert found("IBAN GB82 WEST 1234 5698 7654 32", ["INTERNATIONAL_BANK_ACCOUNT_NUMBER"]) == [
        ("INTERNATIONAL_BANK_ACCOUNT_NUMBER", "GB82 WEST 1234 5698 7654 32")]
    assert found("IBAN DE89370400440532013000", None) == [("INTERNATIONAL_BANK_ACCOUNT_NUMBER", "DE89370400440532013000")]
    assert found("IBAN GB83 WEST 1234 5698 7654 32", ["INTERNATIONAL_BANK_ACCOUNT_NUMBER"]) == []


@pytest.mark.parametrize("phone", ["(415) 555-2671", "415-555-2671", "415.555.2671", "+1 415 555 2671",
                                   "+14155552671", "+44 20 7946 0958", "1-800-555-0199"])
def test_phone_formats(phone):
    assert found(f"call {phone} now", ["PHONE"]) == [("PHONE", phone)]


@pytest.mark.parametrize("text", ["call 115-555-2671", "call 415-155-2671", "order 12345", "date 2024-05-06"])
def test_not_phones(text):
    assert found(text, ["PHONE"]) == []


def test_urls_and_emails():
    assert found("see https://example.com/a?b=1. or www.aws.amazon.com, thanks", ["URL"]) == [
        ("URL", "https://example.com/a?b=1"), ("URL", "www.aws.amazon.com")]
    assert found("write to jane.doe+tag@mail.example.co.uk!", ["EMAIL"]) == [("EMAIL", "jane.doe+tag@mail.example.co.uk")]
    assert found("not an email: jane@localhost or @handle", ["EMAIL"]) == []


def test_vin_check_digit_and_nino():
    assert found("VIN 1HGCM82633A004352", None) == [("VEHICLE_IDENTIFICATION_NUMBER", "1HGCM82633A004352")]
    assert found("VIN 1HGCM82643A004352", ["VEHICLE_IDENTIFICATION_NUMBER"]) == []
    assert found("NI AB 12 34 56 C", ["UK_NATIONAL_INSURANCE_NUMBER"]) == [("UK_NATIONAL_INSURANCE_NUMBER", "AB 12 34 56 C")]
    assert found("NI GB123456A and DA123456A", ["UK_NATIONAL_INSURANCE_NUMBER"]) == []


def test_canadian_sin_luhn():
    assert found("SIN 046-454-286", None) == [("CA_SOCIAL_INSURANCE_NUMBER", "046-454-286")]
    assert found("SIN 046-454-287", ["CA_SOCIAL_INSURANCE_NUMBER"]) == []


def test_cued_secrets():
    text = "password: hunter22, username is jdoe42, PIN 4821, CVV 123, expiry 09/27, routing number 021000021"
    assert found(text) == [("PASSWORD", "hunter22"), ("USERNAME", "jdoe42"), ("PIN", "4821"),
                           ("CREDIT_DEBIT_CARD_CVV", "123"), ("CREDIT_DEBIT_CARD_EXPIRY", "09/27"),
                           ("US_BANK_ROUTING_NUMBER", "021000021")]
    assert found("routing number 021000022", ["US_BANK_ROUTING_NUMBER"]) == []  # ABA checksum
    assert found("the word password alone, 123", ["PASSWORD", "CREDIT_DEBIT_CARD_CVV"]) == []


def test_name_heuristic():
    text = "Hello Paul Santos. Dear Mary Major, my name is Zaid Khan. I am Happy. Dr. Jane Doe called."
    assert found(text, ["NAME"]) == [("NAME", "Paul Santos"), ("NAME", "Mary Major"), ("NAME", "Zaid Khan"),
                                     ("NAME", "Jane Doe")]
    assert found("The Quick Brown fox went to New York.", ["NAME"]) == []


def test_address_heuristic():
    text = "Ship it to 123 Main Street, Springfield, IL 62704 please. Meet at 5 Oak Ave."
    assert found(text, ["ADDRESS"]) == [("ADDRESS", "123 Main Street, Springfield, IL 62704"), ("ADDRESS", "5 Oak Ave.")]
    assert found("I have 3 Big Dogs and 12 apples", ["ADDRESS"]) == []


def test_overlaps_keep_the_longer_match():
    text = "Go to https://192.168.0.1/admin or 123 Jane Doe Street"
    assert found(text, ["URL", "IP_ADDRESS", "NAME", "ADDRESS"]) == [
        ("URL", "https://192.168.0.1/admin"), ("ADDRESS", "123 Jane Doe Street")]
    entities = pii.find("a 4111 1111 1111 1111 b 415-555-2671 c")
    assert [e.begin for e in entities] == sorted(e.begin for e in entities)


def test_comprehend_type_names():
    assert pii.COMPREHEND_TYPES["CREDIT_DEBIT_CARD_NUMBER"] == "CREDIT_DEBIT_NUMBER"
    assert pii.COMPREHEND_TYPES["US_SOCIAL_SECURITY_NUMBER"] == "SSN"
    assert set(pii.COMPREHEND_TYPES) <= pii.SUPPORTED


def test_nothing_in_plain_text():
    assert pii.find("The quick brown fox jumps over the lazy dog in 2024.") == []
