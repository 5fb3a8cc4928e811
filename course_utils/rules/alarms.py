"""A CloudWatch alarm evaluator: replay a metric series and get the alarm's state timeline.

What AWS does: a metric alarm aggregates its metric per ``Period`` with its ``Statistic``; at
each period it looks at the most recent ``EvaluationPeriods`` (N) datapoints and goes to
``ALARM`` when at least ``DatapointsToAlarm`` (M, default N) of them breach the threshold under
the ``ComparisonOperator``; otherwise ``OK``. A new alarm starts in ``INSUFFICIENT_DATA``.
Missing datapoints follow ``TreatMissingData``:

* ``notBreaching``: a missing point counts as good; ``breaching``: as bad;
* ``missing`` (the default): the alarm looks back over a slightly longer *evaluation range*
  and judges the latest N datapoints that exist; when every point in the range is missing it
  goes to ``INSUFFICIENT_DATA``; with fewer than N points it goes to ``ALARM`` only if M of
  them breach, to ``OK`` only if ``ALARM`` has become impossible, and otherwise stays put;
* ``ignore``: the current state is kept whenever there are too few datapoints to decide.

A composite alarm's ``AlarmRule`` combines other alarms' states with ``ALARM("name")``,
``OK("name")``, ``INSUFFICIENT_DATA("name")``, ``AND``, ``OR``, ``NOT``, ``TRUE``/``FALSE`` and
parentheses; the composite is ``ALARM`` while its rule is true.

``Period`` is 10, 20 or 30 seconds (high-resolution alarms, on metrics stored with
``StorageResolution=1``) or any multiple of 60; ``Period`` x ``EvaluationPeriods`` is at most
7 days, and at most 1 day when the period is under an hour. :class:`AlarmConfig` rejects the rest.

What moto 5.2.5 does: stores alarms but never evaluates them (a new alarm stays ``OK``
whatever the data), and ``put_composite_alarm`` is not implemented.

What this module reproduces: :func:`evaluate` replays a series period by period with the rules
above (evaluation range = N + 2 periods, the size of AWS's documented example);
:func:`~course_utils.sim.alarms.evaluate_sandbox` reads an alarm and its metric from the sandbox
at the current (possibly frozen) time and can write the state back with ``set_alarm_state``;
:func:`composite` and :func:`composite_timeline` evaluate an ``AlarmRule``; :func:`plot` draws
the timeline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

__all__ = [
    "AlarmConfig",
    "Timeline",
    "Transition",
    "evaluate",
    "composite",
    "composite_timeline",
    "plot",
    "OPERATORS",
    "MISSING_TREATMENTS",
    "HIGH_RESOLUTION_PERIODS",
]

OPERATORS = {
    "GreaterThanThreshold": lambda v, t: v > t,
    "GreaterThanOrEqualToThreshold": lambda v, t: v >= t,
    "LessThanThreshold": lambda v, t: v < t,
    "LessThanOrEqualToThreshold": lambda v, t: v <= t,
}
MISSING_TREATMENTS = ("missing", "notBreaching", "breaching", "ignore")
STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")
EXTRA_RANGE = 2  # evaluation range = N + 2 periods
HIGH_RESOLUTION_PERIODS = (10, 20, 30)  # PutMetricAlarm: 10, 20, 30 or any multiple of 60 seconds
MAX_EVALUATION_SECONDS = 604_800  # Period x EvaluationPeriods: at most 7 days
MAX_EVALUATION_SECONDS_SHORT = 86_400  # ... and at most 1 day when Period is under 3,600 s


@dataclass(frozen=True)
class AlarmConfig:
    """The settings of ``put_metric_alarm`` that decide the state."""

    threshold: float
    comparison: str = "GreaterThanThreshold"
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    treat_missing_data: str = "missing"
    period: int = 60
    name: str = "alarm"

    def __post_init__(self) -> None:
        if self.comparison not in OPERATORS:
            raise ValueError(f"comparison {self.comparison!r} is not one of {', '.join(OPERATORS)}")
        if self.treat_missing_data not in MISSING_TREATMENTS:
            raise ValueError(f"treat_missing_data {self.treat_missing_data!r} is not one of {', '.join(MISSING_TREATMENTS)}")
        if self.evaluation_periods < 1:
            raise ValueError("evaluation_periods must be at least 1")
        if not 1 <= self.m <= self.evaluation_periods:
            raise ValueError(f"datapoints_to_alarm must be between 1 and evaluation_periods ({self.evaluation_periods}), got {self.m}")
        if self.period not in HIGH_RESOLUTION_PERIODS and (self.period <= 0 or self.period % 60):
            raise ValueError(f"period must be 10, 20 or 30 seconds or a multiple of 60, got {self.period}")
        limit = MAX_EVALUATION_SECONDS if self.period >= 3600 else MAX_EVALUATION_SECONDS_SHORT
        if self.period * self.evaluation_periods > limit:
            raise ValueError(f"period x evaluation_periods must be at most {limit} seconds, got {self.period * self.evaluation_periods}")

    @property
    def m(self) -> int:
        return self.evaluation_periods if self.datapoints_to_alarm is None else self.datapoints_to_alarm

    def breaches(self, value: float) -> bool:
        return OPERATORS[self.comparison](value, self.threshold)

    @classmethod
    def from_alarm(cls, a: Mapping[str, Any], name: str | None = None) -> "AlarmConfig":
        """The settings of one ``MetricAlarms`` entry of a ``describe_alarms`` answer."""
        return cls(
            threshold=a["Threshold"], comparison=a["ComparisonOperator"], evaluation_periods=a["EvaluationPeriods"],
            datapoints_to_alarm=a.get("DatapointsToAlarm"), treat_missing_data=a.get("TreatMissingData", "missing"),
            period=a["Period"], name=name or a["AlarmName"],
        )  # fmt: skip


@dataclass(frozen=True)
class Transition:
    index: int
    old: str
    new: str
    reason: str
    time: datetime | None = None


@dataclass
class Timeline:
    """One state per period (after that period's datapoint arrived) and the state changes."""

    config: AlarmConfig
    values: list[float | None]
    states: list[str]
    transitions: list[Transition] = field(default_factory=list)
    times: list[datetime] | None = None

    @property
    def final(self) -> str:
        return self.states[-1] if self.states else "INSUFFICIENT_DATA"

    def summary(self) -> str:
        lines = [f"{self.config.name}: {len(self.states)} periods, final state {self.final}"]
        for t in self.transitions:
            when = t.time.strftime("%H:%M:%S") if t.time else f"period {t.index}"
            lines.append(f"  {when}: {t.old} -> {t.new} ({t.reason})")
        return "\n".join(lines)


def _decide(cfg: AlarmConfig, window: Sequence[float | None], current: str) -> tuple[str, str]:
    n, m = cfg.evaluation_periods, cfg.m
    recent = list(window[-n:])
    if cfg.treat_missing_data in ("breaching", "notBreaching"):
        bad = sum(1 if v is None and cfg.treat_missing_data == "breaching" else int(v is not None and cfg.breaches(v)) for v in recent)
        if bad >= m:
            return "ALARM", f"{bad} of {len(recent)} datapoints breaching (missing treated as {cfg.treat_missing_data})"
        return "OK", f"{bad} of {len(recent)} datapoints breaching, {m} needed"
    present = [v for v in window if v is not None][-n:]
    if not present:
        if cfg.treat_missing_data == "ignore":
            return current, "no data in the evaluation range: state kept (ignore)"
        return "INSUFFICIENT_DATA", "no data in the evaluation range"
    bad = sum(cfg.breaches(v) for v in present)
    if bad >= m:
        return "ALARM", f"{bad} of the {len(present)} latest datapoints breaching"
    if len(present) >= n:
        return "OK", f"{bad} of the {len(present)} latest datapoints breaching, {m} needed"
    good = len(present) - bad
    if cfg.treat_missing_data == "missing" and good > n - m:
        return "OK", f"only {len(present)} datapoints, {good} not breaching: ALARM impossible"
    return current, f"only {len(present)} of {n} datapoints and {bad} breaching: state kept"


def evaluate(
    config: AlarmConfig,
    values: Sequence[float | None],
    *,
    start: datetime | None = None,
    initial_state: str = "INSUFFICIENT_DATA",
) -> Timeline:
    """Replay ``values`` (one aggregated datapoint per period, ``None`` = missing)."""
    if initial_state not in STATES:
        raise ValueError(f"initial_state must be one of {STATES}")
    vals = [None if v is None else float(v) for v in values]
    rng = config.evaluation_periods + EXTRA_RANGE
    state, states, transitions = initial_state, [], []
    times = [start + timedelta(seconds=config.period * i) for i in range(len(vals))] if start else None
    for i in range(len(vals)):
        new, reason = _decide(config, vals[max(0, i + 1 - rng) : i + 1], state)
        if new != state:
            transitions.append(Transition(i, state, new, reason, times[i] if times else None))
            state = new
        states.append(state)
    return Timeline(config, vals, states, transitions, times)


# --- composite alarms -----------------------------------------------------------------------

_RULE_TOKEN = re.compile(r'\s*(?:(ALARM|OK|INSUFFICIENT_DATA)\s*\(\s*"?([^")]+?)"?\s*\)|(AND|OR|NOT|TRUE|FALSE)\b|([()]))')


def _rule_tokens(rule: str) -> list[tuple[str, str]]:
    out, pos, text = [], 0, rule.strip()
    while pos < len(text):
        m = _RULE_TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"AlarmRule: cannot read {text[pos:].strip()[:25]!r} (position {pos}) in {rule!r}")
        if m.group(1):
            out.append(("state", f"{m.group(1)}:{m.group(2).strip()}"))
        elif m.group(3):
            out.append(("op", m.group(3)))
        else:
            out.append(("paren", m.group(4)))
        pos = m.end()
    return out


def composite(rule: str, states: dict[str, str]) -> str:
    """``ALARM`` when ``rule`` is true for the given alarm states, else ``OK``.

    >>> composite('ALARM("errors") AND NOT ALARM("deploying")', {"errors": "ALARM", "deploying": "OK"})
    'ALARM'
    """
    toks, i = _rule_tokens(rule), 0

    def peek() -> tuple[str, str] | None:
        return toks[i] if i < len(toks) else None

    def expr() -> bool:  # OR has the lowest precedence
        nonlocal i
        value = term()
        while peek() == ("op", "OR"):
            i += 1
            value = term() or value
        return value

    def term() -> bool:
        nonlocal i
        value = factor()
        while peek() == ("op", "AND"):
            i += 1
            value = factor() and value
        return value

    def factor() -> bool:
        nonlocal i
        tok = peek()
        if tok is None:
            raise ValueError(f"AlarmRule ends too early: {rule!r}")
        i += 1
        if tok == ("op", "NOT"):
            return not factor()
        if tok == ("op", "TRUE"):
            return True
        if tok == ("op", "FALSE"):
            return False
        if tok == ("paren", "("):
            value = expr()
            if peek() != ("paren", ")"):
                raise ValueError(f"AlarmRule: missing ')' in {rule!r}")
            i += 1
            return value
        if tok[0] == "state":
            want, name = tok[1].split(":", 1)
            if name not in states:
                raise ValueError(f"AlarmRule names alarm {name!r}, but no state was given for it")
            return states[name] == want
        raise ValueError(f"AlarmRule: unexpected {tok[1]!r} in {rule!r}")

    result = expr()
    if i != len(toks):
        raise ValueError(f"AlarmRule: unexpected {toks[i][1]!r} in {rule!r}")
    return "ALARM" if result else "OK"


def composite_timeline(rule: str, timelines: dict[str, Sequence[str]]) -> list[str]:
    """The composite's state at each period, from aligned state lists of its child alarms."""
    lengths = {len(v) for v in timelines.values()}
    if len(lengths) != 1:
        raise ValueError(f"child timelines must have the same length, got {sorted(lengths)}")
    return [composite(rule, {k: v[i] for k, v in timelines.items()}) for i in range(lengths.pop())]


# --- figure ---------------------------------------------------------------------------------

COLOURS = {"OK": "#2da44e", "ALARM": "#cf222e", "INSUFFICIENT_DATA": "#8c959f"}


def plot(timeline: Timeline, ax: Any = None, title: str | None = None) -> Any:
    """Metric datapoints, threshold and a coloured state band below them."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    cfg = timeline.config
    xs = list(range(len(timeline.values)))
    present = [(x, v) for x, v in zip(xs, timeline.values) if v is not None]
    breach = [(x, v) for x, v in present if cfg.breaches(v)]
    ax.plot([x for x, _ in present], [v for _, v in present], "o-", color="#0969da", label="datapoint", zorder=3)
    if breach:
        ax.plot([x for x, _ in breach], [v for _, v in breach], "o", color=COLOURS["ALARM"], label="breaching", zorder=4)
    for x, v in zip(xs, timeline.values):
        if v is None:
            ax.axvline(x, color="#8c959f", ls=":", lw=1)
    ax.axhline(cfg.threshold, color=COLOURS["ALARM"], ls="--", lw=1, label=f"threshold {cfg.threshold:g}")
    lo, hi = ax.get_ylim()
    band = lo - (hi - lo) * 0.12
    for x, s in zip(xs, timeline.states):
        ax.broken_barh([(x - 0.5, 1)], (band, (hi - lo) * 0.1), color=COLOURS[s])
    ax.set_ylim(band, hi)
    ax.set_xlabel(f"period ({cfg.period} s each); dotted = missing datapoint; band = alarm state")
    handles, labels = ax.get_legend_handles_labels()
    handles += [plt.Rectangle((0, 0), 1, 1, color=c) for c in COLOURS.values()]
    labels += [f"state {s}" for s in COLOURS]
    # below the axes (the saved figure grows downwards, not wider): no legend sits on a datapoint
    ax.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=9, frameon=False)
    ax.set_title(title or f"{cfg.name}: {cfg.m} of {cfg.evaluation_periods} breaching -> ALARM, missing data = {cfg.treat_missing_data}")
    from .figures import describe

    changes = [f"{s} from period {i}" for i, s in enumerate(timeline.states) if i == 0 or s != timeline.states[i - 1]]
    describe(ax.figure, f"Line chart of alarm {cfg.name}: one datapoint per {cfg.period} s period against the threshold "
             f"{cfg.threshold:g} ({len(breach)} breaching, {len(xs) - len(present)} missing), with a band of the alarm "
             f"state per period: {', '.join(changes)}.")
    return ax
