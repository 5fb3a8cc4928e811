"""CloudWatch Logs data protection policies: sensitive data masked in log events, ``logs:Unmask``.

AWS (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/mask-sensitive-log-data.html and the
API reference of PutDataProtectionPolicy, GetLogEvents, FilterLogEvents):

* ``PutDataProtectionPolicy(logGroupIdentifier, policyDocument)`` sets the log group's one data
  protection policy (replacing the previous one) and answers ``logGroupIdentifier``,
  ``policyDocument``, ``lastUpdatedTime``; ``GetDataProtectionPolicy`` returns them,
  ``DeleteDataProtectionPolicy`` removes the policy. A document that breaks the policy rules
  (:mod:`course_utils.rules.log_masking`) is refused with ``InvalidParameterException``; an unknown
  log group with ``ResourceNotFoundException``.
* Sensitive data is detected and masked *when it is ingested*: events ingested before the policy
  existed are never masked. Masked data is shown as asterisks at every egress point:
  ``GetLogEvents``, ``FilterLogEvents``, Logs Insights results and subscription filters.
* ``unmask=true`` on ``GetLogEvents`` / ``FilterLogEvents`` shows the original text to a caller
  allowed ``logs:Unmask`` on the log group (IAM resource: the group's ARN with ``:*``,
  https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogGroup.html).

Simulated: detection is :mod:`course_utils.rules.log_masking` (regexes and validators; managed
identifiers with no detector here are accepted and never match); the caller is the access key of
the SigV4 ``Authorization`` header (:func:`.sigv4.identity_for_key`: the sandbox key is the
account root, IAM users' identity policies are evaluated); a refusal is ``AccessDeniedException``
with IAM's "is not authorized to perform" message. Not simulated: account-level policies
(``PutAccountPolicy``), audit findings delivery, the Insights ``unmask()`` command (Insights
always shows ``@message`` masked), metric filters, and ``dataProtectionStatus`` in DescribeLogGroups.
"""

from __future__ import annotations

import json
import re
import time
from contextvars import ContextVar
from typing import Any, Callable

from ..rules import log_masking
from ..rules.log_masking import PolicyError
from .moto_adapter import JsonRESTError, logs_backend
from .sigv4 import identity_for_key, policy_decision

__all__ = [
    "put_data_protection_policy", "get_data_protection_policy", "delete_data_protection_policy",
    "wrap_get_log_events", "wrap_filter_log_events", "wrap_stream_put_log_events", "wrap_send_log_events",
    "wrap_event_dict", "wrap_create_fields", "policies_of", "InvalidParameterException",
    "ResourceNotFoundException", "AccessDeniedException", "UnrecognizedClientException",
]

_POLICY = "course_data_protection_policy"  # kept on moto's LogGroup: a sandbox reset wipes it
_MASKED = "course_masked_message"  # kept on moto's LogEvent: the text as AWS shows it
_unmasked: ContextVar[bool] = ContextVar("course_logs_unmasked", default=False)
_ingesting: ContextVar[list[str | None] | None] = ContextVar("course_logs_ingesting", default=None)
_KEY = re.compile(r"Credential=([^/,\s]+)/")


class InvalidParameterException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidParameterException", message)


class ResourceNotFoundException(JsonRESTError):
    code = 400

    def __init__(self) -> None:
        super().__init__("ResourceNotFoundException", "The specified log group does not exist.")


class AccessDeniedException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("AccessDeniedException", message)


class UnrecognizedClientException(JsonRESTError):
    code = 400

    def __init__(self) -> None:
        super().__init__("UnrecognizedClientException", "The security token included in the request is invalid.")


# --- the policy of a log group ------------------------------------------------------------------


def _find_group(response: Any, identifier: str | None) -> Any | None:
    """The log group named by a name or an ARN (with or without ``:*``), or None."""
    if not identifier:
        return None
    groups = logs_backend(response.current_account, response.region).groups
    if identifier in groups:
        return groups[identifier]
    bare = identifier[:-2] if identifier.endswith(":*") else identifier
    return next((g for g in groups.values() if g.arn == bare), None)


def _group(response: Any, identifier: str | None) -> Any:
    group = _find_group(response, identifier)
    if group is None:
        raise ResourceNotFoundException()
    return group


def policies_of(group: Any) -> list[log_masking.ProtectionPolicy]:
    """The data protection policies in force for a moto log group (the log group's own, if any)."""
    kept = getattr(group, _POLICY, None)
    return [kept["policy"]] if kept else []


def put_data_protection_policy(self: Any) -> str:
    """``PutDataProtectionPolicy``: check the document, keep it on the log group."""
    identifier = self._get_param("logGroupIdentifier")
    document = self._get_param("policyDocument")
    group = _group(self, identifier)
    try:
        policy = log_masking.parse_policy(document if isinstance(document, str) else "")
    except PolicyError as exc:
        raise InvalidParameterException(str(exc)) from None
    now = int(time.time() * 1000)
    setattr(group, _POLICY, {"document": document, "policy": policy, "lastUpdatedTime": now})
    return json.dumps({"logGroupIdentifier": identifier, "policyDocument": document, "lastUpdatedTime": now})


def get_data_protection_policy(self: Any) -> str:
    """``GetDataProtectionPolicy``: the kept document (only the identifier when there is none)."""
    identifier = self._get_param("logGroupIdentifier")
    kept = getattr(_group(self, identifier), _POLICY, None)
    answer: dict[str, Any] = {"logGroupIdentifier": identifier}
    if kept:
        answer.update(policyDocument=kept["document"], lastUpdatedTime=kept["lastUpdatedTime"])
    return json.dumps(answer)


def delete_data_protection_policy(self: Any) -> str:
    """``DeleteDataProtectionPolicy``: events ingested from now on are no longer masked."""
    group = _group(self, self._get_param("logGroupIdentifier"))
    if getattr(group, _POLICY, None) is not None:
        setattr(group, _POLICY, None)
    return ""


# --- unmask: who may see the original text ---------------------------------------------------------


def _check_unmask(response: Any, group: Any) -> None:
    """Raise unless the signed caller is allowed ``logs:Unmask`` on the log group."""
    from .sigv4 import user_policies  # the user's identity policies, as sigv4 evaluates them

    match = _KEY.search(str(response.headers.get("Authorization", "")))
    account = response.current_account
    who = identity_for_key(match.group(1) if match else "", account)
    if who is None:
        raise UnrecognizedClientException()
    if not who["user_name"]:
        return  # the account root: every action allowed
    resource = f"{group.arn}:*"
    decision = policy_decision(user_policies(account, who["user_name"]), "logs:Unmask", resource)
    if decision == "Allow":
        return
    text = f"User: {who['arn']} is not authorized to perform: logs:Unmask on resource: {resource} "
    text += ("with an explicit deny in an identity-based policy" if decision == "Deny"
             else "because no identity-based policy allows the logs:Unmask action")
    raise AccessDeniedException(text)


def _reading(group_params: tuple[str, ...]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def read(self: Any) -> Any:
            unmask = bool(self._get_param("unmask", False))
            if unmask:
                group = next((g for g in (_find_group(self, self._get_param(p)) for p in group_params) if g), None)
                if group is not None:  # an unknown group: moto answers ResourceNotFoundException
                    _check_unmask(self, group)
            token = _unmasked.set(unmask)
            try:
                return original(self)
            finally:
                _unmasked.reset(token)

        read.__name__ = getattr(original, "__name__", "read")
        read.__wrapped__ = original  # type: ignore[attr-defined]
        return read

    return wrap


#: ``GetLogEvents``: ``unmask=true`` needs ``logs:Unmask``; events come back masked otherwise.
wrap_get_log_events = _reading(("logGroupName", "logGroupIdentifier"))
#: ``FilterLogEvents``: the same (moto reads only ``logGroupName``).
wrap_filter_log_events = _reading(("logGroupName", "logGroupIdentifier"))


def wrap_event_dict(original: Callable[..., Any]) -> Callable[..., Any]:
    """``LogEvent.to_response_dict`` / ``to_filter_dict``: the masked text unless the read unmasks."""

    def event_dict(self: Any) -> Any:
        out = original(self)
        hidden = getattr(self, _MASKED, None)
        if hidden is not None and not _unmasked.get():
            out["message"] = hidden
        return out

    event_dict.__wrapped__ = original  # type: ignore[attr-defined]
    return event_dict


# --- ingestion: detect once, when the events arrive --------------------------------------------------


def wrap_stream_put_log_events(original: Callable[..., Any]) -> Callable[..., Any]:
    """``LogStream.put_log_events``: mask the new events with the policies in force now."""

    def put_log_events(self: Any, log_events: list[dict[str, Any]]) -> Any:
        policies = policies_of(self.log_group)
        masks = [log_masking.masked(str(e["message"]), policies) for e in log_events] if policies else []
        token = _ingesting.set(masks or None)
        try:
            result = original(self, log_events)
        finally:
            _ingesting.reset(token)
        if masks:
            for event, text in zip(self.events[len(self.events) - len(log_events):], masks):
                if text is not None:
                    setattr(event, _MASKED, text)
        return result

    put_log_events.__wrapped__ = original  # type: ignore[attr-defined]
    return put_log_events


def wrap_send_log_events(original: Callable[..., Any]) -> Callable[..., Any]:
    """``LogStream._send_log_events``: subscription filters receive the masked text."""

    def send_log_events(self: Any, service: str, destination_arn: str, filter_name: str,
                        log_events: list[dict[str, Any]]) -> Any:
        masks = _ingesting.get()
        if masks and len(masks) == len(log_events):
            log_events = [{**e, "message": m} if m is not None else e for e, m in zip(log_events, masks)]
        return original(self, service, destination_arn, filter_name, log_events)

    send_log_events.__wrapped__ = original  # type: ignore[attr-defined]
    return send_log_events


def wrap_create_fields(original: Callable[..., Any]) -> Callable[..., Any]:
    """Logs Insights (``ParsedEvent._create_fields``): ``@message`` as masked at ingestion."""

    def create_fields(self: Any) -> Any:
        fields = original(self)
        hidden = getattr(self.event, _MASKED, None)
        if hidden is not None and "@message" in fields:
            fields["@message"] = hidden
        return fields

    create_fields.__wrapped__ = original  # type: ignore[attr-defined]
    return create_fields
