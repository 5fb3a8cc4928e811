"""S3 Lifecycle and archive restores in the sandbox: plain boto3 calls behave as AWS documents.

What AWS does: ``PutBucketLifecycleConfiguration`` checks the rules (and answers with the
``x-amz-transition-default-minimum-object-size`` in force); S3 then transitions, expires and
cleans up objects in the background, by age in days rounded up to midnight UTC. ``HeadObject`` /
``GetObject`` of a current version that a rule will expire carry ``x-amz-expiration``. A
``RestoreObject`` on a ``GLACIER`` / ``DEEP_ARCHIVE`` object answers 202, the restore takes
minutes to hours by tier (``x-amz-restore: ongoing-request="true"``), the copy is then readable
until its expiry date, and a second request while one runs answers 409
``RestoreAlreadyInProgress``. The rules themselves are in :mod:`course_utils.rules.s3_lifecycle`.

What moto 5.2.5 does: stores a lifecycle configuration (dropping size filters,
``NewerNoncurrentVersions`` and ``TransitionDefaultMinimumObjectSize``), accepts rules AWS
rejects, never applies them; completes every restore at once and keeps it forever.

What this module does (installed from :mod:`.patches_s3`): validates and keeps the configuration
as sent (``GetBucketLifecycleConfiguration`` returns it); before any read of a bucket with a
configuration (``GetObject``, ``HeadObject``, ``ListObjects(V2)``, ``ListObjectVersions``,
``ListMultipartUploads``, ...) applies every action due at the current (maybe frozen) time, each
as of the moment it became due; keeps restores by tier and time. Lifecycle and restore event
notifications are not sent.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any, Callable

from ..rules import s3_lifecycle as engine

__all__ = [
    "wrap_bucket_response_put", "wrap_get_bucket_lifecycle", "wrap_delete_bucket_lifecycle", "wrap_get_object",
    "wrap_list_objects", "wrap_list_object_versions", "wrap_list_multipart_uploads", "wrap_create_multipart_upload",
    "wrap_key_response_post", "wrap_response_dict", "apply_bucket", "configuration_of",
]

_CONFIG = "course_lifecycle"  # attribute kept on moto's FakeBucket (wiped with the bucket)
_RESTORE = "course_restore"  # attribute kept on moto's FakeKey
_INITIATED = "course_initiated"  # attribute kept on moto's FakeMultipart
_HEADER = "x-amz-transition-default-minimum-object-size"
_guard = threading.local()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _http_date(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT")


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    """An S3 error response (S3's XML error document)."""
    from xml.sax.saxutils import escape

    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{escape(message)}</Message></Error>")
    return status, {"Content-Type": "application/xml"}, body


# --- the configuration, as sent ------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise engine.LifecycleConfigError("MalformedXML", "The XML you provided was not well-formed or did not "
                                                          "validate against our published schema") from None


def _date(value: Any) -> datetime:
    try:
        return _aware(datetime.fromisoformat(str(value).strip().replace("Z", "+00:00")))
    except ValueError:
        raise engine.LifecycleConfigError("MalformedXML", "The XML you provided was not well-formed or did not "
                                                          "validate against our published schema") from None


def _tag(t: dict[str, Any]) -> dict[str, str]:
    return {"Key": str(t.get("Key") or ""), "Value": str(t.get("Value") or "")}


def _filter(raw: dict[str, Any] | None) -> dict[str, Any]:
    raw = raw or {}
    out: dict[str, Any] = {}
    if "Prefix" in raw:
        out["Prefix"] = raw["Prefix"] or ""
    if raw.get("Tag") is not None:
        out["Tag"] = _tag(raw["Tag"])
    for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        if raw.get(size) is not None:
            out[size] = _int(raw[size])
    if raw.get("And") is not None:
        body = raw["And"] or {}
        both: dict[str, Any] = {}
        if "Prefix" in body:
            both["Prefix"] = body["Prefix"] or ""
        if body.get("Tag") is not None:
            both["Tags"] = [_tag(t) for t in _as_list(body["Tag"])]
        for size in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
            if body.get(size) is not None:
                both[size] = _int(body[size])
        out["And"] = both
    return out


def _when(raw: dict[str, Any], days: str = "Days") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if raw.get(days) is not None:
        out[days] = _int(raw[days])
    if raw.get("Date") is not None:
        out["Date"] = _date(raw["Date"])
    return out


def _rule(raw: dict[str, Any]) -> dict[str, Any]:
    """One rule of the request's XML (as xmltodict reads it) in boto3's shape."""
    rule: dict[str, Any] = {}
    if raw.get("ID") is not None:
        rule["ID"] = str(raw["ID"])
    if "Filter" in raw:
        rule["Filter"] = _filter(raw["Filter"])
    elif "Prefix" in raw:
        rule["Prefix"] = raw["Prefix"] or ""
    rule["Status"] = str(raw.get("Status") or "")
    if raw.get("Expiration") is not None:
        exp = raw["Expiration"] or {}
        rule["Expiration"] = _when(exp)
        if exp.get("ExpiredObjectDeleteMarker") is not None:
            rule["Expiration"]["ExpiredObjectDeleteMarker"] = str(exp["ExpiredObjectDeleteMarker"]).lower() == "true"
    if raw.get("Transition") is not None:
        rule["Transitions"] = [{**_when(t or {}), **({"StorageClass": t["StorageClass"]} if (t or {}).get("StorageClass")
                                                      else {})} for t in _as_list(raw["Transition"])]
    if raw.get("NoncurrentVersionTransition") is not None:
        rule["NoncurrentVersionTransitions"] = [
            {**_when(t or {}, "NoncurrentDays"), **{k: (_int(v) if k == "NewerNoncurrentVersions" else v)
                                                   for k, v in (t or {}).items()
                                                   if k in ("StorageClass", "NewerNoncurrentVersions") and v is not None}}
            for t in _as_list(raw["NoncurrentVersionTransition"])]
    if raw.get("NoncurrentVersionExpiration") is not None:
        nve = raw["NoncurrentVersionExpiration"] or {}
        rule["NoncurrentVersionExpiration"] = {k: _int(v) for k, v in nve.items()
                                               if k in ("NoncurrentDays", "NewerNoncurrentVersions") and v is not None}
    if raw.get("AbortIncompleteMultipartUpload") is not None:
        rule["AbortIncompleteMultipartUpload"] = _when(raw["AbortIncompleteMultipartUpload"] or {}, "DaysAfterInitiation")
    return rule


def _parse(body: bytes, minimum: str | None) -> dict[str, Any]:
    import xmltodict

    document = xmltodict.parse(body)["LifecycleConfiguration"] or {}
    return {"Rules": [_rule(r or {}) for r in _as_list(document.get("Rule"))],
            "TransitionDefaultMinimumObjectSize": minimum or engine.DEFAULT_MINIMUM_SIZE}


def configuration_of(bucket: Any) -> dict[str, Any] | None:
    """The lifecycle configuration kept for a moto bucket (None: none set)."""
    return getattr(bucket, _CONFIG, None)


def wrap_bucket_response_put(original: Callable[..., Any]) -> Callable[..., Any]:
    def _bucket_response_put(self: Any, request: Any, bucket_name: str, querystring: dict[str, Any]) -> Any:
        if "lifecycle" not in querystring:
            return original(self, request, bucket_name, querystring)
        try:
            config = _parse(self.body, request.headers.get(_HEADER))
            engine.validate(config)
        except engine.LifecycleConfigError as err:
            return _error(400, err.code, err.message)
        except Exception:  # not a document we can read: moto answers (MalformedXML)
            return original(self, request, bucket_name, querystring)
        result = original(self, request, bucket_name, querystring)
        setattr(self.backend.get_bucket(bucket_name), _CONFIG, config)
        if result == "":
            return 200, {_HEADER: config["TransitionDefaultMinimumObjectSize"]}, ""
        return result

    _bucket_response_put.__wrapped__ = original  # type: ignore[attr-defined]
    return _bucket_response_put


def wrap_get_bucket_lifecycle(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_bucket_lifecycle(self: Any) -> Any:
        config = configuration_of(self.backend.get_bucket(self.bucket_name))
        if config is None:
            return original(self)
        from .moto_adapter import action_result

        self.data["Action"] = "GetBucketLifecycleConfiguration"
        return self.serialized(action_result({"Rules": config["Rules"], "TransitionDefaultMinimumObjectSize":
                                              config["TransitionDefaultMinimumObjectSize"]}))

    get_bucket_lifecycle.__wrapped__ = original  # type: ignore[attr-defined]
    return get_bucket_lifecycle


def wrap_delete_bucket_lifecycle(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_bucket_lifecycle(self: Any, bucket_name: str) -> None:
        original(self, bucket_name)
        bucket = self.get_bucket(bucket_name)
        if configuration_of(bucket) is not None:
            delattr(bucket, _CONFIG)

    delete_bucket_lifecycle.__wrapped__ = original  # type: ignore[attr-defined]
    return delete_bucket_lifecycle


# --- applying the rules --------------------------------------------------------------------------


def _is_marker(obj: Any) -> bool:
    return not hasattr(obj, "contentsize")


def _versions(backend: Any, bucket: Any) -> tuple[list[engine.Version], dict[tuple[str, str], Any]]:
    versions: list[engine.Version] = []
    objects: dict[tuple[str, str], Any] = {}
    for name, items in bucket.keys.iterlists():
        items = list(items)  # oldest first
        for i, obj in enumerate(items):
            latest = i == len(items) - 1
            marker = _is_marker(obj)
            versions.append(engine.Version(
                key=name, version_id=str(obj.version_id), last_modified=_aware(obj.last_modified),
                size=0 if marker else int(obj.size), storage_class="" if marker else str(obj.storage_class or "STANDARD"),
                is_latest=latest, is_delete_marker=marker,
                tags={} if marker else backend.tagger.get_tag_dict_for_resource(obj.arn),
                noncurrent_since=None if latest else _aware(items[i + 1].last_modified),
                newer_noncurrent=max(0, len(items) - 2 - i), only_version=len(items) == 1))
            objects[(name, str(obj.version_id))] = obj
    return versions, objects


def _uploads(bucket: Any) -> list[engine.Upload]:
    return [engine.Upload(key=m.key_name, upload_id=upload_id, initiated=getattr(m, _INITIATED))
            for upload_id, m in list(bucket.multiparts.items()) if getattr(m, _INITIATED, None) is not None]


def _execute(backend: Any, bucket: Any, action: engine.Action, objects: dict[tuple[str, str], Any]) -> None:
    if action.kind == "transition":
        objects[(action.key, str(action.version_id))].set_storage_class(action.storage_class)
    elif action.kind == "expire":
        backend.delete_object(bucket.name, action.key)
        if action.version_id is not None:  # versioned: the new delete marker dates from when it was due
            marker = bucket.keys.getlist(action.key)[-1]
            marker.last_modified = _naive(action.due)
    elif action.kind in ("delete-version", "remove-marker"):
        try:
            backend.delete_object(bucket.name, action.key, version_id=action.version_id)
        except Exception:  # a version under Object Lock: lifecycle does not delete it
            pass
    elif action.kind == "abort-upload":
        backend.abort_multipart_upload(bucket.name, action.version_id)


def apply_bucket(backend: Any, bucket: Any, now: datetime | None = None) -> list[engine.Action]:
    """Apply every lifecycle action due at ``now`` to a moto bucket; return what was done."""
    config = configuration_of(bucket)
    if config is None or getattr(_guard, "busy", False):
        return []
    moment = _aware(now or _now())
    done: list[engine.Action] = []
    _guard.busy = True
    try:
        for _ in range(10):  # an expiration can make noncurrent actions due: repeat until nothing is
            versions, objects = _versions(backend, bucket)
            actions = engine.plan(config, versions, _uploads(bucket), moment, versioned=bool(bucket.is_versioned))
            if not actions:
                break
            for action in actions:
                _execute(backend, bucket, action, objects)
            done += actions
    finally:
        _guard.busy = False
    return done


def _apply_named(backend: Any, bucket_name: str) -> None:
    try:
        bucket = backend.get_bucket(bucket_name)
    except Exception:  # no such bucket: moto answers
        return
    apply_bucket(backend, bucket)


def wrap_get_object(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_object(self: Any, bucket_name: str, key_name: str, version_id: str | None = None,
                   part_number: str | None = None, return_delete_marker: bool = False) -> Any:
        _apply_named(self, bucket_name)
        return original(self, bucket_name, key_name, version_id, part_number, return_delete_marker)

    get_object.__wrapped__ = original  # type: ignore[attr-defined]
    return get_object


def wrap_list_objects(original: Callable[..., Any]) -> Callable[..., Any]:
    def list_objects(self: Any, bucket: Any, prefix: str | None, delimiter: str | None, marker: str | None,
                     max_keys: int | None) -> Any:
        apply_bucket(self, bucket)
        return original(self, bucket, prefix, delimiter, marker, max_keys)

    list_objects.__wrapped__ = original  # type: ignore[attr-defined]
    return list_objects


def wrap_list_object_versions(original: Callable[..., Any]) -> Callable[..., Any]:
    def list_object_versions(self: Any, bucket_name: str, delimiter: str | None = None, key_marker: str | None = None,
                             max_keys: int | None = 1000, prefix: str = "", version_id_marker: str | None = None) -> Any:
        _apply_named(self, bucket_name)
        return original(self, bucket_name, delimiter, key_marker, max_keys, prefix, version_id_marker)

    list_object_versions.__wrapped__ = original  # type: ignore[attr-defined]
    return list_object_versions


def wrap_list_multipart_uploads(original: Callable[..., Any]) -> Callable[..., Any]:
    def list_multipart_uploads(self: Any, bucket_name: str) -> Any:
        _apply_named(self, bucket_name)
        return original(self, bucket_name)

    list_multipart_uploads.__wrapped__ = original  # type: ignore[attr-defined]
    return list_multipart_uploads


def wrap_create_multipart_upload(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_multipart_upload(self: Any, bucket_name: str, key_name: str, metadata: Any, storage_type: str,
                                tags: Any, acl: Any, sse_encryption: str, kms_key_id: str) -> Any:
        upload = original(self, bucket_name, key_name, metadata, storage_type, tags, acl, sse_encryption, kms_key_id)
        setattr(upload, _INITIATED, _now())  # moto keeps no initiation time
        return upload

    create_multipart_upload.__wrapped__ = original  # type: ignore[attr-defined]
    return create_multipart_upload


# --- restores and the headers of an object -------------------------------------------------------

_TIER_ORDER = {"Expedited": 0, "Standard": 1, "Bulk": 2}


def wrap_key_response_post(original: Callable[..., Any]) -> Callable[..., Any]:
    def _key_response_post(self: Any, request: Any, body: bytes, bucket_name: str, query: dict[str, Any],
                           key_name: str) -> Any:
        if "restore" not in query:
            return original(self, request, body, bucket_name, query, key_name)
        try:
            import xmltodict

            params = xmltodict.parse(body)["RestoreRequest"] or {}
            days = int(params["Days"])
            tier = str((params.get("GlacierJobParameters") or {}).get("Tier") or "Standard")
        except Exception:  # no Days, or not a document we read: moto answers
            return original(self, request, body, bucket_name, query, key_name)
        key = self.backend.get_object(bucket_name, key_name, version_id=query.get("versionId", [None])[0])
        now = _now()
        ready = engine.restore_ready_at(getattr(key, "storage_class", ""), tier, now) if key is not None else None
        if ready is None:  # missing key, not archived, or a tier with no documented time: moto answers
            return original(self, request, body, bucket_name, query, key_name)
        state = getattr(key, _RESTORE, None)
        if state is not None and now < state["ready"]:
            if _TIER_ORDER.get(tier, 9) < _TIER_ORDER.get(state["tier"], 9) and ready < state["ready"]:
                state.update(tier=tier, ready=ready)  # a faster tier upgrades the restore in progress
                return 202, {}, ""
            return _error(409, "RestoreAlreadyInProgress", "Object restore is already in progress")
        if state is not None and now < state["expiry"]:
            state["expiry"] = engine.restore_expiry(now, days)  # the copy is there: extend it
            return 200, {}, ""
        setattr(key, _RESTORE, {"tier": tier, "requested": now, "ready": ready,
                                "expiry": engine.restore_expiry(now, days)})
        return 202, {}, ""

    _key_response_post.__wrapped__ = original  # type: ignore[attr-defined]
    return _key_response_post


def _expiration_header(key: Any) -> str | None:
    from .moto_adapter import s3_backend

    try:
        backend = s3_backend(key.account_id, key.partition)
        bucket = backend.buckets.get(key.bucket_name)
    except Exception:
        return None
    config = configuration_of(bucket) if bucket is not None else None
    if config is None or bucket.keys.get(key.name) is not key:
        return None
    version = engine.Version(key=key.name, version_id=str(key.version_id), last_modified=_aware(key.last_modified),
                             size=int(key.size), storage_class=str(key.storage_class or "STANDARD"),
                             tags=backend.tagger.get_tag_dict_for_resource(key.arn))
    found = engine.expiration_of(config, version)
    return None if found is None else f'expiry-date="{_http_date(found[0])}", rule-id="{found[1]}"'


def wrap_response_dict(original: property) -> property:
    """``FakeKey.response_dict`` (a property): the restore state at the current time, and ``x-amz-expiration``."""
    fget = original.fget

    def response_dict(self: Any) -> dict[str, Any]:
        headers = fget(self)  # type: ignore[misc]
        state = self.__dict__.get(_RESTORE)
        if state is not None:
            now = _now()
            if now < state["ready"]:
                headers["x-amz-restore"] = 'ongoing-request="true"'
            elif now < state["expiry"]:
                headers["x-amz-restore"] = f'ongoing-request="false", expiry-date="{_http_date(state["expiry"])}"'
            else:
                headers.pop("x-amz-restore", None)  # the temporary copy is gone
        expiration = _expiration_header(self)
        if expiration:
            headers["x-amz-expiration"] = expiration
        return headers

    response_dict.__wrapped__ = fget  # type: ignore[attr-defined]
    return property(response_dict)
