"""The moto internals replaced or added for Amazon Comprehend PII detection: a table, data only.

Amazon Comprehend PII detection: moto 5.2.5 answers with canned entities. Appended to :data:`course_utils.runtime.patches.REPLACED`; see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["PRIVACY", "PRIVACY_USED"]

_R = "moto.comprehend.responses.ComprehendResponse"
PRIVACY: tuple[PatchPoint, ...] = (
    PatchPoint(
        f"{_R}.detect_pii_entities", "replace", ("self",),
        "moto answers the same canned entities whatever the text; detect PII in the text given, "
        "validate the language (en, es) and the 100 KB UTF-8 limit",
        "comprehend_pii:detect_pii_entities",
    ),
    PatchPoint(
        f"{_R}.contains_pii_entities", "add", None,
        "ContainsPiiEntities: the labels of the PII types found in the text",
        "comprehend_pii:contains_pii_entities",
    ),
)

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
PRIVACY_USED: tuple[PatchPoint, ...] = ()
