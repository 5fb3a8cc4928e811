"""The moto internals replaced or added for CloudWatch Logs data protection (masking): a table, data only.

CloudWatch Logs data protection (masking): operations moto 5.2.5 lacks, and the ingestion and read
paths that must mask (:mod:`.logs_protection`). Appended to :data:`course_utils.runtime.patches.REPLACED`;
see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["LOGS", "LOGS_USED"]

_R = "moto.logs.responses.LogsResponse"
_M = "moto.logs.models"

LOGS: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_R}.put_data_protection_policy", "add", None,
               "moto 5.2.5 has no data protection policies: validate and keep the policy on the log group",
               "logs_protection:put_data_protection_policy"),
    PatchPoint(f"{_R}.get_data_protection_policy", "add", None,
               "return the kept data protection policy", "logs_protection:get_data_protection_policy"),
    PatchPoint(f"{_R}.delete_data_protection_policy", "add", None,
               "forget the data protection policy", "logs_protection:delete_data_protection_policy"),
    PatchPoint(f"{_R}.get_log_events", "wrap", ("self",),
               "unmask=true needs logs:Unmask; otherwise events read back masked", "logs_protection:wrap_get_log_events"),
    PatchPoint(f"{_R}.filter_log_events", "wrap", ("self",),
               "unmask=true needs logs:Unmask; otherwise events read back masked",
               "logs_protection:wrap_filter_log_events"),
    PatchPoint(f"{_M}.LogStream.put_log_events", "wrap", ("self", "log_events"),
               "AWS detects and masks at ingestion: mask new events with the policy in force",
               "logs_protection:wrap_stream_put_log_events"),
    PatchPoint(f"{_M}.LogStream._send_log_events", "wrap",
               ("self", "service", "destination_arn", "filter_name", "log_events"),
               "subscription filters receive the masked text", "logs_protection:wrap_send_log_events"),
    PatchPoint(f"{_M}.LogEvent.to_response_dict", "wrap", ("self",),
               "GetLogEvents shows the masked text unless the read unmasks", "logs_protection:wrap_event_dict"),
    PatchPoint(f"{_M}.LogEvent.to_filter_dict", "wrap", ("self",),
               "FilterLogEvents shows the masked text unless the read unmasks", "logs_protection:wrap_event_dict"),
    PatchPoint("moto.logs.logs_query.ParsedEvent._create_fields", "wrap", ("self",),
               "Logs Insights results show @message masked", "logs_protection:wrap_create_fields"),
)

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
LOGS_USED: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_M}:logs_backends", "use", None, "the log groups of an account and Region (moto_adapter.logs_backend)"),
    PatchPoint(f"{_M}:LogsBackend.groups", "read", (), "find a log group by name or ARN", set_in=("__init__",)),
    PatchPoint(f"{_M}:LogGroup.arn", "read", (), "find a log group by ARN; the logs:Unmask resource",
               set_in=("__init__",)),
    PatchPoint(f"{_M}:LogStream.log_group", "read", (), "the policy in force for a stream's new events",
               set_in=("__init__",)),
    PatchPoint(f"{_M}:LogStream.events", "read", (), "the events put_log_events just appended", set_in=("__init__",)),
    PatchPoint("moto.logs.logs_query:ParsedEvent.event", "read", (), "the event behind an Insights result row",
               set_in=("__init__",)),
)
