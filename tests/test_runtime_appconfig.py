"""AWS AppConfig in the sandbox: environments, strategies, validators, deployments over time, AppConfig Data."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

from tests.runtime_helpers import make_function

REGION = "us-east-1"
FLAGS = {"version": "1", "flags": {"checkout": {"name": "New checkout"}}, "values": {"checkout": {"enabled": False}}}
SCHEMA = {"type": "object", "properties": {"timeout": {"type": "integer", "minimum": 1}}, "required": ["timeout"]}


@pytest.fixture
def ac(aws):
    return boto3.client("appconfig", region_name=REGION)


@pytest.fixture
def data(aws):
    return boto3.client("appconfigdata", region_name=REGION)


def _setup(ac, *, profile_type="AWS.AppConfig.FeatureFlags", validators=(), monitors=()):
    app = ac.create_application(Name="shop")["Id"]
    env = ac.create_environment(ApplicationId=app, Name="prod", Monitors=list(monitors))["Id"]
    prof = ac.create_configuration_profile(ApplicationId=app, Name="cfg", LocationUri="hosted", Type=profile_type,
                                           Validators=list(validators))["Id"]
    return app, env, prof


def _version(ac, app, prof, body):
    return str(ac.create_hosted_configuration_version(ApplicationId=app, ConfigurationProfileId=prof,
                                                      Content=json.dumps(body).encode(),
                                                      ContentType="application/json")["VersionNumber"])


def _deploy(ac, app, env, prof, version, strategy="AppConfig.AllAtOnce"):
    return ac.start_deployment(ApplicationId=app, EnvironmentId=env, DeploymentStrategyId=strategy,
                               ConfigurationProfileId=prof, ConfigurationVersion=version)


def _read(data, token):
    r = data.get_latest_configuration(ConfigurationToken=token)
    return r["Configuration"].read(), r["NextPollConfigurationToken"]


def test_environments_and_strategies(ac):
    app, env, _ = _setup(ac)
    assert ac.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "READY_FOR_DEPLOYMENT"
    assert [e["Name"] for e in ac.list_environments(ApplicationId=app)["Items"]] == ["prod"]
    s = ac.create_deployment_strategy(Name="slow", DeploymentDurationInMinutes=10, GrowthFactor=25,
                                      GrowthType="EXPONENTIAL", FinalBakeTimeInMinutes=5)
    assert ac.get_deployment_strategy(DeploymentStrategyId=s["Id"])["GrowthType"] == "EXPONENTIAL"
    ids = [i["Id"] for i in ac.list_deployment_strategies()["Items"]]
    assert "AppConfig.Canary10Percent20Minutes" in ids and s["Id"] in ids
    with pytest.raises(ClientError) as err:
        ac.get_environment(ApplicationId=app, EnvironmentId="nope123")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_json_schema_validator_blocks_the_deployment(ac):
    app, env, prof = _setup(ac, profile_type="AWS.Freeform",
                            validators=[{"Type": "JSON_SCHEMA", "Content": json.dumps(SCHEMA)}])
    bad = _version(ac, app, prof, {"timeout": 0})
    with pytest.raises(ClientError) as err:
        _deploy(ac, app, env, prof, bad)
    response = err.value.response
    assert response["Error"]["Code"] == "BadRequestException" and response["Reason"] == "InvalidConfiguration"
    assert response["Details"]["InvalidConfiguration"][0]["Location"] == "timeout"
    assert _deploy(ac, app, env, prof, _version(ac, app, prof, {"timeout": 30}))["DeploymentNumber"] == 1


def test_feature_flags_are_checked(ac):
    app, env, prof = _setup(ac)
    bad = _version(ac, app, prof, {"version": "1", "flags": {}, "values": {"ghost": {"enabled": True}}})
    with pytest.raises(ClientError) as err:
        _deploy(ac, app, env, prof, bad)
    assert err.value.response["Details"]["InvalidConfiguration"][0]["Location"] == "values.ghost"


def test_lambda_validator_runs_the_function(ac):
    code = ("import base64, json\n"
            "def handler(event, context):\n"
            "    body = json.loads(base64.b64decode(event['content']))\n"
            "    if body.get('timeout', 0) > 60:\n"
            "        raise ValueError('timeout above 60 s')\n")
    arn = make_function("validate-cfg", code)["FunctionArn"]
    app, env, prof = _setup(ac, profile_type="AWS.Freeform", validators=[{"Type": "LAMBDA", "Content": arn}])
    with pytest.raises(ClientError) as err:
        _deploy(ac, app, env, prof, _version(ac, app, prof, {"timeout": 90}))
    assert err.value.response["Details"]["InvalidConfiguration"][0]["Reason"] == "timeout above 60 s"
    assert _deploy(ac, app, env, prof, _version(ac, app, prof, {"timeout": 30}))["State"] == "BAKING"


def test_a_linear_deployment_grows_bakes_and_completes(ac):
    app, env, prof = _setup(ac)
    v1 = _version(ac, app, prof, FLAGS)
    with freeze_time("2030-01-01 00:00:00") as clock:
        d = _deploy(ac, app, env, prof, v1, "AppConfig.Linear20PercentEvery6Minutes")
        assert (d["State"], d["PercentageComplete"]) == ("DEPLOYING", 0)
        assert ac.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "DEPLOYING"
        clock.tick(13 * 60)
        d = ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
        assert (d["State"], d["PercentageComplete"]) == ("DEPLOYING", 40)
        clock.tick(20 * 60)
        assert ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)["State"] == "BAKING"
        clock.tick(30 * 60)
        d = ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
        assert d["State"] == "COMPLETE" and d["EventLog"][0]["EventType"] == "DEPLOYMENT_COMPLETED"
        assert ac.list_deployments(ApplicationId=app, EnvironmentId=env)["Items"][0]["State"] == "COMPLETE"


def test_an_alarm_rolls_the_deployment_back(ac, data):
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="errors", MetricName="Errors", Namespace="Shop", Statistic="Sum", Period=60,
                        EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
    alarm = cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]["AlarmArn"]
    app, env, prof = _setup(ac, monitors=[{"AlarmArn": alarm}])
    v1 = _version(ac, app, prof, FLAGS)
    v2 = _version(ac, app, prof, {**FLAGS, "values": {"checkout": {"enabled": True}}})
    with freeze_time("2030-01-01 00:00:00") as clock:
        _deploy(ac, app, env, prof, v1)
        clock.tick(11 * 60)
        token = data.start_configuration_session(ApplicationIdentifier=app, EnvironmentIdentifier=env,
                                                 ConfigurationProfileIdentifier=prof)["InitialConfigurationToken"]
        body, token = _read(data, token)
        assert json.loads(body) == {"checkout": {"enabled": False}}
        _deploy(ac, app, env, prof, v2, "AppConfig.Linear50PercentEvery30Seconds")
        clock.tick(70)  # baking
        cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors")
        d = ac.get_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=2)
        assert d["State"] == "ROLLED_BACK" and d["EventLog"][0]["TriggeredBy"] == "CLOUDWATCH_ALARM"
        assert ac.get_environment(ApplicationId=app, EnvironmentId=env)["State"] == "ROLLED_BACK"
        body, token = _read(data, token)
        assert body == b""  # still on v1: nothing new


def test_stop_deployment_rolls_back(ac):
    app, env, prof = _setup(ac)
    with freeze_time("2030-01-01 00:00:00"):
        _deploy(ac, app, env, prof, _version(ac, app, prof, FLAGS), "AppConfig.Canary10Percent20Minutes")
        d = ac.stop_deployment(ApplicationId=app, EnvironmentId=env, DeploymentNumber=1)
        assert d["State"] == "ROLLED_BACK" and d["EventLog"][0]["TriggeredBy"] == "USER"


def test_sessions_by_name_empty_when_unchanged_and_tokens_used_once(ac, data):
    app, env, prof = _setup(ac, profile_type="AWS.Freeform")
    _deploy(ac, app, env, prof, _version(ac, app, prof, {"timeout": 5}))
    first = data.start_configuration_session(ApplicationIdentifier="shop", EnvironmentIdentifier="prod",
                                             ConfigurationProfileIdentifier="cfg")["InitialConfigurationToken"]
    r = data.get_latest_configuration(ConfigurationToken=first)
    assert json.loads(r["Configuration"].read()) == {"timeout": 5} and r["NextPollIntervalInSeconds"] == 60
    assert data.get_latest_configuration(ConfigurationToken=r["NextPollConfigurationToken"])["Configuration"].read() == b""
    with pytest.raises(ClientError) as err:
        data.get_latest_configuration(ConfigurationToken=first)
    assert err.value.response["Error"]["Code"] == "BadRequestException"
    with pytest.raises(ClientError) as err:
        data.start_configuration_session(ApplicationIdentifier="shop", EnvironmentIdentifier="nope",
                                         ConfigurationProfileIdentifier="cfg")
    assert err.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_tokens_expire_after_24_hours(ac, data):
    app, env, prof = _setup(ac, profile_type="AWS.Freeform")
    _deploy(ac, app, env, prof, _version(ac, app, prof, {"timeout": 5}))
    with freeze_time("2030-01-01 00:00:00") as clock:
        token = data.start_configuration_session(ApplicationIdentifier=app, EnvironmentIdentifier=env,
                                                 ConfigurationProfileIdentifier=prof)["InitialConfigurationToken"]
        clock.tick(25 * 3600)
        with pytest.raises(ClientError) as err:
            data.get_latest_configuration(ConfigurationToken=token)
        assert "expired" in err.value.response["Error"]["Message"]


def test_a_growing_deployment_reaches_part_of_the_clients(ac, data):
    app, env, prof = _setup(ac, profile_type="AWS.Freeform")
    _deploy(ac, app, env, prof, _version(ac, app, prof, {"v": 1}))
    v2 = _version(ac, app, prof, {"v": 2})
    with freeze_time("2030-01-01 00:00:00") as clock:
        _deploy(ac, app, env, prof, v2, "AppConfig.Linear50PercentEvery30Seconds")
        clock.tick(40)  # 50% of the targets

        def seen():
            token = data.start_configuration_session(ApplicationIdentifier=app, EnvironmentIdentifier=env,
                                                     ConfigurationProfileIdentifier=prof)["InitialConfigurationToken"]
            return json.loads(_read(data, token)[0])["v"]

        versions = [seen() for _ in range(40)]
        assert 0 < versions.count(2) < 40
        clock.tick(30)
        assert {seen() for _ in range(5)} == {2}
