"""The X-Ray service graph (the trace map) built from segment documents, and traced traffic to build it from.

What AWS does: every traced service sends **segment documents** (``PutTraceSegments``); a segment
records its service (``name``, ``origin`` such as ``AWS::ApiGateway::Stage``, ``AWS::Lambda``,
``AWS::Lambda::Function``), its timing, ``http.response.status`` and the flags ``error`` (4xx),
``throttle`` (429, with ``error``) and ``fault`` (5xx). Calls to resources that send no segments of
their own (a DynamoDB table, an HTTP API) are **subsegments** (``namespace`` ``aws`` or ``remote``)
from which X-Ray *infers* a node. A downstream segment's ``parent_id`` is the id of the caller's
(sub)segment. ``GetServiceGraph`` aggregates a time range into ``Services`` (nodes) with
``Edges``; each node and edge carries ``SummaryStatistics``: ``OkCount``, ``ErrorStatistics``
(``ThrottleCount``, ``OtherCount``, ``TotalCount``), ``FaultStatistics`` (``OtherCount``,
``TotalCount``), ``TotalCount`` and ``TotalResponseTime`` (seconds). The console colours each node
by those ratios: green OK, yellow errors (4xx), purple throttles (429), red faults (5xx), and shows
the average response time inside it.

What moto 5.2.5 does: it stores segments (``batch_get_traces`` returns them) but
``get_service_graph`` answers an empty ``Services`` list.

What this module reproduces: :func:`make_traces` writes the segment documents a request path
would produce (API Gateway stage -> Lambda service -> function -> downstream calls), with a seeded
random outcome per hop; a downstream **fault** makes every caller above it fault too (it answers
5xx), while a downstream 4xx or throttle is handled by the caller (not propagated).
:func:`graph_from_segments` aggregates segment documents into ``GetServiceGraph``'s ``Services`` shape
(histograms and account fields are left out); :func:`root_causes` names the faulting nodes whose
own downstream calls do not fault; :func:`describe` and :func:`plot` show the map.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

__all__ = ["Hop", "make_traces", "graph_from_segments", "root_causes", "describe", "timeline", "plot"]

_SEGMENT_TYPES = ("AWS::ApiGateway::Stage", "AWS::Lambda", "AWS::Lambda::Function", "AWS::EC2::Instance",
                  "AWS::ECS::Container", "AWS::ElasticBeanstalk::Environment")


@dataclass
class Hop:
    """One service or resource on a request's path.

    ``type`` is a segment origin (:data:`_SEGMENT_TYPES`: it sends its own segment) or
    ``AWS::DynamoDB::Table`` / ``AWS::SQS::Queue`` / ``AWS::S3::Bucket`` / ``remote`` (a subsegment
    of its caller: X-Ray infers the node). ``latency_ms`` is the hop's own time; the rates are the
    share of calls that fault (5xx), are throttled (429) or fail otherwise (4xx).
    """

    name: str
    type: str
    latency_ms: float
    fault_rate: float = 0.0
    throttle_rate: float = 0.0
    error_rate: float = 0.0
    calls: list["Hop"] = field(default_factory=list)

    def __post_init__(self) -> None:
        for rate in (self.fault_rate, self.throttle_rate, self.error_rate):
            if not 0 <= rate <= 1:
                raise ValueError(f"{self.name}: rates are shares between 0 and 1, got {rate!r}")
        if self.fault_rate + self.throttle_rate + self.error_rate > 1:
            raise ValueError(f"{self.name}: fault, throttle and error rates add up to more than 1")
        if self.calls and self.type not in _SEGMENT_TYPES:
            raise ValueError(f"{self.name}: only a service that sends segments ({', '.join(_SEGMENT_TYPES)}) makes calls")

    @property
    def inferred(self) -> bool:
        """True when X-Ray infers this node from its caller's subsegment."""
        return self.type not in _SEGMENT_TYPES


_STATUS = {"fault": 500, "throttle": 429, "error": 400, "ok": 200}


def _flags(outcome: str) -> dict[str, Any]:
    flags: dict[str, Any] = {"http": {"response": {"status": _STATUS[outcome]}}}
    if outcome == "fault":
        flags["fault"] = True
    elif outcome in ("error", "throttle"):
        flags["error"] = True
        if outcome == "throttle":
            flags["throttle"] = True
    return flags


class _Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def hex(self, n: int) -> str:
        return f"{self.rng.getrandbits(4 * n):0{n}x}"

    def outcome(self, hop: Hop) -> str:
        r = self.rng.random()
        if r < hop.fault_rate:
            return "fault"
        if r < hop.fault_rate + hop.throttle_rate:
            return "throttle"
        if r < hop.fault_rate + hop.throttle_rate + hop.error_rate:
            return "error"
        return "ok"

    def run(self, hop: Hop, trace_id: str, parent_id: str | None, start: float, docs: list[dict[str, Any]]
            ) -> tuple[dict[str, Any], str]:
        """Emit ``hop``'s segment (and its callees'); return (the document, its outcome)."""
        own = hop.latency_ms / 1000 * self.rng.uniform(0.8, 1.2)
        seg: dict[str, Any] = {"name": hop.name, "id": self.hex(16), "trace_id": trace_id, "start_time": start,
                               "origin": hop.type}
        if parent_id:
            seg["parent_id"] = parent_id
        docs.append(seg)
        clock, outcome, subs = start + own / 2, self.outcome(hop), []
        for callee in hop.calls:
            if callee.inferred:
                c_out = self.outcome(callee)
                dur = callee.latency_ms / 1000 * self.rng.uniform(0.8, 1.2)
                sub = {"name": callee.name, "id": self.hex(16), "start_time": clock, "end_time": clock + dur,
                       "namespace": "remote" if callee.type == "remote" else "aws", **_flags(c_out)}
                if callee.type == "AWS::DynamoDB::Table":
                    sub["aws"] = {"table_name": callee.name, "operation": "PutItem"}
                elif callee.type != "remote":
                    sub["aws"] = {"resource_type": callee.type, "resource_names": [callee.name]}
                subs.append(sub)
            else:
                sub = {"name": callee.name, "id": self.hex(16), "start_time": clock}
                child, c_out = self.run(callee, trace_id, sub["id"], clock, docs)
                dur = child["end_time"] - clock
                sub.update(end_time=clock + dur, **_flags(c_out))
                subs.append(sub)
            clock += dur
            if c_out == "fault":
                outcome = "fault"  # a 5xx from downstream becomes this service's 5xx
                break
        seg["end_time"] = clock + own / 2
        seg.update(_flags(outcome))
        if subs:
            seg["subsegments"] = subs
        return seg, outcome


def make_traces(root: Hop, requests: int, start: datetime, seed: int = 0, spacing_s: float = 1.0) -> list[dict[str, Any]]:
    """Segment documents for ``requests`` traced requests entering at ``root``, ``spacing_s`` apart from ``start``."""
    if requests < 1:
        raise ValueError("requests must be at least 1")
    gen, docs = _Gen(seed), []
    t0 = start.timestamp()
    for i in range(requests):
        t = t0 + i * spacing_s
        trace_id = f"1-{int(t):08x}-{gen.hex(24)}"
        gen.run(root, trace_id, None, t, docs)
    return docs


def _unique(documents: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Segments by (trace id, id): a segment sent again replaces the earlier copy, as in X-Ray."""
    return list({(d.get("trace_id"), d["id"]): d for d in documents}.values())


def _stats(outcomes: Iterable[tuple[dict[str, Any], float]]) -> dict[str, Any]:
    ok = thr = err = flt = 0
    total_time = 0.0
    n = 0
    for doc, duration in outcomes:
        n += 1
        total_time += duration
        if doc.get("fault"):
            flt += 1
        elif doc.get("throttle"):
            thr += 1
        elif doc.get("error"):
            err += 1
        else:
            ok += 1
    return {"OkCount": ok, "ErrorStatistics": {"ThrottleCount": thr, "OtherCount": err, "TotalCount": thr + err},
            "FaultStatistics": {"OtherCount": flt, "TotalCount": flt}, "TotalCount": n,
            "TotalResponseTime": round(total_time, 6)}


def _node_of_sub(sub: dict[str, Any]) -> tuple[str, str] | None:
    ns = sub.get("namespace")
    if ns == "remote":
        return sub["name"], "remote"
    if ns == "aws":
        aws = sub.get("aws", {})
        if "table_name" in aws:
            return aws["table_name"], "AWS::DynamoDB::Table"
        return sub["name"], aws.get("resource_type", f"AWS::{sub['name']}")
    return None


def graph_from_segments(documents: Iterable[dict[str, Any]], start: datetime | None = None,
                  end: datetime | None = None) -> dict[str, Any]:
    """``GetServiceGraph``'s answer (``Services`` with ``Edges`` and ``SummaryStatistics``) for these segments."""
    docs = _unique(documents)
    owner: dict[str, tuple[str, str]] = {}  # (sub)segment id -> the node whose segment holds it
    for seg in docs:
        node = (seg["name"], seg.get("origin", "unknown"))
        stack = [seg]
        while stack:
            cur = stack.pop()
            owner[cur["id"]] = node
            stack.extend(cur.get("subsegments", []))
    node_docs: dict[tuple[str, str], list[tuple[dict[str, Any], float]]] = {}
    edge_docs: dict[tuple[tuple[str, str], tuple[str, str]], list[tuple[dict[str, Any], float]]] = {}
    for seg in docs:
        node = (seg["name"], seg.get("origin", "unknown"))
        item = (seg, seg["end_time"] - seg["start_time"])
        node_docs.setdefault(node, []).append(item)
        if seg.get("parent_id") in owner:
            edge_docs.setdefault((owner[seg["parent_id"]], node), []).append(item)
        stack = list(seg.get("subsegments", []))
        while stack:
            sub = stack.pop()
            stack.extend(sub.get("subsegments", []))
            inferred = _node_of_sub(sub)
            if inferred:
                s_item = (sub, sub["end_time"] - sub["start_time"])
                node_docs.setdefault(inferred, []).append(s_item)
                edge_docs.setdefault((node, inferred), []).append(s_item)
    times = [d["start_time"] for d in docs] + [d["end_time"] for d in docs]
    t_start = start or (datetime.fromtimestamp(min(times), timezone.utc) if times else None)
    t_end = end or (datetime.fromtimestamp(max(times), timezone.utc) if times else None)
    ref = {node: i for i, node in enumerate(sorted(node_docs, key=lambda n: min(d["start_time"] for d, _ in node_docs[n])))}
    targets = {child for _, child in edge_docs}
    services = []
    for node, i in ref.items():
        edges = [{"ReferenceId": ref[child], "StartTime": t_start, "EndTime": t_end, "SummaryStatistics": _stats(items)}
                 for (parent, child), items in edge_docs.items() if parent == node]
        services.append({"ReferenceId": i, "Name": node[0], "Names": [node[0]], "Type": node[1],
                         "Root": node not in targets, "State": "active", "StartTime": t_start, "EndTime": t_end,
                         "Edges": sorted(edges, key=lambda e: e["ReferenceId"]),
                         "SummaryStatistics": _stats(node_docs[node])})
    return {"StartTime": t_start, "EndTime": t_end, "Services": services}


def _faults(stats: dict[str, Any]) -> int:
    return stats["FaultStatistics"]["TotalCount"]


def root_causes(graph: dict[str, Any]) -> list[str]:
    """Names of the nodes that fault although none of their downstream calls does: where to look first."""
    out = []
    for svc in graph["Services"]:
        if _faults(svc["SummaryStatistics"]) and not any(_faults(e["SummaryStatistics"]) for e in svc["Edges"]):
            out.append(svc["Name"])
    return out


def _avg_ms(stats: dict[str, Any]) -> float:
    return 1000 * stats["TotalResponseTime"] / stats["TotalCount"] if stats["TotalCount"] else 0.0


def describe(graph: dict[str, Any]) -> str:
    """The map in words, one node per line: type, requests, average response time, OK/4xx/429/5xx counts, edges."""
    names = {s["ReferenceId"]: s["Name"] for s in graph["Services"]}
    lines = []
    for s in graph["Services"]:
        st = s["SummaryStatistics"]
        calls = ", ".join(f"{names[e['ReferenceId']]} ({_avg_ms(e['SummaryStatistics']):.0f} ms, "
                          f"{_faults(e['SummaryStatistics'])} faults)" for e in s["Edges"])
        lines.append(f"{s['Name']:<22} {s['Type']:<23} n={st['TotalCount']:<3} avg {_avg_ms(st):6.0f} ms  "
                     f"ok {st['OkCount']:<3} 4xx {st['ErrorStatistics']['OtherCount']:<2} "
                     f"429 {st['ErrorStatistics']['ThrottleCount']:<2} 5xx {_faults(st):<3}" + (f" -> {calls}" if calls else ""))
    return "\n".join(lines)


def _status(doc: dict[str, Any]) -> str:
    code = doc.get("http", {}).get("response", {}).get("status")
    flag = "fault" if doc.get("fault") else "throttle" if doc.get("throttle") else "error" if doc.get("error") else "ok"
    return f"{code} {flag}" if code else flag


def timeline(documents: Iterable[dict[str, Any]], trace_id: str) -> str:
    """One trace as the console's timeline: each segment and subsegment, indented under its parent, with
    its start offset and duration in ms and its status."""
    docs = [d for d in _unique(documents) if d.get("trace_id") == trace_id]
    if not docs:
        raise ValueError(f"no segments of trace {trace_id!r}")
    t0 = min(d["start_time"] for d in docs)
    children: dict[str | None, list[dict[str, Any]]] = {}
    for d in docs:
        children.setdefault(d.get("parent_id"), []).append(d)
    lines: list[str] = []

    def walk(doc: dict[str, Any], depth: int) -> None:
        kind = doc.get("origin") or doc.get("namespace") or "subsegment"
        name = ("  " * depth + doc["name"])[:30]
        offset, took = 1000 * (doc["start_time"] - t0), 1000 * (doc["end_time"] - doc["start_time"])
        lines.append(f"{name:<30} {kind:<22} +{offset:4.0f} ms {took:4.0f} ms  {_status(doc)}")
        for sub in doc.get("subsegments", []):
            linked = sorted(children.get(sub["id"], []), key=lambda d: d["start_time"])
            if linked and not sub.get("namespace"):  # the call's own segment says more: show that one
                for seg in linked:
                    walk(seg, depth + 1)
            else:
                walk(sub, depth + 1)

    for root in sorted(children.get(None, []), key=lambda d: d["start_time"]):
        walk(root, 0)
    return "\n".join(lines)


_COLOURS = (("OK", "#2ca02c"), ("4xx", "#e6c229"), ("429", "#9467bd"), ("5xx", "#d62728"))


def plot(graph: dict[str, Any], ax: Any = None) -> Any:
    """Draw the trace map: nodes left to right by depth, each ring split OK/4xx/429/5xx, average ms inside."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Wedge

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.6))
    svcs = {s["ReferenceId"]: s for s in graph["Services"]}
    depth = {i: 0 for i, s in svcs.items() if s["Root"]}
    frontier = list(depth)
    while frontier:
        nxt = []
        for i in frontier:
            for e in svcs[i]["Edges"]:
                if e["ReferenceId"] not in depth:
                    depth[e["ReferenceId"]] = depth[i] + 1
                    nxt.append(e["ReferenceId"])
        frontier = nxt
    for i in svcs:
        depth.setdefault(i, 0)
    columns: dict[int, list[int]] = {}
    for i in sorted(svcs):
        columns.setdefault(depth[i], []).append(i)
    pos = {i: (d * 2.4, 1.5 * ((len(col) - 1) / 2 - k)) for d, col in columns.items() for k, i in enumerate(col)}
    for i, s in svcs.items():
        for e in s["Edges"]:
            (x0, y0), (x1, y1) = pos[i], pos[e["ReferenceId"]]
            ax.annotate("", xy=(x1 - 0.45, y1), xytext=(x0 + 0.45, y0),
                        arrowprops={"arrowstyle": "->", "color": "#d62728" if _faults(e["SummaryStatistics"]) else "gray"})
            ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.1, f"{_avg_ms(e['SummaryStatistics']):.0f} ms", fontsize=8,
                    ha="center", color="dimgray")
    for i, s in svcs.items():
        st = s["SummaryStatistics"]
        counts = [st["OkCount"], st["ErrorStatistics"]["OtherCount"], st["ErrorStatistics"]["ThrottleCount"], _faults(st)]
        x, y = pos[i]
        total, angle = sum(counts) or 1, 90.0
        for (_, col), c in zip(_COLOURS, counts):
            if c:
                sweep = 360 * c / total
                ax.add_patch(Wedge((x, y), 0.42, angle - sweep, angle, width=0.1, facecolor=col, edgecolor="white"))
                angle -= sweep
        ax.text(x, y + 0.05, f"{_avg_ms(st):.0f} ms", ha="center", va="center", fontsize=8, weight="bold")
        ax.text(x, y - 0.13, f"{st['TotalCount']} req", ha="center", va="center", fontsize=8)
        ax.text(x, y - 0.55, f"{s['Name']}\n{s['Type']}", ha="center", va="top", fontsize=8)
    xs = [p[0] for p in pos.values()] or [0]
    ys = [p[1] for p in pos.values()] or [0]
    ax.set_xlim(min(xs) - 0.8, max(xs) + 0.8)
    ax.set_ylim(min(ys) - 1.0, max(ys) + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    for label, col in _COLOURS:
        ax.plot([], [], "o", color=col, label=label)
    # under the map, outside the axes: inside, a one-row map (158 px tall) put it over the node labels
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0.0), fontsize=8, frameon=False, ncols=4)
    ax.set_title("Service map: ring = share of OK / 4xx / 429 / 5xx, centre = average response time", fontsize=9)
    return ax
