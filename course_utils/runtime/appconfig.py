"""AWS AppConfig's control plane beyond moto: environments, deployment strategies, deployments.

AWS (AppConfig API reference and user guide):

* ``CreateEnvironment`` (name, optional CloudWatch alarm ``Monitors``), ``CreateDeploymentStrategy``
  (``DeploymentDurationInMinutes``, ``GrowthFactor``, ``GrowthType``, ``FinalBakeTimeInMinutes``)
  and the predefined strategies ``AppConfig.*`` (:data:`course_utils.rules.appconfig_deploy.PREDEFINED`).
* ``StartDeployment`` runs the profile's **validators** first: ``JSON_SCHEMA`` validators (free-form
  profiles) and ``LAMBDA`` validators (invoked with ``applicationId``, ``configurationProfileId``,
  ``configurationVersion``, base64 ``content`` and ``uri``; a function error fails the validation,
  https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-validators.html).
  The deployment then grows over time by its strategy, bakes, and completes; an environment alarm in
  ``ALARM`` or ``INSUFFICIENT_DATA`` while it deploys or bakes rolls it back, unless the alarm's
  actions are disabled; ``StopDeployment`` rolls back an unfinished deployment, and with
  ``AllowRevert`` reverts a completed one
  (https://docs.aws.amazon.com/appconfig/latest/userguide/monitoring-deployments.html).

Simulated: moto 5.2.5 stores applications, profiles and hosted versions only; this module adds
the rest to moto's response class, computes progress from the clock (freezegun time travel) with
:mod:`course_utils.rules.appconfig_deploy`, and serves only hosted configurations; a failed
validation is ``BadRequestException`` (Reason ``InvalidConfiguration``) with our own wording.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from ..rules import appconfig_deploy as engine
from .moto_adapter import JsonRESTError, alarm_states, appconfig_backend, backend_state, lambda_backend

__all__ = [
    "create_environment", "get_environment", "list_environments", "create_deployment_strategy",
    "get_deployment_strategy", "list_deployment_strategies", "start_deployment", "get_deployment",
    "list_deployments", "stop_deployment", "wrap_urls", "state_of", "served_version",
    "BadRequestException", "ResourceNotFoundException",
]

FEATURE_FLAGS = "AWS.AppConfig.FeatureFlags"


class BadRequestException(JsonRESTError):
    code = 400

    def __init__(self, message: str, details: list[dict[str, str]] | None = None) -> None:
        super().__init__("BadRequestException", message)
        if details is not None:
            self.description = json.dumps({"__type": "BadRequestException", "message": message, "Message": message,
                                           "Reason": "InvalidConfiguration", "Details": {"InvalidConfiguration": details}})


class ResourceNotFoundException(JsonRESTError):
    code = 404

    def __init__(self, message: str, resource: str) -> None:
        super().__init__("ResourceNotFoundException", message)
        self.description = json.dumps({"__type": "ResourceNotFoundException", "message": message, "ResourceName": resource})


# --- routes: moto's url table stops at hosted configuration versions ---------------------------------


def wrap_urls(original: Any) -> property:
    """``AppConfigBackend.urls``: add the environment, deployment and strategy paths to moto's table."""

    def urls(self: Any) -> dict[str, Any]:
        table = dict(original.__get__(self))
        for key, handler in list(table.items()):
            if key.endswith("/applications$"):
                base = key[: -len("/applications$")]
                table[base + "/applications/(?P<app_id>[^/]+)/environments(/.*)?$"] = handler
                table[base + "/deploymentstrategies(/.*)?$"] = handler
        return table

    return property(urls)


# --- state kept on moto's backend (a sandbox reset wipes it) ------------------------------------------


def state_of(account_id: str, region: str) -> dict[str, Any]:
    """Environments, strategies, deployments and data-plane sessions of an account and Region."""
    state = backend_state(appconfig_backend(account_id, region), "appconfig")
    for key in ("environments", "strategies", "deployments", "sessions"):
        state.setdefault(key, {})
    return state


def _state(response: Any) -> dict[str, Any]:
    return state_of(response.current_account, response.region)


def _new_id() -> str:
    return uuid.uuid4().hex[:7]


def _iso(epoch: float | None) -> str | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, timezone.utc).isoformat()


def _created(body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    return 201, {"Content-Type": "application/json"}, json.dumps(body)


def _application(response: Any, app_id: str) -> Any:
    app = appconfig_backend(response.current_account, response.region).applications.get(app_id)
    if app is None:
        raise ResourceNotFoundException(f"Application {app_id} not found", "Application")
    return app


def _environment(response: Any, app_id: str, env_id: str) -> dict[str, Any]:
    _application(response, app_id)
    env = _state(response)["environments"].get(app_id, {}).get(env_id)
    if env is None:
        raise ResourceNotFoundException(f"Environment {env_id} not found", "Environment")
    return env


# --- environments ---------------------------------------------------------------------------------------


def create_environment(self: Any) -> tuple[int, dict[str, str], str]:
    """``CreateEnvironment``."""
    app_id = self._get_param("ApplicationId")
    _application(self, app_id)
    env = {"ApplicationId": app_id, "Id": _new_id(), "Name": self._get_param("Name"),
           "Description": self._get_param("Description") or "", "Monitors": self._get_param("Monitors") or []}
    _state(self)["environments"].setdefault(app_id, {})[env["Id"]] = env
    return _created(_environment_json(self, env))


def _environment_json(response: Any, env: dict[str, Any]) -> dict[str, Any]:
    deployments = _state(response)["deployments"].get((env["ApplicationId"], env["Id"]), [])
    state = "READY_FOR_DEPLOYMENT"
    if deployments:
        latest = _refresh(response, env, deployments[-1])
        state = {"DEPLOYING": "DEPLOYING", "BAKING": "DEPLOYING", "ROLLED_BACK": "ROLLED_BACK",
                 "REVERTED": "REVERTED"}.get(latest.state, "READY_FOR_DEPLOYMENT")
    return {**env, "State": state}


def get_environment(self: Any) -> str:
    """``GetEnvironment``: the state follows the latest deployment."""
    env = _environment(self, self._get_param("ApplicationId"), self._get_param("EnvironmentId"))
    return json.dumps(_environment_json(self, env))


def list_environments(self: Any) -> str:
    """``ListEnvironments``."""
    app_id = self._get_param("ApplicationId")
    _application(self, app_id)
    envs = _state(self)["environments"].get(app_id, {}).values()
    return json.dumps({"Items": [_environment_json(self, e) for e in envs]})


# --- deployment strategies ----------------------------------------------------------------------------


def _strategy_json(strategy_id: str, name: str, s: engine.Strategy, description: str = "") -> dict[str, Any]:
    return {"Id": strategy_id, "Name": name, "Description": description,
            "DeploymentDurationInMinutes": int(s.duration_minutes), "GrowthType": s.growth_type,
            "GrowthFactor": float(s.growth_factor), "FinalBakeTimeInMinutes": int(s.final_bake_minutes),
            "ReplicateTo": "NONE"}


def create_deployment_strategy(self: Any) -> tuple[int, dict[str, str], str]:
    """``CreateDeploymentStrategy``."""
    strategy = engine.Strategy(self._get_param("DeploymentDurationInMinutes"), self._get_param("GrowthFactor"),
                               self._get_param("GrowthType") or "LINEAR", self._get_param("FinalBakeTimeInMinutes") or 0)
    problems = engine.validate(strategy)
    if problems:
        raise BadRequestException("; ".join(problems))
    body = _strategy_json(_new_id(), self._get_param("Name"), strategy, self._get_param("Description") or "")
    _state(self)["strategies"][body["Id"]] = body
    return _created(body)


def _strategy(response: Any, strategy_id: str) -> tuple[dict[str, Any], engine.Strategy]:
    if strategy_id in engine.PREDEFINED:
        s = engine.PREDEFINED[strategy_id]
        return _strategy_json(strategy_id, strategy_id, s), s
    body = _state(response)["strategies"].get(strategy_id)
    if body is None:
        raise ResourceNotFoundException(f"Deployment strategy {strategy_id} not found", "DeploymentStrategy")
    return body, engine.Strategy(body["DeploymentDurationInMinutes"], body["GrowthFactor"], body["GrowthType"],
                                 body["FinalBakeTimeInMinutes"])


def get_deployment_strategy(self: Any) -> str:
    """``GetDeploymentStrategy`` (own strategies and the predefined ``AppConfig.*`` ones)."""
    return json.dumps(_strategy(self, self._get_param("DeploymentStrategyId"))[0])


def list_deployment_strategies(self: Any) -> str:
    """``ListDeploymentStrategies``: the predefined strategies, then the account's own."""
    predefined = [_strategy_json(i, i, s) for i, s in engine.PREDEFINED.items()]
    return json.dumps({"Items": predefined + list(_state(self)["strategies"].values())})


# --- validators -----------------------------------------------------------------------------------------


def _check_feature_flags(content: Any) -> list[dict[str, str]]:
    """The main rules of AppConfig's AWS.AppConfig.FeatureFlags schema: version "1", every value a defined flag."""
    problems = []
    if not isinstance(content, dict) or content.get("version") != "1":
        problems.append({"Location": "version", "Reason": 'must be "1"', "Type": "FeatureFlags"})
        return problems
    flags, values = content.get("flags") or {}, content.get("values") or {}
    for name, value in values.items():
        if name not in flags:
            problems.append({"Location": f"values.{name}", "Reason": "value of a flag that is not defined", "Type": "FeatureFlags"})
        elif not isinstance(value.get("enabled", False), bool):
            problems.append({"Location": f"values.{name}.enabled", "Reason": "must be a boolean", "Type": "FeatureFlags"})
    return problems


def _validate(response: Any, app_id: str, profile: Any, version: Any) -> None:
    raw = version.content if isinstance(version.content, bytes) else str(version.content).encode()
    problems: list[dict[str, str]] = []
    try:
        content = json.loads(raw) if "json" in (version.content_type or "") or profile._type == FEATURE_FLAGS else None
    except ValueError:
        raise BadRequestException("Configuration content is not valid JSON",
                                  [{"Reason": "not valid JSON", "Type": "JSON"}]) from None
    if profile._type == FEATURE_FLAGS:
        problems += _check_feature_flags(content)
    for validator in profile.validators or []:
        if validator.get("Type") == "JSON_SCHEMA":
            import jsonschema

            schema = json.loads(validator.get("Content") or "{}")
            for error in jsonschema.Draft7Validator(schema).iter_errors(content):
                problems.append({"Constraint": str(error.validator), "Location": "/".join(map(str, error.path)) or "$",
                                 "Reason": error.message, "Type": "JSON_SCHEMA"})
        elif validator.get("Type") == "LAMBDA":
            event = {"applicationId": app_id, "configurationProfileId": profile.id,
                     "configurationVersion": str(version.version), "content": base64.b64encode(raw).decode(),
                     "uri": profile.location_uri}
            headers: dict[str, str] = {}
            payload = lambda_backend(response.current_account, response.region).invoke(
                validator["Content"], None, json.dumps(event), {}, headers)
            if headers.get("x-amz-function-error"):
                reason = json.loads(payload or b"{}").get("errorMessage", "the validator raised an error")
                problems.append({"Location": validator["Content"], "Reason": reason, "Type": "LAMBDA"})
    if problems:
        raise BadRequestException("Configuration failed validation", problems)


# --- deployments ----------------------------------------------------------------------------------------


def _refresh(response: Any, env: dict[str, Any], dep: dict[str, Any]) -> engine.Progress:
    """The deployment's progress now; an alarm that fired while it deployed or baked rolls it back."""
    strategy: engine.Strategy = dep["_strategy"]
    now = time.time()
    elapsed = (now - dep["_started"]) / 60
    if dep["_rolled_back_at"] is None and not dep["_reverted"] and env["Monitors"]:
        states = alarm_states(response.current_account, response.region)
        for monitor in env["Monitors"]:
            state, actions, since = states.get(monitor["AlarmArn"], ("OK", True, now))
            fired = max(0.0, (since - dep["_started"]) / 60)
            if state in ("ALARM", "INSUFFICIENT_DATA") and actions and fired <= elapsed and engine.monitored(strategy, fired):
                dep["_rolled_back_at"], dep["_rolled_back_by"] = fired, "CLOUDWATCH_ALARM"
                break
    progress = engine.progress(strategy, elapsed, rolled_back_at=dep["_rolled_back_at"], rolled_back_by=dep["_rolled_back_by"])
    if dep["_reverted"]:
        return engine.Progress("REVERTED", progress.percentage, progress.events, progress.completed_minute)
    return progress


def _deployment_json(response: Any, env: dict[str, Any], dep: dict[str, Any]) -> dict[str, Any]:
    progress = _refresh(response, env, dep)
    start = dep["_started"]
    events = [{"EventType": e.type, "TriggeredBy": e.triggered_by, "Description": e.description,
               "OccurredAt": _iso(start + e.minute * 60)} for e in reversed(progress.events)]
    done = None if progress.completed_minute is None else start + progress.completed_minute * 60
    public = {k: v for k, v in dep.items() if not k.startswith("_")}
    return {**public, "State": progress.state, "PercentageComplete": progress.percentage, "EventLog": events,
            "StartedAt": _iso(start), "CompletedAt": _iso(done)}


def start_deployment(self: Any) -> tuple[int, dict[str, str], str]:
    """``StartDeployment``: validate the version, then deploy it by the strategy."""
    app_id, env_id = self._get_param("ApplicationId"), self._get_param("EnvironmentId")
    env = _environment(self, app_id, env_id)
    strategy_body, strategy = _strategy(self, self._get_param("DeploymentStrategyId"))
    profile = _application(self, app_id).config_profiles.get(self._get_param("ConfigurationProfileId"))
    if profile is None:
        raise ResourceNotFoundException("ConfigurationProfile not found", "ConfigurationProfile")
    number = str(self._get_param("ConfigurationVersion"))
    version = profile.config_versions.get(int(number)) if number.isdigit() else None
    if version is None:
        raise ResourceNotFoundException(f"Configuration version {number} not found", "Configuration")
    _validate(self, app_id, profile, version)
    deployments = _state(self)["deployments"].setdefault((app_id, env_id), [])
    dep = {"ApplicationId": app_id, "EnvironmentId": env_id, "DeploymentStrategyId": strategy_body["Id"],
           "ConfigurationProfileId": profile.id, "DeploymentNumber": len(deployments) + 1,
           "ConfigurationName": profile.name, "ConfigurationLocationUri": profile.location_uri,
           "ConfigurationVersion": number, "Description": self._get_param("Description") or "",
           "DeploymentDurationInMinutes": strategy_body["DeploymentDurationInMinutes"],
           "GrowthType": strategy_body["GrowthType"], "GrowthFactor": strategy_body["GrowthFactor"],
           "FinalBakeTimeInMinutes": strategy_body["FinalBakeTimeInMinutes"], "VersionLabel": version.version_label,
           "_strategy": strategy, "_started": time.time(), "_rolled_back_at": None, "_rolled_back_by": "USER",
           "_reverted": False}
    deployments.append(dep)
    return _created(_deployment_json(self, env, dep))


def _deployment(response: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    env = _environment(response, response._get_param("ApplicationId"), response._get_param("EnvironmentId"))
    number = int(response._get_param("DeploymentNumber"))
    deployments = _state(response)["deployments"].get((env["ApplicationId"], env["Id"]), [])
    if not 1 <= number <= len(deployments):
        raise ResourceNotFoundException(f"Deployment number {number} not found", "Deployment")
    return env, deployments[number - 1]


def get_deployment(self: Any) -> str:
    """``GetDeployment``: state, percentage and event log as of now."""
    env, dep = _deployment(self)
    return json.dumps(_deployment_json(self, env, dep))


def list_deployments(self: Any) -> str:
    """``ListDeployments``: newest first."""
    env = _environment(self, self._get_param("ApplicationId"), self._get_param("EnvironmentId"))
    items = []
    for dep in reversed(_state(self)["deployments"].get((env["ApplicationId"], env["Id"]), [])):
        body = _deployment_json(self, env, dep)
        items.append({k: body[k] for k in ("DeploymentNumber", "ConfigurationName", "ConfigurationVersion",
                                           "DeploymentDurationInMinutes", "GrowthType", "GrowthFactor",
                                           "FinalBakeTimeInMinutes", "State", "PercentageComplete", "StartedAt",
                                           "CompletedAt", "VersionLabel")})
    return json.dumps({"Items": items})


def stop_deployment(self: Any) -> tuple[int, dict[str, str], str]:
    """``StopDeployment``: roll back an unfinished deployment; ``Allow-Revert`` reverts a completed one."""
    env, dep = _deployment(self)
    progress = _refresh(self, env, dep)
    if progress.state in ("DEPLOYING", "BAKING"):
        dep["_rolled_back_at"], dep["_rolled_back_by"] = (time.time() - dep["_started"]) / 60, "USER"
    elif progress.state == "COMPLETE" and str(self.headers.get("Allow-Revert", "")).lower() == "true":
        dep["_reverted"] = True
    return 202, {"Content-Type": "application/json"}, json.dumps(_deployment_json(self, env, dep))


# --- what a client of the environment receives (appconfig_data.py) ------------------------------------


def served_version(account_id: str, region: str, app_id: str, env_id: str, profile_id: str,
                   bucket: int) -> tuple[Any, Any] | None:
    """(profile, hosted version) a target in ``bucket`` (0-99) receives now, or None if nothing is deployed."""
    backend = appconfig_backend(account_id, region)
    profile = backend.applications[app_id].config_profiles[profile_id]
    env = state_of(account_id, region)["environments"][app_id][env_id]
    served = None
    for dep in state_of(account_id, region)["deployments"].get((app_id, env_id), []):
        if dep["ConfigurationProfileId"] != profile_id:
            continue
        progress = _refresh(_Caller(account_id, region), env, dep)
        if progress.state in ("ROLLED_BACK", "REVERTED"):
            continue
        if engine.sees_new_version(bucket, progress.percentage):
            served = profile.config_versions.get(int(dep["ConfigurationVersion"]))
    return None if served is None else (profile, served)


class _Caller:
    """The account and Region of a data-plane call, in the shape :func:`_refresh` reads."""

    def __init__(self, account_id: str, region: str) -> None:
        self.current_account, self.region = account_id, region
