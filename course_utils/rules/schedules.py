"""EventBridge schedule expressions: parse them and list when they fire.

What AWS does: a scheduled rule (or an EventBridge Scheduler schedule) carries either
``rate(value unit)`` or ``cron(fields)``, evaluated in UTC for rules.

* ``rate(value unit)``: ``value`` is a positive integer; ``unit`` is ``minute``, ``hour`` or
  ``day`` when the value is 1 and ``minutes``, ``hours`` or ``days`` when it is greater
  (``rate(1 hours)`` and ``rate(5 hour)`` are rejected). The clock starts when the rule is
  created.
* ``cron(min hour day-of-month month day-of-week year)``: six fields. Minutes 0-59, hours 0-23,
  day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (1 = Sunday), year
  1970-2199. Wildcards: ``,`` lists, ``-`` ranges, ``*`` all, ``/`` increments (``1/10`` in
  minutes = 1, 11, 21, ...), ``?`` any (day-of-month and day-of-week only), ``L`` last day of the
  month or week, ``W`` nearest weekday (``3W``; day-of-month only), ``#`` nth weekday of the month
  (``3#2`` = second Tuesday; day-of-week only, and then only one expression in that field).
  Day-of-month and day-of-week cannot both be given: exactly one of them must be ``?``.

moto stores a rule's ScheduleExpression but never fires it. This module reproduces the parsing
rules (with a ValueError naming the bad field) and computes fire times;
:func:`~course_utils.sim.schedules.fire_rule` delivers the documented "Scheduled Event" to a
rule's SQS, SNS and Lambda targets for every fire time in a window, with the clock moved to each
fire time (freezegun), so no real waiting happens.
"""

from __future__ import annotations

import calendar
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

__all__ = ["Schedule", "parse", "next_fire_times", "fire_times_between", "scheduled_event"]

_MONTHS = {m: i for i, m in enumerate(
    ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"], start=1)}
_DAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], start=1)}
_FIELD_NAMES = ["Minutes", "Hours", "Day-of-month", "Month", "Day-of-week", "Year"]
_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (1, 7), (1970, 2199)]
_ALLOWED = [",-*/", ",-*/", ",-*?/LW", ",-*/", ",-*?L#", ",-*/"]
_RATE_UNITS = {"minute": 60, "hour": 3600, "day": 86400}


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule expression.

    ``kind`` is ``"rate"`` or ``"cron"``. Rates carry ``interval``; crons carry the expanded
    value sets and the day rules (``day_rule`` decides whether a calendar day matches).
    """

    expression: str
    kind: str
    interval: timedelta | None = None
    minutes: tuple[int, ...] = ()
    hours: tuple[int, ...] = ()
    months: frozenset[int] = frozenset()
    years: tuple[int, ...] = ()
    day_rule: Callable[[date], bool] | None = field(default=None, compare=False, repr=False)

    def next_after(self, after: datetime, *, start: datetime | None = None) -> datetime | None:
        """The first fire time strictly after ``after`` (None if the schedule never fires again)."""
        times = next_fire_times(self.expression, after, 1, start=start, _schedule=self)
        return times[0] if times else None


def _utc(dt: datetime) -> datetime:
    """Naive datetimes are read as UTC; aware ones are converted to UTC."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _bad(expr: str, i: int, text: str, why: str) -> ValueError:
    return ValueError(f"{expr}: {_FIELD_NAMES[i]} field {text!r}: {why}")


def _number(expr: str, i: int, token: str, whole: str) -> int:
    names = _MONTHS if i == 3 else _DAYS if i == 4 else {}
    up = token.upper()
    if up in names:
        return names[up]
    if not token.isdigit():
        raise _bad(expr, i, whole, f"{token!r} is not a number" + (
            f" or a name ({', '.join(names)})" if names else ""))
    value = int(token)
    lo, hi = _RANGES[i]
    if not lo <= value <= hi:
        raise _bad(expr, i, whole, f"value {value} is out of range {lo}-{hi}")
    return value


def _expand(expr: str, i: int, text: str) -> set[int]:
    """Expand ``,`` ``-`` ``*`` ``/`` in one field into a set of values."""
    lo, hi = _RANGES[i]
    values: set[int] = set()
    for part in text.split(","):
        if not part:
            raise _bad(expr, i, text, "empty item in a comma list")
        step = 1
        if "/" in part:
            base, _, step_text = part.partition("/")
            if not step_text.isdigit() or int(step_text) == 0:
                raise _bad(expr, i, text, f"increment {step_text!r} must be a positive integer")
            step = int(step_text)
        else:
            base = part
        if base == "*":
            start, end = lo, hi
        elif "-" in base:
            a, _, b = base.partition("-")
            start, end = _number(expr, i, a, text), _number(expr, i, b, text)
            if start > end:
                raise _bad(expr, i, text, f"range {base} runs backwards")
        else:
            start = _number(expr, i, base, text)
            end = hi if "/" in part else start
        values.update(range(start, end + 1, step))
    return values


def _dow(d: date) -> int:
    """EventBridge day-of-week: 1 = Sunday ... 7 = Saturday."""
    return (d.weekday() + 1) % 7 + 1


def _last_day(d: date) -> int:
    return calendar.monthrange(d.year, d.month)[1]


def _nearest_weekday(year: int, month: int, n: int) -> int | None:
    """Day of the weekday nearest to day ``n`` without leaving the month (the ``nW`` rule)."""
    last = calendar.monthrange(year, month)[1]
    if n > last:
        return None
    wd = date(year, month, n).weekday()  # Mon=0 .. Sun=6
    if wd < 5:
        return n
    if wd == 5:  # Saturday -> Friday, or Monday if that leaves the month
        return n - 1 if n > 1 else n + 2
    return n + 1 if n < last else n - 2  # Sunday -> Monday, or Friday at month end


def _dom_rule(expr: str, text: str) -> Callable[[date], bool]:
    up = text.upper()
    if up == "L":
        return lambda d: d.day == _last_day(d)
    if up == "LW":
        def last_weekday(d: date) -> bool:
            last = _last_day(d)
            wd = date(d.year, d.month, last).weekday()
            target = last - (wd - 4 if wd >= 5 else 0)
            return d.day == target
        return last_weekday
    m = re.fullmatch(r"(\d+)W", up)
    if m:
        n = _number(expr, 2, m.group(1), text)
        return lambda d: d.day == _nearest_weekday(d.year, d.month, n)
    if "L" in up or "W" in up:
        raise _bad(expr, 2, text, "L and W must stand alone: use L, LW or nW (e.g. 15W)")
    days = _expand(expr, 2, text)
    return lambda d: d.day in days


def _dow_rule(expr: str, text: str) -> Callable[[date], bool]:
    up = text.upper()
    if "#" in up:
        if "," in up:
            raise _bad(expr, 4, text, "with '#' the field holds only one expression (e.g. 3#2)")
        m = re.fullmatch(r"(\w+)#(\d+)", up)
        if not m:
            raise _bad(expr, 4, text, "use day#n, e.g. 3#2 for the second Tuesday")
        wd = _number(expr, 4, m.group(1), text)
        nth = int(m.group(2))
        if not 1 <= nth <= 5:
            raise _bad(expr, 4, text, f"occurrence {nth} must be 1-5")
        return lambda d: _dow(d) == wd and (d.day - 1) // 7 + 1 == nth
    if up == "L":  # last day of the week: Saturday
        return lambda d: _dow(d) == 7
    m = re.fullmatch(r"(\w+)L", up)
    if m:
        wd = _number(expr, 4, m.group(1), text)
        return lambda d: _dow(d) == wd and d.day + 7 > _last_day(d)
    if "L" in re.sub(r"SUN|MON|TUE|WED|THU|FRI|SAT", "", up):
        raise _bad(expr, 4, text, "L must stand alone (L) or follow one day (e.g. 6L = last Friday)")
    days = _expand(expr, 4, text)
    return lambda d: _dow(d) in days


def parse(expression: str) -> Schedule:
    """Parse ``rate(...)`` or ``cron(...)``; ValueError names what is wrong and where."""
    if not isinstance(expression, str):
        raise ValueError(f"schedule expression must be a string, got {type(expression).__name__}")
    expr = expression.strip()
    m = re.fullmatch(r"(rate|cron)\((.*)\)", expr)
    if not m:
        raise ValueError(f"{expression!r}: a schedule expression is rate(value unit) or cron(6 fields)")
    kind, body = m.group(1), m.group(2).strip()
    if kind == "rate":
        parts = body.split()
        if len(parts) != 2:
            raise ValueError(f"{expr}: rate() takes two fields, value and unit, got {len(parts)}")
        value_text, unit = parts
        if not value_text.isdigit() or int(value_text) < 1:
            raise ValueError(f"{expr}: rate value {value_text!r} must be a positive integer")
        value = int(value_text)
        singular = unit[:-1] if unit.endswith("s") else unit
        if singular not in _RATE_UNITS:
            raise ValueError(f"{expr}: rate unit {unit!r} must be minute(s), hour(s) or day(s)")
        if value == 1 and unit != singular:
            raise ValueError(f"{expr}: with a value of 1 the unit must be singular ({singular!r})")
        if value > 1 and unit == singular:
            raise ValueError(f"{expr}: with a value above 1 the unit must be plural ({singular + 's'!r})")
        return Schedule(expr, "rate", interval=timedelta(seconds=value * _RATE_UNITS[singular]))

    fields = body.split()
    if len(fields) != 6:
        raise ValueError(
            f"{expr}: cron() needs 6 fields (Minutes Hours Day-of-month Month Day-of-week Year), "
            f"got {len(fields)}")
    for i, text in enumerate(fields):
        letters = set(re.sub(r"[0-9A-Za-z]", "", text))
        bad = letters - set(_ALLOWED[i])
        if bad:
            raise _bad(expr, i, text, f"wildcard {''.join(sorted(bad))!r} is not allowed here "
                                      f"(allowed: {' '.join(_ALLOWED[i])})")
        if "?" in text and text != "?":
            raise _bad(expr, i, text, "'?' must stand alone")
    dom_text, dow_text = fields[2], fields[4]
    if (dom_text == "?") == (dow_text == "?"):
        raise ValueError(
            f"{expr}: Day-of-month {dom_text!r} and Day-of-week {dow_text!r}: exactly one of them "
            "must be '?' (you cannot give both, and * counts as a value)")
    for i in (0, 1, 3, 5):
        if re.search(r"[A-Za-z]", fields[i]) and i != 3:
            raise _bad(expr, i, fields[i], "letters are not allowed here")
    minutes = tuple(sorted(_expand(expr, 0, fields[0])))
    hours = tuple(sorted(_expand(expr, 1, fields[1])))
    months = frozenset(_expand(expr, 3, fields[3]))
    years = tuple(sorted(_expand(expr, 5, fields[5])))
    rule = _dom_rule(expr, dom_text) if dow_text == "?" else _dow_rule(expr, dow_text)
    return Schedule(expr, "cron", minutes=minutes, hours=hours, months=months, years=years, day_rule=rule)


def next_fire_times(expression: str, after: datetime, count: int = 5, *,
                    start: datetime | None = None, _schedule: Schedule | None = None) -> list[datetime]:
    """The next ``count`` fire times strictly after ``after``, as tz-aware UTC datetimes.

    Naive datetimes are read as UTC. For a rate, fires fall at ``start + k * interval``
    (``start`` = when the rule was created; default ``after``). A cron that has no fire time
    left before 2200 returns fewer than ``count`` times.
    """
    if count < 0:
        raise ValueError(f"count must be >= 0, got {count}")
    sched = _schedule or parse(expression)
    after = _utc(after)
    if sched.kind == "rate":
        assert sched.interval is not None
        anchor = _utc(start) if start is not None else after
        if anchor > after:
            k0 = 0
        else:
            k0 = int((after - anchor) // sched.interval) + 1
        return [anchor + (k0 + k) * sched.interval for k in range(count)]
    out: list[datetime] = []
    if count == 0:
        return out
    first = after.replace(second=0, microsecond=0)
    for year in sched.years:
        if year < first.year:
            continue
        for month in sorted(sched.months):
            if (year, month) < (first.year, first.month):
                continue
            for day in range(1, calendar.monthrange(year, month)[1] + 1):
                d = date(year, month, day)
                if d < first.date() or not sched.day_rule(d):  # type: ignore[misc]
                    continue
                for hour in sched.hours:
                    for minute in sched.minutes:
                        t = datetime(year, month, day, hour, minute, tzinfo=timezone.utc)
                        if t > after:
                            out.append(t)
                            if len(out) == count:
                                return out
    return out


def fire_times_between(expression: str, start: datetime, end: datetime, *,
                       created: datetime | None = None, limit: int = 10_000) -> list[datetime]:
    """Every fire time in ``(start, end]`` (rates count from ``created``, default ``start``)."""
    start, end = _utc(start), _utc(end)
    if end < start:
        raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
    sched = parse(expression)
    out: list[datetime] = []
    cursor = start
    while len(out) < limit:
        batch = next_fire_times(expression, cursor, 100, start=created or start, _schedule=sched)
        for t in batch:
            if t > end:
                return out
            out.append(t)
        if len(batch) < 100:
            return out
        cursor = batch[-1]
    raise ValueError(f"more than {limit} fire times between {start} and {end}: narrow the window")


def scheduled_event(rule_arn: str, when: datetime, *, account: str = "123456789012",
                    region: str = "us-east-1") -> dict[str, Any]:
    """The event EventBridge sends to a scheduled rule's targets (detail-type "Scheduled Event")."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
