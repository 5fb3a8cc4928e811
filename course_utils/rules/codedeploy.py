"""CodeDeploy's predefined deployment configurations: traffic over time, rollback on an alarm.

What AWS CodeDeploy documents (Working with deployment configurations):

* **Lambda** and **ECS** shift traffic from the original to the new version in one of three ways:
  *canary* (a first increment, then everything after an interval), *linear* (equal increments
  with equal minutes between them) or *all at once*. Predefined names:
  ``CodeDeployDefault.LambdaCanary10Percent5Minutes`` (also 10, 15 and 30 minutes),
  ``CodeDeployDefault.LambdaLinear10PercentEvery1Minute`` (also Every2Minutes, Every3Minutes,
  Every10Minutes), ``CodeDeployDefault.LambdaAllAtOnce``;
  ``CodeDeployDefault.ECSCanary10Percent5Minutes`` / ``ECSCanary10Percent15Minutes``,
  ``CodeDeployDefault.ECSLinear10PercentEvery1Minutes`` / ``ECSLinear10PercentEvery3Minutes``
  (AWS spells these two with "Minutes"), ``CodeDeployDefault.ECSAllAtOnce``.
* **EC2/On-Premises** in-place deployments use ``CodeDeployDefault.OneAtATime`` (the default),
  ``HalfAtATime`` (up to half the instances at a time, fractions rounded down) and ``AllAtOnce``.
* A deployment group can name CloudWatch alarms; when one goes to ALARM during a deployment
  with automatic rollback on, CodeDeploy stops the deployment and shifts traffic back to the
  original version.

What this module reproduces: the share of traffic on the new version minute by minute for each
predefined configuration (first increment at minute 0), the rollback when an alarm fires at
minute ``t`` before the shift completes, the share of requests the new version served, EC2
in-place batches, and a figure. Time is simulated: nothing waits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TrafficConfig", "CONFIGS", "EC2_CONFIGS", "Deployment", "deploy", "new_share", "in_place_batches", "plot_traffic"]


@dataclass(frozen=True)
class TrafficConfig:
    name: str
    platform: str  # Lambda or ECS
    kind: str  # canary, linear, all-at-once
    percent: int = 100
    interval: int = 0  # minutes

    def steps(self) -> list[tuple[float, float]]:
        """``(minute, percent on the new version)`` at each increment."""
        if self.kind == "all-at-once":
            return [(0.0, 100.0)]
        if self.kind == "canary":
            return [(0.0, float(self.percent)), (float(self.interval), 100.0)]
        n = math.ceil(100 / self.percent)
        return [(float(i * self.interval), float(min(100, (i + 1) * self.percent))) for i in range(n)]

    @property
    def duration(self) -> float:
        """Minutes from the first increment until 100 % is on the new version."""
        return self.steps()[-1][0]


def _build() -> dict[str, TrafficConfig]:
    out: dict[str, TrafficConfig] = {}

    def add(name: str, platform: str, kind: str, percent: int = 100, interval: int = 0) -> None:
        out[f"CodeDeployDefault.{name}"] = TrafficConfig(f"CodeDeployDefault.{name}", platform, kind, percent, interval)

    for m in (5, 10, 15, 30):
        add(f"LambdaCanary10Percent{m}Minutes", "Lambda", "canary", 10, m)
    add("LambdaLinear10PercentEvery1Minute", "Lambda", "linear", 10, 1)
    for m in (2, 3, 10):
        add(f"LambdaLinear10PercentEvery{m}Minutes", "Lambda", "linear", 10, m)
    add("LambdaAllAtOnce", "Lambda", "all-at-once")
    for m in (5, 15):
        add(f"ECSCanary10Percent{m}Minutes", "ECS", "canary", 10, m)
    for m in (1, 3):
        add(f"ECSLinear10PercentEvery{m}Minutes", "ECS", "linear", 10, m)
    add("ECSAllAtOnce", "ECS", "all-at-once")
    return out


#: Predefined Lambda and ECS traffic-shifting configurations by full name.
CONFIGS: dict[str, TrafficConfig] = _build()
#: Predefined EC2/On-Premises configurations (in-place).
EC2_CONFIGS: tuple[str, ...] = ("CodeDeployDefault.OneAtATime", "CodeDeployDefault.HalfAtATime", "CodeDeployDefault.AllAtOnce")


def _config(name: str) -> TrafficConfig:
    full = name if name.startswith("CodeDeployDefault.") else f"CodeDeployDefault.{name}"
    if full not in CONFIGS:
        import difflib

        hint = difflib.get_close_matches(full, list(CONFIGS), n=1)
        raise ValueError(f"unknown deployment configuration {name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    return CONFIGS[full]


@dataclass
class Deployment:
    """The simulated outcome of one traffic-shifting deployment."""

    config: TrafficConfig
    status: str  # Succeeded or Stopped (rolled back)
    timeline: list[tuple[float, float]]  # (minute, % on new version), step function
    completed_at: float | None
    rolled_back_at: float | None

    def share_at(self, minute: float) -> float:
        """Percent of traffic on the new version at ``minute``."""
        share = 0.0
        for t, pct in self.timeline:
            if t <= minute:
                share = pct
        return share

    def served_by_new(self, until: float, step: float = 0.01) -> float:
        """Fraction (0-1) of requests from minute 0 to ``until`` that the new version served,
        at a steady request rate."""
        n = max(1, int(round(until / step)))
        return sum(self.share_at(i * step) for i in range(n)) / (100.0 * n)


def deploy(name: str, *, alarm_at: float | None = None, auto_rollback: bool = True) -> Deployment:
    """Run a predefined Lambda/ECS configuration; an alarm at ``alarm_at`` minutes rolls back
    (traffic returns to the original version) if it fires before the shift completes."""
    cfg = _config(name)
    steps = cfg.steps()
    if alarm_at is not None and alarm_at < 0:
        raise ValueError(f"alarm_at must be >= 0 minutes, got {alarm_at}")
    if alarm_at is not None and auto_rollback and alarm_at < cfg.duration:
        timeline = [s for s in steps if s[0] <= alarm_at] + [(float(alarm_at), 0.0)]
        return Deployment(cfg, "Stopped", timeline, None, float(alarm_at))
    return Deployment(cfg, "Succeeded", steps, cfg.duration, None)


def new_share(name: str, minute: float, *, alarm_at: float | None = None) -> float:
    """Percent of traffic on the new version at ``minute``."""
    return deploy(name, alarm_at=alarm_at).share_at(minute)


def in_place_batches(name: str, instances: int) -> list[list[int]]:
    """Instance indexes updated together by an EC2 in-place configuration."""
    if instances < 1:
        raise ValueError("instances must be at least 1")
    full = name if name.startswith("CodeDeployDefault.") else f"CodeDeployDefault.{name}"
    size = {"CodeDeployDefault.OneAtATime": 1, "CodeDeployDefault.HalfAtATime": max(1, instances // 2), "CodeDeployDefault.AllAtOnce": instances}.get(full)
    if size is None:
        raise ValueError(f"unknown EC2 configuration {name!r}: use one of {', '.join(EC2_CONFIGS)}")
    ids = list(range(instances))
    return [ids[i : i + size] for i in range(0, instances, size)]


def plot_traffic(names: list[str], *, alarm_at: float | None = None, horizon: float | None = None):
    """% of traffic on the new version against minutes, one line per configuration."""
    import matplotlib.pyplot as plt

    deployments = [deploy(n, alarm_at=alarm_at) for n in names]
    end = horizon or max(d.config.duration for d in deployments) + 2
    fig, ax = plt.subplots(figsize=(9, 4))
    for d in deployments:
        xs, ys = [], []
        for t, pct in d.timeline:
            if xs:
                xs.append(t)
                ys.append(ys[-1])
            xs.append(t)
            ys.append(pct)
        xs.append(end)
        ys.append(ys[-1])
        label = d.config.name.replace("CodeDeployDefault.", "") + (" (rolled back)" if d.rolled_back_at is not None else "")
        ax.plot(xs, ys, drawstyle="default", lw=2, label=label)
    if alarm_at is not None:
        ax.axvline(alarm_at, color="red", ls="--", lw=1)
        ax.text(alarm_at, 103, " alarm", color="red", va="bottom")
    ax.set_xlabel("minutes since the deployment started")
    ax.set_ylabel("% of traffic on the new version")
    ax.set_ylim(-3, 110)
    ax.set_xlim(-0.3, end)
    ax.legend(loc="lower right", fontsize=9)
    ax.set_title("CodeDeploy traffic shifting")
    from .figures import describe

    def _story(d) -> str:
        name = d.config.name.replace("CodeDeployDefault.", "")
        if d.rolled_back_at is not None:
            return f"{name} rolled back to 0 % at minute {d.rolled_back_at:g}"
        full = [t for t, pct in d.timeline if pct >= 100]
        return f"{name} reaches 100 % at minute {full[0]:g}" if full else f"{name} stays at {d.timeline[-1][1]:g} %"

    describe(fig, "Line chart of the % of traffic on the new version against minutes since the deployment started: "
             + "; ".join(_story(d) for d in deployments) + "."
             + (f" An alarm fires at minute {alarm_at:g}." if alarm_at is not None else ""))
    return fig, ax
