"""CloudFormation drift detection against the sandbox: template-declared vs live properties.

What AWS CloudFormation documents (Detect unmanaged configuration changes to stacks and
resources):

* Drift detection compares the **expected** configuration of each supported resource (the
  property values the template sets explicitly, with parameters resolved) with its **actual**
  configuration read from the service. Properties the template leaves to their defaults are
  not checked.
* A resource is ``IN_SYNC``, ``MODIFIED`` (one or more properties differ; each difference is
  listed with expected and actual values), ``DELETED`` (the resource no longer exists) or
  ``NOT_CHECKED`` (the type does not support drift detection). The stack is ``DRIFTED`` if any
  resource is MODIFIED or DELETED, else ``IN_SYNC``.
* Detecting drift changes nothing; fixing it means updating the template or the resource.

moto 5.2.5 does not implement ``detect_stack_drift``. What this module reproduces: it reads a
sandbox stack's template and resources with boto3, resolves ``Ref`` to parameters, reads the
live configuration of a few resource types (SSM parameters, SQS queues, SNS topics, DynamoDB
tables, Lambda functions, S3 buckets' existence) and reports drift in AWS's terms. Other types
are NOT_CHECKED.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["load_template", "PropertyDiff", "ResourceDrift", "StackDrift"]


def load_template(body: str | dict[str, Any]) -> dict[str, Any]:
    """Parse a JSON or YAML template, turning short-form tags (``!Ref``, ``!Sub``, ...) into
    their long form."""
    if isinstance(body, dict):
        return body
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        pass
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def construct(loader: yaml.Loader, suffix: str, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if suffix == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {"Ref": value} if suffix == "Ref" else {f"Fn::{suffix}": value}

    Loader.add_multi_constructor("!", construct)
    return yaml.load(body, Loader=Loader)  # noqa: S506 - SafeLoader subclass


@dataclass(frozen=True)
class PropertyDiff:
    path: str
    expected: Any
    actual: Any
    kind: str = "NOT_EQUAL"  # NOT_EQUAL, REMOVE, ADD


@dataclass
class ResourceDrift:
    logical_id: str
    resource_type: str
    physical_id: str
    status: str  # IN_SYNC, MODIFIED, DELETED, NOT_CHECKED
    differences: list[PropertyDiff] = field(default_factory=list)


@dataclass
class StackDrift:
    stack: str
    status: str  # DRIFTED or IN_SYNC
    resources: list[ResourceDrift]

    def table(self) -> str:
        lines = [f"stack {self.stack}: {self.status}"]
        for r in self.resources:
            lines.append(f"  {r.status:<11} {r.logical_id} ({r.resource_type})")
            for d in r.differences:
                lines.append(f"      {d.path}: expected {d.expected!r}, actual {d.actual!r}")
        return "\n".join(lines)


def _resolve(value: Any, params: dict[str, str], physical: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            name = value["Ref"]
            return params.get(name, physical.get(name, value))
        return {k: _resolve(v, params, physical) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, params, physical) for v in value]
    return value


def _same(expected: Any, actual: Any) -> bool:
    return str(expected).lower() == str(actual).lower() if not isinstance(expected, (dict, list)) else expected == actual


def _compare(path: str, expected: Any, actual: Any, out: list[PropertyDiff]) -> None:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key, value in expected.items():
            _compare(f"{path}.{key}", value, actual.get(key), out)
    elif isinstance(expected, dict) and any(str(k).startswith("Fn::") for k in expected):
        return  # an intrinsic function this simulator does not resolve: not compared
    elif not _same(expected, actual):
        out.append(PropertyDiff(path, expected, actual, "REMOVE" if actual in (None, "") else "NOT_EQUAL"))
