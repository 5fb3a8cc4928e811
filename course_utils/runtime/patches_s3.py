"""The moto internals wrapped or used for how long data lives: S3 Lifecycle, archive restores, Lambda /tmp.

S3 Lifecycle configurations checked, kept and applied, and restores by tier and time
(:mod:`.s3_lifecycle`); ``EphemeralStorage`` on ``UpdateFunctionConfiguration``
(:mod:`.ephemeral_storage`). Appended to :data:`course_utils.runtime.patches.REPLACED` and
``USED``; see that module for the kinds. Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["S3", "S3_USED"]

_R = "moto.s3.responses:S3Response"  # module named explicitly: moto imports it on first S3 request
_B = "moto.s3.models.S3Backend"

S3: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_R}._bucket_response_put", "wrap", ("self", "request", "bucket_name", "querystring"),
               "PutBucketLifecycleConfiguration: moto accepts rules AWS rejects and drops size filters, "
               "NewerNoncurrentVersions and TransitionDefaultMinimumObjectSize; validate and keep the configuration",
               "s3_lifecycle:wrap_bucket_response_put"),
    PatchPoint(f"{_R}.get_bucket_lifecycle", "wrap", ("self",),
               "return the configuration as it was put", "s3_lifecycle:wrap_get_bucket_lifecycle"),
    PatchPoint(f"{_B}.delete_bucket_lifecycle", "wrap", ("self", "bucket_name"),
               "forget the kept configuration", "s3_lifecycle:wrap_delete_bucket_lifecycle"),
    PatchPoint(f"{_B}.get_object", "wrap",
               ("self", "bucket_name", "key_name", "version_id", "part_number", "return_delete_marker"),
               "moto never applies lifecycle rules: apply the actions due before GetObject/HeadObject and other key reads",
               "s3_lifecycle:wrap_get_object"),
    PatchPoint(f"{_B}.list_objects", "wrap", ("self", "bucket", "prefix", "delimiter", "marker", "max_keys"),
               "apply the actions due before ListObjects and ListObjectsV2", "s3_lifecycle:wrap_list_objects"),
    PatchPoint(f"{_B}.list_object_versions", "wrap",
               ("self", "bucket_name", "delimiter", "key_marker", "max_keys", "prefix", "version_id_marker"),
               "apply the actions due before ListObjectVersions", "s3_lifecycle:wrap_list_object_versions"),
    PatchPoint(f"{_B}.list_multipart_uploads", "wrap", ("self", "bucket_name"),
               "apply AbortIncompleteMultipartUpload before ListMultipartUploads",
               "s3_lifecycle:wrap_list_multipart_uploads"),
    PatchPoint(f"{_B}.create_multipart_upload", "wrap",
               ("self", "bucket_name", "key_name", "metadata", "storage_type", "tags", "acl", "sse_encryption",
                "kms_key_id"),
               "moto keeps no initiation time; AbortIncompleteMultipartUpload counts from it",
               "s3_lifecycle:wrap_create_multipart_upload"),
    PatchPoint(f"{_R}._key_response_post", "wrap", ("self", "request", "body", "bucket_name", "query", "key_name"),
               "RestoreObject: moto restores at once and for ever; keep the tier, the completion time and the "
               "copy's expiry, answer 409 RestoreAlreadyInProgress", "s3_lifecycle:wrap_key_response_post"),
    PatchPoint("moto.s3.models.FakeKey.response_dict", "wrap", None,  # a property: no signature
               "x-amz-restore as of the current time (GetObject checks it) and x-amz-expiration",
               "s3_lifecycle:wrap_response_dict"),
    PatchPoint("moto.awslambda.models.LambdaBackend.update_function_configuration", "wrap",
               ("self", "function_name", "qualifier", "body"),
               "moto ignores EphemeralStorage on UpdateFunctionConfiguration: apply it (and its 10,240 MB limit)",
               "ephemeral_storage:wrap_update_function_configuration"),
)

_M = "moto.s3.models:"
#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
S3_USED: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_M}s3_backends", "use", None, "the S3 backend of an object (moto_adapter.s3_backend)"),
    PatchPoint(f"{_M}S3Backend.get_bucket", "use", ("self", "bucket_name"), "the bucket a request names"),
    PatchPoint(f"{_M}S3Backend.delete_object", "use", ("self", "bucket_name", "key_name", "version_id", "bypass"),
               "expire an object (a delete marker when versioned) or delete a version"),
    PatchPoint(f"{_M}S3Backend.abort_multipart_upload", "use", ("self", "bucket_name", "multipart_id"),
               "AbortIncompleteMultipartUpload"),
    PatchPoint(f"{_M}FakeKey.set_storage_class", "use", ("self", "storage"), "a lifecycle transition"),
    PatchPoint(f"{_M}S3Backend.buckets", "read", (), "a bucket by name", set_in=("__init__",)),
    PatchPoint(f"{_M}S3Backend.tagger", "read", (), "an object's tags (filters)", set_in=("__init__",)),
    PatchPoint(f"{_M}FakeBucket.keys", "read", (), "every version of every key, oldest first", set_in=("__init__",)),
    PatchPoint(f"{_M}FakeBucket.multiparts", "read", (), "incomplete multipart uploads", set_in=("__init__",)),
    PatchPoint(f"{_M}FakeBucket.is_versioned", "read", (), "expiring adds a delete marker"),
    PatchPoint(f"{_M}FakeKey.last_modified", "read", (), "an object's creation time", set_in=("__init__",)),
    PatchPoint(f"{_M}FakeDeleteMarker.last_modified", "read", (), "when a version became noncurrent",
               set_in=("__init__",)),
    PatchPoint(f"{_M}FakeMultipart.key_name", "read", (), "the key of an upload (filters)", set_in=("__init__",)),
    PatchPoint("moto.s3.responses:S3Response.backend", "read", (), "the S3 backend of the request"),
    PatchPoint("moto.s3.responses:S3Response.body", "read", (), "the request body", set_in=("setup_class",)),
    PatchPoint("moto.awslambda.models:LambdaFunction.ephemeral_storage", "read", (), "the /tmp size (validating setter)"),
)
