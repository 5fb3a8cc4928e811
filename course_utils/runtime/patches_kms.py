"""The moto internals wrapped or used for KMS across accounts and AWS managed policies: a table, data only.

KMS keys used from another account (:mod:`.kms_access`: key policy + the caller's identity policy)
and AWS managed policies loaded on first use (:mod:`.iam_managed`). Appended to
:data:`course_utils.runtime.patches.REPLACED` and ``USED``; see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["KMS", "KMS_USED"]

_R = "moto.kms.responses.KmsResponse"
_I = "moto.iam.models.IAMBackend"

KMS: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_R}.encrypt", "wrap", ("self",),
               "moto looks a key ARN of another account up in the caller's account (NotFoundException) and "
               "evaluates no key policy: decide with the key policy and the caller's identity policy",
               "kms_access:wrap_encrypt"),
    PatchPoint(f"{_R}.decrypt", "wrap", ("self",),
               "a ciphertext of another account's key: find the key from the ciphertext, decide with both policies",
               "kms_access:wrap_decrypt"),
    PatchPoint(f"{_R}.generate_data_key", "wrap", ("self",),
               "GenerateDataKey (and WithoutPlaintext) with a key of another account: decide with both policies",
               "kms_access:wrap_generate_data_key"),
    PatchPoint(f"{_I}.get_policy", "wrap", ("self", "policy_arn"),
               "moto loads no AWS managed policy by default: load the one named from moto's bundled copy",
               "iam_managed:wrap_get_policy"),
    PatchPoint(f"{_I}.attach_role_policy", "wrap", ("self", "policy_arn", "role_name"),
               "attach an AWS managed policy: load it from moto's bundled copy first", "iam_managed:wrap_attach"),
    PatchPoint(f"{_I}.attach_user_policy", "wrap", ("self", "policy_arn", "user_name"),
               "attach an AWS managed policy: load it from moto's bundled copy first", "iam_managed:wrap_attach"),
    PatchPoint(f"{_I}.attach_group_policy", "wrap", ("self", "policy_arn", "group_name"),
               "attach an AWS managed policy: load it from moto's bundled copy first", "iam_managed:wrap_attach"),
)

_K = "moto.kms.models:"
#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
KMS_USED: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_K}kms_backends", "use", None, "the KMS keys of every account (moto_adapter.kms_key, kms_key_owner)"),
    PatchPoint(f"{_K}KmsBackend.any_id_to_key_id", "use", ("self", "key_id"), "a key by id, key ARN, alias or alias ARN"),
    PatchPoint(f"{_K}KmsBackend.keys", "read", (), "the keys of an account and Region", set_in=("__init__",)),
    PatchPoint(f"{_K}Key.arn", "read", (), "the resource of the cross-account decision", set_in=("__init__",)),
    PatchPoint(f"{_K}Key.policy", "read", (), "the key policy: the resource policy of the decision", set_in=("__init__",)),
    PatchPoint("moto.kms.utils:_deserialize_ciphertext_blob", "use", ("ciphertext_blob",),
               "the key id inside a ciphertext (Decrypt without KeyId)"),
    PatchPoint("moto.kms.responses:KmsResponse.current_account", "read", (),
               "the caller's account; set to the key's account while moto answers", set_in=("setup_class",)),
    PatchPoint("moto.kms.responses:KmsResponse.headers", "read", (),
               "the caller's access key and the operation (X-Amz-Target)", set_in=("setup_class",)),
    PatchPoint("moto.kms.responses:KmsResponse.region", "read", (), "the Region of the request", set_in=("setup_class",)),
    PatchPoint("moto.iam.aws_managed_policies:aws_managed_policies_data", "use", None,
               "moto's bundled copy of AWS managed policies"),
    PatchPoint("moto.iam.models:AWSManagedPolicy.from_data", "use", ("name", "account_id", "region_name", "data"),
               "one AWS managed policy object from moto's copy"),
    PatchPoint("moto.iam.models:IAMBackend.managed_policies", "read", (), "the account's managed policies",
               set_in=("__init__",)),
    PatchPoint("moto.iam.models:IAMBackend.account_id", "read", (), "the account a loaded AWS managed policy is listed in",
               set_in=("__init__",)),
    PatchPoint("moto.iam.models:IAMBackend.region_name", "read", (), "the partition of a loaded AWS managed policy",
               set_in=("__init__",)),
)
