"""moto's EC2 region list is built with boto3's shared session: same regions, real Session after."""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, sys
from course_utils import sandbox
sandbox.start(quiet=True)
from course_utils.runtime import fastimport
installed = fastimport._finder in sys.meta_path
import boto3
real = boto3.Session
from moto.ec2.models import availability_zones_and_regions as m
expected = []
for partition in ("aws", "aws-us-gov", "aws-cn"):
    expected += real().get_available_regions("ec2", partition_name=partition)
print(json.dumps({
    "installed": installed,
    "regions": [r.name for r in m.RegionsAndZonesBackend.regions],
    "expected": expected,
    "session_restored": boto3.Session is real and m.Session is real,
}))
"""


def test_ec2_regions_match_fresh_sessions_and_session_is_restored():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["installed"] is True
    assert result["regions"] == result["expected"] and "us-east-1" in result["regions"]
    assert result["session_restored"] is True
