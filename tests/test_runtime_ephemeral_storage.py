"""Lambda EphemeralStorage (the size of /tmp) on UpdateFunctionConfiguration, seen through plain boto3 calls."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

HANDLER = "def handler(event, context):\n    return 1\n"


@pytest.fixture
def lam(aws):
    from course_utils import deploy

    deploy.function("tmp-size", HANDLER)
    return boto3.client("lambda")


def error(call):
    with pytest.raises(ClientError) as err:
        call()
    return (err.value.response["Error"]["Code"], err.value.response["Error"]["Message"],
            err.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_the_default_is_512_mb(lam):
    assert lam.get_function_configuration(FunctionName="tmp-size")["EphemeralStorage"] == {"Size": 512}


def test_an_update_sets_the_size_and_it_is_kept(lam):
    answer = lam.update_function_configuration(FunctionName="tmp-size", EphemeralStorage={"Size": 4096})
    assert answer["EphemeralStorage"] == {"Size": 4096}
    assert lam.get_function_configuration(FunctionName="tmp-size")["EphemeralStorage"] == {"Size": 4096}
    lam.update_function_configuration(FunctionName="tmp-size", Timeout=30)  # no EphemeralStorage: size unchanged
    assert lam.get_function_configuration(FunctionName="tmp-size")["EphemeralStorage"] == {"Size": 4096}


def test_the_maximum_is_accepted(lam):
    answer = lam.update_function_configuration(FunctionName="tmp-size", EphemeralStorage={"Size": 10_240})
    assert answer["EphemeralStorage"] == {"Size": 10_240}


def test_above_10240_mb_is_rejected_and_nothing_changes(lam):
    assert error(lambda: lam.update_function_configuration(
        FunctionName="tmp-size", EphemeralStorage={"Size": 20_000}, Timeout=45)) == (
        "ValidationException", "1 validation error detected: Value '20000' at 'ephemeralStorage.size' failed to "
                               "satisfy constraint: Member must have value less than or equal to 10240", 400)
    config = lam.get_function_configuration(FunctionName="tmp-size")
    assert config["EphemeralStorage"] == {"Size": 512}
    assert config["Timeout"] != 45
