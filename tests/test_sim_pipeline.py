"""sim.pipeline: structure rules, approvals, failures, disabled transitions."""

import pytest

from course_utils.sim import pipeline


def act(name, cat, run_order=1, i=(), o=()):
    return {"name": name, "actionTypeId": {"category": cat, "owner": "AWS", "provider": "X", "version": "1"}, "runOrder": run_order,
            "inputArtifacts": [{"name": n} for n in i], "outputArtifacts": [{"name": n} for n in o]}


P = {"stages": [{"name": "Source", "actions": [act("Src", "Source", o=["S"])]},
                {"name": "Build", "actions": [act("B", "Build", 1, ["S"], ["B"]), act("T", "Test", 2, ["B"])]},
                {"name": "Approve", "actions": [act("OK", "Approval")]},
                {"name": "Deploy", "actions": [act("D", "Deploy", 1, ["B"])]}]}


def test_validate():
    assert pipeline.validate(P) == []
    bad = {"stages": [{"name": "Build", "actions": [act("B", "Build", i=["nope"])]}]}
    problems = pipeline.validate(bad)
    assert any("at least two stages" in p for p in problems)
    assert any("only Source actions" in p for p in problems)
    assert any("'nope' is not produced" in p for p in problems)


def test_run_waits_approves_rejects():
    waiting = pipeline.run(P)
    assert waiting.stage("Approve").status == "InProgress" and waiting.stage("Deploy").status == "NotRun"
    done = pipeline.run(P, approvals={"OK": True})
    assert done.status == "Succeeded" and done.artifacts == {"S": "Source/Src", "B": "Build/B"}
    assert pipeline.run(P, approvals={"OK": False}).status == "Failed"


def test_failure_and_disabled_transition():
    failed = pipeline.run(P, failures={"B"})
    assert failed.stage("Build").status == "Failed"
    assert [a.status for a in failed.stage("Build").actions] == ["Failed", "NotRun"]
    blocked = pipeline.run(P, approvals={"OK": True}, disabled_transitions={"Deploy"})
    assert blocked.stage("Deploy").status == "Blocked" and "transition disabled" in blocked.status
    with pytest.raises(ValueError):
        pipeline.run({"stages": []})
