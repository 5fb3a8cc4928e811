"""Powertools' cold-start flags start afresh in each simulated execution environment."""

from __future__ import annotations

import json
import sys
import types

import pytest
from runtime_helpers import invoke_json, log_messages, make_function

from course_utils.runtime import library_state

POWERTOOLS_HANDLER = """
from aws_lambda_powertools import Logger
logger = Logger(service="{service}")

@logger.inject_lambda_context
def handler(event, context):
    logger.info("hello")
    return "ok"
"""


def _cold_start_values(function_name: str) -> list[bool]:
    records = [json.loads(m) for m in log_messages(f"/aws/lambda/{function_name}") if m.startswith("{")]
    return [r["cold_start"] for r in records]


def test_fresh_environment_sets_imported_powertools_flags_back_to_true():
    from aws_lambda_powertools.logging import logger as pt_logger
    from aws_lambda_powertools.metrics.provider import cold_start as pt_metrics

    pt_logger.is_cold_start = False
    pt_metrics.is_cold_start = False
    reset = library_state.fresh_environment()
    assert pt_logger.is_cold_start is True and pt_metrics.is_cold_start is True
    assert "aws_lambda_powertools.logging.logger.is_cold_start" in reset
    assert pt_logger._is_cold_start() is True and pt_logger._is_cold_start() is False   # first invocation only


def test_fresh_environment_imports_nothing(monkeypatch):
    module = types.ModuleType("fake_lib_state")
    module.is_cold_start = False
    monkeypatch.setitem(sys.modules, "fake_lib_state", module)
    flags = (("fake_lib_state", "is_cold_start"), ("not_imported_lib_xyz", "is_cold_start"))
    assert library_state.fresh_environment(flags) == ["fake_lib_state.is_cold_start"]
    assert module.is_cold_start is True
    assert "not_imported_lib_xyz" not in sys.modules


def test_each_function_reports_its_own_cold_start(aws):
    for name in ("pt-first", "pt-second"):
        make_function(name, POWERTOOLS_HANDLER.format(service=name))
        for _ in range(2):
            assert invoke_json(name)[1] == "ok"
    # AWS: each function's first invocation is a cold start of its own environment
    assert _cold_start_values("pt-first") == [True, False]
    assert _cold_start_values("pt-second") == [True, False]
