"""Retry modes and backoff; real boto3 retries against injected throttling."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from course_utils.sim import retry


def test_documented_defaults():
    assert retry.max_attempts("legacy") == 5
    assert retry.max_attempts("standard") == 3 and retry.max_attempts("adaptive") == 3
    assert retry.backoff("standard", 1, 0.5) == 0.5
    assert retry.backoff("standard", 10, 1.0) == 20.0  # capped
    assert retry.backoff("standard", 1, 1.0, throttling=False) == 0.05
    assert retry.backoff("legacy", 3, 0.0, service="dynamodb") == 0.2
    with pytest.raises(ValueError, match="retry mode"):
        retry.max_attempts("aggressive")


def test_defaults_match_installed_botocore(monkeypatch):
    from botocore.retries import standard

    monkeypatch.delenv("AWS_RETRY_MODE", raising=False)
    client = boto3.client("dynamodb", region_name="us-east-1")
    assert client.meta.config.retries["mode"] == "standard"  # boto3's default since July 2025
    assert retry.max_attempts("standard") == standard.DEFAULT_MAX_ATTEMPTS
    assert retry.max_attempts("standard", "dynamodb") == 4 == standard._SERVICE_MAX_ATTEMPTS["dynamodb"]


def test_fleet_without_jitter_retries_in_lockstep():
    lockstep = retry.simulate_fleet(clients=20, capacity_per_second=5, jitter=False, attempts=5)
    jittered = retry.simulate_fleet(clients=20, capacity_per_second=5, jitter=True, attempts=5)
    times = {round(a.time, 6) for a in lockstep.attempts if a.number == 2}
    assert len(times) == 1  # every throttled client retries at the same instant
    assert len({round(a.time, 6) for a in jittered.attempts if a.number == 2}) > 5
    assert lockstep.succeeded + lockstep.gave_up == 20 and jittered.succeeded + jittered.gave_up == 20


@pytest.fixture
def table(aws):
    ddb = boto3.client("dynamodb")
    ddb.create_table(TableName="Hot", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")  # fmt: skip
    return "Hot"


def test_real_sdk_standard_mode_recovers_from_two_throttles(table):
    ddb = boto3.client("dynamodb", config=Config(retries={"mode": "standard"}))
    with retry.inject(ddb, "GetItem", failures=2) as rec:
        resp = ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert resp["ResponseMetadata"]["RetryAttempts"] == 2
    assert rec.calls == 3 and rec.injected == 2 and len(rec.delays) == 2
    assert all(0 <= d <= 2 for d in rec.delays)


def test_real_sdk_gives_up_after_max_attempts(table):
    ddb = boto3.client("dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 2}))
    with retry.inject(ddb, "GetItem", failures=10) as rec:
        with pytest.raises(ClientError) as err:
            ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})
    assert err.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert rec.calls == 3  # max_attempts in Config counts retries: 1 + 2
    # After the block the client reaches the sandbox again.
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["ResponseMetadata"]["RetryAttempts"] == 0


def test_inject_rejects_unknown_operation_and_adaptive(table):
    ddb = boto3.client("dynamodb")
    with pytest.raises(ValueError, match="not an operation"):
        with retry.inject(ddb, "Nope", 1):
            pass
    adaptive = boto3.client("dynamodb", config=Config(retries={"mode": "adaptive"}))
    with pytest.raises(ValueError, match="real time"):
        with retry.inject(adaptive, "GetItem", 1):
            pass


def test_fleet_chart_tells_accepted_from_throttled_by_marker_too():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from course_utils.rules import retry as rules_retry

    runs = [rules_retry.simulate_fleet(clients=20, capacity_per_second=5, jitter=j, attempts=3) for j in (False, True)]
    fig, ax = plt.subplots(figsize=(9, 2.8))
    try:
        rules_retry.plot_fleet(runs, ax=ax)
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == ["accepted", "throttled"]
        paths = [h.get_paths()[0].vertices.tolist() for h in legend.legend_handles]
        assert paths[0] != paths[1]  # a dot and a cross: not colour alone
        assert "green" not in ax.get_xlabel()
    finally:
        plt.close(fig)
