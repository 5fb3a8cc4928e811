"""Guarding an AI agent's tools: who may call what, isolated sessions, human approval, an audit trail.

AWS leaves this to the application. The model only *asks* for a tool (a Converse ``toolUse``
block); the application decides whether to run it and answers with a ``toolResult`` whose
``status`` is ``success`` or ``error`` (botocore ``bedrock-runtime`` ``ToolResultStatus``).
Amazon Bedrock's prompt-injection guidance says preventing prompt injection is the customer's
job and recommends least privilege (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-injection.html);
Bedrock Agents can require user confirmation before an action group function runs, because
"if the response includes instructions for the model to invoke unintended actions, the agent
will go ahead and comply" (https://docs.aws.amazon.com/bedrock/latest/userguide/agents-userconfirmation.html);
AgentCore Runtime isolates each session but "does not enforce session-to-user mappings": the
client backend must keep that relationship
(https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/runtime-sessions.html).

This engine is that application layer, in plain Python: each :class:`Tool` carries an IAM-style
permission (an application-defined action such as ``orders:GetOrder`` and a resource template),
the decision reuses the course's IAM evaluator (:func:`course_utils.rules.policy.evaluate`),
``sensitive``/``destructive`` tools wait in a ``pending`` state until :meth:`Session.approve` or
:meth:`Session.reject`, each :class:`Session` has its own history, memory, pending calls and
audit trail, and a :class:`SessionStore` refuses a session to any principal but its owner.
The tenant a tool works on comes from the session, never from the model's input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .policy import evaluate

__all__ = [
    "ALLOWED", "DENIED", "PENDING", "APPROVED", "REJECTED",
    "Tool", "ToolContext", "AuditRecord", "Outcome", "Session", "SessionStore",
    "authorize", "validate_input", "run_tool", "format_audit",
]  # fmt: skip

ALLOWED, DENIED, PENDING, APPROVED, REJECTED = "allowed", "denied", "pending", "approved", "rejected"
_JSON_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict, "array": list}


@dataclass(frozen=True)
class ToolContext:
    """What a tool's function may see: its own session's ids and memory, nothing else."""

    session_id: str
    tenant: str
    principal: str
    memory: dict[str, Any]


@dataclass(frozen=True)
class Tool:
    """A callable the model may ask for, its Converse ``toolSpec`` parts and its permission.

    ``resource`` is a template filled from the session (``{tenant}``, ``{session_id}``) and from
    the tool input (``{order_id}``...). ``untrusted``: the result is outside data (a retrieved
    document, a web page) and is labelled as such before the model sees it.
    """

    name: str
    description: str
    func: Callable[[ToolContext, dict[str, Any]], Any]
    action: str
    resource: str = "*"
    properties: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    required: Sequence[str] = ()
    sensitive: bool = False
    destructive: bool = False
    untrusted: bool = False

    @property
    def needs_approval(self) -> bool:
        return self.sensitive or self.destructive

    def spec(self) -> dict[str, Any]:
        """The Converse ``toolConfig.tools[]`` entry for this tool."""
        schema = {"type": "object", "properties": {k: dict(v) for k, v in self.properties.items()}}
        if self.required:
            schema["required"] = list(self.required)
        return {"toolSpec": {"name": self.name, "description": self.description, "inputSchema": {"json": schema}}}

    def resource_for(self, session: "Session", tool_input: Mapping[str, Any]) -> str:
        values = {k: str(v) for k, v in tool_input.items()}
        values.update(tenant=session.tenant, session_id=session.session_id)  # the session wins over the model
        return self.resource.format(**values)  # KeyError: the input lacks a value the resource needs


@dataclass(frozen=True)
class AuditRecord:
    """One line of the audit trail."""

    turn: int
    call_id: str
    tool: str
    input: Mapping[str, Any]
    decision: str  # allowed | denied | pending | approved | rejected
    reason: str = ""
    result: str = ""


@dataclass(frozen=True)
class Outcome:
    """What the guard decided for one tool call (``result_block`` is None while pending)."""

    decision: str
    reason: str
    result_block: dict[str, Any] | None


def validate_input(tool: Tool, tool_input: Any) -> str | None:
    """The reason ``tool_input`` does not fit the tool's schema, or None (required keys and JSON types)."""
    if not isinstance(tool_input, Mapping):
        return f"input must be a JSON object, got {type(tool_input).__name__}"
    missing = [k for k in tool.required if k not in tool_input]
    if missing:
        return f"missing required input {', '.join(missing)}"
    for key, value in tool_input.items():
        if key not in tool.properties:
            return f"unexpected input {key!r}"
        expected = _JSON_TYPES.get(str(tool.properties[key].get("type", "")))
        if expected and (not isinstance(value, expected) or (isinstance(value, bool) and expected is not bool)):
            return f"input {key!r} must be {tool.properties[key]['type']}, got {type(value).__name__}"
    return None


def authorize(session: "Session", tool: Tool | None, name: str, tool_input: Any) -> tuple[str, str]:
    """``(decision, reason)`` for one requested call: denied, pending (needs a human) or allowed.

    Order: unknown tool, malformed input, the session's IAM-style policy (an explicit or implicit
    deny ends it whatever the model was told), then approval for sensitive/destructive tools.
    """
    if tool is None:
        return DENIED, f"unknown tool {name!r}: the application offers no such tool"
    problem = validate_input(tool, tool_input)
    if problem:
        return DENIED, f"invalid input: {problem}"
    try:
        resource = tool.resource_for(session, tool_input)
    except (KeyError, IndexError, ValueError) as exc:
        return DENIED, f"invalid input: the resource {tool.resource!r} needs {exc}"
    decision = evaluate(tool.action, resource, identity_policies=session.policies, principal=session.principal)
    if not decision.allowed:
        return DENIED, f"{decision.decision} for {tool.action} on {decision.resource}: {decision.reason}"
    if tool.needs_approval:
        kind = "destructive" if tool.destructive else "sensitive"
        return PENDING, f"{kind} tool: waiting for a human to approve or reject"
    return ALLOWED, f"{tool.action} allowed by the session's policy"


def _summary(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def run_tool(session: "Session", tool: Tool, tool_input: Mapping[str, Any]) -> tuple[dict[str, Any], str, bool]:
    """Run the tool in the session's context: ``(toolResult content block, result summary, succeeded)``.

    An exception becomes an ``error`` result (its message, not a traceback); an untrusted tool's
    output is wrapped in ``<untrusted-data>`` tags so that the model is told it is data.
    """
    ctx = ToolContext(session.session_id, session.tenant, session.principal, session.memory)
    try:
        value = tool.func(ctx, dict(tool_input))
    except Exception as exc:  # a tool's failure is a result the model sees, not a crash of the loop
        return {"text": f"The tool failed: {exc}"}, f"error: {exc}", False  # no tool name: the model would ask again
    if tool.untrusted:
        body = value if isinstance(value, str) else json.dumps(value, default=str)
        # No tool name inside the tags: a model that follows names would read it as a request.
        return {"text": f"<untrusted-data>\n{body}\n</untrusted-data>"}, _summary(value), True
    if isinstance(value, Mapping):
        return {"json": dict(value)}, _summary(dict(value)), True
    return {"text": str(value)}, _summary(value), True


def _result(call_id: str, content: dict[str, Any], ok: bool) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": call_id, "content": [content], "status": "success" if ok else "error"}}


@dataclass
class _Pending:
    turn: int
    tool: Tool
    input: dict[str, Any]
    decision: str = PENDING
    block: dict[str, Any] | None = None


@dataclass
class Session:
    """One user's conversation with the agent: its own history, memory, pending calls and audit trail."""

    session_id: str
    principal: str
    tenant: str
    policies: list[Mapping[str, Any]]
    messages: list[dict[str, Any]] = field(default_factory=list)
    memory: dict[str, Any] = field(default_factory=dict)
    audit: list[AuditRecord] = field(default_factory=list)
    turn: int = 0
    _pending: dict[str, _Pending] = field(default_factory=dict, repr=False)

    # -- tool calls
    def handle(self, tools: Mapping[str, Tool], call_id: str, name: str, tool_input: Any) -> Outcome:
        """Decide one ``toolUse`` of the model, run it if allowed, record it; pending calls wait here."""
        tool = tools.get(name)
        decision, reason = authorize(self, tool, name, tool_input)
        shown = dict(tool_input) if isinstance(tool_input, Mapping) else {"(input)": tool_input}
        if decision == DENIED:
            return self.refuse(call_id, name, tool_input, reason)
        assert tool is not None
        if decision == PENDING:
            self._pending[call_id] = _Pending(self.turn, tool, shown)
            self.audit.append(AuditRecord(self.turn, call_id, name, shown, PENDING, reason, "not executed yet"))
            return Outcome(PENDING, reason, None)
        content, summary, ok = run_tool(self, tool, shown)
        self.audit.append(AuditRecord(self.turn, call_id, name, shown, ALLOWED, reason, summary))
        return Outcome(ALLOWED, reason, _result(call_id, content, ok))

    def refuse(self, call_id: str, name: str, tool_input: Any, reason: str) -> Outcome:
        """Deny a call for a reason of the application's own (e.g. the loop's turn budget is spent)."""
        shown = dict(tool_input) if isinstance(tool_input, Mapping) else {"(input)": tool_input}
        self.audit.append(AuditRecord(self.turn, call_id, name, shown, DENIED, reason, "not executed"))
        text = f"Refused by the application, the tool was not run. Reason: {reason}"
        return Outcome(DENIED, reason, _result(call_id, {"text": text}, ok=False))

    @property
    def pending(self) -> dict[str, str]:
        """Calls waiting for a human: call id -> tool name."""
        return {cid: p.tool.name for cid, p in self._pending.items() if p.decision == PENDING}

    def _decide(self, call_id: str, decision: str, who: str) -> AuditRecord:
        entry = self._pending.get(call_id)
        if entry is None:
            raise KeyError(f"no call {call_id!r} waits for approval in session {self.session_id!r}")
        if entry.decision != PENDING:
            raise ValueError(f"call {call_id!r} was already {entry.decision}")
        entry.decision = decision
        if decision == APPROVED:
            content, summary, ok = run_tool(self, entry.tool, entry.input)
            entry.block = _result(call_id, content, ok)
            reason = f"approved by {who}"
        else:
            text = f"This call was rejected by {who}; the tool was not run. Do not retry it."
            entry.block, summary, reason = _result(call_id, {"text": text}, ok=False), "not executed", f"rejected by {who}"
        record = AuditRecord(entry.turn, call_id, entry.tool.name, entry.input, decision, reason, summary)
        self.audit.append(record)
        return record

    def approve(self, call_id: str, who: str = "a human reviewer") -> AuditRecord:
        """Approve a pending call: the tool runs now (Bedrock Agents: ``confirmationState`` CONFIRM)."""
        return self._decide(call_id, APPROVED, who)

    def reject(self, call_id: str, who: str = "a human reviewer") -> AuditRecord:
        """Reject a pending call: it never runs; the model gets an error result (``confirmationState`` DENY)."""
        return self._decide(call_id, REJECTED, who)

    def decided_results(self) -> list[dict[str, Any]]:
        """The toolResult blocks of the decided calls (then forgotten); empty while any call is pending."""
        if self.pending:
            return []
        blocks = [p.block for p in self._pending.values() if p.block is not None]
        self._pending.clear()
        return blocks


class SessionStore:
    """Sessions by id, each bound to the principal that opened it (the backend keeps that mapping)."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}

    def create(self, session_id: str, *, principal: str, tenant: str, policies: Sequence[Mapping[str, Any]]) -> Session:
        if session_id in self._sessions:
            raise ValueError(f"session {session_id!r} already exists")
        session = Session(session_id, principal, tenant, [dict(p) for p in policies])
        self._sessions[session_id] = session
        return session

    def get(self, session_id: str, *, principal: str) -> Session:
        """The session, for its owner only; anyone else gets a PermissionError (no data leaks)."""
        session = self._sessions.get(session_id)
        if session is None:
            raise KeyError(f"no session {session_id!r}")
        if session.principal != principal:
            raise PermissionError(f"session {session_id!r} belongs to another principal")
        return session

    def __len__(self) -> int:
        return len(self._sessions)


def format_audit(records: Sequence[AuditRecord]) -> str:
    """The audit trail as a plain-text table."""
    header = ("turn", "tool", "input", "decision", "reason", "result")
    rows = [(str(r.turn), r.tool, _summary(dict(r.input), 40), r.decision, _summary(r.reason, 60), _summary(r.result, 40))
            for r in records]  # fmt: skip
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])
