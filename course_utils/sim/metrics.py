"""Read a metric from the sandbox; percentiles and metric math: :mod:`course_utils.rules.metrics`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..rules import metrics as _engine
from ..rules.metrics import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__, "fetch_values"]


def fetch_values(
    namespace: str,
    metric_name: str,
    start: datetime,
    end: datetime,
    dimensions: dict[str, str] | None = None,
    client: Any = None,
) -> list[float]:
    """Raw values of a high-resolution metric from the sandbox, oldest first.

    Reads ``get_metric_statistics`` with ``Period=1``: each second's ``Average`` is the raw value
    when the metric has at most one datapoint per second (publish them that way).
    """
    if client is None:
        import boto3

        client = boto3.client("cloudwatch")
    dims = [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()]
    points = client.get_metric_statistics(
        Namespace=namespace, MetricName=metric_name, Dimensions=dims,
        StartTime=start, EndTime=end, Period=1, Statistics=["Average"],
    )["Datapoints"]  # fmt: skip
    return [p["Average"] for p in sorted(points, key=lambda p: p["Timestamp"])]
