"""The moto internals replaced or added for Amazon Bedrock (control plane and runtime): a table, data only.

Amazon Bedrock (control plane and runtime): operations moto 5.2.5 lacks or answers with a stub. Appended to :data:`course_utils.runtime.patches.REPLACED`; see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["BEDROCK", "BEDROCK_USED"]

BEDROCK: tuple[PatchPoint, ...] = ()

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
BEDROCK_USED: tuple[PatchPoint, ...] = ()
