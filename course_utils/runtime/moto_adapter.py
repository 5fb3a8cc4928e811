"""The one door to moto's and botocore's internals: every use goes through this module.

The rest of the course calls the small functions below (``lambda_backend(account, region)``,
``responses_mock()``, ``unix_time(dt)``, ...) and reads model attributes declared in
:mod:`.moto_reads`; what is replaced or wrapped is listed in :mod:`.patches`. :func:`install`
(run by ``course_utils.runtime.install()`` when the sandbox starts) applies the patches and
checks every declared internal: attribute present, parameters as recorded. Internals of a
module that is not imported yet (API Gateway, imported lazily on purpose, Cognito, ...) are
checked right after moto first imports it. A moved internal raises :class:`MotoInternalsChanged`
naming each one (target, expected, found): the simulation never switches itself off silently.
moto is pinned (requirements.txt) to the version these tables describe.

Importing this module imports nothing from moto and changes nothing.
"""

from __future__ import annotations

import dis
import importlib
import importlib.abc
import inspect
import sys
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from .moto_reads import CALLED, READ
from .patches import REPLACED, USED, PatchPoint

__all__ = [
    "MotoInternalsChanged", "ALL_POINTS", "LAZY_MODULES", "install", "apply", "applied", "check", "problems",
    "original", "resolve_target", "split_target",
    "lambda_backend", "sqs_backend", "sqs_backend_of", "apigateway_backend", "apigatewayv2_backend",
    "default_account_id", "iam_backend", "policy_document", "cognito_backend", "dynamodb_backend",
    "responses_mock", "unix_time", "JsonRESTError", "sigv4_signature", "recording_botocore_sleeps",
    "canned_response", "botocore_data_loader", "release_visible_pending", "return_to_queue", "answer_request",
    "add_send_handler", "forwarded_response",
]

#: Every internal the course touches: replaced or wrapped, called, read.
ALL_POINTS: tuple[PatchPoint, ...] = REPLACED + USED + CALLED + READ

#: Modules patched only when something first imports them: importing moto.apigateway.models
#: pulls in openapi_spec_validator/jsonschema (about 1.3 s), a cost a notebook without API
#: Gateway should not pay when the sandbox starts.
#: The AI services' response classes (Bedrock, Comprehend) are patched on first use for the same reason.
LAZY_MODULES: tuple[str, ...] = (
    "moto.apigateway.models", "moto.apigateway.responses",
    "moto.bedrock.responses", "moto.bedrockruntime.responses", "moto.comprehend.responses", "moto.logs.responses",
    "moto.appconfig.models", "moto.appconfig.responses",
    "moto.cloudformation.models", "moto.cloudformation.responses", "moto.cloudformation.parsing",
)


class MotoInternalsChanged(RuntimeError):
    """moto or botocore no longer has an internal the course relies on."""

    def __init__(self, found: list[str]) -> None:
        import moto

        lines = "\n".join(f"  - {p}" for p in found)
        super().__init__(
            f"{len(found)} moto/botocore internal(s) the course relies on changed (moto {moto.__version__} installed; "
            f"the course is checked against the version pinned in requirements.txt):\n{lines}\n"
            "Reinstall the pinned versions (make lab) or update course_utils/runtime/moto_reads.py / patches.py."
        )
        self.problems = found


# --- resolving and checking targets ----------------------------------------------------------------


def split_target(target: str) -> tuple[str | None, str]:
    """(module, attribute path) of ``module:Class.attr``; dotted targets (patches.py) are split
    at the longest imported (or lazily patched) module prefix, None when none is imported yet."""
    if ":" in target:
        module, _, path = target.partition(":")
        return module, path
    lazy = next((m for m in LAZY_MODULES if target.startswith(m + ".")), None)
    if lazy is not None:
        return lazy, target[len(lazy) + 1:]
    parts = target.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None and hasattr(module, parts[i]):
            return ".".join(parts[:i]), ".".join(parts[i:])
    return None, target


def _module_of(target: str) -> str:
    module, _ = split_target(target)
    if module is not None:
        return module
    parts = target.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        return ".".join(parts[:i])
    raise ImportError(f"no module in {target!r}")


def resolve_target(target: str) -> tuple[Any, str, Any]:
    """Return (owner object, attribute name, current value) for a target (imports its module)."""
    module = _module_of(target)
    path = target[len(module) + 1:]
    owner: Any = importlib.import_module(module)
    *owners, attr = path.split(".")
    for name in owners:
        owner = getattr(owner, name)
    return owner, attr, getattr(owner, attr)


_stores_cache: dict[tuple[type, str], frozenset[str]] = {}


def _stored_by(cls: type, method: str) -> frozenset[str]:
    """Attribute names ``cls.<method>`` (as defined along the MRO) assigns with ``x.<name> = ...``."""
    key = (cls, method)
    if key not in _stores_cache:
        names: set[str] = set()
        for klass in cls.__mro__:
            fn = vars(klass).get(method)
            fn = getattr(fn, "__func__", fn)
            if callable(fn):
                fn = inspect.unwrap(fn)  # moto's own code, not the runtime's wrapper (function_config.py)
            code = getattr(fn, "__code__", None)
            stack = [code] if code is not None else []
            while stack:
                current = stack.pop()
                names.update(i.argval for i in dis.get_instructions(current) if i.opname == "STORE_ATTR")
                stack.extend(c for c in current.co_consts if inspect.iscode(c))
        _stores_cache[key] = frozenset(names)
    return _stores_cache[key]


def _check_read(point: PatchPoint) -> str | None:
    owner, attr = point.target.rsplit(".", 1)
    try:
        cls = resolve_target(owner)[2]
    except (ImportError, AttributeError) as exc:
        return f"{point.target}: expected class {owner}, found none ({exc})"
    try:
        inspect.getattr_static(cls, attr)
        return None
    except AttributeError:
        pass
    for where in point.set_in:
        listed = inspect.getattr_static(cls, where, None)
        if isinstance(listed, (list, tuple)):
            camel = "".join(part.capitalize() for part in attr.split("_"))
            if camel in listed:
                return None
        elif attr in _stored_by(cls, where):
            return None
    places = " or ".join(point.set_in) or "the class"
    return f"{point.target}: expected an attribute set in {places}, found none"


def _check_add(point: PatchPoint) -> str | None:
    owner, attr = point.target.rsplit(".", 1)
    try:
        cls = resolve_target(owner)[2]
    except (ImportError, AttributeError) as exc:
        return f"{point.target}: expected class {owner}, found none ({exc})"
    if point.target in _originals:  # added by us already
        return None
    if inspect.getattr_static(cls, attr, None) is not None:
        return f"{point.target}: expected moto not to implement it (the course adds it), found moto's own"
    return None


def _check_point(point: PatchPoint) -> str | None:
    if point.kind == "read":
        return _check_read(point)
    if point.kind == "add":
        return _check_add(point)
    try:
        value = original(point.target)
    except (ImportError, AttributeError) as exc:
        return f"{point.target}: expected to exist, found none ({type(exc).__name__}: {exc})"
    if not point.params:
        return None
    try:
        found = tuple(inspect.signature(value).parameters)
    except (TypeError, ValueError):
        return f"{point.target}: expected a callable with parameters {point.params}, found {value!r}"
    if found != point.params:
        return f"{point.target}: expected parameters {point.params}, found {found}"
    return None


def problems(points: Iterable[PatchPoint] = ALL_POINTS) -> list[str]:
    """One line per internal that moved (imports each point's module)."""
    return [p for p in (_check_point(point) for point in points) if p is not None]


def check(points: Iterable[PatchPoint] = ALL_POINTS) -> None:
    """Raise :class:`MotoInternalsChanged` naming every internal that moved."""
    found = problems(points)
    if found:
        raise MotoInternalsChanged(found)


# --- installing -------------------------------------------------------------------------------------

_lock = threading.RLock()
_originals: dict[str, tuple[Any, str, Any]] = {}


def _provider(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def _install(point: PatchPoint) -> None:
    if point.kind == "add":
        owner_path, attr = point.target.rsplit(".", 1)
        owner = resolve_target(owner_path)[2]
        _originals[point.target] = (owner, attr, None)
        setattr(owner, attr, _provider(point.with_))
        return
    owner, attr, current = resolve_target(point.target)
    provider = _provider(point.with_)
    new = provider(current) if point.kind == "wrap" else provider
    _originals[point.target] = (owner, attr, owner.__dict__.get(attr, current))
    setattr(owner, attr, new)


class _PostImportHook(importlib.abc.MetaPathFinder):
    """Runs the pending actions of a module right after the module is first executed."""

    def __init__(self) -> None:
        self.pending: dict[str, list[Callable[[], None]]] = {}

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        actions = self.pending.pop(fullname)
        original_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec(module)
            with _lock:
                for action in actions:
                    action()

        loader.exec_module = exec_module  # this loader instance serves only this module
        return spec


_hook = _PostImportHook()


def _later(module: str, action: Callable[[], None], *, first: bool = False) -> None:
    actions = _hook.pending.setdefault(module, [])
    if first:
        actions.insert(0, action)
    else:
        actions.append(action)
    if _hook not in sys.meta_path:
        sys.meta_path.insert(0, _hook)


def applied() -> bool:
    return bool(_originals) or bool(_hook.pending)


def apply() -> None:
    """Install every replacement of :mod:`.patches` once (idempotent); those of
    :data:`LAZY_MODULES` are installed when moto first imports the module."""
    with _lock:
        if _originals:
            return
        for point in REPLACED:
            module = split_target(point.target)[0]
            if module in LAZY_MODULES and module not in sys.modules:
                _later(module, lambda point=point: _install(point) if point.target not in _originals else None)
            else:
                _install(point)


_checked = False


def _check_module_now(module: str, points: list[PatchPoint]) -> None:
    found = problems(points)
    if found:
        raise MotoInternalsChanged(found)


def install() -> None:
    """Apply the patches, then check every internal whose module is imported; the others are
    checked when moto first imports their module. Raises :class:`MotoInternalsChanged`."""
    global _checked
    with _lock:
        apply()
        if _checked:
            return
        now: list[PatchPoint] = []
        later: dict[str, list[PatchPoint]] = {}
        for point in ALL_POINTS:
            module = split_target(point.target)[0]
            if module is not None and module in sys.modules:
                now.append(point)
            else:
                later.setdefault(module or _module_of(point.target), []).append(point)
        for module, points in later.items():
            # checked before that module's patches are installed: a moved target is named, not tripped over
            _later(module, lambda module=module, points=points: _check_module_now(module, points), first=True)
        _checked = True
        check(now)


def original(target: str) -> Any:
    """moto's own attribute for ``target`` (before :func:`apply` replaced it)."""
    if target in _originals:
        return _originals[target][2]
    return resolve_target(target)[2]


# --- the functions the course calls -----------------------------------------------------------------


def lambda_backend(account_id: str, region: str) -> Any:
    """The Lambda backend in use (moto's simple backend under ``use_docker=False``)."""
    from moto.awslambda.utils import get_backend

    return get_backend(account_id, region)


def sqs_backend(account_id: str, region: str) -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends[account_id][region]


def sqs_backend_of(queue: Any) -> Any:
    """The SQS backend that holds ``queue`` (a moto ``Queue``)."""
    return sqs_backend(queue.account_id, queue.region)


def apigateway_backend(account_id: str, region: str) -> Any:
    from moto.apigateway.models import apigateway_backends

    return apigateway_backends[account_id][region]


def apigatewayv2_backend(account_id: str, region: str) -> Any:
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigatewayv2_backends[account_id][region]


def default_account_id() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return str(DEFAULT_ACCOUNT_ID)


def iam_backend(account_id: str) -> Any:
    from moto.iam.models import iam_backends

    return iam_backends[account_id]["global"]


def policy_document(policy: Any) -> Any:
    """The document of a managed policy's default version."""
    return next(v.document for v in policy.versions if v.version_id == policy.default_version_id)


def cognito_backend(account_id: str, region: str) -> Any:
    from moto.cognitoidp.models import cognitoidp_backends

    return cognitoidp_backends[account_id][region]


def dynamodb_backend(account_id: str, region: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[account_id][region]


def responses_mock() -> Any:
    """moto's ``responses`` mock (the execute-api data plane registers its callbacks there)."""
    from moto.core.models import responses_mock as mock

    return mock


def unix_time(dt: Any) -> float:
    from moto.core.utils import unix_time as _unix_time

    return float(_unix_time(dt))


def __getattr__(name: str) -> Any:
    if name == "JsonRESTError":  # a base class for the runtime's API errors, imported on first use
        from moto.core.exceptions import JsonRESTError

        return JsonRESTError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def sigv4_signature(method: str, url: str, headers: dict[str, str], body: Any, *, amz_date: str,
                    access_key: str, secret_key: str, service: str, region: str) -> str:
    """The SigV4 signature botocore computes for this request (headers: exactly the signed ones)."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    request.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(access_key, secret_key), service, region)
    canonical = signer.canonical_request(request)
    return str(signer.signature(signer.string_to_sign(request, canonical), request))


class _RecordingTime:
    """Stands in for the ``time`` module inside ``botocore.endpoint``: records sleeps."""

    def __init__(self, real: Any, record: list[float]) -> None:
        self._real, self._record = real, record

    def sleep(self, seconds: float) -> None:
        self._record.append(float(seconds))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


@contextmanager
def recording_botocore_sleeps(record: list[float]) -> Iterator[None]:
    """While active, botocore's retry back-off sleeps are appended to ``record``, not slept."""
    import botocore.endpoint as endpoint

    real = endpoint.time
    endpoint.time = _RecordingTime(real, record)
    try:
        yield
    finally:
        endpoint.time = real


def canned_response(url: str, status: int, headers: dict[str, str], body: bytes) -> Any:
    """A botocore HTTP response a ``before-send`` handler can return instead of sending."""
    from botocore.awsrequest import AWSResponse
    from moto.core.botocore_stubber import MockRawResponse

    return AWSResponse(url, status, headers, MockRawResponse(body))


def answer_request(method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """Answer a raw AWS HTTP request with the running sandbox, as moto answers this process's clients.

    ``None`` when no mock is running or moto does not serve the URL (nothing is ever sent).
    """
    from botocore.awsrequest import AWSPreparedRequest
    from botocore.compat import HTTPHeaders
    from moto.core.models import botocore_stubber

    request_headers = HTTPHeaders()
    for key, value in headers:
        request_headers[key] = value
    request = AWSPreparedRequest(method=method, url=url, headers=request_headers, body=body, stream_output=False)
    response = botocore_stubber("before-send", request)
    if response is None:
        return None
    return int(response.status_code), [(str(k), str(v)) for k, v in response.headers.items()], bytes(response.content)


def add_send_handler(handler: Callable[..., Any]) -> None:
    """Put a botocore ``before-send`` handler first in line for every session created from now on."""
    import botocore.handlers

    if ("before-send", handler) not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.insert(0, ("before-send", handler))


def forwarded_response(url: str, status: int, headers: list[tuple[str, str]], body: bytes) -> Any:
    """The botocore HTTP response for an answer that came from another process (grading judge)."""
    from botocore.awsrequest import HeadersDict

    response = canned_response(url, status, {}, body)
    response.headers = HeadersDict()
    for key, value in headers:
        response.headers[str(key)] = str(value)
    return response


def release_visible_pending(queue: Any) -> None:
    """Forget "in flight" for a queue's messages that are visible again.

    moto releases them one by one while it walks the queue in ReceiveMessage, so in a FIFO queue a
    later message of a group can be released (and delivered) before an earlier one that is still
    marked in flight: the group's order breaks. Releasing them all first keeps the order.
    """
    for message in [m for m in queue.pending_messages if m.visible]:
        queue.pending_messages.discard(message)


def return_to_queue(queue: Any, receipt_handle: str, seconds: int) -> bool:
    """Make a received message visible again in ``seconds`` (False if it is gone).

    moto's ``ChangeMessageVisibility`` refuses once the message is 12 hours older than it was
    sent (it measures AWS's 12-hour limit from the send, not from the receive), which would make a
    mapping's redelivery of an older message fail the learner's call.
    """
    for message in queue._messages:
        if message.had_receipt_handle(receipt_handle):
            message.change_visibility(seconds)
            if message.visible:
                queue.pending_messages.discard(message)
            return True
    return False


def botocore_data_loader(path: str | None) -> Any:
    """A new botocore data loader for ``data_path`` (None: botocore's and boto3's own data)."""
    from botocore import loaders

    return loaders.create_loader(path)


# --- Bedrock (patches_ai.py): accessors the Bedrock runtime needs --------------------------------------
__all__ += ["action_result", "bedrock_backend", "backend_state", "bedrock_logging_config", "service_error", "write_log_event",
            "assumed_role_for_key", "role_policies", "put_s3_object"]


def action_result(result: dict[str, Any]) -> Any:
    """moto's ``ActionResult``: moto serializes ``result`` in the operation's AWS response shape."""
    from moto.core.responses import ActionResult

    return ActionResult(result)


def bedrock_backend(account_id: str, region: str) -> Any:
    """moto's Bedrock control-plane backend (wiped with the sandbox)."""
    from moto.bedrock.models import bedrock_backends

    return bedrock_backends[account_id][region]


def backend_state(backend: Any, name: str) -> dict[str, Any]:
    """A dict of the course's own state kept on a moto backend, so a sandbox reset wipes it with moto's."""
    return backend.__dict__.setdefault(f"_course_{name}", {})


def bedrock_logging_config(account_id: str, region: str) -> dict[str, Any]:
    """PutModelInvocationLoggingConfiguration's ``loggingConfig`` as moto stored it ({} when none)."""
    return bedrock_backend(account_id, region).get_model_invocation_logging_configuration() or {}


def service_error(code: str, message: str) -> Exception:
    """An error moto serializes from the service's botocore model (HTTP status of the error shape)."""
    from moto.bedrockruntime.exceptions import BedrockRuntimeError  # a ServiceException of a moto service package

    return BedrockRuntimeError(code, message)


def write_log_event(account_id: str, region: str, group: str, stream: str, message: str, timestamp_ms: int) -> bool:
    """Append one event to ``group``/``stream`` (the stream is created if needed); False if the group is missing."""
    from moto.logs.models import logs_backends

    logs = logs_backends[account_id][region]
    if group not in logs.groups:
        return False
    if stream not in logs.groups[group].streams:
        logs.create_log_stream(group, stream)
    logs.put_log_events(group, stream, [{"timestamp": timestamp_ms, "message": message}])
    return True


def assumed_role_for_key(account_id: str, access_key: str) -> tuple[str, str] | None:
    """(role ARN, assumed-role session ARN) for temporary credentials from STS AssumeRole, else None."""
    from moto.sts.models import sts_backends

    for backend in sts_backends.get(account_id, {}).values():
        role = backend.get_assumed_role_from_access_key(access_key)
        if role is not None:
            return str(role.role_arn), str(role.arn)
    return None


def role_policies(account_id: str, role_arn: str) -> list[Any]:
    """The inline and attached managed policy documents of an IAM role ([] if it does not exist)."""
    backend = iam_backend(account_id)
    try:
        role = backend.get_role_by_arn(role_arn)
    except Exception:  # moto's NotFoundException: a role ARN that was never created
        return []
    return list(role.policies.values()) + [policy_document(p) for p in role.managed_policies.values()]


def put_s3_object(account_id: str, partition: str, bucket: str, key: str, body: bytes) -> bool:
    """Store ``body`` as ``bucket``/``key`` in moto's S3 (event notifications fire); False if the bucket is missing."""
    from moto.s3.exceptions import MissingBucket
    from moto.s3.models import s3_backends

    try:
        s3_backends[account_id][partition].put_object(bucket, key, body)
    except MissingBucket:
        return False
    return True



# --- privacy (patches_privacy.py): accessors Comprehend PII needs -------------------------------------


# --- logs (patches_logs.py): accessors CloudWatch Logs data protection needs ---------------------------


def logs_backend(account_id: str, region: str) -> Any:
    """The CloudWatch Logs backend of an account and Region (its ``groups``: name -> LogGroup)."""
    from moto.logs.models import logs_backends

    return logs_backends[account_id][region]


__all__ += ["logs_backend"]


# --- AppConfig (patches_appconfig.py) ---


def appconfig_backend(account_id: str, region: str) -> Any:
    """moto's AppConfig backend (``applications``: id -> Application, each with ``config_profiles``)."""
    from moto.appconfig.models import appconfig_backends

    return appconfig_backends[account_id][region]


def alarm_states(account_id: str, region: str) -> dict[str, tuple[str, bool, float]]:
    """CloudWatch alarms of an account and Region: ARN -> (state, actions enabled, epoch of the last state change)."""
    from moto.cloudwatch.models import cloudwatch_backends

    alarms = cloudwatch_backends[account_id][region].alarms.values()
    return {a.alarm_arn: (a.state_value, bool(a.actions_enabled), unix_time(a.state_updated_timestamp)) for a in alarms}


__all__ += ["appconfig_backend", "alarm_states"]


# --- KMS across accounts and AWS managed policies (patches_kms.py) ---


def kms_key(account_id: str, region: str, key_ref: str) -> Any | None:
    """moto's KMS key named by ``key_ref`` (key id, key ARN, alias name or alias ARN) in an account and
    Region, or None (an account or Region with no KMS backend yet is not created)."""
    from moto.kms.models import kms_backends

    regions = dict.get(kms_backends, account_id)
    if regions is None or region not in dict.keys(regions):
        return None
    backend = regions[region]
    try:
        key_id = backend.any_id_to_key_id(key_ref)
    except (AttributeError, TypeError):  # an alias that names no key
        return None
    return backend.keys.get(key_id)


def kms_key_owner(region: str, key_id: str) -> str | None:
    """The account whose KMS backend in ``region`` holds the key ``key_id``, or None."""
    from moto.kms.models import kms_backends

    for account_id, regions in list(dict.items(kms_backends)):
        if region in dict.keys(regions) and key_id in regions[region].keys:
            return str(account_id)
    return None


def kms_ciphertext_key_id(blob: bytes) -> str | None:
    """The key id moto wrote into a symmetric ciphertext blob, or None if it is not one of moto's."""
    from moto.kms.utils import _deserialize_ciphertext_blob

    try:
        return str(_deserialize_ciphertext_blob(blob).key_id)
    except Exception:  # struct.error, UnicodeDecodeError: not moto's format
        return None


def aws_managed_policies_text() -> str:
    """moto's bundled copy of AWS managed policies (JSON text: name -> Path, DefaultVersionId, Document, dates)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    return str(aws_managed_policies_data)


def new_aws_managed_policy(name: str, account_id: str, region: str, data: dict[str, Any]) -> Any:
    """moto's ``AWSManagedPolicy`` object for one entry of :func:`aws_managed_policies_text`."""
    from moto.iam.models import AWSManagedPolicy

    return AWSManagedPolicy.from_data(name, account_id, region, data)


__all__ += ["kms_key", "kms_key_owner", "kms_ciphertext_key_id", "aws_managed_policies_text", "new_aws_managed_policy"]


# --- CloudFormation failures (patches_cfn.py): accessors cfn_failures.py needs ------------------------------


def service_error_parts(exc: BaseException) -> tuple[str, str, int] | None:
    """(error code, message, HTTP status) of an error a moto service raised; None for anything else."""
    from moto.core.exceptions import ServiceException
    from werkzeug.exceptions import HTTPException

    if isinstance(exc, ServiceException):
        return str(exc.code), str(exc.message), 400
    if isinstance(exc, HTTPException) and getattr(exc, "error_type", None):
        return str(exc.error_type), str(getattr(exc, "message", "")), int(exc.code or 400)
    return None


def cfn_event(stack: Any, logical_id: str, physical_id: str, resource_type: str, status: str, reason: str | None) -> Any:
    """A new moto stack ``Event`` (sent to the stack's notification topics, as moto's own are)."""
    from moto.cloudformation.models import Event

    event = Event(stack.stack_id, stack.name, logical_id, physical_id, resource_type, status, reason, None)
    event.sendToSns(stack.account_id, stack.region_name, stack.notification_arns)
    return event


def cfn_validation_error(message: str) -> Exception:
    """CloudFormation's ``ValidationError`` (HTTP 400) with ``message``."""
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


def cfn_failed_stack(stack: Any, kept: list[str]) -> None:
    """A stack whose creation failed: no outputs or exports, and only the ``kept`` resources in its map
    (moto's map creates a listed resource on first read, which would retry the failed one)."""
    from moto.cloudformation.models import cloudformation_backends
    from moto.cloudformation.parsing import OutputMap

    backend = cloudformation_backends[stack.account_id][stack.region_name]
    for name in [n for n, e in backend.exports.items() if e.exporting_stack_id == stack.stack_id]:
        backend.exports.pop(name)
    stack.output_map = OutputMap(stack.resource_map, {"Outputs": {}}, stack.stack_id)
    names = stack.resource_map._resource_json_map
    stack.resource_map._resource_json_map = {k: v for k, v in names.items() if k in kept}


def cfn_forget_stack(stack: Any) -> None:
    """Move a stack to the deleted stacks (found by stack id only, listed as DELETE_COMPLETE)."""
    from moto.cloudformation.models import cloudformation_backends

    backend = cloudformation_backends[stack.account_id][stack.region_name]
    backend.stacks.pop(stack.stack_id, None)
    backend.deleted_stacks[stack.stack_id] = stack


__all__ += ["service_error_parts", "cfn_event", "cfn_validation_error", "cfn_failed_stack", "cfn_forget_stack"]


# --- S3 Lifecycle and restores (patches_s3.py) ---


def s3_backend(account_id: str, partition: str) -> Any:
    """moto's S3 backend of an account and partition (``buckets``: name -> FakeBucket)."""
    from moto.s3.models import s3_backends

    return s3_backends[account_id][partition]


__all__ += ["s3_backend"]


# --- S3 presigned URLs (patches_sign.py) ---


def sts_credentials(access_key: str) -> tuple[str, Any] | None:
    """(secret key, expiration as an aware datetime) of STS AssumeRole credentials, in any account; else None."""
    from datetime import timezone

    from moto.sts.models import sts_backends

    for regions in list(dict.values(sts_backends)):
        for backend in list(dict.values(regions)):
            role = backend.get_assumed_role_from_access_key(access_key)
            if role is not None:
                expiration = role.expiration
                if expiration.tzinfo is None:
                    expiration = expiration.replace(tzinfo=timezone.utc)
                return str(role.secret_access_key), expiration
    return None


def sigv2_query_signature(method: str, url: str, headers: dict[str, str], *, expires: str, auth_path: str,
                          access_key: str, secret_key: str) -> str:
    """The S3 SigV2 query-string signature botocore computes (``headers``: content-md5/-type and x-amz-*)."""
    from urllib.parse import urlsplit

    from botocore.auth import HmacV1Auth
    from botocore.awsrequest import HTTPHeaders
    from botocore.credentials import Credentials

    class _AtExpires(HmacV1Auth):  # query auth signs the Expires time where header auth signs the Date
        def _get_date(self) -> str:
            return expires

    signed = HTTPHeaders()
    for name, value in headers.items():
        signed[name] = value
    auth = _AtExpires(Credentials(access_key, secret_key))
    return str(auth.sign_string(auth.canonical_string(method.upper(), urlsplit(url), signed, auth_path=auth_path)))


__all__ += ["sts_credentials", "sigv2_query_signature"]


# --- X-Ray active tracing (patches_xray.py, xray_tracing.py) -------------------------------------------
#: the course's API Gateway data plane is imported on first use too (0.16 s): patch it then
LAZY_MODULES = LAZY_MODULES + ("course_utils.runtime.apigateway",)


def put_trace_segment(account_id: str, region: str, document: str) -> None:
    """Store one segment document in moto's X-Ray backend, as ``PutTraceSegments`` does."""
    from moto.xray.models import xray_backends

    xray_backends[account_id][region].process_segment(document)


def add_builtin_handler(event: str, handler: Callable[..., Any]) -> None:
    """Register a botocore event handler for every session created from now on (appended, idempotent)."""
    import botocore.handlers

    if (event, handler) not in botocore.handlers.BUILTIN_HANDLERS:
        botocore.handlers.BUILTIN_HANDLERS.append((event, handler))


__all__ += ["put_trace_segment", "add_builtin_handler"]


# --- X-Ray filter expressions in GetTraceSummaries (patches_xray.py, xray_filters.py) -------------------


def xray_invalid_request(message: str) -> Exception:
    """X-Ray's ``InvalidRequestException`` (HTTP 400), raised from the backend; moto's X-Ray response re-raises
    its ``AWSError`` subclasses and serializes them as ``{"__type": ..., "message": ...}``."""
    from moto.core.exceptions import AWSError

    return AWSError(message, exception_type="InvalidRequestException", status=400)


__all__ += ["xray_invalid_request"]
#: moto's X-Ray models are imported on first use (0.07 s): patch GetTraceSummaries then
LAZY_MODULES = LAZY_MODULES + ("moto.xray.models",)
