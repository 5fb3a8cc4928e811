"""The course's runtime layer on moto: Lambda handlers really run, API Gateway really routes.

moto 5.2.5 without Docker runs no Lambda code: ``invoke`` echoes the payload, and API Gateway's
``execute-api`` URLs fail for MOCK and AWS_PROXY integrations; it has no Bedrock runtime or
guardrails, canned Comprehend entities and no log masking. This package adds, in-process:

* a Lambda runtime (:mod:`.lambda_runtime`, :mod:`.environments`, :mod:`.invoke`,
  :mod:`.async_invoke`): handlers run with a real context, environment variables, layers,
  cold/warm execution environments, versions and weighted aliases, timeouts, throttling,
  CloudWatch logs, async retries, destinations and dead-letter queues;
* event sources (:mod:`.event_sources`): SQS mappings with batches and partial batch failures,
  SNS, S3 notifications, DynamoDB Streams, Kinesis, Step Functions tasks and Secrets Manager
  rotation all run the handler;
* an API Gateway data plane (:mod:`.apigateway`, :mod:`.apigatewayv2`, :mod:`.authorizers`,
  :mod:`.usage_plans`): REST and HTTP APIs called with ``requests``;
* the AI services moto lacks or stubs (:mod:`.bedrock`, :mod:`.bedrock_runtime`,
  :mod:`.comprehend_pii`, :mod:`.logs_protection`): the Bedrock catalogue, ``InvokeModel`` and
  ``Converse`` answered by a deterministic stand-in model, guardrails and ``ApplyGuardrail``,
  ``bedrock:InvokeModel`` decided per model ARN, invocation logs; Comprehend PII with real
  offsets; CloudWatch Logs data protection policies (masking, ``logs:Unmask``).

Each module's docstring says what AWS does and what is simulated. moto's and botocore's
internals are reached only through :mod:`.moto_adapter`; what it replaces is listed in
:mod:`.patches`, what it reads in :mod:`.moto_reads`, and :func:`install` checks every entry
(a moved internal raises, naming it). Patches of the API Gateway modules are installed, and
their entries checked, when moto first imports them, and :mod:`.fastimport` defers one slow
import of that backend, so starting the sandbox stays cheap.

The sandbox (:mod:`course_utils.sandbox`) calls :func:`install` after moto starts and
:func:`reset` after its state is wiped. Importing this package changes nothing.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["install", "reset", "invocations", "seed", "installed"]

_lock = threading.Lock()
_installed = False


def installed() -> bool:
    return _installed


def install() -> None:
    """Patch moto (once) and register the execute-api data plane (idempotent)."""
    global _installed
    from . import fastimport, moto_adapter, routes, speedups

    with _lock:
        fastimport.defer_rfc3987_syntax()  # API Gateway's first use: 1.6 s -> 0.5 s
        fastimport.share_session_for_ec2_regions()  # moto.ec2 import (SSM, ECS, Step Functions): about -1 s
        moto_adapter.install()  # patches moto, checks every internal the course relies on
        speedups.install()  # full collections stop walking the same long-lived objects
        routes.ensure_registered()
        # the SAM translator logs its feature toggles and metrics on stderr at every transform: not for learners
        logging.getLogger("samtranslator").setLevel(logging.ERROR)
        _installed = True


def reset() -> None:
    """Forget environments, records, throttle buckets and caches; re-register the data plane
    (``MockAWS.start(reset=True)`` wipes moto's ``responses`` registrations)."""
    from . import async_invoke, environments, event_sources, invoke, lambda_runtime, routes, speedups

    speedups.reset()
    lambda_runtime.reset_state()
    event_sources.reset_state()
    environments.cleanup_dirs()
    async_invoke.clients_reset()
    invoke.seed(0)
    routes.reset_state()
    if _installed:
        routes.ensure_registered()


def invocations(function_name: str | None = None) -> list[Any]:
    """Records of the invocations run so far (cold/warm, duration, version, request id, ...)."""
    from . import lambda_runtime

    return lambda_runtime.invocations(function_name)


def seed(value: int | None = 0) -> None:
    """Make weighted alias routing repeatable (the sandbox reseeds with 0 on reset)."""
    from . import invoke

    invoke.seed(value)
