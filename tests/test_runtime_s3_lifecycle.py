"""S3 Lifecycle and archive restores in the sandbox, seen through plain boto3 calls."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

T0 = datetime(2026, 1, 15, 10, 30, tzinfo=timezone.utc)
BIG = b"x" * (200 * 1024)

LOGS_RULES = [
    {"ID": "logs", "Status": "Enabled", "Filter": {"Prefix": "logs/"},
     "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
     "Expiration": {"Days": 365}},
    {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},
]


@pytest.fixture
def s3(aws):
    return boto3.client("s3")


def classes(s3, bucket, day):
    with freeze_time(T0 + timedelta(days=day)):
        return {o["Key"]: o["StorageClass"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}


def error(call):
    with pytest.raises(ClientError) as err:
        call()
    return (err.value.response["Error"]["Code"], err.value.response["Error"]["Message"],
            err.value.response["ResponseMetadata"]["HTTPStatusCode"])


@pytest.fixture
def logs_bucket(s3):
    with freeze_time(T0):
        s3.create_bucket(Bucket="lc-logs")
        for key, body in (("logs/app.log", BIG), ("logs/tiny.log", b"t"), ("tmp/scratch", b"s"), ("img/a.png", BIG)):
            s3.put_object(Bucket="lc-logs", Key=key, Body=body)
        answer = s3.put_bucket_lifecycle_configuration(Bucket="lc-logs", LifecycleConfiguration={"Rules": LOGS_RULES})
    return answer


def test_objects_move_and_expire_as_time_passes(s3, logs_bucket):
    assert logs_bucket["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    assert classes(s3, "lc-logs", 1) == {"img/a.png": "STANDARD", "logs/app.log": "STANDARD",
                                         "logs/tiny.log": "STANDARD", "tmp/scratch": "STANDARD"}
    assert "tmp/scratch" not in classes(s3, "lc-logs", 8)
    at_31 = classes(s3, "lc-logs", 31)
    assert at_31["logs/app.log"] == "STANDARD_IA" and at_31["logs/tiny.log"] == "STANDARD"  # < 128 KB stays
    assert classes(s3, "lc-logs", 91)["logs/app.log"] == "GLACIER"
    assert classes(s3, "lc-logs", 366) == {"img/a.png": "STANDARD"}


def test_head_object_reports_the_storage_class_and_the_expiration(s3, logs_bucket):
    with freeze_time(T0 + timedelta(days=31)):
        head = s3.head_object(Bucket="lc-logs", Key="logs/app.log")
    assert head["StorageClass"] == "STANDARD_IA"
    assert head["Expiration"] == 'expiry-date="Sat, 16 Jan 2027 00:00:00 GMT", rule-id="logs"'
    with freeze_time(T0 + timedelta(days=31)):
        assert "Expiration" not in s3.head_object(Bucket="lc-logs", Key="img/a.png")


def test_get_object_on_a_transitioned_archive_object_needs_a_restore(s3, logs_bucket):
    with freeze_time(T0 + timedelta(days=91)):
        assert error(lambda: s3.get_object(Bucket="lc-logs", Key="logs/app.log"))[0::2] == ("InvalidObjectState", 403)


def test_the_configuration_reads_back_as_put_including_what_moto_drops(s3, logs_bucket):
    s3.put_bucket_lifecycle_configuration(
        Bucket="lc-logs", TransitionDefaultMinimumObjectSize="varies_by_storage_class",
        LifecycleConfiguration={"Rules": [{"ID": "big", "Status": "Enabled",
                                           "Filter": {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 1000}},
                                           "NoncurrentVersionExpiration": {"NoncurrentDays": 30,
                                                                           "NewerNoncurrentVersions": 2}}]})
    got = s3.get_bucket_lifecycle_configuration(Bucket="lc-logs")
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    assert got["Rules"][0]["Filter"] == {"And": {"Prefix": "logs/", "ObjectSizeGreaterThan": 1000}}
    assert got["Rules"][0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30, "NewerNoncurrentVersions": 2}
    s3.delete_bucket_lifecycle(Bucket="lc-logs")
    assert error(lambda: s3.get_bucket_lifecycle_configuration(Bucket="lc-logs"))[0] == "NoSuchLifecycleConfiguration"
    assert "logs/app.log" in classes(s3, "lc-logs", 400)  # no rules any more: nothing expires


@pytest.mark.parametrize("rules, expected", [
    ([{"ID": "a", "Status": "Enabled", "Filter": {}, "Transitions": [{"Days": 7, "StorageClass": "STANDARD_IA"}]}],
     ("InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass "
                         "'STANDARD_IA'", 400)),
    ([{"ID": "a", "Status": "Enabled", "Filter": {"Prefix": ""}, "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}],
       "Expiration": {"Days": 30}}],
     ("InvalidArgument", "'Days' in the Expiration action for filter '(prefix=)' must be greater than 'Days' in the "
                         "Transition action", 400)),
    ([{"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
      {"ID": "a", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 2}}],
     ("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule", 400)),
])
def test_configurations_aws_rejects_are_rejected(s3, logs_bucket, rules, expected):
    assert error(lambda: s3.put_bucket_lifecycle_configuration(
        Bucket="lc-logs", LifecycleConfiguration={"Rules": rules})) == expected
    assert s3.get_bucket_lifecycle_configuration(Bucket="lc-logs")["Rules"][0]["ID"] == "logs"  # unchanged


def test_versioned_bucket_noncurrent_rules_and_multipart_cleanup(s3):
    with freeze_time(T0):
        s3.create_bucket(Bucket="lc-versions")
        s3.put_bucket_versioning(Bucket="lc-versions", VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_lifecycle_configuration(Bucket="lc-versions", LifecycleConfiguration={"Rules": [{
            "ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""},
            "NoncurrentVersionTransitions": [{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 90, "NewerNoncurrentVersions": 1},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})
        s3.create_multipart_upload(Bucket="lc-versions", Key="big.iso")
    for day, body in ((0, b"1" * 200_000), (1, b"2" * 200_000), (2, b"3" * 200_000)):
        with freeze_time(T0 + timedelta(days=day, hours=1)):
            s3.put_object(Bucket="lc-versions", Key="report.csv", Body=body)

    def versions(day):
        with freeze_time(T0 + timedelta(days=day)):
            listed = s3.list_object_versions(Bucket="lc-versions")["Versions"]
            uploads = s3.list_multipart_uploads(Bucket="lc-versions").get("Uploads", [])
        return [(v["IsLatest"], v["StorageClass"]) for v in listed], len(uploads)

    assert versions(5) == ([(True, "STANDARD"), (False, "STANDARD"), (False, "STANDARD")], 1)
    assert versions(40) == ([(True, "STANDARD"), (False, "GLACIER"), (False, "GLACIER")], 0)
    assert versions(100) == ([(True, "STANDARD"), (False, "GLACIER")], 0)  # the newest noncurrent one is kept


def test_expiring_in_a_versioned_bucket_adds_a_delete_marker_then_cleans_up(s3):
    with freeze_time(T0):
        s3.create_bucket(Bucket="lc-markers")
        s3.put_bucket_versioning(Bucket="lc-markers", VersioningConfiguration={"Status": "Enabled"})
        s3.put_object(Bucket="lc-markers", Key="doc.txt", Body=b"d")
        s3.put_bucket_lifecycle_configuration(Bucket="lc-markers", LifecycleConfiguration={"Rules": [
            {"ID": "current", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 10}},
            {"ID": "cleanup", "Status": "Enabled", "Filter": {"Prefix": ""},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 5}, "Expiration": {"ExpiredObjectDeleteMarker": True}}]})
    with freeze_time(T0 + timedelta(days=12)):
        listed = s3.list_object_versions(Bucket="lc-markers")
        assert [m["IsLatest"] for m in listed["DeleteMarkers"]] == [True]
        assert [v["IsLatest"] for v in listed["Versions"]] == [False]
        assert error(lambda: s3.get_object(Bucket="lc-markers", Key="doc.txt"))[0] == "NoSuchKey"
    with freeze_time(T0 + timedelta(days=20)):
        listed = s3.list_object_versions(Bucket="lc-markers")
    assert "Versions" not in listed and "DeleteMarkers" not in listed


def test_restore_tiers_times_and_the_copy_expiry(s3):
    with freeze_time(T0):
        s3.create_bucket(Bucket="lc-archive")
        s3.put_object(Bucket="lc-archive", Key="cold.bin", Body=b"archived", StorageClass="GLACIER")
        assert error(lambda: s3.get_object(Bucket="lc-archive", Key="cold.bin")) == (
            "InvalidObjectState", "The operation is not valid for the object's storage class", 403)
        first = s3.restore_object(Bucket="lc-archive", Key="cold.bin",
                                  RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Standard"}})
        assert first["ResponseMetadata"]["HTTPStatusCode"] == 202
        assert s3.head_object(Bucket="lc-archive", Key="cold.bin")["Restore"] == 'ongoing-request="true"'
        assert error(lambda: s3.restore_object(Bucket="lc-archive", Key="cold.bin", RestoreRequest={"Days": 2})) == (
            "RestoreAlreadyInProgress", "Object restore is already in progress", 409)
        upgraded = s3.restore_object(Bucket="lc-archive", Key="cold.bin",
                                     RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Expedited"}})
        assert upgraded["ResponseMetadata"]["HTTPStatusCode"] == 202
    with freeze_time(T0 + timedelta(minutes=4)):
        assert error(lambda: s3.get_object(Bucket="lc-archive", Key="cold.bin"))[0] == "InvalidObjectState"
    with freeze_time(T0 + timedelta(minutes=6)):
        head = s3.head_object(Bucket="lc-archive", Key="cold.bin")
        assert head["Restore"] == 'ongoing-request="false", expiry-date="Sun, 18 Jan 2026 00:00:00 GMT"'
        assert head["StorageClass"] == "GLACIER"  # the object stays archived; a copy is readable
        assert s3.get_object(Bucket="lc-archive", Key="cold.bin")["Body"].read() == b"archived"
        again = s3.restore_object(Bucket="lc-archive", Key="cold.bin", RestoreRequest={"Days": 5})
        assert again["ResponseMetadata"]["HTTPStatusCode"] == 200  # extends the copy
    with freeze_time(datetime(2026, 1, 19, 12, tzinfo=timezone.utc)):
        assert s3.get_object(Bucket="lc-archive", Key="cold.bin")["Body"].read() == b"archived"
    with freeze_time(datetime(2026, 1, 21, tzinfo=timezone.utc)):
        assert "Restore" not in s3.head_object(Bucket="lc-archive", Key="cold.bin")
        assert error(lambda: s3.get_object(Bucket="lc-archive", Key="cold.bin"))[0] == "InvalidObjectState"


def test_restore_on_an_object_that_is_not_archived_is_refused(s3):
    s3.create_bucket(Bucket="lc-warm")
    s3.put_object(Bucket="lc-warm", Key="w", Body=b"w", StorageClass="STANDARD_IA")
    assert error(lambda: s3.restore_object(Bucket="lc-warm", Key="w", RestoreRequest={"Days": 1}))[0::2] == (
        "InvalidObjectState", 403)

