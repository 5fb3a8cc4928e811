"""X-Ray traffic and the service map in the sandbox: engine in :mod:`course_utils.rules.xray_map`.

:func:`send` puts the segment documents that traced requests produce (``put_trace_segments``, as
the services and SDKs would); :func:`service_graph` asks ``get_service_graph`` and, when moto
5.2.5 answers with no services (it always does), builds the graph as X-Ray documents from the
segments the sandbox stored (``get_trace_summaries`` + ``batch_get_traces``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..rules import xray_map as _engine
from ..rules.xray_map import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__, "send", "stored_segments", "service_graph"]


def _client(client: Any) -> Any:
    if client is None:
        import boto3

        client = boto3.client("xray")
    return client


def send(root: _engine.Hop, requests: int, start: datetime, seed: int = 0, client: Any = None) -> list[str]:
    """Put the segments of ``requests`` traced requests entering at ``root``; returns their trace ids."""
    docs = _engine.make_traces(root, requests, start, seed=seed)
    xray = _client(client)
    for i in range(0, len(docs), 50):
        answer = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(d) for d in docs[i:i + 50]])
        if answer["UnprocessedTraceSegments"]:
            raise RuntimeError(f"X-Ray did not take {answer['UnprocessedTraceSegments']}")
    return list(dict.fromkeys(d["trace_id"] for d in docs))


def stored_segments(start: datetime, end: datetime, client: Any = None) -> list[dict[str, Any]]:
    """Every segment document of the traces in [start, end]: trace summaries, then BatchGetTraces 5 ids at a time."""
    xray = _client(client)
    ids, token = [], None
    while True:
        kwargs = {"StartTime": start, "EndTime": end, **({"NextToken": token} if token else {})}
        page = xray.get_trace_summaries(**kwargs)
        ids += [s["Id"] for s in page["TraceSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
    docs = []
    for i in range(0, len(ids), 5):
        for trace in xray.batch_get_traces(TraceIds=ids[i:i + 5])["Traces"]:
            docs += [json.loads(s["Document"]) for s in trace["Segments"]]
    return list({(d.get("trace_id"), d["id"]): d for d in docs}.values())  # moto keeps re-sent copies; X-Ray does not


def service_graph(start: datetime, end: datetime, client: Any = None) -> tuple[dict[str, Any], bool]:
    """(``GetServiceGraph``'s answer, simulated?): moto's when it has services, else built from the stored segments."""
    xray = _client(client)
    answer = xray.get_service_graph(StartTime=start, EndTime=end)
    if answer.get("Services"):
        return {k: answer[k] for k in ("StartTime", "EndTime", "Services")}, False
    return _engine.graph_from_segments(stored_segments(start, end, xray), start, end), True
