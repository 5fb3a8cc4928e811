"""course_utils.testkit: handler modules, the Lambda context stand-in, a fresh account per test,
frozen time, the in-notebook pytest runner and its coverage report."""

from __future__ import annotations

import os
import sys
import textwrap
import types

import boto3
import pytest

from course_utils import testkit

HANDLER = '''
import json, os, time
import boto3

TABLE = os.environ.get("TABLE", "orders")
ddb = boto3.client("dynamodb")
COLD_STARTS = [time.time()]

def handler(event, context):
    order = json.loads(event.get("body") or "{}")
    if "id" not in order:
        return {"statusCode": 400, "body": json.dumps({"error": "id is required"})}
    ddb.put_item(TableName=TABLE, Item={"id": {"S": order["id"]}, "at": {"N": str(int(time.time()))}})
    return {"statusCode": 201, "body": json.dumps({"id": order["id"], "left_ms": context.get_remaining_time_in_millis()})}

def unused():
    return "never called"
'''

TESTS = '''
import json
import boto3
from course_utils import events
import tk_orders as app

def make_table():
    boto3.client("dynamodb").create_table(TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")

def test_creates_order(aws_account, clock, lambda_context):
    make_table()
    reply = app.handler(events.apigateway_rest("POST", "/orders", body={"id": "o-1"}), lambda_context)
    assert reply["statusCode"] == 201
    item = boto3.client("dynamodb").get_item(TableName="orders", Key={"id": {"S": "o-1"}})["Item"]
    assert item["at"]["N"] == "1893499200"  # 2030-01-01T12:00:00Z: the frozen clock

def test_account_is_empty(aws_account):
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []

def test_wrong_expectation(aws_account, lambda_context):
    reply = app.handler(events.apigateway_rest("POST", "/orders", body={}), lambda_context)
    assert reply["statusCode"] == 201

def test_skipped():
    import pytest
    pytest.skip("not today")

def test_broken_fixture(no_such_fixture):
    pass
'''


@pytest.fixture
def suite():
    app = testkit.load_handler("tk_orders", HANDLER)
    module = types.ModuleType("tk_suite")
    module.__file__ = "tk_suite.py"
    sys.modules["tk_suite"] = module
    exec(compile(textwrap.dedent(TESTS), "tk_suite.py", "exec"), module.__dict__)
    yield app, module
    sys.modules.pop("tk_suite", None)
    sys.modules.pop("tk_orders", None)


def test_load_handler_runs_the_module_again_each_time():
    first = testkit.load_handler("tk_counter", "import itertools\nCOUNT = itertools.count()\ndef handler(e, c):\n    return next(COUNT)\n")
    assert [first.handler({}, None), first.handler({}, None)] == [0, 1]
    second = testkit.load_handler("tk_counter", "import itertools\nCOUNT = itertools.count()\ndef handler(e, c):\n    return next(COUNT)\n")
    assert second.handler({}, None) == 0 and sys.modules["tk_counter"] is second
    assert second.__file__.endswith("tk_counter.py") and os.path.isfile(second.__file__)
    with pytest.raises(ValueError, match="identifier"):
        testkit.load_handler("my-app", "x = 1")


def test_lambda_context_has_the_documented_properties():
    ctx = testkit.LambdaContext("orders", memory_limit_in_mb=512, timeout_s=10)
    assert ctx.invoked_function_arn == "arn:aws:lambda:us-east-1:123456789012:function:orders"
    assert ctx.log_group_name == "/aws/lambda/orders" and ctx.function_version == "$LATEST"
    assert 9000 < ctx.get_remaining_time_in_millis() <= 10000
    assert ctx.aws_request_id != testkit.LambdaContext().aws_request_id


def test_lambda_context_clock_follows_freezegun():
    from freezegun import freeze_time

    with freeze_time("2030-01-01") as frozen:
        ctx = testkit.LambdaContext(timeout_s=3)
        assert ctx.get_remaining_time_in_millis() == 3000
        frozen.tick(2.5)
        assert ctx.get_remaining_time_in_millis() == 500
        frozen.tick(1)
        assert ctx.get_remaining_time_in_millis() == 0


def test_fresh_account_is_empty_and_leaves_the_sandbox_alone(aws):
    ddb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    ddb.create_table(TableName="kept", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    assert "MOTO_ACCOUNT_ID" not in os.environ
    with testkit.fresh_account() as account:
        assert os.environ["MOTO_ACCOUNT_ID"] == account and account != "123456789012"
        assert ddb.list_tables()["TableNames"] == []
        assert boto3.client("sts").get_caller_identity()["Account"] == account
        s3.create_bucket(Bucket="tk-uploads")
        s3.put_object(Bucket="tk-uploads", Key="a.txt", Body=b"x")
    assert "MOTO_ACCOUNT_ID" not in os.environ
    assert ddb.list_tables()["TableNames"] == ["kept"]
    with testkit.fresh_account() as second:
        assert second != account
        s3.create_bucket(Bucket="tk-uploads")  # the name was freed when the first block ended


def test_run_tests_counts_each_outcome_and_never_raises(aws, suite):
    _, module = suite
    run = testkit.run_tests(module=module)
    assert run.outcomes == {"test_creates_order": "passed", "test_account_is_empty": "passed",
                            "test_wrong_expectation": "failed", "test_skipped": "skipped",
                            "test_broken_fixture": "error"}
    assert (run.passed, run.failed, run.skipped, run.errors) == (2, 1, 1, 1)
    assert run.exit_code == 1 and str(run) == "2 passed, 1 failed, 1 error, 1 skipped"
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []  # the tests' tables stayed in their accounts


def test_run_tests_twice_gives_the_same_result_and_leaves_nothing_behind(aws, suite, tmp_path, monkeypatch):
    _, module = suite
    monkeypatch.chdir(tmp_path)
    env_before = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"}  # nested pytest drops it
    runs = [testkit.run_tests(module.test_creates_order, module.test_account_is_empty) for _ in range(2)]
    assert [str(r) for r in runs] == ["2 passed", "2 passed"]
    assert os.getcwd() == str(tmp_path) and list(tmp_path.iterdir()) == []  # no .pytest_cache, no t_*.py
    assert {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST"} == env_before


def test_coverage_lists_the_lines_that_never_ran(aws, suite):
    app, module = suite
    run = testkit.run_tests(module.test_creates_order, cover=[app])
    report = run.coverage
    source = open(app.__file__).read().splitlines()
    never = [source[n - 1].strip() for n in report.missing[report.files[0]]]
    assert never == ['return {"statusCode": 400, "body": json.dumps({"error": "id is required"})}',
                     'return "never called"']
    assert 80 < report.percent < 100
    text = report.text()
    assert "never ran: lines" in text and '>>  12         return {"statusCode": 400' in text
    assert "   3 import boto3" in text  # import-time lines count as run
    full = testkit.run_tests(module.test_creates_order, module.test_wrong_expectation, cover=[app]).coverage
    assert full.missing[full.files[0]] == [report.missing[report.files[0]][-1]]


def test_measure_refuses_code_without_a_file():
    with pytest.raises(ValueError, match="load it with testkit.load_handler"):
        with testkit.measure(types.ModuleType("nofile")):
            pass


CONFIGURE_TWICE = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
from course_utils import sandbox, testkit
import ipytest

sandbox.start(quiet=True)
shell = InteractiveShell.instance()
testkit.configure()
testkit.configure()
shell.run_cell("TEST_DATA = 42\\ndef test_old():\\n    assert True\\n")
result = shell.run_cell("%%ipytest\\ndef test_fails():\\n    assert 1 + 1 == 3\\n")
print("RESULT " + json.dumps({"raise_on_error": ipytest._config.current_config["raise_on_error"],
      "clean": ipytest._config.current_config["clean"], "error": repr(result.error_in_exec),
      "exit_code": int(ipytest.exit_code), "data": shell.user_ns.get("TEST_DATA"), "old": "test_old" in shell.user_ns,
      "installed_plugin_loaded": "_hypothesis_pytestplugin" in sys.modules}))
"""


def test_configure_is_safe_to_run_twice_and_failures_do_not_raise(tmp_path):
    """In a fresh interpreter (as in a notebook's kernel): configure twice, a failing %%ipytest cell
    reports exit code 1 without raising, only test_* names are cleaned, and installed plugins stay out."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", CONFIGURE_TWICE], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert line is not None, out.stdout[-2000:] + out.stderr[-2000:]
    r = json.loads(line[len("RESULT "):])
    assert r["raise_on_error"] is False and r["clean"] == "test_*"
    assert r["error"] == "None" and r["exit_code"] == 1, r
    assert r["data"] == 42 and r["old"] is False, r  # only test_* was cleaned
    # hypothesis's pytest plugin is installed (an entry point) but stays out of the magic's runs
    assert r["installed_plugin_loaded"] is False, r


MAGIC_IN_THE_NOTEBOOKS = """
import json, sys
from IPython.core.interactiveshell import InteractiveShell
from course_utils import sandbox, testkit

sandbox.start(quiet=True)
shell = InteractiveShell.instance()
testkit.configure()
shell.run_cell("%%ipytest\\ndef test_passes():\\n    assert 1 + 1 == 2\\n")
import ipytest
print("RESULT " + json.dumps({"exit_code": int(ipytest.exit_code), "hypothesis": "hypothesis" in sys.modules}))
"""


def test_the_magic_leaves_the_repository_pytest_configuration_out():
    """Run from notebooks/ (as Jupyter does), pytest would find the repository's pyproject.toml, whose
    filterwarnings names a hypothesis warning: importing hypothesis costs about 0.5 s per kernel."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    notebooks = Path(__file__).resolve().parent.parent / "notebooks"
    out = subprocess.run([sys.executable, "-c", MAGIC_IN_THE_NOTEBOOKS], cwd=notebooks, capture_output=True, text=True, timeout=120)
    line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
    assert line is not None, out.stdout[-2000:] + out.stderr[-2000:]
    r = json.loads(line[len("RESULT "):])
    assert r == {"exit_code": 0, "hypothesis": False}, r
    assert not list(notebooks.glob(".pytest_cache")) and not list(notebooks.glob("pytest.ini"))
