"""S3 Object Ownership: new buckets get "Bucket owner enforced", and such a bucket refuses object ACLs.

AWS (S3 User Guide, "Controlling ownership of objects and disabling ACLs for your bucket" and
"Troubleshooting" of Object Ownership,
https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html and
https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-error-responses.html):
since April 2023 a new general purpose bucket has Object Ownership **Bucket owner enforced** unless
``CreateBucket`` names another setting (``x-amz-object-ownership``): ACLs are disabled and the bucket
owner owns every object. On such a bucket, a ``PUT`` must send no ACL or the canned ACL
``bucket-owner-full-control``; a request that sets another ACL fails with HTTP 400 and the code
``AccessControlListNotSupported`` ("The bucket does not allow ACLs").

moto 5.2.5 keeps the setting when ``CreateBucket`` or ``PutBucketOwnershipControls`` sends one, leaves
it unset otherwise (``GetBucketOwnershipControls``: ``OwnershipControlsNotFoundError``), and applies
ACLs whatever the setting. Here: a bucket created without the header gets ``BucketOwnerEnforced``;
``PutObject``, ``CopyObject`` and ``PutObjectAcl`` on a ``BucketOwnerEnforced`` bucket that set an ACL
(an ``x-amz-acl`` other than ``bucket-owner-full-control``, any ``x-amz-grant-*`` header, or, for
``PutObjectAcl``, an ACL document in the body) get AWS's error. ``ObjectWriter`` and
``BucketOwnerPreferred`` buckets, and a bucket whose controls were deleted, keep moto's ACL behaviour.
Not simulated: ``PutBucketAcl``, ``CreateMultipartUpload`` with an ACL, ``CreateBucket`` with an ACL
(``InvalidBucketAclWithObjectOwnership``), and grant headers that give full control to the bucket
owner alone (AWS accepts those as equivalent to ``bucket-owner-full-control``; refused here).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

__all__ = ["ENFORCED", "OWNER_FULL_CONTROL", "sets_acl", "wrap_create_bucket", "wrap_put_object",
           "wrap_copy_object", "wrap_put_object_acl"]

#: The Object Ownership setting that disables ACLs (the default for new buckets).
ENFORCED = "BucketOwnerEnforced"
#: The one canned ACL a bucket with ACLs disabled accepts.
OWNER_FULL_CONTROL = "bucket-owner-full-control"


def sets_acl(headers: Mapping[str, Any], body: bytes | str | None = None) -> bool:
    """Does a request with these headers (and body, for ``PutObjectAcl``) set an ACL other than
    ``bucket-owner-full-control``?"""
    lower = {str(k).lower(): v for k, v in headers.items()}
    canned = lower.get("x-amz-acl")
    if canned is not None and str(canned).strip() != OWNER_FULL_CONTROL:
        return True
    if any(k.startswith("x-amz-grant-") for k in lower):
        return True
    return bool(body and (body.strip() if isinstance(body, (bytes, str)) else body))


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    """An S3 error response (S3's XML error document)."""
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")
    return status, {"Content-Type": "application/xml"}, body


_ACLS_DISABLED = (400, "AccessControlListNotSupported", "The bucket does not allow ACLs")


def _acls_disabled(response: Any) -> bool:
    """Is the bucket of this S3 request set to Bucket owner enforced?"""
    try:
        bucket = response.backend.get_bucket(response.bucket_name)
    except Exception:  # no such bucket: moto answers NoSuchBucket itself
        return False
    return getattr(bucket, "ownership_rule", None) == ENFORCED


def wrap_create_bucket(original: Callable[..., Any]) -> Callable[..., Any]:
    """``S3Backend.create_bucket``: a new bucket starts as Bucket owner enforced (a header sent with
    ``CreateBucket`` still overrides it: moto sets that after this returns)."""

    def create_bucket(self: Any, *args: Any, **kwargs: Any) -> Any:
        bucket = original(self, *args, **kwargs)
        if getattr(bucket, "ownership_rule", None) is None:
            bucket.ownership_rule = ENFORCED
        return bucket

    create_bucket.__wrapped__ = original  # type: ignore[attr-defined]
    return create_bucket


def _refuse_acls(original: Callable[..., Any], with_body: bool) -> Callable[..., Any]:
    def handler(self: Any) -> Any:
        if _acls_disabled(self) and sets_acl(self.headers, self.body if with_body else None):
            return _error(*_ACLS_DISABLED)
        return original(self)

    handler.__wrapped__ = original  # type: ignore[attr-defined]
    handler.__name__ = getattr(original, "__name__", "handler")
    return handler


def wrap_put_object(original: Callable[..., Any]) -> Callable[..., Any]:
    """``S3Response.put_object``: refuse an ACL on a bucket with ACLs disabled."""
    return _refuse_acls(original, with_body=False)


def wrap_copy_object(original: Callable[..., Any]) -> Callable[..., Any]:
    """``S3Response.copy_object``: the same rule for the copy's ACL headers."""
    return _refuse_acls(original, with_body=False)


def wrap_put_object_acl(original: Callable[..., Any]) -> Callable[..., Any]:
    """``S3Response.put_object_acl``: an ACL in the headers or in the body is refused."""
    return _refuse_acls(original, with_body=True)
