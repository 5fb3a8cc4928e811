"""Lambda configuration limits: what AWS would refuse."""

from __future__ import annotations

import pytest

from course_utils.sim import lambda_limits as ll


def fields(problems):
    return [p.field for p in problems]


def test_valid_configuration_has_no_problems():
    assert ll.check({"MemorySize": 10_240, "Timeout": 900, "EphemeralStorage": {"Size": 10_240},
                     "Environment": {"Variables": {"STAGE": "prod"}}, "Layers": ["a"] * 5}) == []
    assert ll.check({}) == []  # defaults: 128 MB, 3 s, 512 MB /tmp


@pytest.mark.parametrize("config, field", [
    ({"MemorySize": 10_241}, "MemorySize"),
    ({"MemorySize": 127}, "MemorySize"),
    ({"Timeout": 901}, "Timeout"),
    ({"Timeout": 0}, "Timeout"),
    ({"EphemeralStorage": {"Size": 511}}, "EphemeralStorage"),
    ({"Layers": ["l"] * 6}, "Layers"),
])
def test_each_limit(config, field):
    assert fields(ll.check(config)) == [field]


def test_environment_size_counts_keys_and_values():
    small = {"K": "x" * 4000}
    assert ll.env_size(small) == len('{"K":"' + "x" * 4000 + '"}')
    assert ll.check({"Environment": {"Variables": small}}) == []
    big = {"K": "x" * 4100}
    problem = ll.check({"Environment": {"Variables": big}})[0]
    assert problem.field == "Environment" and problem.rule.startswith("4 KB")


def test_package_sizes():
    mb = 1024 * 1024
    assert fields(ll.check({}, zip_bytes=51 * mb, unzipped_bytes=251 * mb, image_bytes=11 * 1024 * mb)) == [
        "Code.ZipFile", "unzipped code + layers", "Code.ImageUri"]
    assert ll.check({}, zip_bytes=50 * mb, unzipped_bytes=250 * mb) == []


def test_bad_input():
    with pytest.raises(ValueError, match="must be a dict"):
        ll.check(["MemorySize"])
