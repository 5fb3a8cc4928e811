"""The S3 Lifecycle engine: day counting, the waterfall, validation with S3's errors, what is due."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from course_utils.rules import s3_lifecycle as lc

T0 = datetime(2014, 1, 15, 10, 30, tzinfo=timezone.utc)
BIG = 200 * 1024


def rule(**actions):
    return {"ID": actions.pop("ID", "r"), "Status": actions.pop("Status", "Enabled"),
            "Filter": actions.pop("Filter", {"Prefix": ""}), **actions}


def config(*rules, minimum=None):
    out = {"Rules": list(rules)}
    if minimum:
        out["TransitionDefaultMinimumObjectSize"] = minimum
    return out


def obj(key="logs/a.log", size=BIG, when=T0, **kw):
    return lc.Version(key=key, version_id=kw.pop("version_id", "null"), last_modified=when, size=size, **kw)


def rejected(cfg):
    with pytest.raises(lc.LifecycleConfigError) as err:
        lc.validate(cfg)
    return err.value.code, err.value.message


# --- time -----------------------------------------------------------------------------------------


def test_days_round_up_to_the_next_midnight_utc_as_the_user_guide_example():
    assert lc.due_at(T0, 3) == datetime(2014, 1, 19, tzinfo=timezone.utc)
    assert lc.due_at(datetime(2014, 1, 15, tzinfo=timezone.utc), 3) == datetime(2014, 1, 18, tzinfo=timezone.utc)
    assert lc.due_at(datetime(2014, 1, 15, 10, 30), 0) == datetime(2014, 1, 16, tzinfo=timezone.utc)  # naive = UTC


def test_the_waterfall_goes_only_to_colder_classes():
    assert lc.can_transition("STANDARD", "STANDARD_IA")
    assert lc.can_transition("STANDARD_IA", "GLACIER_IR")
    assert lc.can_transition("GLACIER", "DEEP_ARCHIVE")
    assert not lc.can_transition("GLACIER", "STANDARD_IA")
    assert not lc.can_transition("ONEZONE_IA", "GLACIER_IR")
    assert not lc.can_transition("INTELLIGENT_TIERING", "STANDARD_IA")
    assert not lc.can_transition("DEEP_ARCHIVE", "GLACIER")


# --- validation -----------------------------------------------------------------------------------


def test_a_good_configuration_passes():
    rules = lc.validate(config(rule(Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"},
                                                 {"Days": 90, "StorageClass": "GLACIER"}], Expiration={"Days": 365})))
    assert rules[0]["ID"] == "r"


@pytest.mark.parametrize("transitions, expected", [
    ([{"Days": 7, "StorageClass": "STANDARD_IA"}],
     ("InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'")),
    ([{"Days": 29, "StorageClass": "ONEZONE_IA"}],
     ("InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'ONEZONE_IA'")),
    ([{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 45, "StorageClass": "GLACIER"}],
     ("InvalidArgument", "Days in the Transition action for StorageClass GLACIER must be 30 days more than "
                         "Transition for StorageClass STANDARD_IA")),
    ([{"Days": 30, "StorageClass": "GLACIER"}, {"Days": 90, "StorageClass": "STANDARD_IA"}],  # warmer class later
     ("InvalidArgument", "Days in the Transition action for StorageClass GLACIER must be 30 days more than "
                         "Transition for StorageClass STANDARD_IA")),
    ([{"Days": 0, "StorageClass": "GLACIER_IR"}, {"Days": 60, "StorageClass": "DEEP_ARCHIVE"}],
     ("InvalidArgument", "Days in the Transition action for StorageClass DEEP_ARCHIVE must be 90 days more than "
                         "Transition for StorageClass GLACIER_IR")),
    ([{"Days": 10, "StorageClass": "DEEP_ARCHIVE"}, {"Days": 10, "StorageClass": "GLACIER"}],
     ("InvalidArgument", "'Days' in the Transition action for StorageClass 'DEEP_ARCHIVE' for filter '(prefix=)' must "
                         "be greater than 'Days' in the Transition action for StorageClass 'GLACIER' for filter "
                         "'(prefix=)'")),
    ([{"Days": 90, "StorageClass": "STANDARD"}],
     ("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema")),
])
def test_transitions_s3_rejects(transitions, expected):
    assert rejected(config(rule(Transitions=transitions))) == expected


def test_zero_days_to_an_archive_class_is_allowed():
    lc.validate(config(rule(Transitions=[{"Days": 0, "StorageClass": "GLACIER"}])))


def test_expiration_must_come_after_every_transition():
    assert rejected(config(rule(Filter={"Prefix": "logs/"}, Transitions=[{"Days": 90, "StorageClass": "GLACIER"}],
                                Expiration={"Days": 30}))) == (
        "InvalidArgument", "'Days' in the Expiration action for filter '(prefix=logs/)' must be greater than 'Days' "
                           "in the Transition action")


@pytest.mark.parametrize("cfg, expected", [
    (config(rule(Expiration={"Days": 1}), rule(Expiration={"Days": 2})),
     ("InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule")),
    (config(rule(Expiration={"Days": 0})), ("InvalidArgument", "'Days' for Expiration action must be a positive integer")),
    (config(rule(Expiration={"Date": datetime(2027, 1, 1, 12, tzinfo=timezone.utc)})),
     ("InvalidArgument", "'Date' must be at midnight GMT")),
    (config(rule()), ("InvalidRequest", "At least one action needs to be specified in a rule")),
    (config(rule(Filter={"Tag": {"Key": "t", "Value": "v"}}, AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7})),
     ("InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags.")),
    (config(rule(Filter={"And": {"Prefix": "a/", "ObjectSizeGreaterThan": 500, "ObjectSizeLessThan": 100}},
                 Expiration={"Days": 1})),
     ("InvalidRequest", "'ObjectSizeLessThan' has to be a value greater than 'ObjectSizeGreaterThan'.")),
    (config(rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 10, "StorageClass": "STANDARD_IA"}])),
     ("InvalidArgument", "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 "
                         "for storageClass 'STANDARD_IA'")),
    (config(rule(Expiration={"Date": datetime(2027, 1, 1, tzinfo=timezone.utc)},
                 Transitions=[{"Days": 30, "StorageClass": "GLACIER"}])),
     ("InvalidRequest", "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for "
                        "filter '(prefix=)'")),
    (config(rule(Expiration={"Days": 1}), minimum="tiny"), ("InvalidRequest", "Invalid TransitionDefaultMinimumObjectSize found")),
])
def test_other_configurations_s3_rejects(cfg, expected):
    assert rejected(cfg) == expected


# --- what is due ----------------------------------------------------------------------------------

LOGS = config(rule(ID="logs", Filter={"Prefix": "logs/"}, Transitions=[{"Days": 30, "StorageClass": "STANDARD_IA"},
                                                                        {"Days": 90, "StorageClass": "GLACIER"}],
                   Expiration={"Days": 365}))


def kinds(actions):
    return [(a.kind, a.key, a.storage_class) for a in actions]


def test_nothing_is_due_before_the_midnight_after_the_day_count():
    assert lc.plan(LOGS, [obj()], now=datetime(2014, 2, 14, 23, 59, tzinfo=timezone.utc)) == []
    due = lc.plan(LOGS, [obj()], now=datetime(2014, 2, 15, tzinfo=timezone.utc))
    assert kinds(due) == [("transition", "logs/a.log", "STANDARD_IA")]
    assert due[0].due == datetime(2014, 2, 15, tzinfo=timezone.utc) and due[0].rule_id == "logs"


def test_the_colder_class_wins_and_expiration_beats_transition():
    assert kinds(lc.plan(LOGS, [obj()], now=T0 + timedelta(days=100))) == [("transition", "logs/a.log", "GLACIER")]
    assert kinds(lc.plan(LOGS, [obj()], now=T0 + timedelta(days=400))) == [("expire", "logs/a.log", None)]


def test_objects_outside_the_filter_or_already_colder_are_left_alone():
    assert lc.plan(LOGS, [obj(key="img/a.png")], now=T0 + timedelta(days=100)) == []
    assert lc.plan(LOGS, [obj(storage_class="DEEP_ARCHIVE")], now=T0 + timedelta(days=100)) == []
    disabled = config(rule(Status="Disabled", Expiration={"Days": 1}))
    assert lc.plan(disabled, [obj()], now=T0 + timedelta(days=100)) == []


def test_small_objects_follow_the_default_minimum_size():
    to_glacier = rule(Transitions=[{"Days": 0, "StorageClass": "GLACIER"}])
    small = obj(size=1000)
    later = T0 + timedelta(days=2)
    assert lc.plan(config(to_glacier), [small], now=later) == []  # all_storage_classes_128K, the default
    assert kinds(lc.plan(config(to_glacier, minimum="varies_by_storage_class"), [small], now=later)) == [
        ("transition", "logs/a.log", "GLACIER")]
    to_ir = rule(Transitions=[{"Days": 0, "StorageClass": "GLACIER_IR"}])
    assert lc.plan(config(to_ir, minimum="varies_by_storage_class"), [small], now=later) == []
    sized = rule(Filter={"ObjectSizeGreaterThan": 100}, Transitions=[{"Days": 0, "StorageClass": "GLACIER_IR"}])
    assert kinds(lc.plan(config(sized), [small], now=later)) == [("transition", "logs/a.log", "GLACIER_IR")]


def test_tag_and_size_filters():
    tagged = config(rule(Filter={"And": {"Prefix": "logs/", "Tags": [{"Key": "keep", "Value": "no"}]}},
                         Expiration={"Days": 1}))
    later = T0 + timedelta(days=5)
    assert lc.plan(tagged, [obj(tags={"keep": "yes"})], now=later) == []
    assert kinds(lc.plan(tagged, [obj(tags={"keep": "no"})], now=later)) == [("expire", "logs/a.log", None)]
    smaller = config(rule(Filter={"ObjectSizeLessThan": 100}, Expiration={"Days": 1}))
    assert lc.plan(smaller, [obj(size=100)], now=later) == []
    assert len(lc.plan(smaller, [obj(size=99)], now=later)) == 1


def test_versioned_expiry_names_the_version_and_the_header_date():
    assert lc.plan(LOGS, [obj(version_id="v1")], now=T0 + timedelta(days=400), versioned=True)[0].version_id == "v1"
    when, rule_id = lc.expiration_of(LOGS, obj())
    assert (when, rule_id) == (datetime(2015, 1, 16, tzinfo=timezone.utc), "logs")
    assert lc.expiration_of(LOGS, obj(key="img/a.png")) is None


NONCURRENT = config(rule(NoncurrentVersionTransitions=[{"NoncurrentDays": 30, "StorageClass": "GLACIER"}],
                         NoncurrentVersionExpiration={"NoncurrentDays": 90, "NewerNoncurrentVersions": 1},
                         Expiration={"ExpiredObjectDeleteMarker": True}))


def test_noncurrent_days_count_from_the_next_version_and_keep_the_newest():
    old = obj(version_id="v1", is_latest=False, noncurrent_since=T0, newer_noncurrent=1)
    newest_old = obj(version_id="v2", is_latest=False, noncurrent_since=T0, newer_noncurrent=0)
    assert lc.plan(NONCURRENT, [old], now=T0 + timedelta(days=30)) == []
    assert kinds(lc.plan(NONCURRENT, [old], now=T0 + timedelta(days=31))) == [("transition", "logs/a.log", "GLACIER")]
    due = lc.plan(NONCURRENT, [old, newest_old], now=T0 + timedelta(days=91))
    assert [(a.kind, a.version_id) for a in due] == [("transition", "v2"), ("delete-version", "v1")]  # oldest due first


def test_an_expired_object_delete_marker_is_removed_only_when_alone():
    marker = obj(version_id="m", is_delete_marker=True, size=0, storage_class="", only_version=True)
    assert kinds(lc.plan(NONCURRENT, [marker], now=T0)) == [("remove-marker", "logs/a.log", None)]
    not_alone = obj(version_id="m", is_delete_marker=True, size=0, storage_class="", only_version=False)
    assert lc.plan(NONCURRENT, [not_alone], now=T0) == []


def test_incomplete_multipart_uploads_are_aborted_after_their_days():
    cfg = config(rule(AbortIncompleteMultipartUpload={"DaysAfterInitiation": 7}))
    upload = lc.Upload(key="big.iso", upload_id="u1", initiated=T0)
    assert lc.plan(cfg, [], [upload], now=T0 + timedelta(days=7)) == []
    assert [(a.kind, a.version_id) for a in lc.plan(cfg, [], [upload], now=T0 + timedelta(days=8))] == [
        ("abort-upload", "u1")]


def test_restore_times_by_tier_and_the_copy_expiry():
    assert lc.restore_ready_at("GLACIER", "Expedited", T0) == T0 + timedelta(minutes=5)
    assert lc.restore_ready_at("GLACIER", "Bulk", T0) == T0 + timedelta(hours=12)
    assert lc.restore_ready_at("DEEP_ARCHIVE", "Bulk", T0) == T0 + timedelta(hours=48)
    assert lc.restore_ready_at("DEEP_ARCHIVE", "Expedited", T0) is None  # not offered for Deep Archive
    # the user guide's example: restored on Oct 15 10:30 UTC for 3 days -> available until Oct 19 00:00 UTC
    assert lc.restore_expiry(datetime(2012, 10, 15, 10, 30, tzinfo=timezone.utc), 3) == datetime(
        2012, 10, 19, tzinfo=timezone.utc)
