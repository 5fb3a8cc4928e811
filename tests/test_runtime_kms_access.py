"""KMS keys used from a second sandbox account: key policy AND the caller's identity policy decide."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

OWNER, PARTNER, REGION = "123456789012", "111122223333", "us-east-1"
V = "2012-10-17"


def key_policy(*extra: dict) -> str:
    return json.dumps({"Version": V, "Statement": [
        {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
         "Action": "kms:*", "Resource": "*"}, *extra]})


PARTNER_USES = {"Sid": "PartnerUse", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*"}


def identity(actions, resource, effect="Allow") -> str:
    return json.dumps({"Version": V, "Statement": [{"Effect": effect, "Action": actions, "Resource": resource}]})


@pytest.fixture
def kms(aws):
    return boto3.client("kms", region_name=REGION)


@pytest.fixture
def partner(aws):
    """(iam client of the partner account, function giving a kms client of its role "reporting")."""
    sts = boto3.client("sts", region_name=REGION)
    admin = sts.assume_role(RoleArn=f"arn:aws:iam::{PARTNER}:role/admin", RoleSessionName="setup")["Credentials"]
    session = boto3.Session(aws_access_key_id=admin["AccessKeyId"], aws_secret_access_key=admin["SecretAccessKey"],
                            aws_session_token=admin["SessionToken"], region_name=REGION)
    iam = session.client("iam")
    trust = {"Version": V, "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                                          "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="reporting", AssumeRolePolicyDocument=json.dumps(trust))
    creds = session.client("sts").assume_role(RoleArn=f"arn:aws:iam::{PARTNER}:role/reporting",
                                              RoleSessionName="etl")["Credentials"]
    client = boto3.client("kms", region_name=REGION, aws_access_key_id=creds["AccessKeyId"],
                          aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"])
    return iam, client


def error(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


CALLER = f"arn:aws:sts::{PARTNER}:assumed-role/reporting/etl"


def test_the_key_policy_alone_is_not_enough(kms, partner):
    iam, partner_kms = partner
    arn = kms.create_key(Policy=key_policy(PARTNER_USES))["KeyMetadata"]["Arn"]
    answer = error(lambda: partner_kms.encrypt(KeyId=arn, Plaintext=b"x"))
    assert answer["Error"]["Code"] == "AccessDeniedException"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert answer["Error"]["Message"] == (f"User: {CALLER} is not authorized to perform: kms:Encrypt on resource: {arn} "
                                          "because no identity-based policy allows the kms:Encrypt action")


def test_the_identity_policy_alone_is_not_enough(kms, partner):
    iam, partner_kms = partner
    arn = kms.create_key()["KeyMetadata"]["Arn"]  # the default key policy: only the owner account
    iam.put_role_policy(RoleName="reporting", PolicyName="use-key", PolicyDocument=identity("kms:Encrypt", arn))
    answer = error(lambda: partner_kms.encrypt(KeyId=arn, Plaintext=b"x"))
    assert answer["Error"]["Code"] == "AccessDeniedException"
    assert answer["Error"]["Message"].endswith("because no resource-based policy allows the kms:Encrypt action")


def test_both_policies_allow_encrypt_decrypt_and_data_keys(kms, partner):
    iam, partner_kms = partner
    arn = kms.create_key(Policy=key_policy(PARTNER_USES))["KeyMetadata"]["Arn"]
    iam.put_role_policy(RoleName="reporting", PolicyName="use-key",
                        PolicyDocument=identity(["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], arn))
    sealed = partner_kms.encrypt(KeyId=arn, Plaintext=b"quarterly", EncryptionContext={"team": "etl"})
    assert sealed["KeyId"] == arn
    opened = partner_kms.decrypt(CiphertextBlob=sealed["CiphertextBlob"], EncryptionContext={"team": "etl"})
    assert opened["Plaintext"] == b"quarterly" and opened["KeyId"] == arn
    data_key = partner_kms.generate_data_key(KeyId=arn, KeySpec="AES_256")
    assert len(data_key["Plaintext"]) == 32
    assert kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"] == data_key["Plaintext"]  # the owner too


def test_the_partner_decrypts_what_the_owner_encrypted_without_naming_the_key(kms, partner):
    iam, partner_kms = partner
    arn = kms.create_key(Policy=key_policy(PARTNER_USES))["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=arn, Plaintext=b"shared")["CiphertextBlob"]
    denied = error(lambda: partner_kms.decrypt(CiphertextBlob=blob))
    assert denied["Error"]["Message"].endswith("because no identity-based policy allows the kms:Decrypt action")
    iam.put_role_policy(RoleName="reporting", PolicyName="use-key", PolicyDocument=identity("kms:Decrypt", arn))
    assert partner_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"


def test_an_alias_name_is_looked_up_in_the_callers_account_an_alias_arn_works(kms, partner):
    iam, partner_kms = partner
    key = kms.create_key(Policy=key_policy(PARTNER_USES))["KeyMetadata"]
    kms.create_alias(AliasName="alias/shared", TargetKeyId=key["KeyId"])
    iam.put_role_policy(RoleName="reporting", PolicyName="use-key", PolicyDocument=identity("kms:Encrypt", key["Arn"]))
    answer = error(lambda: partner_kms.encrypt(KeyId="alias/shared", Plaintext=b"x"))
    assert answer["Error"]["Code"] == "NotFoundException"
    assert answer["Error"]["Message"] == f"Alias arn:aws:kms:{REGION}:{PARTNER}:alias/shared is not found."
    alias_arn = f"arn:aws:kms:{REGION}:{OWNER}:alias/shared"
    assert partner_kms.encrypt(KeyId=alias_arn, Plaintext=b"x")["KeyId"] == key["Arn"]


def test_explicit_denies_name_the_policy_type(kms, partner):
    iam, partner_kms = partner
    deny_partner = {"Sid": "NoPartnerEncrypt", "Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{PARTNER}:root"},
                    "Action": "kms:Encrypt", "Resource": "*"}
    arn = kms.create_key(Policy=key_policy(PARTNER_USES, deny_partner))["KeyMetadata"]["Arn"]
    iam.put_role_policy(RoleName="reporting", PolicyName="use-key", PolicyDocument=identity("kms:*", "*"))
    in_key_policy = error(lambda: partner_kms.encrypt(KeyId=arn, Plaintext=b"x"))["Error"]["Message"]
    assert in_key_policy.endswith("with an explicit deny in a resource-based policy")
    iam.put_role_policy(RoleName="reporting", PolicyName="no-data-keys",
                        PolicyDocument=identity("kms:GenerateDataKey*", "*", effect="Deny"))
    in_identity = error(lambda: partner_kms.generate_data_key_without_plaintext(KeyId=arn, KeySpec="AES_256"))
    assert in_identity["Error"]["Message"] == (
        f"User: {CALLER} is not authorized to perform: kms:GenerateDataKeyWithoutPlaintext on resource: {arn} "
        "with an explicit deny in an identity-based policy")


def test_a_key_policy_condition_on_the_encryption_context(kms, partner):
    iam, partner_kms = partner
    scoped = dict(PARTNER_USES, Condition={"StringEquals": {"kms:EncryptionContext:tenant": "partner"}})
    arn = kms.create_key(Policy=key_policy(scoped))["KeyMetadata"]["Arn"]
    iam.put_role_policy(RoleName="reporting", PolicyName="use-key", PolicyDocument=identity("kms:Encrypt", arn))
    assert partner_kms.encrypt(KeyId=arn, Plaintext=b"x", EncryptionContext={"tenant": "partner"})["KeyId"] == arn
    for context in ({"tenant": "owner"}, {}):
        answer = error(lambda: partner_kms.encrypt(KeyId=arn, Plaintext=b"x", EncryptionContext=context))
        assert "no resource-based policy allows" in answer["Error"]["Message"]


def test_an_iam_user_of_the_partner_account_is_decided_by_its_own_policies(kms, partner):
    iam, _ = partner
    arn = kms.create_key(Policy=key_policy(PARTNER_USES))["KeyMetadata"]["Arn"]
    iam.create_user(UserName="bob")
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    bob = boto3.client("kms", region_name=REGION, aws_access_key_id=key["AccessKeyId"],
                       aws_secret_access_key=key["SecretAccessKey"])
    message = error(lambda: bob.encrypt(KeyId=arn, Plaintext=b"x"))["Error"]["Message"]
    assert message.startswith(f"User: arn:aws:iam::{PARTNER}:user/bob is not authorized to perform: kms:Encrypt")
    iam.put_user_policy(UserName="bob", PolicyName="use-key", PolicyDocument=identity("kms:Encrypt", arn))
    assert bob.encrypt(KeyId=arn, Plaintext=b"x")["KeyId"] == arn


def test_a_missing_key_of_the_other_account_is_not_found(kms, partner):
    _, partner_kms = partner
    kms.create_key()
    arn = f"arn:aws:kms:{REGION}:{OWNER}:key/11111111-2222-3333-4444-555555555555"
    answer = error(lambda: partner_kms.encrypt(KeyId=arn, Plaintext=b"x"))
    assert answer["Error"]["Code"] == "NotFoundException"
    assert answer["Error"]["Message"] == f"Key '{arn}' does not exist"


def test_calls_within_one_account_are_unchanged(kms):
    key_id = kms.create_key(Policy=key_policy())["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"same account", EncryptionContext={"a": "1"})["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "1"})["Plaintext"] == b"same account"
    assert error(lambda: kms.decrypt(CiphertextBlob=blob))["Error"]["Code"] == "InvalidCiphertextException"
