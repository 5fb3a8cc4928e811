"""The moto internals wrapped or read to check S3 presigned URLs: a table, data only.

Query-string authentication (presigned URLs, SigV4 and SigV2) is checked before moto serves the
request (:mod:`.s3_presign`). Appended to :data:`course_utils.runtime.patches.REPLACED` and
``USED``; see that module for the kinds. Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["SIGN", "SIGN_USED"]

_R = "moto.s3.responses:S3Response"  # module named explicitly: moto imports it on first S3 request

SIGN: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_R}.bucket_response", "wrap", ("self", "request", "full_url", "headers"),
               "moto serves presigned bucket requests (ListObjectsV2, ...) without checking signature or expiry: "
               "403 SignatureDoesNotMatch / AccessDenied 'Request has expired' as on AWS", "s3_presign:wrap_response"),
    PatchPoint(f"{_R}.key_response", "wrap", ("self", "request", "full_url", "headers"),
               "moto serves presigned object GET/PUT/HEAD/DELETE without checking signature or expiry (tampered or "
               "expired URL -> 200): check them as S3 does", "s3_presign:wrap_response"),
)

#: Internals only read or called; appended to :data:`course_utils.runtime.patches.USED`.
SIGN_USED: tuple[PatchPoint, ...] = (
    PatchPoint("moto.sts.models:sts_backends", "use", None,
               "STS AssumeRole credentials that signed a presigned URL (moto_adapter.sts_credentials)"),
    PatchPoint("moto.sts.models:AssumedRole.secret_access_key", "read", (), "the secret of temporary credentials",
               set_in=("__init__",)),
    PatchPoint("moto.sts.models:AssumedRole.expiration", "read", (), "when temporary credentials expire",
               set_in=("__init__",)),
    PatchPoint("botocore.auth:HmacV1Auth._get_date", "use", ("self",),
               "overridden to sign a SigV2 query string at its Expires time (moto_adapter.sigv2_query_signature)"),
    PatchPoint("botocore.auth:HmacV1Auth.canonical_string", "use",
               ("self", "method", "split", "headers", "expires", "auth_path"), "the SigV2 string to sign"),
    PatchPoint("botocore.auth:HmacV1Auth.sign_string", "use", ("self", "string_to_sign"), "the SigV2 HMAC-SHA1"),
)
