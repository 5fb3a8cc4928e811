"""X-Ray filter expressions (``GetTraceSummaries``' ``FilterExpression``): parse one, test a trace against it.

What AWS documents (X-Ray developer guide, "Use filter expressions"): an expression is ``keyword operator
value`` terms joined with ``AND`` / ``OR`` (and ``!``, parentheses).

* **Boolean keywords** ``ok`` (2XX), ``error`` (4XX), ``throttle`` (429), ``fault`` (5XX), ``partial``
  (incomplete segments): alone (true), with ``!`` (false), or ``= true`` / ``!= false``.
* **Number keywords** ``responsetime`` (time the server took to respond), ``duration`` (the whole request,
  downstream calls included), both in seconds, and ``http.status``: ``= != < <= > >=``.
* **String keywords** ``http.url``, ``http.method``, ``http.useragent``, ``http.clientip``, ``user``:
  ``= !=`` and ``CONTAINS``, ``BEGINSWITH``, ``ENDSWITH`` with a double-quoted string.
* ``annotation.<key>``: the annotation of that key on **any** segment or subsegment of the trace (a string,
  number or boolean, compared with that type's operators); alone, the key is present.
* ``service("name")``: the trace reaches that service; ``service("name") { fault }`` tests the service's own
  node with the keywords above.

Simple keywords test the trace's entry point (its root segment): an error a service handles downstream and does
not return is not ``error`` at the trace level (use ``service() { ... }``).

The subset here: everything above. ``edge()``, ``id()``, ``group``, ``rootcause`` and ``annotation[key]`` are not
implemented and are rejected, like malformed expressions, with :class:`FilterSyntaxError`.
No moto: :func:`matches` reads plain segment documents (dicts, as ``BatchGetTraces`` returns them).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

__all__ = ["FilterSyntaxError", "Expression", "parse", "matches", "TraceView", "annotations_summary",
           "BOOLEAN_KEYWORDS", "NUMBER_KEYWORDS", "STRING_KEYWORDS"]

BOOLEAN_KEYWORDS = ("ok", "error", "throttle", "fault", "partial")
NUMBER_KEYWORDS = ("responsetime", "duration", "http.status")
STRING_KEYWORDS = ("http.url", "http.method", "http.useragent", "http.clientip", "user")
_NOT_IMPLEMENTED = ("edge", "id", "group", "rootcause", "fault.rootcause", "error.rootcause",
                    "responsetime.rootcause", "json")
_NUM_OPS = ("=", "!=", "<", "<=", ">", ">=")
_STR_OPS = ("=", "!=", "CONTAINS", "BEGINSWITH", "ENDSWITH")


class FilterSyntaxError(ValueError):
    """A filter expression X-Ray would reject (malformed, or outside the subset implemented here)."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message if position is None else f"{message} at position {position}")
        self.position = position


# --- tokens --------------------------------------------------------------------------------------------

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op>!=|<=|>=|=|<|>|!|\(|\)|\{|\}|,|:)
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_:\-]+)*)
""", re.VERBOSE)


@dataclass(frozen=True)
class _Tok:
    kind: str  # string, number, op, word, end
    text: str
    pos: int


def _tokens(text: str) -> list[_Tok]:
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            if text[pos] == '"':
                raise FilterSyntaxError("Unterminated string", pos)
            raise FilterSyntaxError(f"Unexpected character {text[pos]!r}", pos)
        if m.lastgroup != "ws":
            out.append(_Tok(m.lastgroup or "", m.group(), pos))
        pos = m.end()
    out.append(_Tok("end", "", len(text)))
    return out


# --- the expression tree ---------------------------------------------------------------------------------


class Expression:
    """A parsed filter expression: ``expr.test(view)`` on a :class:`TraceView` (or one service node)."""

    def test(self, node: "_Node") -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class _And(Expression):
    parts: tuple[Expression, ...]

    def test(self, node: "_Node") -> bool:
        return all(p.test(node) for p in self.parts)


@dataclass(frozen=True)
class _Or(Expression):
    parts: tuple[Expression, ...]

    def test(self, node: "_Node") -> bool:
        return any(p.test(node) for p in self.parts)


@dataclass(frozen=True)
class _Not(Expression):
    inner: Expression

    def test(self, node: "_Node") -> bool:
        return not self.inner.test(node)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "CONTAINS":
        return right in left
    if op == "BEGINSWITH":
        return bool(left.startswith(right))
    return bool(left.endswith(right))  # ENDSWITH


@dataclass(frozen=True)
class _Keyword(Expression):
    keyword: str
    op: str | None = None
    value: Any = None

    def test(self, node: "_Node") -> bool:
        found = node.keyword(self.keyword)
        if self.keyword in BOOLEAN_KEYWORDS:
            flag = bool(found)
            return flag if self.op is None else _compare(self.op, flag, self.value)
        if found is None or self.op is None:
            return False
        if isinstance(self.value, str) != isinstance(found, str):
            return False
        return _compare(self.op, found, self.value)


@dataclass(frozen=True)
class _Annotation(Expression):
    key: str
    op: str | None = None
    value: Any = None

    def test(self, node: "_Node") -> bool:
        values = node.annotation_values(self.key)
        if self.op is None:
            return bool(values)
        for v in values:
            if isinstance(self.value, bool) or isinstance(v, bool):
                if isinstance(self.value, bool) and isinstance(v, bool) and _compare(self.op, v, self.value):
                    return True
            elif isinstance(self.value, str) and isinstance(v, str):
                if _compare(self.op, v, self.value):
                    return True
            elif isinstance(self.value, (int, float)) and isinstance(v, (int, float)):
                if _compare(self.op, v, self.value):
                    return True
        return False


@dataclass(frozen=True)
class _Service(Expression):
    name: str
    inner: Expression | None = None

    def test(self, node: "_Node") -> bool:
        services = [s for s in node.services() if s.name == self.name]
        if self.inner is None:
            return bool(services)
        return any(self.inner.test(s) for s in services)


# --- parser ----------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def expect(self, text: str) -> _Tok:
        if self.tok.text != text or self.tok.kind not in ("op",):
            raise FilterSyntaxError(f"Expected {text!r}, found {self.tok.text or 'end of expression'!r}", self.tok.pos)
        return self.take()

    def expression(self, in_braces: bool = False) -> Expression:
        parts = [self.conjunction(in_braces)]
        while self.tok.kind == "word" and self.tok.text.upper() == "OR":
            self.take()
            parts.append(self.conjunction(in_braces))
        return parts[0] if len(parts) == 1 else _Or(tuple(parts))

    def conjunction(self, in_braces: bool) -> Expression:
        parts = [self.unary(in_braces)]
        while True:
            tok = self.tok
            if tok.kind == "word" and tok.text.upper() == "AND":
                self.take()
            elif tok.kind == "end" or tok.text in (")", "}") or (tok.kind == "word" and tok.text.upper() == "OR"):
                break
            # else: terms side by side ("ok !partial duration < 3") are joined with AND, as in the guide's example
            parts.append(self.unary(in_braces))
        return parts[0] if len(parts) == 1 else _And(tuple(parts))

    def unary(self, in_braces: bool) -> Expression:
        tok = self.tok
        if tok.kind == "op" and tok.text == "!":
            self.take()
            return _Not(self.unary(in_braces))
        if tok.kind == "op" and tok.text == "(":
            self.take()
            inner = self.expression(in_braces)
            self.expect(")")
            return inner
        if tok.kind != "word":
            raise FilterSyntaxError(f"Expected a keyword, found {tok.text or 'end of expression'!r}", tok.pos)
        return self.term(in_braces)

    def value(self) -> tuple[Any, _Tok]:
        tok = self.take()
        if tok.kind == "string":
            return json.loads(tok.text) if "\\" in tok.text else tok.text[1:-1], tok
        if tok.kind == "number":
            return (float(tok.text) if "." in tok.text else int(tok.text)), tok
        if tok.kind == "word" and tok.text in ("true", "false"):
            return tok.text == "true", tok
        raise FilterSyntaxError(f"Expected a value, found {tok.text or 'end of expression'!r}", tok.pos)

    def operator(self, allowed: tuple[str, ...], keyword: _Tok) -> str:
        tok = self.tok
        text = tok.text.upper() if tok.kind == "word" else tok.text
        if text not in allowed:
            raise FilterSyntaxError(f"Operator {tok.text or 'missing'!r} is not valid for {keyword.text!r}", tok.pos)
        self.take()
        return text

    def _has_operator(self) -> bool:
        tok = self.tok
        return (tok.kind == "op" and tok.text in _NUM_OPS) or (tok.kind == "word" and tok.text.upper() in _STR_OPS)

    def term(self, in_braces: bool) -> Expression:
        kw = self.take()
        word = kw.text
        if word == "service" or word in _NOT_IMPLEMENTED or word.startswith("annotation["):
            if word == "service":
                if in_braces:
                    raise FilterSyntaxError("service() cannot be nested inside braces", kw.pos)
                return self.service(kw)
            raise FilterSyntaxError(f"Keyword {word!r} is not supported by the sandbox's filter expressions", kw.pos)
        if word in BOOLEAN_KEYWORDS:
            if self.tok.kind == "op" and self.tok.text in ("=", "!="):
                op = self.take().text
                value, tok = self.value()
                if not isinstance(value, bool):
                    raise FilterSyntaxError(f"{word!r} compares with true or false only", tok.pos)
                return _Keyword(word, op, value)
            return _Keyword(word)
        if word in NUMBER_KEYWORDS:
            op = self.operator(_NUM_OPS, kw)
            value, tok = self.value()
            if isinstance(value, (bool, str)):
                raise FilterSyntaxError(f"{word!r} compares with a number", tok.pos)
            return _Keyword(word, op, value)
        if word in STRING_KEYWORDS:
            op = self.operator(_STR_OPS, kw)
            value, tok = self.value()
            if not isinstance(value, str):
                raise FilterSyntaxError(f"{word!r} compares with a double-quoted string", tok.pos)
            return _Keyword(word, op, value)
        if word.startswith("annotation."):
            key = word[len("annotation."):]
            if not re.fullmatch(r"[A-Za-z0-9_]+", key):
                raise FilterSyntaxError(f"Invalid annotation key {key!r}", kw.pos)
            if not self._has_operator():
                return _Annotation(key)
            op = self.operator(_STR_OPS + _NUM_OPS[2:], kw)
            value, tok = self.value()
            if isinstance(value, bool) and op not in ("=", "!="):
                raise FilterSyntaxError(f"Operator {op!r} is not valid for a boolean", tok.pos)
            if isinstance(value, str) and op in _NUM_OPS[2:]:
                raise FilterSyntaxError(f"Operator {op!r} is not valid for a string", tok.pos)
            if not isinstance(value, str) and op in _STR_OPS[2:]:
                raise FilterSyntaxError(f"Operator {op!r} is not valid for a {type(value).__name__}", tok.pos)
            return _Annotation(key, op, value)
        raise FilterSyntaxError(f"Unknown keyword {word!r}", kw.pos)

    def service(self, kw: _Tok) -> Expression:
        self.expect("(")
        name, tok = self.value()
        if not isinstance(name, str):
            raise FilterSyntaxError("service() takes a double-quoted service name", tok.pos)
        if self.tok.text == ",":
            raise FilterSyntaxError("service() with a type (id()) is not supported by the sandbox", self.tok.pos)
        self.expect(")")
        inner = None
        if self.tok.kind == "op" and self.tok.text == "{":
            self.take()
            inner = self.expression(in_braces=True)
            self.expect("}")
        return _Service(name, inner)


def parse(text: str) -> Expression:
    """Parse a filter expression; raises :class:`FilterSyntaxError` for a malformed or unsupported one."""
    if not text or not text.strip():
        raise FilterSyntaxError("Empty filter expression")
    parser = _Parser(text)
    expr = parser.expression()
    if parser.tok.kind != "end":
        raise FilterSyntaxError(f"Unexpected {parser.tok.text!r}", parser.tok.pos)
    return expr


# --- what the keywords read: a trace (its root segment) or one service node -------------------------------


def _walk(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield doc
    for sub in doc.get("subsegments") or ():
        if isinstance(sub, dict):
            yield from _walk(sub)


def _status(doc: dict[str, Any]) -> int | None:
    status = ((doc.get("http") or {}).get("response") or {}).get("status")
    return int(status) if isinstance(status, (int, float)) else None


class _Node:
    """One node a keyword reads: a service's segment (inside ``service() { }``) or, for a trace, its root."""

    def __init__(self, doc: dict[str, Any], docs: list[dict[str, Any]] | None = None) -> None:
        self.doc = doc
        self.docs = docs if docs is not None else [doc]
        self.name = str(doc.get("name", ""))

    def _flag(self, name: str) -> bool:
        status = _status(self.doc)
        if name == "ok":
            if status is not None:
                return 200 <= status < 300
            return not any(self.doc.get(k) for k in ("error", "fault", "throttle"))
        if name == "partial":
            return any(d.get("in_progress") or "end_time" not in d for d in self.docs)
        if self.doc.get(name):
            return True
        if status is None:
            return False
        return {"error": 400 <= status < 500, "throttle": status == 429, "fault": status >= 500}[name]

    def _span(self) -> tuple[float, float]:
        start = min(float(d.get("start_time", 0)) for d in self.docs)
        end = max(float(d.get("end_time") or d.get("start_time", 0)) for d in self.docs)
        return start, end

    def keyword(self, name: str) -> Any:
        if name in BOOLEAN_KEYWORDS:
            return self._flag(name)
        request = (self.doc.get("http") or {}).get("request") or {}
        if name == "responsetime":
            if "end_time" not in self.doc:
                return None
            return float(self.doc["end_time"]) - float(self.doc["start_time"])
        if name == "duration":
            start, end = self._span()
            return end - start
        if name == "http.status":
            return _status(self.doc)
        if name == "user":
            return next((d["user"] for d in self.docs if isinstance(d.get("user"), str)), None)
        field = {"http.url": "url", "http.method": "method", "http.useragent": "user_agent",
                 "http.clientip": "client_ip"}[name]
        value = request.get(field)
        return value if isinstance(value, str) else None

    def annotation_values(self, key: str) -> list[Any]:
        out = []
        for doc in self.docs:
            for part in _walk(doc):
                annotations = part.get("annotations")
                if isinstance(annotations, dict) and key in annotations:
                    out.append(annotations[key])
        return out

    def services(self) -> list["_Node"]:
        return []


class TraceView(_Node):
    """A trace as its segment documents (duplicates by id dropped); keywords read its root segment."""

    def __init__(self, documents: Iterable[dict[str, Any]]) -> None:
        docs = list({d.get("id"): d for d in documents if isinstance(d, dict)}.values())
        if not docs:
            raise ValueError("a trace has at least one segment")
        ids = {part.get("id") for doc in docs for part in _walk(doc)}
        roots = [d for d in docs if d.get("parent_id") not in ids] or docs
        root = min(roots, key=lambda d: float(d.get("start_time", 0)))
        super().__init__(root, docs)

    def services(self) -> list[_Node]:
        """The trace's service nodes: each segment, and each downstream call X-Ray infers a node for."""
        nodes = [_Node(d) for d in self.docs]
        for doc in self.docs:
            for part in _walk(doc):
                if part is not doc and part.get("namespace") in ("aws", "remote"):
                    inferred = dict(part)
                    if part.get("namespace") == "aws" and (part.get("aws") or {}).get("table_name"):
                        inferred["name"] = part["aws"]["table_name"]
                    nodes.append(_Node(inferred))
        return nodes


def matches(expression: Expression | str, documents: Iterable[dict[str, Any]]) -> bool:
    """Does the trace made of these segment documents match the filter expression?"""
    expr = parse(expression) if isinstance(expression, str) else expression
    return expr.test(TraceView(documents))


def _annotation_value(value: Any) -> dict[str, Any] | None:
    """``AnnotationValue``: exactly one of BooleanValue, NumberValue, StringValue."""
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, (int, float)):
        return {"NumberValue": float(value)}
    if isinstance(value, str):
        return {"StringValue": value}
    return None


def annotations_summary(documents: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``TraceSummary.Annotations``: ``{key: [{"AnnotationValue": {...}, "ServiceIds": [...]}]}``, one entry per
    distinct value, naming the services (segments) that recorded it."""
    docs = list({d.get("id"): d for d in documents if isinstance(d, dict)}.values())
    out: dict[str, list[dict[str, Any]]] = {}
    for doc in sorted(docs, key=lambda d: float(d.get("start_time", 0))):
        service = {"Name": str(doc.get("name", "")), "Names": [str(doc.get("name", ""))]}
        if doc.get("origin"):
            service["Type"] = str(doc["origin"])
        account = (doc.get("aws") or {}).get("account_id")
        if account:
            service["AccountId"] = str(account)
        for part in _walk(doc):
            for key, raw in (part.get("annotations") or {}).items():
                value = _annotation_value(raw)
                if value is None:
                    continue
                entries = out.setdefault(str(key), [])
                entry = next((e for e in entries if e["AnnotationValue"] == value), None)
                if entry is None:
                    entries.append({"AnnotationValue": value, "ServiceIds": [service]})
                elif service not in entry["ServiceIds"]:
                    entry["ServiceIds"].append(service)
    return out
