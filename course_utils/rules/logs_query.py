"""CloudWatch Logs filter patterns, metric filters, a Logs Insights subset and EMF parsing.

What AWS does:

* **Filter patterns** (``filter_log_events``, metric filters, subscription filters) match log
  events. Text terms are case-sensitive and all must appear (``ERROR timeout``); a phrase in
  double quotes matches as a whole; ``?A ?B`` matches either term; ``-term`` excludes. A JSON
  pattern tests fields of JSON events: ``{ $.level = "ERROR" }``, ``{ $.latency > 500 }``, with
  ``&&``, ``||``, parentheses and ``*`` wildcards in strings. A space-delimited pattern names the
  fields of a line, ``[ip, user, ..., status = 5*, bytes > 1000]`` (``...`` skips any number).
* A **metric filter** turns each matching event into a metric value (``1``, or a field such as
  ``$.latency``).
* **Logs Insights** runs a pipeline of commands over events; JSON fields are discovered
  automatically: ``fields``, ``filter`` (``=``, ``!=``, ``<``, ``>``, ``like /regex/``, ``and``,
  ``or``, ``not``), ``stats count(*)|avg|sum|min|max|pct(field, N) ... by field``, ``sort``,
  ``limit``, ``parse @message "pattern with * " as a, b`` and ``parse @message /(?<name>regex)/``.
* **Embedded Metric Format** (EMF): a JSON log line whose ``_aws.CloudWatchMetrics`` block
  declares metrics; CloudWatch extracts them into metrics without a ``PutMetricData`` call.

What moto 5.2.5 does: stores metric filters but never publishes their metrics, ignores JSON
patterns in ``filter_log_events`` (every event matches), returns unfiltered rows for Logs
Insights queries and extracts no EMF metrics.

What this module reproduces: :func:`matches` / :func:`filter_events` for the three pattern
kinds, :func:`metric_filter` for metric values, :func:`insights` for the commands above and
:func:`emf_metrics` for the metrics an EMF line declares. Anything outside this subset raises
:class:`ValueError` saying what is not supported.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from typing import Any, Callable, Iterable

__all__ = ["matches", "filter_events", "metric_filter", "insights", "emf_metrics"]

Event = dict[str, Any]


# --- filter patterns ------------------------------------------------------------------------

def _json_field(doc: Any, path: str) -> Any:
    cur = doc
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            idx = int(part[1:-1])
            if not isinstance(cur, list) or idx >= len(cur):
                return _MISSING
            cur = cur[idx]
        else:
            if not isinstance(cur, dict) or part not in cur:
                return _MISSING
            cur = cur[part]
    return cur


_MISSING = object()
_JSON_TOKEN = re.compile(r'\s*(?:(\$(?:\.[A-Za-z0-9_@-]+|\[\d+\])+)|(&&|\|\||[()])|(>=|<=|!=|=|>|<)|("(?:[^"\\]|\\.)*")|(-?\d+(?:\.\d+)?)|(IS\s+(?:NOT\s+)?NULL|NOT\s+EXISTS|EXISTS|TRUE|FALSE|true|false|[A-Za-z_*][\w*.-]*))')


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if actual is _MISSING:
        return False
    if isinstance(expected, str):
        if op not in ("=", "!="):
            raise ValueError(f"filter pattern: {op} needs a number, got a string {expected!r}")
        hit = isinstance(actual, str) and fnmatch.fnmatchcase(actual, expected)
        return hit if op == "=" else not hit
    if isinstance(expected, bool):
        return (actual is expected) == (op == "=")
    if isinstance(actual, bool) or not isinstance(actual, (int, float)):
        return op == "!="
    return {"=": actual == expected, "!=": actual != expected, ">": actual > expected, "<": actual < expected,
            ">=": actual >= expected, "<=": actual <= expected}[op]  # fmt: skip


def _compile_json(pattern: str) -> Callable[[str], bool]:
    body = pattern.strip()[1:-1]
    toks: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body.rstrip()):
        m = _JSON_TOKEN.match(body, pos)
        if not m or m.end() == pos:
            raise ValueError(f"JSON filter pattern: cannot read {body[pos:].strip()[:20]!r} in {pattern!r}")
        kinds = ("sel", "logic", "op", "str", "num", "word")
        kind = next(k for k, g in zip(kinds, m.groups()) if g is not None)
        toks.append((kind, m.group(kinds.index(kind) + 1)))
        pos = m.end()
    i = 0

    def parse_or() -> Callable[[Any], bool]:
        nonlocal i
        left = parse_and()
        while i < len(toks) and toks[i] == ("logic", "||"):
            i += 1
            right = parse_and()
            left = (lambda a, b: lambda d: a(d) or b(d))(left, right)
        return left

    def parse_and() -> Callable[[Any], bool]:
        nonlocal i
        left = parse_cmp()
        while i < len(toks) and toks[i] == ("logic", "&&"):
            i += 1
            right = parse_cmp()
            left = (lambda a, b: lambda d: a(d) and b(d))(left, right)
        return left

    def parse_cmp() -> Callable[[Any], bool]:
        nonlocal i
        if i >= len(toks):
            raise ValueError(f"JSON filter pattern ends too early: {pattern!r}")
        kind, text = toks[i]
        if (kind, text) == ("logic", "("):
            i += 1
            inner = parse_or()
            if i >= len(toks) or toks[i] != ("logic", ")"):
                raise ValueError(f"JSON filter pattern: missing ')' in {pattern!r}")
            i += 1
            return inner
        if kind != "sel":
            raise ValueError(f"JSON filter pattern: expected a selector like $.level, got {text!r} in {pattern!r}")
        path = text[1:].lstrip(".")
        i += 1
        if i < len(toks) and toks[i][0] == "word" and toks[i][1].upper().replace(" ", "") in {"ISNULL", "ISNOTNULL", "EXISTS", "NOTEXISTS"}:
            word = re.sub(r"\s+", "", toks[i][1].upper())
            i += 1
            if word == "ISNULL":
                return lambda d: _json_field(d, path) is None
            if word == "ISNOTNULL":
                return lambda d: _json_field(d, path) not in (None, _MISSING)
            if word == "EXISTS":
                return lambda d: _json_field(d, path) is not _MISSING
            return lambda d: _json_field(d, path) is _MISSING
        if i + 1 >= len(toks) or toks[i][0] != "op":
            raise ValueError(f"JSON filter pattern: expected an operator after $.{path} in {pattern!r}")
        op = toks[i][1]
        vkind, vtext = toks[i + 1]
        i += 2
        if vkind == "str":
            value: Any = json.loads(vtext)
        elif vkind == "num":
            value = float(vtext)
        elif vtext.lower() in ("true", "false"):
            value = vtext.lower() == "true"
        elif vkind == "word":
            value = vtext  # unquoted string value
        else:
            raise ValueError(f"JSON filter pattern: bad value {vtext!r} in {pattern!r}")
        return lambda d: _compare(_json_field(d, path), op, value)

    test = parse_or()
    if i != len(toks):
        raise ValueError(f"JSON filter pattern: unexpected {toks[i][1]!r} in {pattern!r}")

    def run(message: str) -> bool:
        try:
            doc = json.loads(message)
        except ValueError:
            return False  # JSON patterns never match non-JSON events
        return bool(test(doc))

    return run


def _split_fields(line: str) -> list[str]:
    """Split a log line on spaces, keeping "quoted" and [bracketed] groups whole."""
    return [a or b or c for a, b, c in re.findall(r'"([^"]*)"|\[([^\]]*)\]|(\S+)', line)]


def _compile_space(pattern: str) -> Callable[[str], bool]:
    specs = [s.strip() for s in pattern.strip()[1:-1].split(",")]
    if not specs or any(not s for s in specs):
        raise ValueError(f"space-delimited pattern: empty field in {pattern!r}")
    parsed = []
    for spec in specs:
        if spec == "...":
            parsed.append(("...", None, None))
            continue
        m = re.fullmatch(r"([A-Za-z_][\w-]*)\s*(?:(>=|<=|!=|=|>|<)\s*(.+))?", spec)
        if not m:
            raise ValueError(f"space-delimited pattern: cannot read field {spec!r} in {pattern!r}")
        raw = m.group(3)
        value: Any = None
        if raw is not None:
            raw = raw.strip()
            value = json.loads(raw) if raw.startswith('"') else (float(raw) if re.fullmatch(r"-?\d+(\.\d+)?", raw) else raw)
        parsed.append((m.group(1), m.group(2), value))

    def test_field(text: str, op: str | None, value: Any) -> bool:
        if op is None:
            return True
        if isinstance(value, str):
            return _compare(text, op, value)
        try:
            return _compare(float(text), op, value)
        except ValueError:
            return False

    def run(message: str) -> bool:
        fields = _split_fields(message)

        def walk(si: int, fi: int) -> bool:
            if si == len(parsed):
                return fi == len(fields)
            name, op, value = parsed[si]
            if name == "...":
                return any(walk(si + 1, k) for k in range(fi, len(fields) + 1))
            return fi < len(fields) and test_field(fields[fi], op, value) and walk(si + 1, fi + 1)

        return walk(0, 0)

    return run


def _compile_terms(pattern: str) -> Callable[[str], bool]:
    terms = re.findall(r'([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))', pattern)
    required, optional, excluded = [], [], []
    for prefix, quoted, bare in terms:
        word = quoted if quoted or bare == "" else bare
        {"": required, "?": optional, "-": excluded}[prefix].append(word)
    if optional and required:
        raise ValueError(f"filter pattern: mixing ?OR terms with required terms is not supported here: {pattern!r}")

    def run(message: str) -> bool:
        if any(w in message for w in excluded):
            return False
        if optional:
            return any(w in message for w in optional)
        return all(w in message for w in required)

    return run


def compile_pattern(pattern: str) -> Callable[[str], bool]:
    """A function ``message -> bool`` for a CloudWatch Logs filter pattern."""
    if not isinstance(pattern, str):
        raise ValueError(f"filter pattern must be a string, got {type(pattern).__name__}")
    p = pattern.strip()
    if p == "":
        return lambda message: True
    if p.startswith("{"):
        if not p.endswith("}"):
            raise ValueError(f"JSON filter pattern must end with '}}': {pattern!r}")
        return _compile_json(p)
    if p.startswith("["):
        if not p.endswith("]"):
            raise ValueError(f"space-delimited filter pattern must end with ']': {pattern!r}")
        return _compile_space(p)
    if p.startswith("%"):
        raise ValueError("regular-expression filter patterns (%...%) are not supported by this simulator")
    return _compile_terms(p)


def matches(pattern: str, message: str) -> bool:
    """True when the log ``message`` matches the filter ``pattern``."""
    return compile_pattern(pattern)(message)


def _message(event: Event | str) -> str:
    return event if isinstance(event, str) else str(event.get("message", ""))


def filter_events(pattern: str, events: Iterable[Event | str]) -> list[Event | str]:
    """The events (dicts with ``message``, or plain strings) that match ``pattern``."""
    test = compile_pattern(pattern)
    return [e for e in events if test(_message(e))]


def metric_filter(pattern: str, events: Iterable[Event | str], metric_value: str = "1") -> list[float]:
    """The metric values a metric filter would publish: one per matching event.

    ``metric_value`` is a number (``"1"`` counts events) or a JSON selector (``"$.latency"``);
    events where the selector is missing or not numeric publish nothing.
    """
    test = compile_pattern(pattern)
    out: list[float] = []
    for e in events:
        msg = _message(e)
        if not test(msg):
            continue
        if metric_value.startswith("$."):
            try:
                v = _json_field(json.loads(msg), metric_value[2:])
            except ValueError:
                continue
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                out.append(float(v))
        else:
            try:
                out.append(float(metric_value))
            except ValueError:
                raise ValueError(f"metric_value must be a number or a $.selector, got {metric_value!r}") from None
    return out


# --- Logs Insights subset -------------------------------------------------------------------

def _record(event: Event | str) -> dict[str, Any]:
    msg = _message(event)
    rec: dict[str, Any] = {"@message": msg}
    if isinstance(event, dict):
        if "timestamp" in event:
            rec["@timestamp"] = event["timestamp"]
        if "logStreamName" in event:
            rec["@logStream"] = event["logStreamName"]
    try:
        doc = json.loads(msg)
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        def flat(prefix: str, d: dict) -> None:
            for k, v in d.items():
                key = f"{prefix}{k}"
                if isinstance(v, dict):
                    flat(key + ".", v)
                else:
                    rec[key] = v
        flat("", doc)
    return rec


def _split_pipeline(query: str) -> list[str]:
    parts, cur, quote, in_re = [], "", "", False
    for ch in query:
        if quote:
            quote = "" if ch == quote else quote
        elif in_re:
            in_re = ch != "/"
        elif ch in "\"'":
            quote = ch
        elif ch == "/" and cur.rstrip().lower().endswith(("like", "=~", "parse @message")):
            in_re = True
        elif ch == "|":
            parts.append(cur.strip())
            cur = ""
            continue
        cur += ch
    parts.append(cur.strip())
    return [p for p in parts if p]


_FILTER_TOKEN = re.compile(r'\s*(?:(/(?:[^/\\]|\\.)*/)|("(?:[^"\\]|\\.)*"|\'[^\']*\')|(-?\d+(?:\.\d+)?)|(>=|<=|!=|=~|=|>|<|\(|\))|([@A-Za-z_][\w.@-]*))')


def _compile_filter(expr: str) -> Callable[[dict], bool]:
    toks = []
    pos = 0
    while pos < len(expr.rstrip()):
        m = _FILTER_TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ValueError(f"Logs Insights filter: cannot read {expr[pos:].strip()[:20]!r}")
        kinds = ("re", "str", "num", "op", "word")
        kind = next(k for k, g in zip(kinds, m.groups()) if g is not None)
        toks.append((kind, m.group(kinds.index(kind) + 1)))
        pos = m.end()
    i = 0

    def value(tok: tuple[str, str]) -> Any:
        kind, text = tok
        if kind == "str":
            return text[1:-1]
        if kind == "num":
            return float(text)
        if kind == "re":
            return re.compile(text[1:-1])
        raise ValueError(f"Logs Insights filter: expected a value, got {text!r}")

    def p_or() -> Callable[[dict], bool]:
        nonlocal i
        left = p_and()
        while i < len(toks) and toks[i][1].lower() == "or":
            i += 1
            left = (lambda a, b: lambda r: a(r) or b(r))(left, p_and())
        return left

    def p_and() -> Callable[[dict], bool]:
        nonlocal i
        left = p_not()
        while i < len(toks) and toks[i][1].lower() == "and":
            i += 1
            left = (lambda a, b: lambda r: a(r) and b(r))(left, p_not())
        return left

    def p_not() -> Callable[[dict], bool]:
        nonlocal i
        if i < len(toks) and toks[i][1].lower() == "not":
            i += 1
            inner = p_not()
            return lambda r: not inner(r)
        return p_cmp()

    def p_cmp() -> Callable[[dict], bool]:
        nonlocal i
        if i >= len(toks):
            raise ValueError(f"Logs Insights filter ends too early: {expr!r}")
        if toks[i] == ("op", "("):
            i += 1
            inner = p_or()
            if i >= len(toks) or toks[i] != ("op", ")"):
                raise ValueError(f"Logs Insights filter: missing ')' in {expr!r}")
            i += 1
            return inner
        kind, name = toks[i]
        if kind != "word":
            raise ValueError(f"Logs Insights filter: expected a field name, got {name!r}")
        i += 1
        if i >= len(toks):
            raise ValueError(f"Logs Insights filter: expected an operator after {name!r}")
        op = toks[i][1].lower()
        if op not in {"=", "!=", "<", ">", "<=", ">=", "like", "=~"}:
            raise ValueError(f"Logs Insights filter: operator {toks[i][1]!r} is not supported here")
        i += 1
        if i >= len(toks):
            raise ValueError(f"Logs Insights filter: expected a value after {name} {op}")
        v = value(toks[i])
        i += 1

        def test(r: dict) -> bool:
            actual = r.get(name)
            if actual is None:
                return False
            if op in ("like", "=~"):
                return bool(v.search(str(actual))) if isinstance(v, re.Pattern) else str(v) in str(actual)
            if isinstance(v, float):
                try:
                    a = float(actual)
                except (TypeError, ValueError):
                    return False
            else:
                a = str(actual)
            return {"=": a == v, "!=": a != v, "<": a < v, ">": a > v, "<=": a <= v, ">=": a >= v}[op]

        return test

    result = p_or()
    if i != len(toks):
        raise ValueError(f"Logs Insights filter: unexpected {toks[i][1]!r} in {expr!r}")
    return result


_AGG = re.compile(r"(count|avg|sum|min|max|pct)\s*\(\s*([^,)]*?)\s*(?:,\s*(\d+(?:\.\d+)?)\s*)?\)(?:\s+as\s+([\w@.]+))?", re.I)


def _stats(rows: list[dict], spec: str) -> list[dict]:
    by: list[str] = []
    m = re.search(r"\s+by\s+(.+)$", spec, re.I)
    if m:
        by = [b.strip() for b in m.group(1).split(",")]
        spec = spec[: m.start()]
    aggs = []
    for part in [p.strip() for p in re.split(r",(?![^(]*\))", spec)]:
        a = _AGG.fullmatch(part)
        if not a:
            raise ValueError(f"Logs Insights stats: {part!r} is not supported (use count, avg, sum, min, max, pct)")
        fn, field, p, alias = a.group(1).lower(), a.group(2), a.group(3), a.group(4)
        if fn == "pct" and p is None:
            raise ValueError("Logs Insights stats: pct(field, N) needs a percentile N")
        aggs.append((fn, field, float(p) if p else None, alias or f"{fn}({field}{', ' + p if p else ''})"))
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r.get(b) for b in by), []).append(r)
    out = []
    for key, members in groups.items():
        row = dict(zip(by, key))
        for fn, field, p, alias in aggs:
            if fn == "count":
                row[alias] = len(members) if field in ("", "*") else sum(1 for r in members if r.get(field) is not None)
                continue
            nums = []
            for r in members:
                try:
                    nums.append(float(r[field]))
                except (KeyError, TypeError, ValueError):
                    pass
            if not nums:
                row[alias] = None
            elif fn == "avg":
                row[alias] = sum(nums) / len(nums)
            elif fn == "sum":
                row[alias] = sum(nums)
            elif fn == "min":
                row[alias] = min(nums)
            elif fn == "max":
                row[alias] = max(nums)
            else:
                ordered = sorted(nums)
                row[alias] = ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]
        out.append(row)
    return out


def _parse_cmd(rows: list[dict], spec: str) -> list[dict]:
    m = re.fullmatch(r'([@\w.]+)\s+(?:(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\')\s+as\s+(.+)|/(.*)/)', spec.strip())
    if not m:
        raise ValueError(f'Logs Insights parse: use parse @message "glob with *" as a, b or parse @message /(?<name>regex)/, got {spec!r}')
    source = m.group(1)
    glob = m.group(2) if m.group(2) is not None else m.group(3)
    if glob is not None:
        names = [n.strip() for n in m.group(4).split(",")]
        if glob.count("*") != len(names):
            raise ValueError(f"Logs Insights parse: {glob.count('*')} '*' in the pattern but {len(names)} names")
        parts = glob.split("*")
        body = re.escape(parts[0]) + "".join("(.*?)" + re.escape(p) for p in parts[1:])
        if not parts[-1]:
            body = body[: -len("(.*?)")] + "(.*)"  # a trailing * takes the rest of the line
        regex = re.compile(body)
    else:
        regex = re.compile(re.sub(r"\(\?<", "(?P<", m.group(5)))
        names = list(regex.groupindex)
    out = []
    for r in rows:
        hit = regex.search(str(r.get(source, "")))
        r = dict(r)
        if hit:
            values = hit.groups() if glob is not None else [hit.group(n) for n in names]
            r.update({n: v for n, v in zip(names, values)})
        out.append(r)
    return out


def insights(query: str, events: Iterable[Event | str]) -> list[dict[str, Any]]:
    """Run a Logs Insights query (the subset in the module docstring) over ``events``."""
    rows = [_record(e) for e in events]
    shown: list[str] | None = None
    for cmd in _split_pipeline(query):
        name, _, arg = cmd.partition(" ")
        name, arg = name.lower(), arg.strip()
        if name == "fields":
            shown = [f.strip() for f in arg.split(",") if f.strip()]
        elif name == "filter":
            test = _compile_filter(arg)
            rows = [r for r in rows if test(r)]
        elif name == "stats":
            rows = _stats(rows, arg)
            shown = None
        elif name == "sort":
            m = re.fullmatch(r"([@\w.()*, ]+?)(?:\s+(asc|desc))?", arg, re.I)
            if not m:
                raise ValueError(f"Logs Insights sort: cannot read {arg!r}")
            field, desc = m.group(1).strip(), (m.group(2) or "desc").lower() == "desc"
            present = [r for r in rows if r.get(field) is not None]
            absent = [r for r in rows if r.get(field) is None]
            rows = sorted(present, key=lambda r: (isinstance(r[field], str), r[field]), reverse=desc) + absent
        elif name == "limit":
            if not arg.isdigit():
                raise ValueError(f"Logs Insights limit needs a whole number, got {arg!r}")
            rows = rows[: int(arg)]
        elif name == "parse":
            rows = _parse_cmd(rows, arg)
        elif name == "display":
            shown = [f.strip() for f in arg.split(",") if f.strip()]
        else:
            raise ValueError(
                f"Logs Insights command {name!r} is not supported by this simulator "
                "(supported: fields, filter, stats, sort, limit, parse, display)"
            )
    if shown is not None:
        rows = [{f: r.get(f) for f in shown} for r in rows]
    return rows


# --- Embedded Metric Format -----------------------------------------------------------------

def emf_metrics(message: str) -> list[dict[str, Any]]:
    """The metrics an EMF log line declares: namespace, name, unit, value and dimensions.

    Returns ``[]`` for a line that is not EMF (not JSON or no ``_aws.CloudWatchMetrics``).
    """
    try:
        doc = json.loads(message)
    except ValueError:
        return []
    if not isinstance(doc, dict):
        return []
    directives = doc.get("_aws", {}).get("CloudWatchMetrics", []) if isinstance(doc.get("_aws"), dict) else []
    out = []
    for d in directives:
        for dim_set in d.get("Dimensions", [[]]) or [[]]:
            dims = {k: doc.get(k) for k in dim_set}
            for metric in d.get("Metrics", []):
                name = metric["Name"]
                if name not in doc:
                    raise ValueError(f"EMF line declares metric {name!r} but has no {name!r} member")
                out.append({
                    "Namespace": d.get("Namespace"), "MetricName": name, "Unit": metric.get("Unit", "None"),
                    "Value": doc[name], "Dimensions": dims, "StorageResolution": metric.get("StorageResolution", 60),
                })  # fmt: skip
    return out
