"""CloudWatch statistics that moto does not return: percentiles and metric math.

What AWS does: CloudWatch stores every datapoint of a metric and, on request, aggregates them
per period into statistics. Besides ``SampleCount``/``Sum``/``Average``/``Minimum``/``Maximum``
it computes percentiles (``p50``, ``p90``, ``p99``...) for metrics published as raw values, and
evaluates *metric math* expressions across the series of a ``GetMetricData`` request
(``m1/m2*100``, ``SUM(METRICS())``, ``RATE(m1)``, ``FILL(m1, 0)``, ``IF(m1 > 10, 1, 0)``).

What moto 5.2.5 does: ``get_metric_statistics`` ignores ``ExtendedStatistics`` (no percentile
comes back), ``get_metric_data`` fails on a ``p99`` stat and returns an empty series for an
expression.

What this module reproduces:

* :func:`percentile` uses the nearest-rank rule on the raw values of one period (CloudWatch
  computes exact percentiles for small raw sets and approximates them for large ones, so
  figures can differ slightly on real AWS);
* :func:`summarize` gives the usual statistics plus percentiles for a list of values;
* :func:`~course_utils.sim.metrics.fetch_values` reads a metric back from the sandbox's
  CloudWatch (one value per second of a high-resolution metric, via ``get_metric_statistics``
  with ``Period=1``);
* :func:`evaluate` evaluates the metric math subset the course uses over aligned series:
  ``+ - * /``, parentheses, numbers, series ids, comparisons (``> < >= <= == !=``, 1 or 0),
  ``SUM``/``AVG``/``MIN``/``MAX`` (of one series: one number; of several series or
  ``METRICS()``: one series), ``RATE``, ``DIFF``, ``FILL(x, value | REPEAT)``,
  ``IF(cond, a[, b])`` and ``ABS``. A missing datapoint is ``None``; dividing by zero gives
  ``None`` as CloudWatch drops such points. Anything else raises :class:`ValueError`.
"""

from __future__ import annotations

import math
import re
from typing import Any, Sequence

__all__ = ["percentile", "summarize", "evaluate", "Series"]

Series = list  # list[float | None]
Value = float | list  # a scalar or a series


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile of ``values`` by the nearest-rank rule (``p`` in 0..100)."""
    if not 0 < p <= 100:
        raise ValueError(f"percentile p must be in (0, 100], got {p!r}")
    data = sorted(float(v) for v in values if v is not None)
    if not data:
        raise ValueError("percentile of an empty series: no datapoints in the period")
    rank = max(1, math.ceil(p / 100 * len(data)))
    return data[rank - 1]


def summarize(values: Sequence[float], percentiles: Sequence[float] = (50, 90, 99)) -> dict[str, float]:
    """SampleCount, Sum, Average, Minimum, Maximum and ``pNN`` for the given raw values."""
    data = [float(v) for v in values if v is not None]
    if not data:
        raise ValueError("no datapoints to summarize")
    out = {
        "SampleCount": float(len(data)),
        "Sum": sum(data),
        "Average": sum(data) / len(data),
        "Minimum": min(data),
        "Maximum": max(data),
    }
    for p in percentiles:
        out[f"p{p:g}"] = percentile(data, p)
    return out


# --- metric math ----------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>])|(\"[^\"]*\"|'[^']*'))")
_PREC = {"<": 1, ">": 1, "<=": 1, ">=": 1, "==": 1, "!=": 1, "+": 2, "-": 2, "*": 3, "/": 3}
_FUNCS = {"SUM", "AVG", "MIN", "MAX", "RATE", "DIFF", "FILL", "IF", "ABS", "METRICS"}


def _tokens(expr: str) -> list[str]:
    out, pos = [], 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ValueError(f"metric math: unexpected character {expr[pos:].strip()[:1]!r} at position {pos} in {expr!r}")
        out.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, expr: str, series: dict[str, Sequence[float | None]], period: int) -> None:
        self.expr, self.toks, self.i = expr, _tokens(expr), 0
        self.series = {k: list(v) for k, v in series.items()}
        lengths = {len(v) for v in self.series.values()}
        if len(lengths) > 1:
            raise ValueError(f"metric math: series must be aligned (same length), got lengths {sorted(lengths)}")
        self.n = lengths.pop() if lengths else 0
        self.period = period

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise ValueError(f"metric math: expected {want or 'more input'!r} in {self.expr!r}, got {tok!r}")
        self.i += 1
        return tok

    def parse(self) -> Any:
        value = self.binary(0)
        if self.peek() is not None:
            raise ValueError(f"metric math: unexpected {self.peek()!r} in {self.expr!r}")
        return value

    def binary(self, min_prec: int) -> Any:
        left = self.unary()
        while (op := self.peek()) in _PREC and _PREC[op] > min_prec:
            self.take()
            right = self.binary(_PREC[op])
            left = _apply(op, left, right)
        return left

    def unary(self) -> Any:
        if self.peek() == "-":
            self.take()
            return _apply("*", -1.0, self.unary())
        return self.atom()

    def atom(self) -> Any:
        tok = self.take()
        if tok == "(":
            value = self.binary(0)
            self.take(")")
            return value
        if re.fullmatch(r"\d.*", tok):
            return float(tok)
        if tok[0] in "\"'":
            return tok[1:-1]
        if self.peek() == "(":
            name = tok.upper()
            if name not in _FUNCS:
                raise ValueError(f"metric math: function {tok}() is not supported here (supported: {', '.join(sorted(_FUNCS))})")
            self.take("(")
            args = []
            if self.peek() != ")":
                args.append(self.binary(0))
                while self.peek() == ",":
                    self.take()
                    args.append(self.binary(0))
            self.take(")")
            return self.call(name, args)
        if tok == "REPEAT":
            return tok
        if tok not in self.series:
            raise ValueError(f"metric math: unknown id {tok!r}; known ids: {', '.join(sorted(self.series)) or 'none'}")
        return list(self.series[tok])

    def call(self, name: str, args: list[Any]) -> Any:
        if name == "METRICS":
            flt = args[0] if args else ""
            return [v for k, v in self.series.items() if flt in k]
        if name in {"SUM", "AVG", "MIN", "MAX"}:
            if len(args) != 1:
                raise ValueError(f"metric math: {name}() takes one argument (a series or METRICS())")
            arg = args[0]
            agg = {"SUM": sum, "MIN": min, "MAX": max, "AVG": lambda xs: sum(xs) / len(xs)}[name]
            if arg and isinstance(arg[0], list):  # an array of series -> one series
                out = []
                for i in range(self.n):
                    present = [s[i] for s in arg if s[i] is not None]
                    out.append(agg(present) if present else None)
                return out
            present = [v for v in arg if v is not None]
            return agg(present) if present else None
        if name in {"RATE", "DIFF"}:
            (s,) = args
            out: list[float | None] = [None]
            for prev, cur in zip(s, s[1:]):
                d = None if prev is None or cur is None else cur - prev
                out.append(d if d is None or name == "DIFF" else d / self.period)
            return out
        if name == "ABS":
            return _apply("abs", args[0], None)
        if name == "FILL":
            s, fill = args
            out, last = [], None
            for v in s:
                if v is None:
                    v = last if fill == "REPEAT" else fill
                out.append(v)
                last = v if v is not None else last
            return out
        if name == "IF":
            if len(args) not in (2, 3):
                raise ValueError("metric math: IF(condition, trueValue[, falseValue])")
            cond, a = args[0], args[1]
            b = args[2] if len(args) == 3 else None
            out = []
            for i in range(self.n):
                c = cond[i] if isinstance(cond, list) else cond
                pick = a if c else b
                out.append(pick[i] if isinstance(pick, list) else pick)
            return out
        raise AssertionError(name)  # pragma: no cover


def _scalar(op: str, a: float | None, b: float | None) -> float | None:
    if op == "abs":
        return None if a is None else abs(a)
    if a is None or b is None:
        return None
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return None if b == 0 else a / b
    return float({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b, "==": a == b, "!=": a != b}[op])


def _apply(op: str, a: Any, b: Any) -> Any:
    if isinstance(a, list) and a and isinstance(a[0], list) or isinstance(b, list) and b and isinstance(b[0], list):
        raise ValueError("metric math: wrap METRICS() in SUM/AVG/MIN/MAX before doing arithmetic with it")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise ValueError("metric math: series of different lengths")
        return [_scalar(op, x, y) for x, y in zip(a, b)]
    if isinstance(a, list):
        return [_scalar(op, x, b) for x in a]
    if isinstance(b, list):
        return [_scalar(op, a, y) for y in b]
    return _scalar(op, a, b)


def evaluate(expression: str, series: dict[str, Sequence[float | None]], period: int = 60) -> Any:
    """Evaluate a metric math ``expression`` over aligned ``series`` (id -> values per period).

    Returns a list (one value per period, ``None`` where missing) or a number.

    >>> evaluate("errors/requests*100", {"errors": [1, 0], "requests": [50, 0]})
    [2.0, None]
    """
    if not expression or not expression.strip():
        raise ValueError("metric math: empty expression")
    return _Parser(expression, series, period).parse()
