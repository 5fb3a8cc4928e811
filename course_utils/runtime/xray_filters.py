"""``GetTraceSummaries`` with a ``FilterExpression``, and trace summaries shaped as X-Ray returns them.

What AWS does (X-Ray API reference, ``GetTraceSummaries``; developer guide, "Use filter expressions"): the
optional ``FilterExpression`` keeps the traces of the time range that match it (annotations, response time,
duration, HTTP fields, error flags, services); a malformed expression is answered with
``InvalidRequestException`` (HTTP 400). Each ``TraceSummary`` carries the trace's ``Annotations``
(``{key: [{"AnnotationValue": {...}, "ServiceIds": [...]}]}``), its ``Duration`` and ``ResponseTime`` in
seconds, and the entry point's ``Http`` fields.

What moto 5.2.5 does: any ``FilterExpression`` is a 500 "Not implemented yet"; ``Annotations`` and ``Http``
are empty, ``ResponseTime`` is always 1 and ``Duration`` whole seconds.

Simulated: :func:`wrap_get_trace_summary` (registered in :mod:`.patches_xray`) asks moto for the summaries of
the time range without the expression, then keeps those whose segment documents match it
(:mod:`course_utils.rules.xray_filter`, a documented subset; the rest is rejected with
``InvalidRequestException``) and fills those fields from the documents. ``TracesProcessedCount`` stays the
number of traces scanned, matched or not. The exception's message is the sandbox's own wording.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from ..rules import xray_filter

__all__ = ["wrap_get_trace_summary", "trace_documents", "enrich"]


def trace_documents(backend: Any, trace_id: str) -> list[dict[str, Any]]:
    """The stored segment documents of one trace (what ``BatchGetTraces`` returns), parsed."""
    trace = backend._segment_collection._traces.get(trace_id) or {}
    docs = []
    for segment in trace.get("segments", ()):
        try:
            doc = json.loads(segment.raw)
        except (TypeError, ValueError):
            continue
        if isinstance(doc, dict):
            docs.append(doc)
    return docs


def enrich(summary: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Fill ``Annotations``, ``Duration``, ``ResponseTime`` and ``Http`` as X-Ray shapes them."""
    if not docs:
        return summary
    view = xray_filter.TraceView(docs)
    summary["Annotations"] = xray_filter.annotations_summary(docs)
    summary["Duration"] = round(float(view.keyword("duration")), 3)
    response_time = view.keyword("responsetime")
    if response_time is not None:
        summary["ResponseTime"] = round(float(response_time), 3)
    http = {"HttpURL": view.keyword("http.url"), "HttpStatus": view.keyword("http.status"),
            "HttpMethod": view.keyword("http.method"), "UserAgent": view.keyword("http.useragent"),
            "ClientIp": view.keyword("http.clientip")}
    summary["Http"] = {k: v for k, v in http.items() if v is not None}
    return summary


def wrap_get_trace_summary(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap moto's ``XRayBackend.get_trace_summary``: evaluate ``FilterExpression``, fill the summaries."""

    def get_trace_summary(self: Any, start_time: Any, end_time: Any, filter_expression: Any) -> Any:
        expression = None
        if filter_expression is not None:
            from .moto_adapter import xray_invalid_request

            try:
                expression = xray_filter.parse(str(filter_expression))
            except xray_filter.FilterSyntaxError as exc:
                raise xray_invalid_request(f"Invalid filter expression: {exc}") from None
        result = original(self, start_time, end_time, None)
        kept = []
        for summary in result.get("TraceSummaries", []):
            docs = trace_documents(self, summary["Id"])
            if expression is not None and not (docs and expression.test(xray_filter.TraceView(docs))):
                continue
            kept.append(enrich(summary, docs))
        result["TraceSummaries"] = kept
        return result

    get_trace_summary.__wrapped__ = original  # type: ignore[attr-defined]
    return get_trace_summary
