"""CloudWatch dashboards: a dashboard body's metric widgets, the queries they make, the graphs they draw.

What AWS does: a dashboard is a JSON ``DashboardBody`` (``PutDashboard``) holding widgets placed on a
24-column grid. A ``metric`` widget lists its series in ``properties.metrics``: each row is
``[namespace, metricName, dimName, dimValue, ..., {rendering options}]`` (``"."`` repeats the value
in the same position of the row above) or ``[{"expression": "...", "id": ..., "label": ...}]`` for
metric math. A row's ``id`` names it in expressions; ``"visible": false`` fetches it without drawing
it. ``stat`` and ``period`` come from the row or the widget. ``annotations.horizontal`` draws
threshold lines (an alarm's threshold), ``annotations.vertical`` marks a moment (a deployment). The
console fetches the data with ``GetMetricData``; periods with no datapoint are missing, not zero.

What moto 5.2.5 does: ``put_dashboard``/``get_dashboard`` store and return the body (invalid JSON is
rejected, widgets are not checked); nothing is drawn. ``get_metric_data`` returns the metric rows
but an empty series for an expression, and fails on percentile stats.

What this module reproduces, as plain functions: :func:`parse_body` reads a body into
:class:`Widget` objects; :func:`queries` builds the ``GetMetricData`` queries of a widget (every row
with ``ReturnData`` true, so hidden inputs come back too); :func:`align` puts fetched points on the
widget's period grid (``None`` = missing) and evaluates the expressions with
:func:`course_utils.rules.metrics.evaluate`; :func:`plot_widget` draws one widget with matplotlib
(imported inside the function) and :func:`describe` says in words what it shows (alt text).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Sequence

from . import metrics as _metrics

__all__ = ["MetricLine", "Annotation", "Widget", "parse_body", "queries", "align", "describe", "plot_widget"]

_STATS = {"SampleCount", "Average", "Sum", "Minimum", "Maximum"}


@dataclass(frozen=True)
class MetricLine:
    """One row of a widget's ``metrics`` array: a metric (namespace, name, dimensions) or an expression."""

    id: str
    label: str
    visible: bool = True
    stat: str = "Average"
    period: int = 300
    namespace: str = ""
    metric_name: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    expression: str = ""


@dataclass(frozen=True)
class Annotation:
    """A horizontal (``value`` a number) or vertical (``value`` a datetime) annotation."""

    label: str
    value: Any
    fill: str = ""  # "above" / "below" for horizontal ones


@dataclass
class Widget:
    """A metric widget of a dashboard body, with its position on the 24-column grid."""

    title: str
    lines: list[MetricLine]
    view: str = "timeSeries"
    period: int = 300
    stat: str = "Average"
    x: int = 0
    y: int = 0
    width: int = 6
    height: int = 6
    horizontal: list[Annotation] = field(default_factory=list)
    vertical: list[Annotation] = field(default_factory=list)
    ylabel: str = ""


def _line(row: Sequence[Any], prev: Sequence[Any] | None, n: int, stat: str, period: int) -> tuple[MetricLine, list[Any]]:
    opts = dict(row[-1]) if row and isinstance(row[-1], dict) else {}
    parts = list(row[:-1] if opts else row)
    if "expression" in opts:
        if parts:
            raise ValueError(f"metrics row {n + 1}: an expression row is [{{'expression': ...}}], got {row!r}")
        eid = opts.get("id") or f"e{n + 1}"
        return MetricLine(id=eid, label=opts.get("label", eid), visible=opts.get("visible", True),
                          period=int(opts.get("period", period)), expression=opts["expression"]), []
    for i, part in enumerate(parts):
        if part == ".":
            if prev is None or i >= len(prev):
                raise ValueError(f"metrics row {n + 1}: '.' at position {i} but the row above has no value there")
            parts[i] = prev[i]
    if len(parts) < 2 or len(parts) % 2:
        raise ValueError(f"metrics row {n + 1}: expected [namespace, metricName, dimName, dimValue, ..., {{options}}], got {row!r}")
    row_stat = opts.get("stat", stat)
    if row_stat not in _STATS and not (row_stat.startswith("p") and row_stat[1:].replace(".", "", 1).isdigit()):
        raise ValueError(f"metrics row {n + 1}: unknown stat {row_stat!r}")
    mid = opts.get("id") or f"m{n + 1}"
    dims = tuple((str(parts[i]), str(parts[i + 1])) for i in range(2, len(parts), 2))
    return MetricLine(id=mid, label=opts.get("label", f"{parts[1]} {row_stat}"), visible=opts.get("visible", True), stat=row_stat,
                      period=int(opts.get("period", period)), namespace=parts[0], metric_name=parts[1],
                      dimensions=dims), parts


def parse_body(body: str | dict[str, Any]) -> list[Widget]:
    """The metric widgets of a ``DashboardBody`` (a JSON string or dict), in reading order (top, then left).

    Raises :class:`ValueError` naming the widget and row of a malformed ``metrics`` array.
    """
    doc = json.loads(body) if isinstance(body, str) else body
    if not isinstance(doc, dict) or not isinstance(doc.get("widgets"), list):
        raise ValueError("a dashboard body is a JSON object with a 'widgets' array")
    out = []
    for w_i, w in enumerate(doc["widgets"]):
        if w.get("type") != "metric":
            continue
        p = w.get("properties", {})
        stat, period = p.get("stat", "Average"), int(p.get("period", 300))
        rows = p.get("metrics")
        if not rows:
            raise ValueError(f"widget {w_i + 1}: a metric widget needs a non-empty properties.metrics array")
        lines, prev = [], None
        for n, row in enumerate(rows):
            try:
                line, parts = _line(row, prev, n, stat, period)
            except ValueError as exc:
                raise ValueError(f"widget {w_i + 1} ({p.get('title', 'untitled')}): {exc}") from None
            lines.append(line)
            prev = parts or prev
        ids = [line.id for line in lines]
        if len(set(ids)) != len(ids):
            raise ValueError(f"widget {w_i + 1}: duplicate ids {ids}")
        ann = p.get("annotations", {})
        horiz = [Annotation(a.get("label", ""), float(a["value"]), a.get("fill", "")) for a in ann.get("horizontal", [])]
        vert = [Annotation(a.get("label", ""), datetime.fromisoformat(a["value"].replace("Z", "+00:00")))
                for a in ann.get("vertical", [])]
        out.append(Widget(title=p.get("title", ""), lines=lines, view=p.get("view", "timeSeries"), period=period,
                          stat=stat, x=w.get("x", 0), y=w.get("y", 0), width=w.get("width", 6), height=w.get("height", 6),
                          horizontal=horiz, vertical=vert, ylabel=p.get("yAxis", {}).get("left", {}).get("label", "")))
    return sorted(out, key=lambda w: (w.y, w.x))


def queries(widget: Widget) -> list[dict[str, Any]]:
    """``GetMetricData`` ``MetricDataQueries`` for a widget: its metric rows, then its expressions."""
    out: list[dict[str, Any]] = []
    for line in widget.lines:
        if line.expression:
            out.append({"Id": line.id, "Expression": line.expression, "Label": line.label, "Period": line.period})
        else:
            metric = {"Namespace": line.namespace, "MetricName": line.metric_name,
                      "Dimensions": [{"Name": k, "Value": v} for k, v in line.dimensions]}
            out.append({"Id": line.id, "Label": line.label, "ReturnData": True,
                        "MetricStat": {"Metric": metric, "Period": line.period, "Stat": line.stat}})
    return out


def align(widget: Widget, fetched: dict[str, dict[datetime, float]], start: datetime, end: datetime
          ) -> tuple[list[datetime], dict[str, list[float | None]]]:
    """The widget's period grid from ``start`` to ``end`` and every row's values on it (``None`` = missing).

    ``fetched`` maps a metric row's id to its datapoints (timestamp -> value). Expression rows are
    evaluated over the aligned metric rows, in the order they appear (an expression may use an
    earlier expression's id).
    """
    period = widget.period
    steps = max(0, math.ceil((end - start).total_seconds() / period))
    grid = [start + timedelta(seconds=i * period) for i in range(steps)]
    series: dict[str, list[float | None]] = {}
    for line in widget.lines:
        if not line.expression:
            points = fetched.get(line.id, {})
            series[line.id] = [points.get(t) for t in grid]
    for line in widget.lines:
        if line.expression:
            value = _metrics.evaluate(line.expression, series, period=period)
            series[line.id] = value if isinstance(value, list) else [value] * len(grid)
    return grid, series


def _fmt(v: float) -> str:
    return f"{v:,.1f}".rstrip("0").rstrip(".")


def describe(widget: Widget, grid: Sequence[datetime], series: dict[str, Sequence[float | None]]) -> str:
    """Alt text for a widget: each visible line's range, its peak and when, its missing periods, the thresholds."""
    parts = [f"{widget.title or 'Metric widget'}, {len(grid)} periods of {widget.period} s from {grid[0]:%H:%M} UTC."
             if grid else f"{widget.title or 'Metric widget'}: no periods."]
    for line in widget.lines:
        if not line.visible:
            continue
        vals = series.get(line.id, [])
        present = [(v, t) for v, t in zip(vals, grid) if v is not None]
        if not present:
            parts.append(f"{line.label}: no data.")
            continue
        peak, at = max(present, key=lambda p: p[0])
        gaps = [t for v, t in zip(vals, grid) if v is None]
        text = f"{line.label}: {_fmt(min(v for v, _ in present))} to {_fmt(peak)}, peak at {at:%H:%M}"
        if gaps:
            text += f"; no data in {len(gaps)} period{'s' if len(gaps) > 1 else ''} from {gaps[0]:%H:%M}"
        parts.append(text + ".")
    for a in widget.horizontal:
        parts.append(f"Line '{a.label}' at {_fmt(a.value)}.")
    return " ".join(parts)


def plot_widget(widget: Widget, grid: Sequence[datetime], series: dict[str, Sequence[float | None]], ax: Any = None) -> Any:
    """Draw a time-series widget as the console does: one line per visible row (gaps stay gaps), its annotations."""
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for line in widget.lines:
        if not line.visible:
            continue
        vals = [float("nan") if v is None else v for v in series.get(line.id, [])]
        ax.plot(list(grid), vals, marker=".", label=line.label)
    for a in widget.horizontal:
        ax.axhline(a.value, color="tab:red", linestyle="--", linewidth=1, label=a.label)
        if a.fill in ("above", "below"):
            lo, hi = ax.get_ylim()
            ax.axhspan(a.value, hi if a.fill == "above" else lo, color="tab:red", alpha=0.08)
    for a in widget.vertical:
        ax.axvline(a.value, color="tab:gray", linestyle=":", linewidth=1)
        ax.annotate(a.label, (a.value, 1), xycoords=("data", "axes fraction"), fontsize=8, va="top", ha="left")
    ax.set_title(widget.title, fontsize=9, pad=16)
    if widget.ylabel:
        ax.set_ylabel(widget.ylabel, fontsize=8)
    span_min = (grid[-1] - grid[0]).total_seconds() / 60 if len(grid) > 1 else 1
    step = next((m for m in (1, 5, 10, 15, 30, 60) if span_min / m <= 6), 120)
    ax.xaxis.set_major_locator(mdates.MinuteLocator(byminute=range(0, 60, step)) if step < 60 else mdates.HourLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.tick_params(labelsize=8)
    ax.legend(fontsize=8, loc="lower left", bbox_to_anchor=(0, 1), ncols=4, frameon=False, borderpad=0, borderaxespad=0.2)
    return ax
