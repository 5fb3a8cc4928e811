"""Helpers for the runtime tests: in-memory zip packages and a function factory (plain boto3)."""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from typing import Any

import boto3

ROLE_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
)


def zip_bytes(files: dict[str, str]) -> bytes:
    """A zip archive holding ``files`` (name -> source), built in memory."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, textwrap.dedent(text))
    return buf.getvalue()


def role_arn(name: str = "lambda-role") -> str:
    iam = boto3.client("iam")
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=ROLE_POLICY)["Role"]["Arn"]


def make_function(name: str, code: str, *, handler: str = "app.handler", files: dict[str, str] | None = None, **kwargs: Any) -> dict[str, Any]:
    """Create a python3.12 function whose ``app.py`` is ``code``."""
    package = {"app.py": code, **(files or {})}
    return boto3.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role_arn(),
        Handler=handler,
        Code={"ZipFile": zip_bytes(package)},
        **kwargs,
    )


def invoke_json(name: str, payload: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    resp = boto3.client("lambda").invoke(FunctionName=name, Payload=json.dumps(payload or {}), **kwargs)
    body = resp["Payload"].read()
    return resp, (json.loads(body) if body else None)


def log_messages(group: str) -> list[str]:
    logs = boto3.client("logs")
    out: list[str] = []
    for stream in logs.describe_log_streams(logGroupName=group)["logStreams"]:
        events = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
        out.extend(e["message"] for e in events)
    return out
