"""Amazon Comprehend PII detection: ``DetectPiiEntities`` and ``ContainsPiiEntities`` on the text given.

AWS (https://docs.aws.amazon.com/comprehend/latest/dg/realtime-pii-api.html,
https://docs.aws.amazon.com/comprehend/latest/dg/API_DetectPiiEntities.html):

* ``DetectPiiEntities(Text, LanguageCode)`` answers ``Entities``: ``Type`` (Comprehend's
  ``PiiEntityType``: ``SSN``, ``CREDIT_DEBIT_NUMBER``, ``EMAIL``, ...), ``Score``, and
  ``BeginOffset``/``EndOffset`` (character offsets; the end is exclusive, as in AWS's example
  where the 19-character card number "1111-0000-1111-0000" spans 69-88).
* ``ContainsPiiEntities`` answers ``Labels``: one ``{Name, Score}`` per PII type found.
* Both accept English (``en``) and Spanish (``es``) only
  (https://docs.aws.amazon.com/comprehend/latest/dg/supported-languages.html); another code of
  the ``LanguageCode`` enum is refused with ``ValidationException`` (observed on AWS:
  https://github.com/boto/boto3/issues/4673).
* ``Text`` holds up to 100 KB of UTF-8 (``TextSizeLimitExceededException`` beyond 100,000 bytes);
  an empty ``Text`` is refused (length at least 1; boto3 checks this before sending).

Simulated: detection is :func:`course_utils.rules.pii.find` (regexes, validators and the
documented NAME/ADDRESS heuristics; English cues only), scores are fixed per recogniser.
moto 5.2.5 answers DetectPiiEntities with the same canned entities whatever the text and has
no ContainsPiiEntities.
"""

from __future__ import annotations

import json
from typing import Any

from ..rules import pii
from .moto_adapter import JsonRESTError

__all__ = [
    "LANGUAGES", "MAX_TEXT_BYTES", "detect_pii_entities", "contains_pii_entities", "entities",
    "ValidationException", "TextSizeLimitExceededException",
]

LANGUAGES = ("en", "es")
MAX_TEXT_BYTES = 100_000


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("ValidationException", message)


class TextSizeLimitExceededException(JsonRESTError):
    code = 400

    def __init__(self, size: int) -> None:
        super().__init__(
            "TextSizeLimitExceededException",
            f"Input text size exceeds limit. Max length of request text allowed is {MAX_TEXT_BYTES} bytes "
            f"while in this request the text size is {size} bytes",
        )


def _request(response: Any) -> tuple[str, str]:
    """``Text`` and ``LanguageCode`` of the request, validated like AWS."""
    params = json.loads(response.body or "{}")
    text, language = params.get("Text"), params.get("LanguageCode")
    errors = []
    if text is None:
        errors.append("Value null at 'text' failed to satisfy constraint: Member must not be null")
    elif len(text) < 1:
        errors.append("Value at 'text' failed to satisfy constraint: "
                      "Member must have length greater than or equal to 1")
    if language is None:
        errors.append("Value null at 'languageCode' failed to satisfy constraint: Member must not be null")
    elif language not in LANGUAGES:
        errors.append(f"Value '{language}' at 'languageCode' failed to satisfy constraint: "
                      f"Member must satisfy enum value set: [{', '.join(LANGUAGES)}]")
    if errors:
        count = f"{len(errors)} validation error{'s' if len(errors) > 1 else ''} detected: "
        raise ValidationException(count + "; ".join(errors))
    size = len(text.encode("utf-8"))
    if size > MAX_TEXT_BYTES:
        raise TextSizeLimitExceededException(size)
    return text, language


def entities(text: str) -> list[dict[str, Any]]:
    """The ``Entities`` of DetectPiiEntities for ``text`` (Comprehend type names)."""
    found = pii.find(text, pii.COMPREHEND_TYPES)
    return [
        {"Score": e.score, "Type": pii.COMPREHEND_TYPES[e.type], "BeginOffset": e.begin, "EndOffset": e.end}
        for e in found
    ]


def detect_pii_entities(self: Any) -> str:
    """``DetectPiiEntities`` (replaces moto's canned answer)."""
    text, _ = _request(self)
    return json.dumps({"Entities": entities(text)})


def contains_pii_entities(self: Any) -> str:
    """``ContainsPiiEntities`` (an operation moto 5.2.5 lacks)."""
    text, _ = _request(self)
    labels: dict[str, float] = {}
    for entity in entities(text):
        labels[entity["Type"]] = max(labels.get(entity["Type"], 0.0), entity["Score"])
    return json.dumps({"Labels": [{"Name": name, "Score": score} for name, score in labels.items()]})
