"""The moto internals replaced or added for Amazon Comprehend PII detection: a table, data only.

Amazon Comprehend PII detection: moto 5.2.5 answers with canned entities. Appended to :data:`course_utils.runtime.patches.REPLACED`; see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["PRIVACY", "PRIVACY_USED"]

PRIVACY: tuple[PatchPoint, ...] = ()

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
PRIVACY_USED: tuple[PatchPoint, ...] = ()
