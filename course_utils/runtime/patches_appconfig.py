"""The moto internals replaced, wrapped or added for AWS AppConfig and AppConfig Data: a table, data only.

moto 5.2.5 stores AppConfig applications, configuration profiles and hosted configuration
versions; environments, deployment strategies and deployments are added to its response class
(:mod:`.appconfig`), their paths to its URL table, and the AppConfig Data endpoint, which moto
does not serve at all, is answered in front of moto's request router (:mod:`.appconfig_data`).
Appended to :data:`course_utils.runtime.patches.REPLACED`; see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["APPCONFIG", "APPCONFIG_USED"]

_R = "moto.appconfig.responses.AppConfigResponse"
_M = "moto.appconfig.models"
_W = "moto.cloudwatch.models"

_ADDED = (
    ("create_environment", "CreateEnvironment: keep the environment and its alarm monitors"),
    ("get_environment", "GetEnvironment: state from the latest deployment"),
    ("list_environments", "ListEnvironments"),
    ("create_deployment_strategy", "CreateDeploymentStrategy: check the ranges, keep the strategy"),
    ("get_deployment_strategy", "GetDeploymentStrategy, predefined AppConfig.* strategies included"),
    ("list_deployment_strategies", "ListDeploymentStrategies, predefined ones first"),
    ("start_deployment", "StartDeployment: run the validators, then deploy by the strategy over time"),
    ("get_deployment", "GetDeployment: progress as of now (time travel), alarm rollback"),
    ("list_deployments", "ListDeployments"),
    ("stop_deployment", "StopDeployment: roll back, or revert a completed deployment (Allow-Revert)"),
)

APPCONFIG: tuple[PatchPoint, ...] = tuple(
    PatchPoint(f"{_R}.{name}", "add", None, f"moto 5.2.5 lacks it; {why}", f"appconfig:{name}") for name, why in _ADDED
) + (
    PatchPoint(f"{_M}.AppConfigBackend.urls", "wrap", None,
               "moto's URL table stops at hosted configuration versions: add the environments, deployments "
               "and deployment strategies paths so moto dispatches them to its response class", "appconfig:wrap_urls"),
    PatchPoint("moto.core.botocore_stubber.BotocoreStubber.process_request", "wrap", ("self", "request"),
               "moto has no AppConfig Data service (it answers 404 'Not yet implemented'): answer "
               "StartConfigurationSession and GetLatestConfiguration first", "appconfig_data:wrap_process_request"),
)

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
APPCONFIG_USED: tuple[PatchPoint, ...] = (
    PatchPoint(f"{_M}:appconfig_backends", "use", None, "the AppConfig backend of an account and Region"),
    PatchPoint(f"{_M}:AppConfigBackend.applications", "read", (), "applications by id", set_in=("__init__",)),
    PatchPoint(f"{_M}:Application.config_profiles", "read", (), "an application's profiles", set_in=("__init__",)),
    PatchPoint(f"{_M}:Application.name", "read", (), "sessions name applications by id or name", set_in=("__init__",)),
    PatchPoint(f"{_M}:ConfigurationProfile.config_versions", "read", (), "hosted versions by number",
               set_in=("__init__",)),
    PatchPoint(f"{_M}:ConfigurationProfile.validators", "read", (), "validators run by StartDeployment",
               set_in=("__init__",)),
    PatchPoint(f"{_M}:ConfigurationProfile._type", "read", (), "feature flags or freeform", set_in=("__init__",)),
    PatchPoint(f"{_M}:ConfigurationProfile.location_uri", "read", (), "the validator event's uri", set_in=("__init__",)),
    PatchPoint(f"{_M}:HostedConfigurationVersion.content", "read", (), "the configuration served", set_in=("__init__",)),
    PatchPoint(f"{_M}:HostedConfigurationVersion.content_type", "read", (), "Content-Type served", set_in=("__init__",)),
    PatchPoint(f"{_M}:HostedConfigurationVersion.version_label", "read", (), "Version-Label served",
               set_in=("__init__",)),
    PatchPoint(f"{_W}:cloudwatch_backends", "use", None, "environment monitors: the alarms' states"),
    PatchPoint(f"{_W}:CloudWatchBackend.alarms", "read", (), "alarms by name", set_in=("__init__",)),
    PatchPoint(f"{_W}:Alarm.alarm_arn", "read", (), "a monitor names its alarm by ARN", set_in=("__init__",)),
    PatchPoint(f"{_W}:Alarm.state_value", "read", (), "ALARM or INSUFFICIENT_DATA rolls back",
               set_in=("__init__", "update_state")),
    PatchPoint(f"{_W}:Alarm.actions_enabled", "read", (), "disabled actions: no rollback", set_in=("__init__",)),
    PatchPoint(f"{_W}:Alarm.state_updated_timestamp", "read", (), "when the alarm fired",
               set_in=("__init__", "update_state")),
)
