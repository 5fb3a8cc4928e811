"""An AWS AppConfig deployment over time: growth, bake time, rollback.

What AWS documents ("Working with deployment strategies",
https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy.html):

* A **deployment strategy** has a ``DeploymentDurationInMinutes`` (0-1440), a ``GrowthFactor``
  (the step percentage, 1-100), a ``GrowthType`` and a ``FinalBakeTimeInMinutes`` (0-1440).
* **LINEAR** processes the deployment "by increments of the growth factor evenly distributed over
  the deployment": a 10-hour deployment with 20% growth is at 0% at 0 h, 20% at 2 h, 40% at 4 h ...
  100% at 10 h.
* **EXPONENTIAL** follows ``G*(2^N)`` (G the growth factor, N the step number): with G=2 the
  targets receive the configuration 2%, 4%, 8%, ... until all have it.
* After 100%, AppConfig keeps watching the environment's CloudWatch alarms for the **final bake
  time**; then the deployment is ``COMPLETE``. An alarm in ``ALARM`` or ``INSUFFICIENT_DATA``
  during the deployment (or a ``StopDeployment`` call) rolls the configuration back to the
  previous version (https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html).
* The predefined strategies (:data:`PREDEFINED`,
  https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-deployment-strategy-predefined.html).

What this module adds (the docs give no exact timing for exponential steps): exponential steps
are spread evenly over the duration like linear ones, the last step capped at 100%. Plain data
in, a decision out; :mod:`course_utils.runtime.appconfig` applies it to the sandbox's deployments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "Strategy", "PREDEFINED", "Event", "Progress", "validate", "schedule", "percentage_at", "progress",
    "monitored", "sees_new_version", "timeline",
]

_EPS = 1e-9


@dataclass(frozen=True)
class Strategy:
    """A deployment strategy's rollout settings (the fields of AppConfig's DeploymentStrategy)."""

    duration_minutes: float
    growth_factor: float
    growth_type: str = "LINEAR"
    final_bake_minutes: float = 0


#: AppConfig's predefined strategies (ID -> settings), as the user guide describes them.
PREDEFINED: dict[str, Strategy] = {
    "AppConfig.Linear20PercentEvery6Minutes": Strategy(30, 20, "LINEAR", 30),
    "AppConfig.Canary10Percent20Minutes": Strategy(20, 10, "EXPONENTIAL", 10),
    "AppConfig.AllAtOnce": Strategy(0, 100, "LINEAR", 10),
    "AppConfig.Linear50PercentEvery30Seconds": Strategy(1, 50, "LINEAR", 1),
}


@dataclass(frozen=True)
class Event:
    """One entry of a deployment's event log (AppConfig's DeploymentEvent)."""

    minute: float
    type: str  # DEPLOYMENT_STARTED, PERCENTAGE_UPDATED, BAKE_TIME_STARTED, DEPLOYMENT_COMPLETED, ROLLBACK_*
    triggered_by: str  # USER, APPCONFIG, CLOUDWATCH_ALARM
    description: str


@dataclass(frozen=True)
class Progress:
    """Where a deployment stands ``minutes`` after it started."""

    state: str  # DEPLOYING, BAKING, COMPLETE, ROLLED_BACK
    percentage: float  # share of targets on the new version
    events: tuple[Event, ...]
    completed_minute: float | None  # when it reached COMPLETE or ROLLED_BACK, else None


def validate(strategy: Strategy) -> list[str]:
    """Problems with a strategy's settings (ranges of AppConfig's API model); empty when sound."""
    problems = []
    if not 0 <= strategy.duration_minutes <= 1440:
        problems.append("DeploymentDurationInMinutes must be between 0 and 1440")
    if not 0 <= strategy.final_bake_minutes <= 1440:
        problems.append("FinalBakeTimeInMinutes must be between 0 and 1440")
    if not 1 <= strategy.growth_factor <= 100:
        problems.append("GrowthFactor must be between 1 and 100")
    if strategy.growth_type not in ("LINEAR", "EXPONENTIAL"):
        problems.append("GrowthType must be LINEAR or EXPONENTIAL")
    return problems


def _percentages(strategy: Strategy) -> list[float]:
    g = float(strategy.growth_factor)
    if strategy.growth_type == "EXPONENTIAL":
        steps = 1 + max(0, math.ceil(math.log2(100.0 / g) - _EPS))
        return [min(100.0, g * 2 ** n) for n in range(steps)]
    steps = math.ceil(100.0 / g - _EPS)
    return [min(100.0, g * k) for k in range(1, steps + 1)]


def schedule(strategy: Strategy) -> list[tuple[float, float]]:
    """The steps as (minute after start, percentage of targets), ending at 100%."""
    values = _percentages(strategy)
    if strategy.duration_minutes <= 0:
        return [(0.0, 100.0)]
    interval = strategy.duration_minutes / len(values)
    return [(interval * (i + 1), p) for i, p in enumerate(values)]


def percentage_at(strategy: Strategy, minutes: float) -> float:
    """Share of targets on the new configuration ``minutes`` after the deployment started."""
    reached = [p for minute, p in schedule(strategy) if minute <= minutes + _EPS]
    return reached[-1] if reached else 0.0


def progress(strategy: Strategy, minutes: float, *, rolled_back_at: float | None = None,
             rolled_back_by: str = "USER") -> Progress:
    """The deployment's state, percentage and event log ``minutes`` after it started.

    ``rolled_back_at`` (minutes after start) is when a rollback began: a ``StopDeployment`` call
    (``rolled_back_by="USER"``) or an alarm (``"CLOUDWATCH_ALARM"``); it only counts while the
    deployment was still deploying or baking.
    """
    minutes = max(0.0, minutes)
    end = strategy.duration_minutes + strategy.final_bake_minutes
    if rolled_back_at is not None and not monitored(strategy, rolled_back_at):
        rolled_back_at = None  # after the bake time the deployment is complete: nothing to roll back
    horizon = minutes if rolled_back_at is None or rolled_back_at > minutes else rolled_back_at
    events = [Event(0.0, "DEPLOYMENT_STARTED", "USER", "Deployment started")]
    for minute, pct in schedule(strategy):
        if minute <= horizon + _EPS:
            events.append(Event(minute, "PERCENTAGE_UPDATED", "APPCONFIG", f"Configuration deployed to {pct:g}% of clients"))
    if strategy.final_bake_minutes > 0 and strategy.duration_minutes <= horizon + _EPS:
        events.append(Event(float(strategy.duration_minutes), "BAKE_TIME_STARTED", "APPCONFIG",
                            f"Deployment bake time started ({strategy.final_bake_minutes:g} min)"))
    if rolled_back_at is not None and rolled_back_at <= minutes:
        cause = "an alarm" if rolled_back_by == "CLOUDWATCH_ALARM" else "a user"
        events.append(Event(rolled_back_at, "ROLLBACK_STARTED", rolled_back_by, f"Rollback initiated by {cause}"))
        events.append(Event(rolled_back_at, "ROLLBACK_COMPLETED", rolled_back_by, "Rollback complete"))
        return Progress("ROLLED_BACK", percentage_at(strategy, rolled_back_at), tuple(events), rolled_back_at)
    if minutes + _EPS >= end:
        events.append(Event(float(end), "DEPLOYMENT_COMPLETED", "APPCONFIG", "Deployment completed"))
        return Progress("COMPLETE", 100.0, tuple(events), float(end))
    if minutes + _EPS >= strategy.duration_minutes:
        return Progress("BAKING", 100.0, tuple(events), None)
    return Progress("DEPLOYING", percentage_at(strategy, minutes), tuple(events), None)


def monitored(strategy: Strategy, minutes: float) -> bool:
    """True while AppConfig watches the environment's alarms (deploying or baking)."""
    return minutes < strategy.duration_minutes + strategy.final_bake_minutes - _EPS


def sees_new_version(bucket: int, percentage: float) -> bool:
    """Whether a target in ``bucket`` (0-99, fixed per target) already has the new version."""
    return bucket < percentage - _EPS or percentage >= 100.0


def timeline(strategy: Strategy) -> str:
    """The rollout as a small text table (minute, percentage, state)."""
    rows = [f"{'minute':>8}  {'targets':>7}  state"]
    rows.append(f"{0:>8.1f}  {percentage_at(strategy, 0):>6g}%  {progress(strategy, 0).state}")
    for minute, pct in schedule(strategy):
        if minute > 0:
            rows.append(f"{minute:>8.1f}  {pct:>6g}%  {progress(strategy, minute).state}")
    end = strategy.duration_minutes + strategy.final_bake_minutes
    if end > strategy.duration_minutes:
        rows.append(f"{end:>8.1f}  {100:>6g}%  COMPLETE (after {strategy.final_bake_minutes:g} min bake)")
    return "\n".join(rows)
