"""Git events against the sandbox's CodePipeline V2 pipelines: engine in :mod:`course_utils.rules.git_triggers`.

moto stores a pipeline's ``pipelineType`` and ``triggers`` as given but has no Git provider and
starts nothing on a push. :func:`push` and :func:`pull_request` read every pipeline with boto3,
decide with the engine which ones the event starts, and start those with
``StartPipelineExecution`` (which moto records, marking the execution ``Succeeded``).
"""

from __future__ import annotations

from typing import Any

from ..rules import git_triggers as _engine
from ..rules.git_triggers import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__, "save_pipeline", "pipelines", "push", "pull_request"]


def _client(cp: Any | None) -> Any:
    if cp is not None:
        return cp
    import boto3

    return boto3.client("codepipeline")


def save_pipeline(pipeline: dict[str, Any], cp: Any | None = None) -> dict[str, Any]:
    """Create the pipeline, or update it when it exists (re-runnable); returns what the sandbox stores."""
    cp = _client(cp)
    problems = _engine.validate(pipeline)
    if problems:
        raise ValueError("trigger problems:\n" + "\n".join(f"  - {p}" for p in problems))
    try:
        cp.create_pipeline(pipeline=pipeline)
    except cp.exceptions.InvalidStructureException:
        cp.update_pipeline(pipeline=pipeline)
    return cp.get_pipeline(name=pipeline["name"])["pipeline"]


def pipelines(cp: Any | None = None) -> list[dict[str, Any]]:
    """Every pipeline declaration in the sandbox (``GetPipeline`` of each listed pipeline)."""
    cp = _client(cp)
    names = [p["name"] for p in cp.list_pipelines()["pipelines"]]
    return [cp.get_pipeline(name=n)["pipeline"] for n in names]


def _fire(event: _engine.GitEvent, cp: Any | None) -> list[tuple[_engine.Decision, str | None]]:
    cp = _client(cp)
    started = []
    for decision in _engine.route(pipelines(cp), event):
        execution = cp.start_pipeline_execution(name=decision.pipeline)["pipelineExecutionId"] if decision.starts else None
        started.append((decision, execution))
    return started


def push(*, branch: str | None = None, tag: str | None = None, files: tuple[str, ...] | list[str] = (),
         cp: Any | None = None) -> list[tuple[_engine.Decision, str | None]]:
    """A push of ``branch`` (changing ``files``) or of ``tag``: (decision, execution id or None) per pipeline."""
    return _fire(_engine.GitEvent("push", branch=branch, tag=tag, files=tuple(files)), cp)


def pull_request(event: str, *, into: str, files: tuple[str, ...] | list[str] = (),
                 cp: Any | None = None) -> list[tuple[_engine.Decision, str | None]]:
    """A pull request ``event`` (OPEN, UPDATED, CLOSED) into the branch ``into``."""
    return _fire(_engine.GitEvent("pullRequest", branch=into, files=tuple(files), pr_event=event), cp)
