"""The moto internals wrapped or read for S3 Object Ownership: a table, data only.

New buckets start as Bucket owner enforced and refuse object ACLs (:mod:`.s3_ownership`). Appended to
:data:`course_utils.runtime.patches.REPLACED` and ``USED``; see that module for the kinds. Importing
this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["S3_OWNERSHIP", "S3_OWNERSHIP_USED"]

_R = "moto.s3.responses:S3Response"  # module named explicitly: moto imports it on first S3 request

S3_OWNERSHIP: tuple[PatchPoint, ...] = (
    PatchPoint("moto.s3.models.S3Backend.create_bucket", "wrap", ("self", "bucket_name", "region_name", "bucket_namespace"),
               "moto leaves Object Ownership unset on a new bucket; AWS sets Bucket owner enforced (since April 2023)",
               "s3_ownership:wrap_create_bucket"),
    PatchPoint(f"{_R}.put_object", "wrap", ("self",),
               "moto applies ACLs whatever the bucket's Object Ownership: refuse them with 400 "
               "AccessControlListNotSupported on a Bucket owner enforced bucket", "s3_ownership:wrap_put_object"),
    PatchPoint(f"{_R}.copy_object", "wrap", ("self",),
               "CopyObject with an ACL on a Bucket owner enforced bucket: AccessControlListNotSupported",
               "s3_ownership:wrap_copy_object"),
    PatchPoint(f"{_R}.put_object_acl", "wrap", ("self",),
               "PutObjectAcl on a Bucket owner enforced bucket: AccessControlListNotSupported",
               "s3_ownership:wrap_put_object_acl"),
)

#: Attributes only read; appended to :data:`course_utils.runtime.patches.USED`.
S3_OWNERSHIP_USED: tuple[PatchPoint, ...] = (
    PatchPoint("moto.s3.models:FakeBucket.ownership_rule", "read", (), "the bucket's Object Ownership setting",
               set_in=("__init__",)),
    PatchPoint(f"{_R}.bucket_name", "read", (), "the bucket a request names", set_in=("setup_class",)),
    PatchPoint(f"{_R}.headers", "read", (), "the request's ACL headers (x-amz-acl, x-amz-grant-*)",
               set_in=("setup_class",)),
)
