"""course_utils.sim.schedules: EventBridge rate/cron parsing and fire times."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from course_utils.sim import schedules

UTC = timezone.utc
T0 = datetime(2026, 3, 2, 10, 7, 30, tzinfo=UTC)  # a Monday


def test_rate_minutes_counts_from_after_by_default():
    times = schedules.next_fire_times("rate(5 minutes)", T0, 3)
    assert times == [T0 + timedelta(minutes=5 * k) for k in (1, 2, 3)]
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in times)


def test_rate_counts_from_rule_creation():
    created = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    times = schedules.next_fire_times("rate(1 hour)", T0, 2, start=created)
    assert times == [datetime(2026, 3, 2, 11, 0, tzinfo=UTC), datetime(2026, 3, 2, 12, 0, tzinfo=UTC)]


def test_fire_times_are_strictly_after():
    at_noon = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    times = schedules.next_fire_times("cron(0 12 * * ? *)", at_noon, 2)
    assert times == [datetime(2026, 3, 3, 12, 0, tzinfo=UTC), datetime(2026, 3, 4, 12, 0, tzinfo=UTC)]


def test_naive_after_is_read_as_utc():
    naive = datetime(2026, 3, 2, 11, 59)
    assert schedules.next_fire_times("cron(0 12 * * ? *)", naive, 1) == [datetime(2026, 3, 2, 12, 0, tzinfo=UTC)]


@pytest.mark.parametrize("expr", ["rate(1 hours)", "rate(5 hour)", "rate(0 minutes)", "rate(5 weeks)", "rate(5)"])
def test_bad_rates(expr):
    with pytest.raises(ValueError, match="rate"):
        schedules.parse(expr)


def test_singular_plural_message():
    with pytest.raises(ValueError, match="singular"):
        schedules.parse("rate(1 minutes)")
    with pytest.raises(ValueError, match="plural"):
        schedules.parse("rate(5 minute)")


def test_weekdays_at_six_pm():
    times = schedules.next_fire_times("cron(0 18 ? * MON-FRI *)", datetime(2026, 3, 6, 19, 0, tzinfo=UTC), 2)
    # Friday 19:00 -> next Monday and Tuesday 18:00
    assert times == [datetime(2026, 3, 9, 18, 0, tzinfo=UTC), datetime(2026, 3, 10, 18, 0, tzinfo=UTC)]
    assert [t.strftime("%a") for t in times] == ["Mon", "Tue"]


def test_slash_increment_in_minutes():
    times = schedules.next_fire_times("cron(1/10 * * * ? *)", datetime(2026, 1, 1, 0, 0, tzinfo=UTC), 4)
    assert [t.minute for t in times] == [1, 11, 21, 31]


def test_last_day_of_month():
    times = schedules.next_fire_times("cron(0 0 L * ? *)", datetime(2028, 1, 15, tzinfo=UTC), 3)
    assert [t.date().isoformat() for t in times] == ["2028-01-31", "2028-02-29", "2028-03-31"]


def test_nth_weekday_hash():
    # 3#2 = second Tuesday of the month
    times = schedules.next_fire_times("cron(0 9 ? * 3#2 *)", datetime(2026, 1, 1, tzinfo=UTC), 2)
    assert [t.date().isoformat() for t in times] == ["2026-01-13", "2026-02-10"]
    assert all(t.strftime("%a") == "Tue" for t in times)


def test_last_friday_and_nearest_weekday():
    last_fri = schedules.next_fire_times("cron(0 0 ? * 6L *)", datetime(2026, 1, 1, tzinfo=UTC), 1)
    assert last_fri[0].date().isoformat() == "2026-01-30"
    # 2026-02-15 is a Sunday: 15W fires on Monday the 16th
    w = schedules.next_fire_times("cron(0 0 15W * ? *)", datetime(2026, 2, 1, tzinfo=UTC), 1)
    assert w[0].date().isoformat() == "2026-02-16"
    # 2026-08-01 is a Saturday: 1W stays in the month -> Monday the 3rd
    w1 = schedules.next_fire_times("cron(0 0 1W * ? *)", datetime(2026, 7, 31, tzinfo=UTC), 1)
    assert w1[0].date().isoformat() == "2026-08-03"


def test_month_and_year_fields():
    times = schedules.next_fire_times("cron(0 0 1 JAN,JUL ? 2027-2028)", T0, 10)
    assert [t.date().isoformat() for t in times] == ["2027-01-01", "2027-07-01", "2028-01-01", "2028-07-01"]


def test_day_of_week_names_and_numbers_agree():
    a = schedules.next_fire_times("cron(0 8 ? * SUN *)", T0, 3)
    b = schedules.next_fire_times("cron(0 8 ? * 1 *)", T0, 3)
    assert a == b and all(t.strftime("%a") == "Sun" for t in a)


@pytest.mark.parametrize("expr, field", [
    ("cron(0 12 * * * *)", "Day-of-month"),          # both days given
    ("cron(0 12 ? * ? *)", "Day-of-month"),          # both '?'
    ("cron(60 12 * * ? *)", "Minutes"),
    ("cron(0 24 * * ? *)", "Hours"),
    ("cron(0 12 32 * ? *)", "Day-of-month"),
    ("cron(0 12 * 13 ? *)", "Month"),
    ("cron(0 12 ? * 8 *)", "Day-of-week"),
    ("cron(0 12 * * ? 1969)", "Year"),
    ("cron(0 12 ? * 3#1,6#3 *)", "Day-of-week"),
    ("cron(0 12 * * ?)", "6 fields"),
    ("cron(0 L * * ? *)", "Hours"),
    ("cron(0 12 ? * 2W *)", "Day-of-week"),
    ("cron(0 12 5-1 * ? *)", "Day-of-month"),
])
def test_bad_cron_names_the_field(expr, field):
    with pytest.raises(ValueError) as err:
        schedules.parse(expr)
    assert field in str(err.value)


def test_not_a_schedule():
    with pytest.raises(ValueError, match="rate\\(value unit\\) or cron"):
        schedules.parse("every 5 minutes")


def test_schedule_object():
    s = schedules.parse("cron(0 12 * * ? *)")
    assert s.kind == "cron" and s.hours == (12,) and s.minutes == (0,)
    r = schedules.parse("rate(2 days)")
    assert r.kind == "rate" and r.interval == timedelta(days=2)
    assert s.next_after(T0) == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_fire_times_between_window():
    start = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
    times = schedules.fire_times_between("rate(15 minutes)", start, start + timedelta(hours=1))
    assert len(times) == 4 and times[-1] == start + timedelta(hours=1)
    with pytest.raises(ValueError, match="before start"):
        schedules.fire_times_between("rate(1 hour)", start, start - timedelta(hours=1))


def test_year_with_no_time_left_returns_fewer():
    assert schedules.next_fire_times("cron(0 0 1 1 ? 2026)", T0, 3) == []


def test_fire_rule_delivers_scheduled_events_to_sqs(aws):
    events, sqs = boto3.client("events"), boto3.client("sqs")
    url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="nightly", ScheduleExpression="cron(0 2 * * ? *)")
    events.put_targets(Rule="nightly", Targets=[{"Id": "q", "Arn": arn}])
    # a recent window, so the messages are still within the queue's retention period
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=4)
    fired = schedules.fire_rule("nightly", start, start + timedelta(days=3))
    expected = [(start + timedelta(days=k)).replace(hour=2) for k in (1, 2, 3)]
    assert fired == expected
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["SentTimestamp"])["Messages"]
    bodies = sorted((json.loads(m["Body"]) for m in msgs), key=lambda e: e["time"])
    assert [b["time"] for b in bodies] == [t.strftime("%Y-%m-%dT%H:%M:%SZ") for t in expected]
    assert bodies[0]["detail-type"] == "Scheduled Event" and bodies[0]["source"] == "aws.events"
    # the clock was moved to the fire time while sending
    sent = sorted(int(m["Attributes"]["SentTimestamp"]) for m in msgs)
    assert sent[0] == int(expected[0].timestamp() * 1000)


def test_fire_rule_disabled_and_pattern_rules(aws):
    events = boto3.client("events")
    events.put_rule(Name="off", ScheduleExpression="rate(1 minute)", State="DISABLED")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    assert schedules.fire_rule("off", start, start + timedelta(minutes=5)) == []
    events.put_rule(Name="pattern", EventPattern=json.dumps({"source": ["app"]}))
    with pytest.raises(ValueError, match="no ScheduleExpression"):
        schedules.fire_rule("pattern", start, start + timedelta(minutes=5))
