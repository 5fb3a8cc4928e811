"""Comprehend DetectPiiEntities / ContainsPiiEntities in the sandbox, through boto3."""

from __future__ import annotations

import boto3
import botocore.config
import botocore.exceptions
import pytest
from botocore.exceptions import ClientError


@pytest.fixture
def comprehend(aws):
    return boto3.client("comprehend", region_name="us-east-1")


TEXT = ("Hello Paul Santos. The latest statement for your credit card account 4111-1111-1111-1111 "
        "was mailed to 123 Any Street, Seattle, WA 98109. Questions? Write to paul@example.com.")


def test_detect_returns_entities_of_the_text(comprehend):
    entities = comprehend.detect_pii_entities(Text=TEXT, LanguageCode="en")["Entities"]
    found = [(e["Type"], TEXT[e["BeginOffset"]:e["EndOffset"]]) for e in entities]
    assert found == [("NAME", "Paul Santos"), ("CREDIT_DEBIT_NUMBER", "4111-1111-1111-1111"),
                     ("ADDRESS", "123 Any Street, Seattle, WA 98109"), ("EMAIL", "paul@example.com")]
    assert all(0 < e["Score"] <= 1 for e in entities)


def test_different_texts_give_different_entities(comprehend):
    one = comprehend.detect_pii_entities(Text="My SSN is 123-45-6789.", LanguageCode="en")["Entities"]
    two = comprehend.detect_pii_entities(Text="Server at 10.0.0.12, key AKIAIOSFODNN7EXAMPLE", LanguageCode="es")["Entities"]
    assert [(e["Type"], e["BeginOffset"], e["EndOffset"]) for e in one] == [("SSN", 10, 21)]
    assert [e["Type"] for e in two] == ["IP_ADDRESS", "AWS_ACCESS_KEY"]
    assert comprehend.detect_pii_entities(Text="Nothing personal here.", LanguageCode="en")["Entities"] == []


def test_contains_pii_entities_labels(comprehend):
    labels = comprehend.contains_pii_entities(Text=TEXT, LanguageCode="en")["Labels"]
    assert sorted(label["Name"] for label in labels) == ["ADDRESS", "CREDIT_DEBIT_NUMBER", "EMAIL", "NAME"]
    assert comprehend.contains_pii_entities(Text="Nothing personal here.", LanguageCode="en")["Labels"] == []


@pytest.mark.parametrize("operation", ["detect_pii_entities", "contains_pii_entities"])
def test_unsupported_language(comprehend, operation):
    with pytest.raises(ClientError) as exc:
        getattr(comprehend, operation)(Text="Hola", LanguageCode="fr")
    error = exc.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "'fr' at 'languageCode'" in error["Message"] and "[en, es]" in error["Message"]
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_text_size_limit_counts_utf8_bytes(comprehend):
    comprehend.detect_pii_entities(Text="a" * 100_000, LanguageCode="en")
    with pytest.raises(ClientError) as exc:
        comprehend.detect_pii_entities(Text="é" * 50_001, LanguageCode="en")  # 50,001 characters, 100,002 bytes
    assert exc.value.response["Error"]["Code"] == "TextSizeLimitExceededException"
    assert "100002 bytes" in exc.value.response["Error"]["Message"]


def test_empty_text_is_refused(comprehend):
    with pytest.raises(botocore.exceptions.ParamValidationError):  # boto3 checks Text's minimum length
        comprehend.detect_pii_entities(Text="", LanguageCode="en")
    unchecked = boto3.client("comprehend", region_name="us-east-1",
                             config=botocore.config.Config(parameter_validation=False))
    with pytest.raises(ClientError) as exc:
        unchecked.contains_pii_entities(Text="", LanguageCode="en")
    assert exc.value.response["Error"]["Code"] == "ValidationException"
