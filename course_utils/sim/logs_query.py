"""Read a sandbox log group; patterns, Insights and EMF: :mod:`course_utils.rules.logs_query`."""

from __future__ import annotations

from typing import Any

from ..rules import logs_query as _engine
from ..rules.logs_query import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.logs_query import Event

__all__ = [*_engine.__all__, "read_events"]


def read_events(log_group: str, client: Any = None) -> list[Event]:
    """Every event of a sandbox log group (all streams), oldest first, with ``logStreamName``."""
    if client is None:
        import boto3

        client = boto3.client("logs")
    out: list[Event] = []
    for page in client.get_paginator("filter_log_events").paginate(logGroupName=log_group):
        out.extend(page["events"])
    return sorted(out, key=lambda e: (e["timestamp"], e.get("eventId", "")))
