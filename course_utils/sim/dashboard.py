"""Draw a CloudWatch dashboard from the sandbox: engine in :mod:`course_utils.rules.dashboard`.

:func:`load` reads a dashboard back with ``get_dashboard``; :func:`fetch` gets a widget's data with
``get_metric_data`` and fills in what moto 5.2.5 leaves out (metric math expressions, which moto
returns empty, and percentile stats, which moto rejects): those ids are listed in
:attr:`WidgetData.simulated`. :func:`render` draws every metric widget in one figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from ..rules import dashboard as _engine
from ..rules import metrics as _metrics
from ..rules.dashboard import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__, "WidgetData", "load", "fetch", "render"]


@dataclass
class WidgetData:
    """A widget's period grid, each row's values on it, and the ids course_utils computed (not moto)."""

    widget: _engine.Widget
    grid: list[datetime]
    series: dict[str, list[float | None]]
    simulated: list[str]

    def describe(self) -> str:
        """Alt text: what the widget's graph shows, in words."""
        return _engine.describe(self.widget, self.grid, self.series)


def _client(client: Any) -> Any:
    if client is None:
        import boto3

        client = boto3.client("cloudwatch")
    return client


def load(name: str, client: Any = None) -> list[_engine.Widget]:
    """The metric widgets of dashboard ``name``, read back with ``get_dashboard``."""
    body = _client(client).get_dashboard(DashboardName=name)["DashboardBody"]
    return _engine.parse_body(body)


def _utc(t: datetime) -> datetime:
    return t.astimezone(timezone.utc)


def _percentile_points(cw: Any, line: _engine.MetricLine, start: datetime, end: datetime) -> dict[datetime, float]:
    """Per-period percentile of a high-resolution metric (one raw value per second), read with Period=1."""
    raw = cw.get_metric_statistics(
        Namespace=line.namespace, MetricName=line.metric_name, StartTime=start, EndTime=end, Period=1,
        Dimensions=[{"Name": k, "Value": v} for k, v in line.dimensions], Statistics=["Average"],
    )["Datapoints"]  # fmt: skip
    buckets: dict[datetime, list[float]] = {}
    t0 = start.timestamp()
    for p in raw:
        ts = p["Timestamp"].timestamp()
        slot = datetime.fromtimestamp(t0 + (ts - t0) // line.period * line.period, timezone.utc)
        buckets.setdefault(slot, []).append(p["Average"])
    q = float(line.stat[1:])
    return {slot: _metrics.percentile(vals, q) for slot, vals in buckets.items()}


def fetch(widget: _engine.Widget, start: datetime, end: datetime, client: Any = None) -> WidgetData:
    """A widget's data from the sandbox between ``start`` and ``end`` (UTC, aligned to the widget's period)."""
    cw = _client(client)
    start, end = _utc(start), _utc(end)
    wanted = _engine.queries(widget)
    is_pct = {line.id for line in widget.lines if not line.expression and line.stat.startswith("p")}
    asked = [q for q in wanted if q["Id"] not in is_pct]
    results = cw.get_metric_data(MetricDataQueries=asked, StartTime=start, EndTime=end,
                                 ScanBy="TimestampAscending")["MetricDataResults"] if asked else []
    by_id = {r["Id"]: r for r in results}
    fetched = {i: {_utc(t): v for t, v in zip(r["Timestamps"], r["Values"])} for i, r in by_id.items()}
    for line in widget.lines:
        if line.id in is_pct:
            fetched[line.id] = _percentile_points(cw, line, start, end)
    grid, series = _engine.align(widget, fetched, start, end)
    simulated = [line.id for line in widget.lines
                 if line.id in is_pct or (line.expression and not by_id.get(line.id, {}).get("Values"))]
    return WidgetData(widget, grid, series, simulated)


def render(name: str, start: datetime, end: datetime, client: Any = None) -> tuple[Any, list[WidgetData]]:
    """Draw every metric widget of dashboard ``name`` (rows as on the grid); returns (figure, data per widget)."""
    import matplotlib.pyplot as plt

    cw = _client(client)
    widgets = load(name, cw)
    data = [fetch(w, start, end, cw) for w in widgets]
    rows = sorted({w.y for w in widgets})
    cols = max(sum(1 for w in widgets if w.y == y) for y in rows)
    fig, axes = plt.subplots(len(rows), cols, figsize=(4.6 * cols, 3.0 * len(rows)), squeeze=False)
    for r, y in enumerate(rows):
        in_row = [d for d in data if d.widget.y == y]
        for c in range(cols):
            if c < len(in_row):
                d = in_row[c]
                _engine.plot_widget(d.widget, d.grid, d.series, ax=axes[r][c])
            else:
                axes[r][c].set_visible(False)
    fig.suptitle(f"Dashboard '{name}', {_utc(start):%Y-%m-%d %H:%M}-{_utc(end):%H:%M} UTC", fontsize=10)
    fig.subplots_adjust(left=0.06, right=0.98, top=0.78 if len(rows) == 1 else 0.88, bottom=0.1, wspace=0.15, hspace=0.35)
    return fig, data
