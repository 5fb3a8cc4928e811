"""S3 Object Ownership in the sandbox: new buckets are Bucket owner enforced and refuse object ACLs."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from course_utils.runtime.s3_ownership import sets_acl

PUBLIC_GROUP = 'uri="http://acs.amazonaws.com/groups/global/AllUsers"'


@pytest.fixture
def s3(aws):
    return boto3.client("s3", region_name="us-east-1")


def _refused(call) -> None:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    assert error["Error"]["Code"] == "AccessControlListNotSupported"
    assert error["Error"]["Message"] == "The bucket does not allow ACLs"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_new_bucket_is_bucket_owner_enforced(s3):
    s3.create_bucket(Bucket="plain-bucket")
    rules = s3.get_bucket_ownership_controls(Bucket="plain-bucket")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]


def test_the_setting_named_at_creation_wins(s3):
    s3.create_bucket(Bucket="writer-bucket", ObjectOwnership="ObjectWriter")
    rules = s3.get_bucket_ownership_controls(Bucket="writer-bucket")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "ObjectWriter"}]
    s3.put_object(Bucket="writer-bucket", Key="k", Body=b"x", ACL="public-read")  # ACLs enabled: accepted
    grants = s3.get_object_acl(Bucket="writer-bucket", Key="k")["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("/AllUsers") for g in grants)


def test_put_object_with_an_acl_is_refused(s3):
    s3.create_bucket(Bucket="plain-bucket")
    _refused(lambda: s3.put_object(Bucket="plain-bucket", Key="k", Body=b"x", ACL="public-read"))
    _refused(lambda: s3.put_object(Bucket="plain-bucket", Key="k", Body=b"x", GrantRead=PUBLIC_GROUP))
    assert s3.list_objects_v2(Bucket="plain-bucket").get("KeyCount") == 0  # nothing was written


def test_no_acl_or_bucket_owner_full_control_is_accepted(s3):
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_object(Bucket="plain-bucket", Key="a", Body=b"x")
    s3.put_object(Bucket="plain-bucket", Key="b", Body=b"x", ACL="bucket-owner-full-control")
    assert s3.list_objects_v2(Bucket="plain-bucket")["KeyCount"] == 2


def test_copy_object_and_put_object_acl_are_refused_too(s3):
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_object(Bucket="plain-bucket", Key="k", Body=b"x")
    _refused(lambda: s3.copy_object(Bucket="plain-bucket", Key="k2", CopySource={"Bucket": "plain-bucket", "Key": "k"},
                                    ACL="public-read"))
    _refused(lambda: s3.put_object_acl(Bucket="plain-bucket", Key="k", ACL="public-read"))
    grants = s3.get_object_acl(Bucket="plain-bucket", Key="k")["Grants"]
    assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # only the owner, as before


def test_changing_ownership_to_object_writer_enables_acls(s3):
    s3.create_bucket(Bucket="plain-bucket")
    s3.put_bucket_ownership_controls(Bucket="plain-bucket",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_object(Bucket="plain-bucket", Key="k", Body=b"x", ACL="public-read")


def test_sets_acl_reads_headers_and_body():
    assert sets_acl({"x-amz-acl": "public-read"})
    assert sets_acl({"X-Amz-Grant-Read": PUBLIC_GROUP})
    assert not sets_acl({"x-amz-acl": "bucket-owner-full-control"})
    assert not sets_acl({"Content-Type": "text/plain"})
    assert sets_acl({}, b"<AccessControlPolicy/>") and not sets_acl({}, b"  ")
