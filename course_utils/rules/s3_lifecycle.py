"""Amazon S3 Lifecycle and archive restores: the rules AWS documents, as plain functions.

What AWS does (Amazon S3 User Guide: Managing the lifecycle of objects; Transitioning objects;
Expiring objects; Lifecycle configuration elements; Restoring an archived object):

* A configuration holds up to 1,000 rules. A rule selects objects with a filter (key prefix,
  object tags, ``ObjectSizeGreaterThan`` / ``ObjectSizeLessThan``, or ``And`` of those) and
  takes actions: ``Transitions`` (to another storage class), ``Expiration`` (``Days``, ``Date``
  or ``ExpiredObjectDeleteMarker``), ``NoncurrentVersionTransitions`` and
  ``NoncurrentVersionExpiration`` (``NoncurrentDays``, ``NewerNoncurrentVersions``) for older
  versions, and ``AbortIncompleteMultipartUpload`` (``DaysAfterInitiation``).
* Days count from the object's creation (for noncurrent versions: from when the next version
  was created), and the result is rounded up to the next midnight UTC: an object created on
  15 January 10:30 UTC with ``Days: 3`` becomes eligible on 19 January 00:00 UTC. Lifecycle then
  runs asynchronously; billing follows the eligibility date.
* Transitions follow a waterfall (Standard to any class; Standard-IA to Intelligent-Tiering,
  One Zone-IA or the Glacier classes; ...; nothing back to Standard). Objects stay at least 30
  days in Standard before moving to Standard-IA or One Zone-IA. Since September 2024 the default
  (``all_storage_classes_128K``) keeps objects smaller than 128 KB from transitioning at all;
  ``varies_by_storage_class`` lets them go to Glacier Flexible Retrieval and Deep Archive; a
  rule's own size filter overrides both.
* Expiring the current version deletes the object in an unversioned bucket, and adds a delete
  marker in a versioning-enabled one. When a version is both due to expire and to transition,
  expiration wins; when two transitions are due, the colder class wins.
* ``PutBucketLifecycleConfiguration`` rejects inconsistent rules (``InvalidArgument`` /
  ``InvalidRequest`` / ``MalformedXML``, HTTP 400): see :func:`validate`.
* Objects in S3 Glacier Flexible Retrieval (``GLACIER``) and Deep Archive (``DEEP_ARCHIVE``)
  must be restored before ``GetObject``; a restore takes minutes to hours by tier, and the
  temporary copy lasts ``Days`` from the request, rounded up to the next midnight UTC.

What is simulated: :func:`plan` lists the actions due at a given moment; the sandbox applies
them at the moment an object becomes eligible (AWS's own run may come later); restores complete
at the end of the documented range of their tier (:data:`RESTORE_TIME`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

__all__ = [
    "LifecycleConfigError", "Version", "Upload", "Action", "TRANSITION_CLASSES", "ARCHIVE_CLASSES",
    "RESTORE_TIME", "SMALL_OBJECT_BYTES", "DEFAULT_MINIMUM_SIZE", "due_at", "can_transition",
    "validate", "plan", "expiration_of", "restore_ready_at", "restore_expiry",
]

#: Storage classes a lifecycle transition may name, in waterfall order (warmest first).
TRANSITION_CLASSES: tuple[str, ...] = (
    "STANDARD_IA", "INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE",
)
#: Classes whose objects must be restored before GetObject.
ARCHIVE_CLASSES: frozenset[str] = frozenset({"GLACIER", "DEEP_ARCHIVE"})
#: ``TransitionDefaultMinimumObjectSize`` values and the default since September 2024.
DEFAULT_MINIMUM_SIZE = "all_storage_classes_128K"
_MINIMUM_SIZES = ("all_storage_classes_128K", "varies_by_storage_class")
SMALL_OBJECT_BYTES = 128 * 1024
_IA = ("STANDARD_IA", "ONEZONE_IA")

#: The documented supported transitions (User Guide, "Supported lifecycle transitions").
_ALLOWED: dict[str, frozenset[str]] = {
    "STANDARD": frozenset(TRANSITION_CLASSES),
    "REDUCED_REDUNDANCY": frozenset({"GLACIER", "DEEP_ARCHIVE"}),
    "STANDARD_IA": frozenset({"INTELLIGENT_TIERING", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}),
    "INTELLIGENT_TIERING": frozenset({"ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"}),
    "ONEZONE_IA": frozenset({"GLACIER", "DEEP_ARCHIVE"}),
    "GLACIER_IR": frozenset({"GLACIER", "DEEP_ARCHIVE"}),
    "GLACIER": frozenset({"DEEP_ARCHIVE"}),
}

#: Time to complete a restore, by (storage class, tier): the end of the documented range
#: (Expedited 1-5 min, Standard 3-5 h, Bulk 5-12 h; Deep Archive: Standard within 12 h, Bulk 48 h).
RESTORE_TIME: dict[tuple[str, str], timedelta] = {
    ("GLACIER", "Expedited"): timedelta(minutes=5),
    ("GLACIER", "Standard"): timedelta(hours=5),
    ("GLACIER", "Bulk"): timedelta(hours=12),
    ("DEEP_ARCHIVE", "Standard"): timedelta(hours=12),
    ("DEEP_ARCHIVE", "Bulk"): timedelta(hours=48),
}


class LifecycleConfigError(ValueError):
    """A configuration S3 rejects: ``code`` and ``message`` as S3 answers (HTTP 400)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


@dataclass(frozen=True)
class Version:
    """One object version (or delete marker) as lifecycle sees it."""

    key: str
    version_id: str
    last_modified: datetime
    size: int = 0
    storage_class: str = "STANDARD"
    is_latest: bool = True
    is_delete_marker: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    noncurrent_since: datetime | None = None  # when the next version was created
    newer_noncurrent: int = 0  # noncurrent versions newer than this one
    only_version: bool = False  # a delete marker with no other version left


@dataclass(frozen=True)
class Upload:
    """An incomplete multipart upload."""

    key: str
    upload_id: str
    initiated: datetime


@dataclass(frozen=True)
class Action:
    """One lifecycle action due: ``kind`` is ``transition``, ``expire`` (current version),
    ``delete-version`` (noncurrent), ``remove-marker`` or ``abort-upload``."""

    kind: str
    key: str
    version_id: str | None
    due: datetime
    rule_id: str
    storage_class: str | None = None


# --- time ------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _midnight_up(moment: datetime) -> datetime:
    moment = _utc(moment).astimezone(timezone.utc)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day if day == moment else day + timedelta(days=1)


def due_at(start: datetime, days: int) -> datetime:
    """``start`` + ``days``, rounded up to the next midnight UTC (how S3 counts lifecycle days)."""
    return _midnight_up(_utc(start) + timedelta(days=int(days)))


def can_transition(current: str, target: str) -> bool:
    """Whether lifecycle may move an object from ``current`` to ``target`` (the waterfall)."""
    return target in _ALLOWED.get(current or "STANDARD", frozenset())


# --- filters ---------------------------------------------------------------------------------------


def _filter_parts(rule: Mapping[str, Any]) -> dict[str, Any]:
    """prefix, tags, greater, less of a rule (legacy top-level ``Prefix`` included)."""
    if "Filter" not in rule:
        return {"prefix": rule.get("Prefix"), "tags": {}, "greater": None, "less": None}
    flt = rule.get("Filter") or {}
    body = flt.get("And", flt)
    tags = {t["Key"]: t.get("Value", "") for t in body.get("Tags", [])}
    if "Tag" in body:
        tags[body["Tag"]["Key"]] = body["Tag"].get("Value", "")
    return {"prefix": body.get("Prefix"), "tags": tags, "greater": body.get("ObjectSizeGreaterThan"),
            "less": body.get("ObjectSizeLessThan")}


def _describe(rule: Mapping[str, Any]) -> str:
    """The filter as S3 names it in its messages, e.g. ``(prefix=logs/)``."""
    p = _filter_parts(rule)
    words = []
    if p["prefix"] is not None:
        words.append(f"prefix={p['prefix']}")
    words += [f"tag={{key={k}, value={v}}}" for k, v in p["tags"].items()]
    if p["greater"] is not None:
        words.append(f"objectsizegreaterthan={p['greater']}")
    if p["less"] is not None:
        words.append(f"objectsizelessthan={p['less']}")
    return "(" + " and ".join(words) + ")"


def _matches(rule: Mapping[str, Any], version: Version) -> bool:
    p = _filter_parts(rule)
    if p["prefix"] and not version.key.startswith(p["prefix"]):
        return False
    if version.is_delete_marker:
        return not p["tags"] and p["greater"] is None and p["less"] is None
    if any(version.tags.get(k) != v for k, v in p["tags"].items()):
        return False
    if p["greater"] is not None and not version.size > int(p["greater"]):
        return False
    return p["less"] is None or version.size < int(p["less"])


def _size_allows(rule: Mapping[str, Any], version: Version, target: str, minimum: str) -> bool:
    p = _filter_parts(rule)
    if p["greater"] is not None or p["less"] is not None or version.size >= SMALL_OBJECT_BYTES:
        return True  # a rule's own size filter overrides the default
    return minimum == "varies_by_storage_class" and target in ARCHIVE_CLASSES


# --- validation ------------------------------------------------------------------------------------


def _date(value: Any) -> datetime:
    if isinstance(value, datetime):
        return _utc(value)
    return _utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))


def _check_date(value: Any) -> datetime:
    moment = _date(value).astimezone(timezone.utc)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) != (0, 0, 0, 0):
        raise LifecycleConfigError("InvalidArgument", "'Date' must be at midnight GMT")
    return moment


def _check_rule(rule: Mapping[str, Any]) -> None:
    where = _describe(rule)
    parts = _filter_parts(rule)
    if not any(k in rule for k in ("Expiration", "Transitions", "NoncurrentVersionTransitions",
                                   "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")):
        raise LifecycleConfigError("InvalidRequest", "At least one action needs to be specified in a rule")
    greater, less = parts["greater"], parts["less"]
    if greater is not None and less is not None and int(less) <= int(greater):
        raise LifecycleConfigError("InvalidRequest",
                                   "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.")
    expiration = rule.get("Expiration") or {}
    if "ExpiredObjectDeleteMarker" in expiration and parts["tags"]:
        raise LifecycleConfigError("InvalidRequest", "ExpiredObjectDeleteMarker cannot be specified with Tags.")
    if "AbortIncompleteMultipartUpload" in rule and parts["tags"]:
        raise LifecycleConfigError("InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags.")
    if "Days" in expiration and int(expiration["Days"]) < 1:
        raise LifecycleConfigError("InvalidArgument", "'Days' for Expiration action must be a positive integer")
    if "Date" in expiration:
        _check_date(expiration["Date"])

    transitions = list(rule.get("Transitions") or [])
    seen: set[str] = set()
    for t in transitions:
        cls = t.get("StorageClass")
        if cls not in TRANSITION_CLASSES or ("Days" in t) == ("Date" in t):
            raise LifecycleConfigError(
                "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        if cls in seen:
            raise LifecycleConfigError("InvalidRequest", "'StorageClass' must be different for 'Transition' actions in "
                                                         f"same 'Rule' with filter '{where}'")
        seen.add(cls)
        if "Date" in t:
            _check_date(t["Date"])
        elif int(t["Days"]) < 0:
            raise LifecycleConfigError("InvalidArgument", "'Days' in Transition action must be nonnegative")
        elif cls in _IA and int(t["Days"]) < 30:
            raise LifecycleConfigError("InvalidArgument", "'Days' in Transition action must be greater than or equal "
                                                          f"to 30 for storageClass '{cls}'")
    kinds = {"Date" in t for t in transitions} | ({"Date" in expiration} if {"Days", "Date"} & set(expiration) else set())
    if len(kinds) > 1:
        raise LifecycleConfigError("InvalidRequest", "Found mixed 'Date' and 'Days' based Expiration and Transition "
                                                     f"actions in lifecycle rule for filter '{where}'")
    dated = [t for t in transitions if "Days" in t]
    ordered = sorted(dated, key=lambda t: TRANSITION_CLASSES.index(t["StorageClass"]))
    for before, after in zip(ordered, ordered[1:]):
        gap = 30 if before["StorageClass"] in _IA else 90 if before["StorageClass"] == "GLACIER_IR" else 1
        if int(after["Days"]) - int(before["Days"]) < gap:
            if gap > 1:
                raise LifecycleConfigError(
                    "InvalidArgument", f"Days in the Transition action for StorageClass {after['StorageClass']} must be "
                                       f"{gap} days more than Transition for StorageClass {before['StorageClass']}")
            raise LifecycleConfigError(
                "InvalidArgument", f"'Days' in the Transition action for StorageClass '{after['StorageClass']}' for "
                                   f"filter '{where}' must be greater than 'Days' in the Transition action for "
                                   f"StorageClass '{before['StorageClass']}' for filter '{where}'")
    if "Days" in expiration and dated and int(expiration["Days"]) <= max(int(t["Days"]) for t in dated):
        raise LifecycleConfigError("InvalidArgument", f"'Days' in the Expiration action for filter '{where}' must be "
                                                      "greater than 'Days' in the Transition action")

    noncurrent = list(rule.get("NoncurrentVersionTransitions") or [])
    for t in noncurrent:
        if t.get("StorageClass") not in TRANSITION_CLASSES or "NoncurrentDays" not in t:
            raise LifecycleConfigError(
                "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")
        if t["StorageClass"] in _IA and int(t["NoncurrentDays"]) < 30:
            raise LifecycleConfigError("InvalidArgument", "'NoncurrentDays' in NoncurrentVersionTransition action must "
                                                          f"be greater than or equal to 30 for storageClass '{t['StorageClass']}'")
    nve = rule.get("NoncurrentVersionExpiration") or {}
    if nve and int(nve.get("NoncurrentDays", 0)) < 1:
        raise LifecycleConfigError("InvalidArgument",
                                   "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
    if nve and noncurrent and int(nve["NoncurrentDays"]) <= max(int(t["NoncurrentDays"]) for t in noncurrent):
        raise LifecycleConfigError("InvalidArgument", f"'NoncurrentDays' in the NoncurrentVersionExpiration action for "
                                                      f"filter '{where}' must be greater than 'NoncurrentDays' in the "
                                                      "NoncurrentVersionTransition action")
    abort = rule.get("AbortIncompleteMultipartUpload") or {}
    if abort and int(abort.get("DaysAfterInitiation", 0)) < 1:
        raise LifecycleConfigError("InvalidArgument", "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action "
                                                      "must be a positive integer")


def validate(configuration: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Check a ``LifecycleConfiguration`` (boto3 shape) as S3 does; return its rules.

    Raises :class:`LifecycleConfigError` with S3's code and message for the first fault found.
    """
    rules = [dict(r) for r in configuration.get("Rules") or []]
    if not rules:
        raise LifecycleConfigError("MalformedXML", "The XML you provided was not well-formed or did not validate "
                                                   "against our published schema")
    if len(rules) > 1000:
        raise LifecycleConfigError("InvalidRequest", "The number of lifecycle rules must not exceed the allowed limit "
                                                     "of 1000 rules.")
    minimum = configuration.get("TransitionDefaultMinimumObjectSize", DEFAULT_MINIMUM_SIZE)
    if minimum not in _MINIMUM_SIZES:
        raise LifecycleConfigError("InvalidRequest", "Invalid TransitionDefaultMinimumObjectSize found")
    ids = [r["ID"] for r in rules if r.get("ID")]
    if len(ids) != len(set(ids)):
        raise LifecycleConfigError("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule")
    for rule in rules:
        _check_rule(rule)
    return rules


# --- what is due -----------------------------------------------------------------------------------


def _enabled(configuration: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [r for r in configuration.get("Rules") or [] if r.get("Status") == "Enabled"]


def _expiry(rule: Mapping[str, Any], version: Version) -> datetime | None:
    expiration = rule.get("Expiration") or {}
    if "Days" in expiration:
        return due_at(version.last_modified, int(expiration["Days"]))
    if "Date" in expiration:
        return _date(expiration["Date"])
    return None


def expiration_of(configuration: Mapping[str, Any], version: Version) -> tuple[datetime, str] | None:
    """(expiry date, rule ID) S3 reports for a current version in ``x-amz-expiration``, or None."""
    found = [(when, str(r.get("ID", ""))) for r in _enabled(configuration)
             if not version.is_delete_marker and _matches(r, version) and (when := _expiry(r, version)) is not None]
    return min(found) if found else None


def _current_actions(config: Mapping[str, Any], v: Version, now: datetime, versioned: bool) -> list[Action]:
    rules = [r for r in _enabled(config) if _matches(r, v)]
    if v.is_delete_marker:
        return [Action("remove-marker", v.key, v.version_id, v.last_modified, str(r.get("ID", "")))
                for r in rules if (r.get("Expiration") or {}).get("ExpiredObjectDeleteMarker") and v.only_version
                and v.last_modified <= now][:1]
    expiries = [(when, str(r.get("ID", ""))) for r in rules if (when := _expiry(r, v)) is not None and when <= now]
    if expiries:
        when, rule_id = min(expiries)
        return [Action("expire", v.key, None if not versioned else v.version_id, when, rule_id)]
    minimum = config.get("TransitionDefaultMinimumObjectSize", DEFAULT_MINIMUM_SIZE)
    due = []
    for r in rules:
        for t in r.get("Transitions") or []:
            when = due_at(v.last_modified, int(t["Days"])) if "Days" in t else _date(t["Date"])
            cls = t["StorageClass"]
            if when <= now and can_transition(v.storage_class, cls) and _size_allows(r, v, cls, minimum):
                due.append((TRANSITION_CLASSES.index(cls), when, str(r.get("ID", "")), cls))
    if not due:
        return []
    _, when, rule_id, cls = max(due)  # the colder class wins
    return [Action("transition", v.key, v.version_id, when, rule_id, cls)]


def _noncurrent_actions(config: Mapping[str, Any], v: Version, now: datetime) -> list[Action]:
    if v.noncurrent_since is None:
        return []
    rules = [r for r in _enabled(config) if _matches(r, v)]
    expiries = []
    for r in rules:
        nve = r.get("NoncurrentVersionExpiration") or {}
        if "NoncurrentDays" in nve and v.newer_noncurrent >= int(nve.get("NewerNoncurrentVersions", 0)):
            when = due_at(v.noncurrent_since, int(nve["NoncurrentDays"]))
            if when <= now:
                expiries.append((when, str(r.get("ID", ""))))
    if expiries:
        when, rule_id = min(expiries)
        return [Action("delete-version", v.key, v.version_id, when, rule_id)]
    if v.is_delete_marker:
        return []
    minimum = config.get("TransitionDefaultMinimumObjectSize", DEFAULT_MINIMUM_SIZE)
    due = []
    for r in rules:
        for t in r.get("NoncurrentVersionTransitions") or []:
            cls = t["StorageClass"]
            when = due_at(v.noncurrent_since, int(t["NoncurrentDays"]))
            if (when <= now and v.newer_noncurrent >= int(t.get("NewerNoncurrentVersions", 0))
                    and can_transition(v.storage_class, cls) and _size_allows(r, v, cls, minimum)):
                due.append((TRANSITION_CLASSES.index(cls), when, str(r.get("ID", "")), cls))
    if not due:
        return []
    _, when, rule_id, cls = max(due)
    return [Action("transition", v.key, v.version_id, when, rule_id, cls)]


def plan(configuration: Mapping[str, Any], versions: Iterable[Version], uploads: Iterable[Upload] = (),
         now: datetime | None = None, *, versioned: bool = False) -> list[Action]:
    """The actions due at ``now`` (default: the current, maybe frozen, time), oldest due first.

    ``versions`` are every version and delete marker of the bucket; ``versioned`` says whether
    versioning is enabled (expiring a current version then adds a delete marker).
    """
    moment = _utc(now or datetime.now(timezone.utc))
    actions: list[Action] = []
    for v in versions:
        actions += _current_actions(configuration, v, moment, versioned) if v.is_latest else \
            _noncurrent_actions(configuration, v, moment)
    for u in uploads:
        probe = Version(key=u.key, version_id="", last_modified=u.initiated, size=0)
        for r in _enabled(configuration):
            days = (r.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")
            if days is not None and _matches(r, probe) and (when := due_at(u.initiated, int(days))) <= moment:
                actions.append(Action("abort-upload", u.key, u.upload_id, when, str(r.get("ID", ""))))
                break
    return sorted(actions, key=lambda a: a.due)


# --- restores --------------------------------------------------------------------------------------


def restore_ready_at(storage_class: str, tier: str, requested: datetime) -> datetime | None:
    """When the sandbox completes a restore (None: no documented time for that class and tier)."""
    spent = RESTORE_TIME.get((storage_class, tier))
    return None if spent is None else _utc(requested) + spent


def restore_expiry(requested: datetime, days: int) -> datetime:
    """When the restored copy goes away: request time + ``days``, rounded up to midnight UTC."""
    return due_at(requested, days)
