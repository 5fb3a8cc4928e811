"""Evaluate a sandbox CloudWatch alarm; the alarm rules: :mod:`course_utils.rules.alarms`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..rules import alarms as _engine
from ..rules.alarms import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules import alarms as _rules
from ..rules.alarms import EXTRA_RANGE, _decide

__all__ = [*_engine.__all__, "evaluate_sandbox"]


class AlarmConfig(_rules.AlarmConfig):
    """:class:`course_utils.rules.alarms.AlarmConfig`, which can also be read from the sandbox."""

    @classmethod
    def from_sandbox(cls, alarm_name: str, client: Any = None) -> "AlarmConfig":
        """Read an alarm created with ``put_metric_alarm`` from the sandbox."""
        client = client or _client()
        found = client.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
        if not found:
            raise ValueError(f"no metric alarm named {alarm_name!r} in the sandbox")
        return cls.from_alarm(found[0], alarm_name)


def _client() -> Any:
    import boto3

    return boto3.client("cloudwatch")


def evaluate_sandbox(alarm_name: str, *, now: datetime | None = None, write_state: bool = True, client: Any = None) -> tuple[str, str]:
    """Evaluate a sandbox alarm at ``now`` (default: the current, possibly frozen, time).

    Reads the alarm's settings and the metric's datapoints for the evaluation range with
    ``get_metric_statistics``, decides the state, and (``write_state``) records it in the
    sandbox with ``set_alarm_state`` so ``describe_alarms`` shows it. Returns (state, reason).
    """
    client = client or _client()
    alarm = client.describe_alarms(AlarmNames=[alarm_name])["MetricAlarms"]
    if not alarm:
        raise ValueError(f"no metric alarm named {alarm_name!r} in the sandbox")
    a = alarm[0]
    cfg = AlarmConfig.from_sandbox(alarm_name, client)
    now = now or datetime.now(timezone.utc)
    end = now.replace(microsecond=0) - timedelta(seconds=int(now.timestamp()) % cfg.period)
    rng = cfg.evaluation_periods + EXTRA_RANGE
    start = end - timedelta(seconds=cfg.period * rng)
    stat = a.get("Statistic", "Average")
    points = client.get_metric_statistics(
        Namespace=a["Namespace"], MetricName=a["MetricName"], Dimensions=a.get("Dimensions", []),
        StartTime=start, EndTime=end, Period=cfg.period, Statistics=[stat],
    )["Datapoints"]  # fmt: skip
    by_slot = {int((p["Timestamp"] - start).total_seconds()) // cfg.period: p[stat] for p in points}
    window = [by_slot.get(i) for i in range(rng)]
    state, reason = _decide(cfg, window, a["StateValue"])
    if write_state and state != a["StateValue"]:
        client.set_alarm_state(AlarmName=alarm_name, StateValue=state, StateReason=f"course_utils.sim.alarms: {reason}")
    return state, reason
