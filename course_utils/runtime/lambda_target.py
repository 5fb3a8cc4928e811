"""The Lambda function an API Gateway integration or authorizer names, and its synchronous call.

AWS: an integration (or authorizer) URI ``arn:aws:apigateway:{region}:lambda:path/2015-03-31/
functions/{function arn}/invocations`` may contain ``${stageVariables.x}``; API Gateway invokes
that function (version or alias included) synchronously.
"""

from __future__ import annotations

import re
from typing import Any

from .moto_adapter import lambda_backend
from .qualifiers import resolve

__all__ = ["lambda_arn_from_uri", "invoke_lambda_for_api"]


def lambda_arn_from_uri(uri: str, stage_variables: dict[str, str]) -> str:
    """Function ARN of ``arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations``."""
    uri = re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: stage_variables.get(m.group(1), ""), uri)
    m = re.search(r"/functions/(arn:[^/]+)/invocations", uri)
    return m.group(1) if m else uri


def invoke_lambda_for_api(function_arn: str, event: dict[str, Any]) -> Any:
    """Invoke a function synchronously for API Gateway; returns the InvokeResult."""
    from .lambda_runtime import run

    parts = function_arn.split(":")
    fn, invoked = resolve(lambda_backend(parts[4], parts[3]), function_arn)
    return run(fn, event, invoked_arn=invoked)
