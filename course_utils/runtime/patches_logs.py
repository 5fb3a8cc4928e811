"""The moto internals replaced or added for CloudWatch Logs data protection (masking): a table, data only.

CloudWatch Logs data protection (masking): operations moto 5.2.5 lacks. Appended to :data:`course_utils.runtime.patches.REPLACED`; see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["LOGS", "LOGS_USED"]

LOGS: tuple[PatchPoint, ...] = ()

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
LOGS_USED: tuple[PatchPoint, ...] = ()
