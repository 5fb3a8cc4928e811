"""The sandbox: fake credentials, the learner's own AWS setup ignored, nothing leaves the machine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests

from course_utils import netguard, sandbox
from course_utils.awscli_magic import AwsCliRefused, run_aws, split_commands

HERE = Path(__file__).resolve().parent
REAL_LOOKING = {
    "AWS_ACCESS_KEY_ID": "AKIAZ7QWERTYUIOPASDF",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEJr//////////wEaDEXAMPLETOKEN",
    "AWS_PROFILE": "work",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_ENDPOINT_URL": "https://aws-proxy.corp.example.com",
    "AWS_ENDPOINT_URL_S3": "https://s3-proxy.corp.example.com",
}


def _learner_home(tmp_path: Path) -> dict[str, str]:
    """A home folder with real-looking credentials and config files, as a learner would have."""
    aws_dir = tmp_path / "home" / ".aws"
    aws_dir.mkdir(parents=True)
    (aws_dir / "credentials").write_text(
        "[default]\naws_access_key_id = AKIAZ7DEFAULTDEFAULT\naws_secret_access_key = abcdefghijklmnopqrstuvwxyz0123456789ABCD\n"
        "[work]\naws_access_key_id = AKIAZ7WORKWORKWORKWO\naws_secret_access_key = ABCDabcdefghijklmnopqrstuvwxyz0123456789\n"
    )
    (aws_dir / "config").write_text(
        "[default]\nregion = ap-southeast-2\nendpoint_url = https://default-proxy.corp.example.com\n"
        "[profile work]\nregion = eu-central-1\ncredential_process = /bin/false\n"
    )
    return {
        "HOME": str(tmp_path / "home"),
        "AWS_CONFIG_FILE": str(aws_dir / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(aws_dir / "credentials"),
    }


def _run_child(mode: str, tmp_path: Path, netns: bool) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(REAL_LOOKING)
    env.update(_learner_home(tmp_path))
    cmd = [sys.executable, str(HERE / "netcheck_child.py"), mode]
    if netns:
        cmd = ["unshare", "--net", "--", *cmd]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _netns_available() -> bool:
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "--net", "true"], capture_output=True).returncode == 0


def test_recorder_sees_a_real_attempt(tmp_path):
    """Control: without the sandbox the same recorder catches boto3 trying to reach AWS."""
    out = _run_child("control", tmp_path, netns=False)
    assert out["attempts"], "the recorder failed to see boto3 reaching for the network"
    assert any("amazonaws.com" in a or "corp.example.com" in a for a in out["attempts"]), out["attempts"]


@pytest.mark.parametrize("netns", [False, True], ids=["host-network", "network-namespace"])
def test_no_request_leaves_the_machine(tmp_path, netns):
    if netns and not _netns_available():
        pytest.skip("unshare --net is not permitted here")
    out = _run_child("sandbox", tmp_path, netns=netns)
    assert out["attempts"] == [], f"non-local network attempts: {out['attempts']}"
    results = out["results"]
    assert results["access_key"] == "testing"  # not the learner's env keys, profile or files
    assert results["region"] == "us-east-1"
    assert results["account"] == sandbox.ACCOUNT_ID
    assert results["s3"] == "v" and results["dynamodb"] == "a"
    assert results["cli"] == "netcheck-bucket" and results["cli_rc"] == 0
    assert results["presigned"] == "v"


def test_start_is_idempotent_and_keeps_state(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="kept-bucket")
    again = sandbox.start(quiet=True)
    assert again.already_running
    assert "already running" in again.banner_text() and "no request leaves this machine" in again.banner_text()
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["kept-bucket"]


def test_reset_wipes_state_and_sandbox_keeps_working(aws):
    boto3.client("s3").create_bucket(Bucket="gone-bucket")
    sandbox.reset()
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    boto3.client("s3").create_bucket(Bucket="after-reset")  # still intercepted after the reset
    url = boto3.client("s3").generate_presigned_url("list_objects_v2", Params={"Bucket": "after-reset"})
    assert requests.get(url, timeout=5).status_code == 200


def test_environment_is_pinned(aws):
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert os.environ["AWS_ACCOUNT_ID_ENDPOINT_MODE"] == "disabled"
    assert os.environ["AWS_CONFIG_FILE"] == os.devnull
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"
    assert not any(k.startswith("AWS_ENDPOINT_URL") for k in os.environ)
    assert "AWS_PROFILE" not in os.environ


def test_stop_restores_the_learners_environment():
    sandbox.stop()  # the session fixture may have started it
    before = dict(os.environ)
    os.environ.update(AWS_PROFILE="work", AWS_DEFAULT_REGION="eu-west-1")
    try:
        sandbox.start(quiet=True)
        assert "AWS_PROFILE" not in os.environ and os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
        sandbox.stop()
        assert os.environ["AWS_PROFILE"] == "work" and os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert not netguard.is_enabled()
    finally:
        os.environ.clear()
        os.environ.update(before)
        sandbox.start(quiet=True)  # leave it running for the rest of the session


def test_guard_blocks_direct_connections(aws):
    with pytest.raises(requests.ConnectionError, match="blocked a network connection"):
        requests.get("https://example.com/", timeout=3)
    assert any(a.target.startswith("example.com") for a in netguard.blocked_attempts())


def test_dynamodb_streams_work(aws):
    """AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled is what makes Streams calls succeed under moto."""
    ddb = boto3.client("dynamodb")
    table = ddb.create_table(
        TableName="streamed", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]  # fmt: skip
    streams = boto3.client("dynamodbstreams")
    shards = streams.describe_stream(StreamArn=table["LatestStreamArn"])["StreamDescription"]["Shards"]
    assert shards


def test_step_functions_execute_states(aws):
    sfn = boto3.client("stepfunctions")
    definition = {"StartAt": "Hello", "States": {"Hello": {"Type": "Pass", "Result": {"hi": 1}, "End": True}}}
    arn = sfn.create_state_machine(name="m", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/r")["stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    for _ in range(200):  # moto executes the states in a background thread
        desc = sfn.describe_execution(executionArn=run)
        if desc["status"] != "RUNNING":
            break
        time.sleep(0.05)
    assert desc["status"] == "SUCCEEDED" and json.loads(desc["output"]) == {"hi": 1}


# --- %aws magic ---------------------------------------------------------------------------


def test_cli_and_boto3_share_state(aws):
    boto3.client("dynamodb").create_table(
        TableName="Sessions", KeySchema=[{"AttributeName": "SessionID", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "SessionID", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    out = run_aws("dynamodb list-tables")
    assert out.returncode == 0
    assert json.loads(out.stdout)["TableNames"] == boto3.client("dynamodb").list_tables()["TableNames"] == ["Sessions"]


def test_seed_blueprint_runs_through_the_cell_magic(aws, capsys):
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    sandbox.start(quiet=True)  # registers %aws in this IPython shell
    from course_utils import awscli_magic

    awscli_magic.load_ipython_extension(shell)
    shell.run_cell_magic(
        "aws",
        "",
        "# the drill's blueprint, verbatim shape\n"
        "aws dynamodb create-table \\\n"
        "  --table-name SessionStore \\\n"
        "  --attribute-definitions AttributeName=SessionID,AttributeType=S \\\n"
        "  --key-schema AttributeName=SessionID,KeyType=HASH \\\n"
        "  --provisioned-throughput ReadCapacityUnits=5,WriteCapacityUnits=5\n",
    )
    printed = json.loads(capsys.readouterr().out)
    table = boto3.client("dynamodb").describe_table(TableName="SessionStore")["Table"]
    assert printed["TableDescription"]["TableArn"] == table["TableArn"]
    assert table["ProvisionedThroughput"]["ReadCapacityUnits"] == 5


def test_cli_errors_are_the_clis_own(aws):
    out = run_aws(["dynamodb", "describe-table", "--table-name", "missing"])
    assert out.returncode != 0 and "ResourceNotFoundException" in out.stderr


@pytest.mark.parametrize("argv", [["s3", "ls", "--endpoint-url", "https://x"], ["s3", "ls", "--profile=work"], ["s3", "help"]])
def test_cli_refuses_escapes(aws, argv):
    with pytest.raises(AwsCliRefused):
        run_aws(argv)


def test_cli_needs_the_sandbox():
    sandbox.stop()
    try:
        with pytest.raises(AwsCliRefused, match="not running"):
            run_aws("s3 ls")
    finally:
        sandbox.start(quiet=True)


def test_split_commands_handles_continuations_and_comments():
    text = "# make it\naws sqs create-queue \\\n  --queue-name a\n\nsqs list-queues  # inline comment\n"
    assert split_commands(text) == [["sqs", "create-queue", "--queue-name", "a"], ["sqs", "list-queues"]]


def test_import_has_no_side_effects():
    code = (
        "import os, sys, json; before = dict(os.environ); import course_utils; "
        "print(json.dumps({'env_changed': dict(os.environ) != before, 'moto': 'moto' in sys.modules, "
        "'boto3': 'boto3' in sys.modules, 'running': course_utils.sandbox.is_running()}))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert json.loads(proc.stdout) == {"env_changed": False, "moto": False, "boto3": False, "running": False}


def test_starting_in_a_notebook_gives_every_figure_alt_text(monkeypatch):
    """In an IPython shell, the sandbox registers the figure formatters (by name), so every course chart
    shows as an <img> with alt text."""
    from IPython.core.interactiveshell import InteractiveShell

    from course_utils import sandbox
    from course_utils.rules import figures

    shell = InteractiveShell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    monkeypatch.setattr(figures, "_installed", False)
    sandbox._register_magic()
    html = shell.display_formatter.formatters["text/html"]
    assert html.deferred_printers.get(("matplotlib.figure", "Figure")) is figures.html_img \
        or html.lookup_by_type("matplotlib.figure.Figure") is figures.html_img
