"""The sandbox's stand-in for a foundation model: deterministic, no weights, no network.

Nothing here is a language model. It answers Converse-shaped messages with fixed rules, so
lessons can show what an *application* around a model must do (validate tool input, stop
prompt injection, filter output), and every answer it writes is labelled ``[stand-in model]``
(the one exception: ``Repeat:``, below, which returns the requested text exactly).

:func:`reply` rules, in order:

1. **Tool use** (``tools`` given, Converse ``toolSpec`` dicts): read the latest user message
   (its text blocks and the text/json of its ``toolResult`` blocks). If it names a tool by its
   exact ``name`` (a whole word), call the first named tool (in the order of the text) that was
   not already called with the same input earlier in the conversation. Otherwise, when the
   message has no tool results and its text shares at least 2 content words with a tool's name
   parts (split on ``_``) and description, call the tool sharing the most. The input comes
   from the tool's ``inputSchema.json`` ``properties``: ``prop=value`` or ``prop: value`` in
   the text; else, for integer/number properties, the first number; else, for strings, the
   first double-quoted string; else the property is left out (required ones too: the
   application must validate). One ``toolUse`` block, ``stop_reason`` ``"tool_use"``.
   This obedience is deliberate: an instruction hidden in a retrieved document (a tool result)
   makes it call a destructive tool, which is what an application must stop.
2. Tool results and no new tool named: ``"[stand-in model] Based on the tool results: ..."``.
3. ``Repeat:`` in the latest user text: the text after it, verbatim.
4. Otherwise the latest user text is echoed (``"[stand-in model] You asked: <text>. ..."``), so
   personal data in a prompt shows up in the output (guardrail output-filter lessons).

Tokens are estimated as ``ceil(characters / 4)`` (text, and JSON of tool input/results;
system prompts and the tool specs count as input). ``max_tokens`` smaller than the answer
truncates it to ``4 * max_tokens`` characters with ``stop_reason`` ``"max_tokens"``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
from typing import Any, Iterable, Mapping, Sequence

__all__ = ["LABEL", "reply", "estimate_tokens", "latest_user_text"]

LABEL = "[stand-in model]"

_STOP = frozenset(
    "the a an and or of to in on for with by from at as is are was were be been it its this that these those "
    "me my i you your we our us they them their he she his her please can could would should will shall do does "
    "did what which who whom when where why how all any some no not get set use using about into than then".split()
)


def estimate_tokens(text: str) -> int:
    """The stand-in's token count: ``ceil(len(text) / 4)`` (0 for empty text)."""
    return math.ceil(len(text) / 4)


def _block_text(block: Mapping[str, Any]) -> str:
    if "text" in block:
        return str(block["text"])
    if "toolUse" in block:
        return json.dumps(block["toolUse"].get("input", {}), sort_keys=True)
    if "toolResult" in block:
        return " ".join(_result_texts(block["toolResult"]))
    return ""


def _result_texts(result: Mapping[str, Any]) -> list[str]:
    out = []
    for item in result.get("content", []) or []:
        if "text" in item:
            out.append(str(item["text"]))
        elif "json" in item:
            out.append(json.dumps(item["json"], sort_keys=True))
    return out


def _latest_user(messages: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((m for m in reversed(messages) if m.get("role") == "user"), None)


def latest_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text blocks of the latest user message, joined by a space."""
    last = _latest_user(messages)
    if last is None:
        return ""
    return " ".join(str(b["text"]) for b in last.get("content", []) if "text" in b)


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOP}


def _convert(value: str, kind: str) -> Any:
    try:
        if kind == "integer":
            return int(float(value))
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean":
        return value.lower() in ("true", "yes", "1")
    return value


def _tool_input(spec: Mapping[str, Any], text: str) -> dict[str, Any]:
    schema = (spec.get("inputSchema") or {}).get("json") or {}
    if isinstance(schema, str):
        schema = json.loads(schema)
    props = schema.get("properties") or {}
    out: dict[str, Any] = {}
    for prop, desc in props.items():
        kind = (desc or {}).get("type", "string")
        m = re.search(rf"(?<![\w]){re.escape(prop)}\s*[=:]\s*(\"[^\"]*\"|'[^']*'|[^\s,;]+)", text)
        if m:
            raw = m.group(1)
            if raw[:1] in "\"'" and raw[-1:] == raw[:1] and len(raw) >= 2:
                raw = raw[1:-1]
            else:
                raw = raw.rstrip(".")
            out[prop] = _convert(raw, kind)
            continue
        if kind in ("integer", "number"):
            n = re.search(r"-?\d+(?:\.\d+)?", text)
            if n:
                out[prop] = _convert(n.group(0), kind)
            continue
        if kind == "string":
            q = re.search(r"\"([^\"]+)\"", text)
            if q:
                out[prop] = q.group(1)
    return out


def _called_before(messages: Sequence[Mapping[str, Any]], name: str, tool_input: Mapping[str, Any]) -> bool:
    for m in messages:
        if m.get("role") != "assistant":
            continue
        for b in m.get("content", []):
            use = b.get("toolUse")
            if use and use.get("name") == name and dict(use.get("input") or {}) == dict(tool_input):
                return True
    return False


def _tool_use_id(name: str, tool_input: Mapping[str, Any], turn: int) -> str:
    digest = hashlib.sha256(f"{turn}|{name}|{json.dumps(tool_input, sort_keys=True)}".encode()).digest()
    return "tooluse_" + base64.b32encode(digest).decode().lower().rstrip("=")[:22]


def _specs(tools: Iterable[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    return [t.get("toolSpec", t) for t in (tools or []) if t.get("toolSpec", t).get("name")]


def _choose_tool(messages: Sequence[Mapping[str, Any]], specs: list[Mapping[str, Any]], text: str,
                 has_results: bool, choice: Mapping[str, Any] | None) -> tuple[Mapping[str, Any], dict[str, Any]] | None:
    if choice and "tool" in choice:
        spec = next((s for s in specs if s["name"] == choice["tool"].get("name")), None)
        return (spec, _tool_input(spec, text)) if spec else None
    named = []
    for spec in specs:
        m = re.search(rf"(?<![\w-]){re.escape(spec['name'])}(?![\w-])", text)
        if m:
            named.append((m.start(), spec))
    for _, spec in sorted(named, key=lambda p: p[0]):
        tool_input = _tool_input(spec, text)
        if not _called_before(messages, spec["name"], tool_input):
            return spec, tool_input
    if not has_results:
        words = _words(text)
        best: tuple[int, Mapping[str, Any]] | None = None
        for spec in specs:
            shared = len(words & _words(" ".join(spec["name"].split("_")) + " " + str(spec.get("description", ""))))
            if shared >= 2 and (best is None or shared > best[0]):
                best = (shared, spec)
        if best is not None:
            tool_input = _tool_input(best[1], text)
            if not _called_before(messages, best[1]["name"], tool_input):
                return best[1], tool_input
    if choice and "any" in choice and specs and not named:
        return specs[0], _tool_input(specs[0], text)
    return None


def _input_tokens(messages: Sequence[Mapping[str, Any]], system: Any, specs: list[Mapping[str, Any]]) -> int:
    parts = [_block_text(b) for m in messages for b in m.get("content", [])]
    if isinstance(system, str):
        parts.append(system)
    else:
        parts += [str(b.get("text", "")) for b in (system or [])]
    parts += [json.dumps(s, sort_keys=True, default=str) for s in specs]
    return max(1, sum(estimate_tokens(p) for p in parts if p))


def reply(messages: Sequence[Mapping[str, Any]], *, system: Any = None, tools: Iterable[Mapping[str, Any]] | None = None,
          max_tokens: int | None = None, tool_choice: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The stand-in's answer to a Converse conversation (see the module docstring for the rules).

    ``messages``: Converse ``messages``; ``system``: a string or Converse ``system`` blocks;
    ``tools``: Converse ``tools`` (``{"toolSpec": ...}``) or bare tool specs; ``tool_choice``:
    Converse ``toolChoice`` (``auto``, ``any``, ``tool``). Returns ``{"content": [blocks],
    "stop_reason", "input_tokens", "output_tokens"}``.
    """
    specs = _specs(tools)
    last = _latest_user(messages)
    blocks = list(last.get("content", [])) if last else []
    results = [b["toolResult"] for b in blocks if "toolResult" in b]
    user_text = latest_user_text(messages)
    seen_text = " ".join([user_text] + [t for r in results for t in _result_texts(r)]).strip()
    input_tokens = _input_tokens(messages, system, specs)
    if specs:
        chosen = _choose_tool(messages, specs, seen_text, bool(results), tool_choice)
        if chosen is not None:
            spec, tool_input = chosen
            use = {"toolUseId": _tool_use_id(spec["name"], tool_input, len(messages)), "name": spec["name"],
                   "input": tool_input}
            return {"content": [{"toolUse": use}], "stop_reason": "tool_use", "input_tokens": input_tokens,
                    "output_tokens": max(1, estimate_tokens(json.dumps(use)))}
    if results:
        summary = "; ".join(t for r in results for t in _result_texts(r)) or "(no content)"
        text = f"{LABEL} Based on the tool results: {summary}"
    elif "Repeat:" in user_text:
        text = user_text.split("Repeat:", 1)[1].lstrip()
    else:
        asked = user_text.strip() or "(no text)"
        text = f"{LABEL} You asked: \u201c{asked}\u201d No model runs in the sandbox: this deterministic stand-in echoes prompts."
    stop = "end_turn"
    if max_tokens is not None and estimate_tokens(text) > max_tokens:
        text, stop = text[: max(0, max_tokens) * 4], "max_tokens"
    return {"content": [{"text": text}], "stop_reason": stop, "input_tokens": input_tokens,
            "output_tokens": estimate_tokens(text)}
