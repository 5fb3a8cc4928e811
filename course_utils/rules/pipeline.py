"""A CodePipeline run: stages in order, actions by runOrder, artifacts, approvals, transitions.

What AWS CodePipeline documents (pipeline structure reference; CodePipeline concepts):

* A pipeline has at least two stages. The first stage holds only source actions, and source
  actions appear only there.
* Stages run one after another; within a stage, actions with the same ``runOrder`` run in
  parallel and lower ``runOrder`` values run first. A failed action fails the stage, and the
  execution stops there.
* Actions pass **artifacts**: an action's ``outputArtifacts`` (names unique in the pipeline)
  are stored in the artifact store (an S3 bucket) and later actions name them in
  ``inputArtifacts``.
* A **manual approval** action (category ``Approval``) pauses the stage until someone approves
  or rejects it (rejection fails the stage; an unanswered approval times out after 7 days).
* A **disabled transition** into a stage stops executions before that stage; they continue
  when the transition is enabled again.

What this module reproduces: :func:`validate` checks a pipeline declaration in the shape
``boto3 codepipeline.create_pipeline(pipeline=...)`` takes (so the same dict can be created in
the sandbox, where moto stores it but runs nothing); :func:`run` walks it with approvals,
action outcomes and disabled transitions you choose, and reports every stage and action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

__all__ = ["validate", "ActionResult", "StageResult", "PipelineRun", "run"]


def validate(pipeline: dict[str, Any]) -> list[str]:
    """Structure problems in a pipeline declaration; empty when sound."""
    problems: list[str] = []
    stages = pipeline.get("stages") or []
    if len(stages) < 2:
        problems.append(f"stages: a pipeline needs at least two stages, got {len(stages)}")
    outputs: dict[str, str] = {}
    for i, stage in enumerate(stages):
        sname = stage.get("name", f"#{i}")
        actions = stage.get("actions") or []
        if not actions:
            problems.append(f"stages[{sname}]: a stage needs at least one action")
        for _, group in groupby(sorted(actions, key=lambda a: a.get("runOrder", 1)), key=lambda a: a.get("runOrder", 1)):
            group = list(group)
            for action in group:
                aname = action.get("name", "?")
                category = (action.get("actionTypeId") or {}).get("category")
                if i == 0 and category != "Source":
                    problems.append(f"stages[{sname}].{aname}: the first stage may hold only Source actions, got {category}")
                if i > 0 and category == "Source":
                    problems.append(f"stages[{sname}].{aname}: Source actions belong in the first stage only")
                for art in action.get("inputArtifacts") or []:
                    if art["name"] not in outputs:
                        problems.append(f"stages[{sname}].{aname}: input artifact {art['name']!r} is not produced by an earlier action")
                for art in action.get("outputArtifacts") or []:
                    if art["name"] in outputs:
                        problems.append(f"stages[{sname}].{aname}: output artifact {art['name']!r} is already produced by {outputs[art['name']]}")
            for action in group:  # outputs become visible to later run orders and stages
                for art in action.get("outputArtifacts") or []:
                    outputs.setdefault(art["name"], f"{sname}/{action.get('name')}")
    return problems


@dataclass
class ActionResult:
    stage: str
    name: str
    category: str
    run_order: int
    status: str  # Succeeded, Failed, InProgress (waiting for approval), NotRun
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    message: str = ""


@dataclass
class StageResult:
    name: str
    status: str  # Succeeded, Failed, InProgress, NotRun, Blocked (transition disabled)
    actions: list[ActionResult] = field(default_factory=list)


@dataclass
class PipelineRun:
    status: str  # Succeeded, Failed, InProgress (waiting), Stopped at a disabled transition
    stages: list[StageResult]
    artifacts: dict[str, str]  # artifact name -> producing stage/action
    log: list[str]

    def stage(self, name: str) -> StageResult:
        return next(s for s in self.stages if s.name == name)

    def table(self) -> str:
        lines = []
        for s in self.stages:
            lines.append(f"[{s.status:<10}] stage {s.name}")
            for a in s.actions:
                io = f" in={a.inputs}" if a.inputs else ""
                io += f" out={a.outputs}" if a.outputs else ""
                lines.append(f"    {a.status:<10} {a.run_order}. {a.name} ({a.category}){io}" + (f"  - {a.message}" if a.message else ""))
        lines.append(f"execution: {self.status}")
        return "\n".join(lines)


def run(
    pipeline: dict[str, Any],
    *,
    approvals: dict[str, bool] | None = None,
    failures: set[str] | frozenset[str] = frozenset(),
    disabled_transitions: set[str] | frozenset[str] = frozenset(),
) -> PipelineRun:
    """Walk one execution. ``approvals`` maps approval action names to True (approve) or False
    (reject); an approval left out stays waiting. Actions named in ``failures`` fail.
    ``disabled_transitions`` names stages whose inbound transition is disabled."""
    problems = validate(pipeline)
    if problems:
        raise ValueError("pipeline has problems:\n" + "\n".join(f"  - {p}" for p in problems))
    approvals = approvals or {}
    artifacts: dict[str, str] = {}
    log: list[str] = []
    results: list[StageResult] = []
    status = "Succeeded"
    halted = False
    for index, stage in enumerate(pipeline["stages"]):
        sname = stage["name"]
        actions = sorted(stage["actions"], key=lambda a: a.get("runOrder", 1))
        if halted:
            results.append(StageResult(sname, "NotRun", [_result(sname, a, "NotRun") for a in actions]))
            continue
        if index > 0 and sname in disabled_transitions:
            log.append(f"transition into {sname} is disabled: the execution waits before it")
            results.append(StageResult(sname, "Blocked", [_result(sname, a, "NotRun") for a in actions]))
            status, halted = f"Stopped before {sname} (transition disabled)", True
            continue
        sresult = StageResult(sname, "Succeeded")
        stage_stop = None
        for order, group in groupby(actions, key=lambda a: a.get("runOrder", 1)):
            if stage_stop:
                sresult.actions.extend(_result(sname, a, "NotRun") for a in group)
                continue
            produced = []
            for action in group:  # same runOrder: in parallel
                res = _result(sname, action, "Succeeded")
                category = action["actionTypeId"]["category"]
                if category == "Approval":
                    decision = approvals.get(action["name"])
                    if decision is None:
                        res.status, res.message = "InProgress", "waiting for a manual approval (times out after 7 days)"
                        stage_stop = stage_stop or "InProgress"
                    elif decision is False:
                        res.status, res.message = "Failed", "rejected by the approver"
                        stage_stop = "Failed"
                    else:
                        res.message = "approved"
                elif action["name"] in failures:
                    res.status, res.message = "Failed", "action failed"
                    stage_stop = "Failed"
                else:
                    produced.extend(res.outputs)
                log.append(f"{sname}/{action['name']}: {res.status}")
                sresult.actions.append(res)
            for name in produced:
                artifacts[name] = f"{sname}/" + next(a.name for a in sresult.actions if name in a.outputs)
        if stage_stop:
            sresult.status = stage_stop
            status = "Failed" if stage_stop == "Failed" else f"InProgress (waiting in {sname})"
            halted = True
        results.append(sresult)
    return PipelineRun(status, results, artifacts, log)


def _result(stage: str, action: dict[str, Any], status: str) -> ActionResult:
    return ActionResult(
        stage,
        action["name"],
        action["actionTypeId"]["category"],
        action.get("runOrder", 1),
        status,
        [a["name"] for a in action.get("inputArtifacts") or []],
        [a["name"] for a in action.get("outputArtifacts") or []],
    )
