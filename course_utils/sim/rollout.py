"""Roll an ECS service in the sandbox to a new task definition revision, step by step.

On AWS, ``UpdateService`` with a new ``taskDefinition`` starts a rolling update that the service
scheduler carries out within the service's ``deploymentConfiguration`` (``minimumHealthyPercent``,
``maximumPercent``, ``deploymentCircuitBreaker``); a failed deployment with ``rollback`` on returns the
service to the last completed deployment. moto 5.2.5 records the update but starts and stops no
task: :func:`update_service` sends the real ``UpdateService`` call, reads the service back with
``DescribeServices`` and runs :mod:`course_utils.rules.rollout` on it; after a rollback it points the
service back at the previous revision, as ECS does.
"""

from __future__ import annotations

from typing import Any

import boto3

from ..rules import rollout as _engine
from ..rules.rollout import *  # noqa: F401,F403 (the engine, for the notebooks)

__all__ = [*_engine.__all__, "update_service", "DEFAULT_DEPLOYMENT_CONFIGURATION"]

#: What ECS uses for a replica service when ``deploymentConfiguration`` is not given.
DEFAULT_DEPLOYMENT_CONFIGURATION: dict[str, Any] = {"minimumHealthyPercent": 100, "maximumPercent": 200}


def _revision(task_definition: str) -> str:
    return task_definition.rsplit("/", 1)[-1]


def _describe(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    found = ecs.describe_services(cluster=cluster, services=[service])
    if not found["services"]:
        raise ValueError(f"no service {service!r} in cluster {cluster!r}: {found.get('failures')}")
    return found["services"][0]


def update_service(cluster: str, service: str, task_definition: str, *, healthy: bool = True,
                   deployment_configuration: dict[str, Any] | None = None, max_steps: int = 8, ecs: Any = None) -> _engine.Rollout:
    """Deploy ``task_definition`` to ``service`` with ``UpdateService`` and simulate the rolling
    update; ``healthy`` says whether the new revision's tasks pass their health checks (what the
    sandbox cannot run). The service's own ``deploymentConfiguration`` is used (the one passed here
    is sent with the update), else ECS's defaults."""
    ecs = ecs or boto3.client("ecs")
    before = _describe(ecs, cluster, service)
    previous = _revision(before["taskDefinition"])
    extra = {"deploymentConfiguration": deployment_configuration} if deployment_configuration else {}
    ecs.update_service(cluster=cluster, service=service, taskDefinition=task_definition, **extra)
    after = _describe(ecs, cluster, service)
    config = {**DEFAULT_DEPLOYMENT_CONFIGURATION, **(after.get("deploymentConfiguration") or {})}
    target = _revision(after["taskDefinition"])
    result = _engine.ecs_rollout(after["desiredCount"], minimum_healthy_percent=config["minimumHealthyPercent"],
                                 maximum_percent=config["maximumPercent"], healthy=healthy,
                                 circuit_breaker=config.get("deploymentCircuitBreaker"), max_steps=max_steps,
                                 labels=(previous, target))
    if result.rolled_back:  # ECS returns the service to the last completed deployment
        ecs.update_service(cluster=cluster, service=service, taskDefinition=previous)
    result.meta.update(service=service, previous=previous, target=target,
                       running=_revision(_describe(ecs, cluster, service)["taskDefinition"]), deploymentConfiguration=config)
    return result
