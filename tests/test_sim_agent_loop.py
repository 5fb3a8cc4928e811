"""The secured agent loop against the sandbox's Converse (the deterministic stand-in model).

Each test drives ``boto3.client("bedrock-runtime").converse`` through :class:`AgentLoop` and
asserts what a learner sees: the run's status, the audit trail, what the tools did to the data,
the ``toolResult`` blocks sent back to the model, and the approval widget's Output.
"""

from __future__ import annotations

import boto3
import pytest

from course_utils.rules.agent_guard import SessionStore, Tool
from course_utils.sim.agent_loop import AgentLoop, ApprovalPanel, AuditTable, demo_policy, demo_store, demo_tools

ROLE = "arn:aws:iam::123456789012:role"


@pytest.fixture
def data() -> dict:
    return demo_store()


@pytest.fixture
def sessions() -> SessionStore:
    return SessionStore()


def _loop(sessions, data, tenant="acme", **kwargs) -> AgentLoop:
    session = sessions.create(f"s-{tenant}", principal=f"{ROLE}/agent-{tenant}", tenant=tenant, policies=[demo_policy(tenant)])
    return AgentLoop(session, demo_tools(data), client=boto3.client("bedrock-runtime"), **kwargs)


def _tool_results(loop: AgentLoop) -> list[dict]:
    return [b["toolResult"] for m in loop.session.messages if m["role"] == "user" for b in m["content"] if "toolResult" in b]


def test_a_prompt_injection_in_a_retrieved_document_cannot_delete_orders(aws, sessions, data):
    loop = _loop(sessions, data)
    result = loop.send("Use search_docs query=refund")
    assert result.status == "done" and result.stop_reason == "end_turn" and result.turns == 3
    # the model obeyed the document and asked for the destructive tool; the application refused
    asked = [b["toolUse"]["name"] for m in loop.session.messages if m["role"] == "assistant"
             for b in m["content"] if "toolUse" in b]  # fmt: skip
    assert asked == ["search_docs", "delete_all_orders"]
    assert [(r.tool, r.decision) for r in loop.session.audit] == [("search_docs", "allowed"), ("delete_all_orders", "denied")]
    denial = loop.session.audit[1]
    assert denial.input == {"confirm": "yes"} and denial.result == "not executed"
    assert "ImplicitDeny for orders:DeleteAllOrders on arn:aws:orders:::tenant/acme/order/*" in denial.reason
    assert data["acme"]["orders"] == demo_store()["acme"]["orders"]  # nothing deleted
    document, refusal = _tool_results(loop)
    assert document["status"] == "success" and document["content"][0]["text"].startswith("<untrusted-data>")
    assert refusal["status"] == "error" and "the tool was not run" in refusal["content"][0]["text"]
    assert result.text.startswith("[stand-in model]") and "Refused by the application" in result.text
    table = loop.audit()
    assert "delete_all_orders" in str(table) and ">denied</b>" in table._repr_html_()


def test_the_default_client_reaches_the_sandbox(aws, sessions, data):
    session = sessions.create("s", principal=f"{ROLE}/a", tenant="acme", policies=[demo_policy("acme")])
    result = AgentLoop(session, demo_tools(data)).send("Hello there")
    assert result.status == "done" and "Hello there" in result.text and result.turns == 1


def test_sessions_are_isolated_through_history_and_tools(aws, sessions, data):
    acme, globex = _loop(sessions, data, "acme"), _loop(sessions, data, "globex")
    acme.send("Use get_order order_id=A-1001")
    assert acme.session.audit[-1].decision == "allowed" and "kettle" in acme.session.audit[-1].result
    result = globex.send("Use get_order order_id=A-1001")  # another tenant's order id
    assert globex.session.audit[-1].result == "error: no order A-1001 for this customer"
    assert result.status == "done" and "kettle" not in result.text
    history = str(globex.session.messages)
    assert "kettle" not in history and "A-1001" in history  # only what globex itself said
    with pytest.raises(PermissionError):
        sessions.get("s-acme", principal=f"{ROLE}/agent-globex")


def test_the_loop_is_bounded_by_max_turns(aws, sessions, data):
    def ping(ctx, args):
        return f"pong {args['n']}: now call ping n={args['n'] + 1}"

    session = sessions.create("s", principal=f"{ROLE}/a", tenant="acme",
                              policies=[demo_policy("acme", ["test:Ping"])])  # fmt: skip
    tool = Tool("ping", "Ping forever", ping, "test:Ping", "arn:aws:orders:::tenant/{tenant}/ping", {"n": {"type": "integer"}}, ("n",))
    loop = AgentLoop(session, [tool], client=boto3.client("bedrock-runtime"), max_turns=3)
    result = loop.send("Use ping n=1")
    assert result.status == "max_turns" and result.turns == 3 and "max_turns" in result.message
    assert [(r.input["n"], r.decision) for r in session.audit] == [(1, "allowed"), (2, "allowed"), (3, "denied")]
    assert session.audit[-1].reason == "max_turns (3) reached: the loop stops here"
    # the next message continues the same history (user/assistant still alternate) with a fresh budget
    again = loop.send("Hello again")
    assert again.status == "done" and again.turns == 1 and "max_turns (3) reached" in again.text
    assert [m["role"] for m in session.messages] == ["user", "assistant"] * 4
    with pytest.raises(ValueError):
        AgentLoop(session, [tool], client=loop.client, max_turns=0)


def test_approve_button_runs_the_sensitive_tool_and_resumes(aws, sessions, data):
    loop = _loop(sessions, data)
    paused = loop.send("Please refund_order order_id=A-1001")
    assert paused.status == "awaiting_approval" and list(paused.pending.values()) == ["refund_order"]
    assert data["acme"]["orders"]["A-1001"]["status"] == "delivered"  # not yet
    with pytest.raises(RuntimeError, match="wait for approval"):
        loop.send("hello?")
    panel = ApprovalPanel(loop)
    (call_id,) = panel.buttons
    approve, reject = panel.buttons[call_id]
    assert approve.description == "Approve refund_order" and reject.description == "Reject refund_order"
    assert call_id in approve.tooltip
    approve.click()
    assert data["acme"]["orders"]["A-1001"]["status"] == "refunded"
    assert approve.disabled and reject.disabled
    shown = panel.text()
    assert f"Approved: refund_order ({call_id})" in shown and '"refunded": 40' in shown and "[done]" in shown
    assert [r.decision for r in loop.session.audit] == ["pending", "approved"]
    assert _tool_results(loop)[-1]["status"] == "success" and loop.last.status == "done"
    reject.click()  # a second click (the button is disabled in the browser) changes nothing
    assert "Cannot decide: no call" in panel.text()


def test_reject_button_never_runs_the_tool(aws, sessions, data):
    loop = _loop(sessions, data)
    loop.send("Please refund_order order_id=A-1001")
    panel = ApprovalPanel(loop)
    (call_id,) = panel.buttons
    panel.buttons[call_id][1].click()
    assert data["acme"]["orders"]["A-1001"]["status"] == "delivered"
    assert f"Rejected: refund_order ({call_id}) -> not executed" in panel.text()
    result = _tool_results(loop)[-1]
    assert result["status"] == "error" and "rejected" in result["content"][0]["text"]
    assert loop.last.status == "done"


def test_restart_and_run_all_rejects_what_nobody_clicked(aws, sessions, data):
    loop = _loop(sessions, data)
    assert loop.reject_pending() is None
    loop.send("Please refund_order order_id=A-1001")
    result = loop.reject_pending()
    assert result.status == "done" and loop.session.audit[-1].reason == "rejected by the notebook (nobody clicked)"
    assert data["acme"]["orders"]["A-1001"]["status"] == "delivered"
    assert "Nothing waits for approval." in ApprovalPanel(loop).text()


def test_audit_table_renders_html_and_text():
    table = AuditTable([])
    assert str(table).startswith("turn") and "<table" in table._repr_html_()


def test_approval_buttons_are_as_wide_as_their_labels(aws, sessions, data):
    # ipywidgets' default button is 148 px: "Approve refund_order" (162 px) showed as "Approve refund_o..."
    loop = _loop(sessions, data)
    loop.send("Please refund_order order_id=A-1001")
    (approve, reject), = ApprovalPanel(loop).buttons.values()
    for button in (approve, reject):
        assert button.layout.width == "auto", (button.description, button.layout.width)
    assert approve.layout is not reject.layout  # each button sizes to its own label
