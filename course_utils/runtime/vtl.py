"""A small Velocity Template Language (VTL) evaluator for API Gateway mapping templates.

AWS: REST API mapping templates are VTL. A request template turns the client's request into the
integration's request body; a response template turns the integration's answer into the body the
client gets. They see ``$input`` (``$input.body``, ``$input.json('$.x')`` -> JSON text,
``$input.path('$.x')`` -> the value, ``$input.params('name')`` -> a path, query string or header
parameter, ``$input.params()`` -> ``{path, querystring, header}``), ``$context`` (``requestId``,
``httpMethod``, ``stage``, ``resourcePath``, ``identity.sourceIp``, ``authorizer.*`` ...),
``$stageVariables`` and ``$util`` (``escapeJavaScript``, ``parseJson``, ``urlEncode``,
``urlDecode``, ``base64Encode``, ``base64Decode``).

Simulated: the subset that mapping templates use in practice:

* references ``$x``, ``${x}``, quiet ``$!x``, property chains ``$a.b.c``, method calls
  ``$a.b('x')``, index ``$a[0]``; Java-ish methods on values (``size()``, ``get(k)``,
  ``keySet()``, ``isEmpty()``, ``length()``, ``toString()``, ``contains(x)``, ``toLowerCase()``,
  ``toUpperCase()``, ``trim()``);
* directives ``#set($x = expr)``, ``#if(...)``/``#elseif(...)``/``#else``/``#end``,
  ``#foreach($x in expr)`` ... ``#end`` (with ``$foreach.hasNext`` and ``$foreach.index``),
  comments ``## line`` and ``#* block *#``;
* expressions: string literals (double-quoted ones interpolate references), numbers,
  ``true``/``false``/``null``, lists ``[a, b]``, ``==  !=  <  <=  >  >=  &&  ||  !`` (also
  ``and``/``or``/``not``), ``+ - * /`` on numbers and ``+`` on strings;
* JSONPath in ``$input.json`` / ``$input.path``: ``$``, ``$.a.b``, ``$.a[0]``, ``$['a']``, ``$.a[*].b``.

Not supported (a :class:`VtlError` names the construct): macros, ``#break``, ``#stop``,
``#parse``/``#include``, ranges ``[1..3]``, maps ``{}`` literals, filter expressions in JSONPath.
An undefined reference renders as written (``$nope``), as Velocity does; ``$!nope`` renders nothing.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, Callable
from urllib.parse import quote, unquote

__all__ = ["render", "VtlError", "InputVariable", "Util", "json_path"]


class VtlError(ValueError):
    """The template uses a construct outside the supported subset, or is malformed."""


class _Undefined:
    def __init__(self, text: str) -> None:
        self.text = text


def json_path(document: Any, path: str) -> Any:
    """Evaluate a simple JSONPath (``$``, ``$.a.b``, ``$.a[0]``, ``$['a']``, ``$.a[*].b``)."""
    path = path.strip()
    if not path.startswith("$"):
        raise VtlError(f"JSONPath must start with '$': {path!r}")
    tokens = re.findall(r"\.\.|\.([A-Za-z_][\w-]*|\*)|\[(\d+|\*|'[^']*'|\"[^\"]*\")\]", path[1:])
    rebuilt = "".join(f".{a}" if a else f"[{b}]" for a, b in tokens)
    if rebuilt != path[1:]:
        raise VtlError(f"unsupported JSONPath {path!r} (supported: $, $.a.b, $.a[0], $['a'], [*])")
    values: list[Any] = [document]
    spread = False
    for name, index in tokens:
        key: Any = name if name else index
        nxt: list[Any] = []
        for value in values:
            if key == "*":
                if isinstance(value, list):
                    nxt.extend(value)
                elif isinstance(value, dict):
                    nxt.extend(value.values())
                spread = True
            elif name:
                if isinstance(value, dict) and name in value:
                    nxt.append(value[name])
            elif index.isdigit():
                if isinstance(value, list) and int(index) < len(value):
                    nxt.append(value[int(index)])
            else:
                k = index[1:-1]
                if isinstance(value, dict) and k in value:
                    nxt.append(value[k])
        values = nxt
    if spread:
        return values
    return values[0] if values else None


class InputVariable:
    """``$input``: the request (or integration response) body and the request's parameters."""

    def __init__(self, body: str | None, params: dict[str, dict[str, str]] | None = None) -> None:
        self.body = body or ""
        self._params = params or {"path": {}, "querystring": {}, "header": {}}
        self._parsed: Any = None
        self._parsed_done = False

    def _document(self) -> Any:
        if not self._parsed_done:
            self._parsed_done = True
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else {}
            except ValueError:
                self._parsed = None
        if self._parsed is None and self.body.strip():
            raise VtlError("$input.json/$input.path: the body is not JSON")
        return self._parsed

    def json(self, path: str) -> str:
        return json.dumps(json_path(self._document(), path))

    def path(self, path: str) -> Any:
        return json_path(self._document(), path)

    def params(self, name: str | None = None) -> Any:
        if name is None:
            return self._params
        for where in ("path", "querystring"):
            if name in self._params.get(where, {}):
                return self._params[where][name]
        for k, v in self._params.get("header", {}).items():
            if k.lower() == name.lower():
                return v
        return ""


class Util:
    """``$util``."""

    @staticmethod
    def escapeJavaScript(value: Any) -> str:  # noqa: N802 - VTL name
        text = str(value)
        return json.dumps(text)[1:-1].replace("'", "\\'")

    @staticmethod
    def parseJson(value: str) -> Any:  # noqa: N802 - VTL name
        return json.loads(value)

    @staticmethod
    def urlEncode(value: Any) -> str:  # noqa: N802 - VTL name
        return quote(str(value), safe="")

    @staticmethod
    def urlDecode(value: Any) -> str:  # noqa: N802 - VTL name
        return unquote(str(value))

    @staticmethod
    def base64Encode(value: Any) -> str:  # noqa: N802 - VTL name
        return base64.b64encode(str(value).encode()).decode()

    @staticmethod
    def base64Decode(value: Any) -> str:  # noqa: N802 - VTL name
        return base64.b64decode(str(value)).decode()


_JAVA_METHODS: dict[str, Callable[..., Any]] = {
    "size": lambda v: len(v),
    "length": lambda v: len(v),
    "isEmpty": lambda v: len(v) == 0,
    "keySet": lambda v: list(v.keys()),
    "entrySet": lambda v: [{"key": k, "value": x} for k, x in v.items()],
    "values": lambda v: list(v.values()),
    "get": lambda v, k: v.get(k) if isinstance(v, dict) else v[int(k)],
    "containsKey": lambda v, k: k in v,
    "contains": lambda v, x: x in v,
    "toString": lambda v: _to_text(v),
    "toLowerCase": lambda v: str(v).lower(),
    "toUpperCase": lambda v: str(v).upper(),
    "trim": lambda v: str(v).strip(),
    "equals": lambda v, x: v == x,
    "startsWith": lambda v, x: str(v).startswith(x),
    "endsWith": lambda v, x: str(v).endswith(x),
    "replace": lambda v, a, b: str(v).replace(a, b),
    "split": lambda v, sep: re.split(sep, str(v)),
    "substring": lambda v, a, b=None: str(v)[a:b],
    "indexOf": lambda v, x: str(v).find(x),
}


def _to_text(value: Any) -> str:
    """How Velocity prints a value (Java's toString for maps and lists, roughly)."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_to_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_to_text(v) for v in value) + "]"
    return str(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, _Undefined) or value is None or value is False:
        return False
    if isinstance(value, str):
        return True  # Velocity: any non-null string is true, even ""
    return bool(value) or value == 0


class _Parser:
    """Parses a template into nodes and evaluates them against a context (one pass each)."""

    IDENT = re.compile(r"[A-Za-z_][\w-]*")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    # ---- template level ------------------------------------------------------------------
    def parse_block(self, stop: tuple[str, ...] = ()) -> tuple[list[Any], str | None]:
        nodes: list[Any] = []
        buf: list[str] = []
        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c == "#":
                if t.startswith("##", self.pos):
                    end = t.find("\n", self.pos)
                    self.pos = len(t) if end < 0 else end + 1
                    continue
                if t.startswith("#*", self.pos):
                    end = t.find("*#", self.pos + 2)
                    if end < 0:
                        raise VtlError("unclosed #* comment")
                    self.pos = end + 2
                    continue
                m = re.compile(r"#\{?([A-Za-z]+)\}?").match(t, self.pos)
                word = m.group(1) if m else ""
                if word in stop:
                    nodes.append("".join(buf))
                    self.pos = m.end()  # type: ignore[union-attr]
                    return [n for n in nodes if n != ""], word
                if word in ("set", "if", "foreach"):
                    nodes.append("".join(buf))
                    buf = []
                    self.pos = m.end()  # type: ignore[union-attr]
                    nodes.append(getattr(self, f"_directive_{word}")())
                    continue
                if word in ("macro", "break", "stop", "parse", "include", "define", "evaluate"):
                    raise VtlError(f"#{word} is not supported by the course's VTL subset")
                buf.append(c)
                self.pos += 1
            elif c == "$" and self._is_reference_start():
                nodes.append("".join(buf))
                buf = []
                nodes.append(self.parse_reference())
            elif c == "\\" and t.startswith("\\$", self.pos):
                buf.append("$")
                self.pos += 2
            else:
                buf.append(c)
                self.pos += 1
        nodes.append("".join(buf))
        if stop:
            raise VtlError(f"missing #{stop[-1]} in template")
        return [n for n in nodes if n != ""], None

    def _is_reference_start(self) -> bool:
        return re.compile(r"\$!?\{?[A-Za-z_]").match(self.text, self.pos) is not None

    def _skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def _expect(self, ch: str) -> None:
        self._skip_ws()
        if not self.text.startswith(ch, self.pos):
            raise VtlError(f"expected {ch!r} at position {self.pos}: {self.text[self.pos:self.pos + 20]!r}")
        self.pos += len(ch)

    def _eat_directive_newline(self) -> None:
        """A directive alone on its line does not leave a blank line behind."""
        m = re.compile(r"[ \t]*\r?\n").match(self.text, self.pos)
        if m:
            self.pos = m.end()

    def _directive_set(self) -> tuple[Any, ...]:
        self._expect("(")
        self._skip_ws()
        target = self.parse_reference()
        self._expect("=")
        expr = self.parse_expr()
        self._expect(")")
        self._eat_directive_newline()
        return ("set", target, expr)

    def _directive_if(self) -> tuple[Any, ...]:
        branches: list[tuple[Any, list[Any]]] = []
        self._expect("(")
        cond = self.parse_expr()
        self._expect(")")
        self._eat_directive_newline()
        while True:
            body, word = self.parse_block(stop=("elseif", "else", "end"))
            branches.append((cond, body))
            if word == "elseif":
                self._expect("(")
                cond = self.parse_expr()
                self._expect(")")
                self._eat_directive_newline()
            elif word == "else":
                self._eat_directive_newline()
                body, _ = self.parse_block(stop=("end",))
                branches.append((None, body))
                self._eat_directive_newline()
                return ("if", branches)
            else:
                self._eat_directive_newline()
                return ("if", branches)

    def _directive_foreach(self) -> tuple[Any, ...]:
        self._expect("(")
        self._skip_ws()
        var = self.parse_reference()
        self._skip_ws()
        if not self.text.startswith("in", self.pos):
            raise VtlError("#foreach needs '$x in <list>'")
        self.pos += 2
        seq = self.parse_expr()
        self._expect(")")
        self._eat_directive_newline()
        body, _ = self.parse_block(stop=("end",))
        self._eat_directive_newline()
        return ("foreach", var, seq, body)

    # ---- references ----------------------------------------------------------------------
    def parse_reference(self) -> tuple[Any, ...]:
        t = self.text
        start = self.pos
        if not t.startswith("$", self.pos):
            raise VtlError(f"expected a $reference at position {self.pos}")
        self.pos += 1
        quiet = t.startswith("!", self.pos)
        if quiet:
            self.pos += 1
        braced = t.startswith("{", self.pos)
        if braced:
            self.pos += 1
        m = self.IDENT.match(t, self.pos)
        if not m:
            raise VtlError(f"bad reference at position {start}")
        name = m.group(0)
        # a trailing '-' is text, not part of the name ($a-b is "$a" then "-b")
        name = name.rstrip("-")
        self.pos = m.start() + len(name)
        chain: list[tuple[str, Any]] = []
        while True:
            if t.startswith(".", self.pos):
                m2 = re.compile(r"\.([A-Za-z_]\w*)").match(t, self.pos)
                if not m2:
                    break
                self.pos = m2.end()
                if t.startswith("(", self.pos):
                    self.pos += 1
                    args = self._args(")")
                    chain.append(("call", (m2.group(1), args)))
                else:
                    chain.append(("attr", m2.group(1)))
            elif t.startswith("[", self.pos):
                self.pos += 1
                index = self.parse_expr()
                self._expect("]")
                chain.append(("index", index))
            else:
                break
        if braced:
            self._expect("}")
        return ("ref", name, chain, quiet, t[start:self.pos])

    def _args(self, close: str) -> list[Any]:
        args: list[Any] = []
        self._skip_ws()
        if self.text.startswith(close, self.pos):
            self.pos += 1
            return args
        while True:
            args.append(self.parse_expr())
            self._skip_ws()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            self._expect(close)
            return args

    # ---- expressions ---------------------------------------------------------------------
    def parse_expr(self) -> Any:
        return self._or()

    def _word(self, *words: str) -> str | None:
        self._skip_ws()
        for w in words:
            if self.text.startswith(w, self.pos):
                after = self.text[self.pos + len(w): self.pos + len(w) + 1]
                if w.isalpha() and (after.isalnum() or after == "_"):
                    continue
                self.pos += len(w)
                return w
        return None

    def _or(self) -> Any:
        left = self._and()
        while self._word("||", "or"):
            left = ("or", left, self._and())
        return left

    def _and(self) -> Any:
        left = self._not()
        while self._word("&&", "and"):
            left = ("and", left, self._not())
        return left

    def _not(self) -> Any:
        if self._word("!", "not") and not self.text.startswith("=", self.pos):
            return ("not", self._not())
        return self._cmp()

    def _cmp(self) -> Any:
        left = self._add()
        op = self._word("==", "!=", "<=", ">=", "<", ">")
        if op:
            return ("cmp", op, left, self._add())
        return left

    def _add(self) -> Any:
        left = self._mul()
        while True:
            op = self._word("+", "-")
            if not op:
                return left
            left = ("arith", op, left, self._mul())

    def _mul(self) -> Any:
        left = self._atom()
        while True:
            op = self._word("*", "/", "%")
            if not op:
                return left
            left = ("arith", op, left, self._atom())

    def _atom(self) -> Any:
        self._skip_ws()
        t = self.text
        if self.pos >= len(t):
            raise VtlError("unexpected end of template inside an expression")
        c = t[self.pos]
        if c == "$":
            return self.parse_reference()
        if c == "(":
            self.pos += 1
            inner = self.parse_expr()
            self._expect(")")
            return inner
        if c in "'\"":
            end = t.find(c, self.pos + 1)
            if end < 0:
                raise VtlError("unclosed string literal")
            raw = t[self.pos + 1:end]
            self.pos = end + 1
            if c == '"' and "$" in raw:
                nodes, _ = _Parser(raw).parse_block()
                return ("interp", nodes)
            return ("lit", raw)
        if c == "[":
            self.pos += 1
            if re.compile(r"\s*-?\d+\s*\.\.").match(t, self.pos):
                raise VtlError("ranges [a..b] are not supported")
            return ("list", self._args("]"))
        if c == "{":
            raise VtlError("map literals {...} are not supported")
        m = re.compile(r"-?\d+(\.\d+)?").match(t, self.pos)
        if m:
            self.pos = m.end()
            return ("lit", float(m.group(0)) if m.group(1) else int(m.group(0)))
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self._word(word):
                return ("lit", value)
        raise VtlError(f"unexpected {t[self.pos:self.pos + 15]!r} in an expression")


def _call(obj: Any, name: str, args: list[Any]) -> Any:
    method = getattr(obj, name, None)
    if callable(method) and not isinstance(obj, (dict, list, str, int, float)):
        return method(*args)
    if name in _JAVA_METHODS:
        return _JAVA_METHODS[name](obj, *args)
    raise VtlError(f"method {name}() is not supported on {type(obj).__name__}")


class _Evaluator:
    def __init__(self, context: dict[str, Any]) -> None:
        self.vars = dict(context)

    def ref(self, node: tuple[Any, ...]) -> Any:
        _, name, chain, _quiet, text = node
        if name not in self.vars:
            return _Undefined(text)
        value = self.vars[name]
        for kind, item in chain:
            if value is None or isinstance(value, _Undefined):
                return _Undefined(text)
            if kind == "attr":
                if isinstance(value, dict):
                    value = value.get(item) if item in value else _Undefined(text)
                elif hasattr(value, item) and not callable(getattr(value, item)):
                    value = getattr(value, item)
                elif item in _JAVA_METHODS or hasattr(value, item):
                    value = _Undefined(text)
                else:
                    value = _Undefined(text)
            elif kind == "call":
                mname, args = item
                value = _call(value, mname, [self.expr(a) for a in args])
            else:
                key = self.expr(item)
                try:
                    value = value[int(key)] if isinstance(value, list) else value[key]
                except (KeyError, IndexError, TypeError, ValueError):
                    return _Undefined(text)
        return value

    def expr(self, node: Any) -> Any:
        kind = node[0]
        if kind == "ref":
            return self.ref(node)
        if kind == "lit":
            return node[1]
        if kind == "interp":
            return self.render(node[1])
        if kind == "list":
            return [self.expr(a) for a in node[1]]
        if kind == "not":
            return not _truthy(self.expr(node[1]))
        if kind == "and":
            return _truthy(self.expr(node[1])) and _truthy(self.expr(node[2]))
        if kind == "or":
            return _truthy(self.expr(node[1])) or _truthy(self.expr(node[2]))
        if kind == "cmp":
            op, a, b = node[1], self.expr(node[2]), self.expr(node[3])
            a = None if isinstance(a, _Undefined) else a
            b = None if isinstance(b, _Undefined) else b
            if op == "==":
                return a == b or (a is not None and b is not None and _to_text(a) == _to_text(b))
            if op == "!=":
                return not (a == b or (a is not None and b is not None and _to_text(a) == _to_text(b)))
            try:
                return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]  # type: ignore[operator]
            except TypeError as exc:
                raise VtlError(f"cannot compare {a!r} {op} {b!r}") from exc
        if kind == "arith":
            op, a, b = node[1], self.expr(node[2]), self.expr(node[3])
            if op == "+" and (isinstance(a, str) or isinstance(b, str)):
                return _to_text(a) + _to_text(b)
            try:
                if op == "/" and isinstance(a, int) and isinstance(b, int):
                    return a // b
                return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
                        "%": lambda: a % b}[op]()
            except TypeError as exc:
                raise VtlError(f"cannot compute {a!r} {op} {b!r}") from exc
        raise VtlError(f"unknown expression node {kind}")  # pragma: no cover

    def render(self, nodes: list[Any]) -> str:
        out: list[str] = []
        for node in nodes:
            if isinstance(node, str):
                out.append(node)
                continue
            kind = node[0]
            if kind == "ref":
                value = self.ref(node)
                if isinstance(value, _Undefined):
                    out.append("" if node[3] else value.text)
                else:
                    out.append(_to_text(value))
            elif kind == "set":
                target, expr = node[1], node[2]
                if target[2]:
                    raise VtlError("#set only assigns plain variables ($x), not properties")
                value = self.expr(expr)
                self.vars[target[1]] = None if isinstance(value, _Undefined) else value
            elif kind == "if":
                for cond, body in node[1]:
                    if cond is None or _truthy(self.expr(cond)):
                        out.append(self.render(body))
                        break
            elif kind == "foreach":
                var, seq, body = node[1], node[2], node[3]
                items = self.expr(seq)
                if isinstance(items, dict):
                    items = list(items.values())
                if isinstance(items, _Undefined) or items is None:
                    items = []
                items = list(items)
                saved = self.vars.get("foreach")
                for i, item in enumerate(items):
                    self.vars[var[1]] = item
                    self.vars["foreach"] = {"index": i, "count": i + 1, "hasNext": i < len(items) - 1,
                                            "first": i == 0, "last": i == len(items) - 1}
                    out.append(self.render(body))
                self.vars["foreach"] = saved
        return "".join(out)


def render(template: str, context: dict[str, Any]) -> str:
    """Render ``template`` with the variables in ``context`` (``input``, ``context``, ``util``...)."""
    nodes, _ = _Parser(template).parse_block()
    variables = {"util": Util(), **context}
    return _Evaluator(variables).render(nodes)
