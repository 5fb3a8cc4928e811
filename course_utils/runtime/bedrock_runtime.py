"""Amazon Bedrock runtime: InvokeModel, Converse, their streaming forms, ApplyGuardrail, with IAM, guardrails and invocation logs.

AWS: ``InvokeModel`` takes and returns each provider's native JSON body; ``Converse`` one
message format for every model (``messages`` alternating user/assistant and starting with a user
message, ``system``, ``inferenceConfig``, ``toolConfig``, ``guardrailConfig``) and answers
``output.message``, ``stopReason``, ``usage`` and ``metrics.latencyMs``. ``ConverseStream`` and
``InvokeModelWithResponseStream`` answer the same in pieces, as an event stream
(``application/vnd.amazon.eventstream``): ConverseStream's ``messageStart``,
``contentBlockStart`` (tool use), ``contentBlockDelta``, ``contentBlockStop``, ``messageStop``,
``metadata``; InvokeModelWithResponseStream's ``chunk`` events carrying the provider's native
streaming JSON. A guardrail checks the
input before the model runs (blocked: the model is not called, the answer is the blocked-input
message and ``stopReason`` is ``guardrail_intervened``) and the output after (blocked or masked).
IAM: InvokeModel and Converse need ``bedrock:InvokeModel``, the streaming operations
``bedrock:InvokeModelWithResponseStream``, on
``arn:aws:bedrock:{region}::foundation-model/{modelId}``; a guardrail also needs
``bedrock:ApplyGuardrail`` on its ARN, and the condition key ``bedrock:GuardrailIdentifier``
(``{guardrail ARN}:{version}``) lets a policy require one
(https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-id.html). With model
invocation logging on, every call writes a ``ModelInvocationLog`` record to the configured log
group and/or S3 bucket (https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html).

Simulated: no model runs: :mod:`course_utils.rules.standin_model` answers, deterministically and
labelled, and streams split its finished answer into word deltas; guardrails are evaluated by
:mod:`course_utils.rules.guardrail` (on the whole answer, before the first streamed event); the
caller is read from the SigV4 ``Authorization`` header's access key (the signature is not
re-checked); S3 log delivery writes one object per invocation. Not simulated: errors in the middle
of a stream, guardrail ``async`` stream processing (treated as ``sync``), large-data delivery to
S3 (``largeDataDeliveryS3Config``), images/documents in prompts, quotas and throttling.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Mapping

__all__ = ["invoke_model", "converse", "apply_guardrail", "caller", "authorize", "log_invocation",
           "LOG_STREAM", "reset_state", "converse_stream", "invoke_model_with_response_stream", "converse_events",
           "native_chunks", "text_pieces", "s3_log_key", "keep_request_id"]

#: The log stream Bedrock writes invocation records to in the configured log group.
LOG_STREAM = "aws/bedrock/modelinvocations"

_AUTH_KEY = re.compile(r"Credential=([^/]+)/")
_MALFORMED = "Malformed input request: {}, please reformat your input and try again."


def reset_state() -> None:
    """Nothing to reset: this module keeps no state of its own."""


def _error(code: str, message: str) -> Exception:
    from .moto_adapter import service_error

    return service_error(code, message)


# --- who is calling, and may they ---------------------------------------------------------------------


def caller(self: Any) -> dict[str, Any]:
    """``{"arn", "policies"}`` of the caller (``policies`` None: the account root, every action allowed)."""
    from .sigv4 import identity_for_key

    header = self.headers.get("Authorization") or ""
    match = _AUTH_KEY.search(header)
    account = self.current_account
    if match is None:
        return {"arn": f"arn:aws:iam::{account}:root", "policies": None}
    key = match.group(1)
    who = identity_for_key(key, account)
    if who is not None:
        if not who["user_name"]:
            return {"arn": who["arn"], "policies": None}
        from .sigv4 import user_policies

        return {"arn": who["arn"], "policies": user_policies(account, who["user_name"])}
    from .moto_adapter import assumed_role_for_key, role_policies

    role = assumed_role_for_key(account, key)
    if role is not None:
        docs = [json.loads(d) if isinstance(d, str) else d for d in role_policies(account, role[0])]
        return {"arn": role[1], "policies": docs}
    return {"arn": f"arn:aws:iam::{account}:root", "policies": None}


def authorize(who: Mapping[str, Any], action: str, resource: str, context: Mapping[str, Any] | None = None) -> None:
    """Raise AccessDeniedException (AWS's wording) unless the caller's identity policies allow ``action``."""
    if who["policies"] is None:
        return
    from ..rules import policy

    try:
        decision = policy.evaluate(action, resource, identity_policies=who["policies"], principal=who["arn"],
                                   context=dict(context or {})).decision
    except ValueError:
        decision = "ImplicitDeny"
    if decision == "Allow":
        return
    text = f"User: {who['arn']} is not authorized to perform: {action} on resource: {resource} "
    if decision == "ExplicitDeny":
        text += "with an explicit deny in an identity-based policy"
    else:
        text += f"because no identity-based policy allows the {action} action"
    raise _error("AccessDeniedException", text)


# --- models and guardrails -------------------------------------------------------------------------------


def _model(self: Any, model_id: str) -> Any:
    from ..rules import bedrock_catalogue

    model = bedrock_catalogue.find(model_id or "")
    if model is None:
        raise _error("ValidationException", "The provided model identifier is invalid.")
    return model


def _guardrail(self: Any, identifier: str | None, version: str | None) -> tuple[dict[str, Any], dict[str, Any], str] | None:
    """(record, definition, version) of the guardrail a request names, or None."""
    if not identifier:
        return None
    if not version:
        raise _error("ValidationException", "Guardrail version is required when a guardrail identifier is provided.")
    from .bedrock import guardrail_policy

    record, definition = guardrail_policy(self.current_account, self.region, identifier, version)
    return record, definition, version


def _check_access(self: Any, who: Mapping[str, Any], model: Any, guard: tuple[dict[str, Any], dict[str, Any], str] | None,
                  action: str = "bedrock:InvokeModel") -> None:
    from ..rules import bedrock_catalogue

    context = {}
    if guard is not None:
        record, _, version = guard
        context["bedrock:GuardrailIdentifier"] = record["arn"] if version == "DRAFT" else f"{record['arn']}:{version}"
    authorize(who, action, bedrock_catalogue.model_arn(model.model_id, self.region, self.partition), context)
    if guard is not None:
        authorize(who, "bedrock:ApplyGuardrail", guard[0]["arn"])


def _evaluate(definition: Mapping[str, Any], texts: list[str], source: str) -> dict[str, Any]:
    from ..rules import guardrail

    return guardrail.evaluate(definition, [{"text": {"text": t}} for t in texts if t], source, output_scope="FULL")


def _intervened(result: Mapping[str, Any]) -> str | None:
    """The text that replaces the content when the guardrail intervened, else None."""
    if result.get("action") != "GUARDRAIL_INTERVENED":
        return None
    return "\n".join(o.get("text", "") for o in result.get("outputs", []))


# --- invocation logging ----------------------------------------------------------------------------------


def log_invocation(self: Any, who: Mapping[str, Any], operation: str, model_id: str, request_id: str,
                   request: Any, response: Any, input_tokens: int, output_tokens: int) -> bool:
    """Write one ModelInvocationLog record to the configured CloudWatch log group and S3 bucket (False if neither)."""
    from .moto_adapter import bedrock_logging_config, write_log_event

    config = bedrock_logging_config(self.current_account, self.region)
    group = (config.get("cloudWatchConfig") or {}).get("logGroupName")
    bucket = (config.get("s3Config") or {}).get("bucketName")
    if not group and not bucket:
        return False
    now = datetime.now(timezone.utc)
    record_input: dict[str, Any] = {"inputContentType": "application/json", "inputTokenCount": input_tokens}
    record_output: dict[str, Any] = {"outputContentType": "application/json", "outputTokenCount": output_tokens}
    if config.get("textDataDeliveryEnabled", False):
        record_input["inputBodyJson"] = request
        record_output["outputBodyJson"] = response
    record = {
        "schemaType": "ModelInvocationLog", "schemaVersion": "1.0", "timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accountId": self.current_account, "identity": {"arn": who["arn"]}, "region": self.region,
        "requestId": request_id, "operation": operation, "modelId": model_id,
        "input": record_input, "output": record_output,
    }
    written = False
    if group:
        written = write_log_event(self.current_account, self.region, group, LOG_STREAM, json.dumps(record),
                                  int(now.timestamp() * 1000))
    if bucket:
        written = _deliver_to_s3(self, bucket, (config.get("s3Config") or {}).get("keyPrefix") or "", record, now) or written
    return written


def s3_log_key(prefix: str, account: str, region: str, when: datetime, request_id: str) -> str:
    """The key of one invocation log object: ``{prefix}/AWSLogs/{account}/BedrockModelInvocationLogs/{region}/YYYY/MM/DD/HH/{name}.json.gz``.

    AWS's bucket policy for log delivery documents the part up to ``BedrockModelInvocationLogs/``
    (``bucketName/prefix/AWSLogs/accountId/BedrockModelInvocationLogs/*``,
    https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html); the
    ``{region}/YYYY/MM/DD/HH/`` folders and gzipped JSON Lines objects are what delivered logs show
    (not stated in the user guide), and the object name (UTC time and request id) is the sandbox's own.
    """
    head = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
    name = f"{when.strftime('%Y%m%dT%H%M%S')}{when.microsecond // 1000:03d}Z_{request_id.replace('-', '')[:16]}"
    return f"{head}AWSLogs/{account}/BedrockModelInvocationLogs/{region}/{when.strftime('%Y/%m/%d/%H')}/{name}.json.gz"


def _deliver_to_s3(self: Any, bucket: str, prefix: str, record: Mapping[str, Any], when: datetime) -> bool:
    """One gzipped JSON Lines object per invocation (AWS batches records per delivery; the sandbox does not)."""
    import gzip

    from .moto_adapter import put_s3_object

    key = s3_log_key(prefix, self.current_account, self.region, when, str(record["requestId"]))
    body = gzip.compress((json.dumps(record) + "\n").encode("utf-8"))
    return put_s3_object(self.current_account, self.partition, bucket, key, body)


# --- InvokeModel: each provider's native body ---------------------------------------------------------


def _anthropic_messages(body: Mapping[str, Any]) -> tuple[list[dict[str, Any]], Any, int | None]:
    for key in ("anthropic_version", "max_tokens", "messages"):
        if key not in body:
            raise _error("ValidationException", _MALFORMED.format(f"#: required key [{key}] not found"))
    messages = []
    for m in body["messages"]:
        content = m.get("content", "")
        if isinstance(content, str):
            blocks = [{"text": content}]
        else:
            blocks = [{"text": c.get("text", "")} for c in content if c.get("type") == "text"]
        messages.append({"role": m.get("role"), "content": blocks})
    return messages, body.get("system"), int(body["max_tokens"])


def _nova_messages(body: Mapping[str, Any]) -> tuple[list[dict[str, Any]], Any, int | None]:
    if "messages" not in body:
        raise _error("ValidationException", _MALFORMED.format("#: required key [messages] not found"))
    config = body.get("inferenceConfig") or {}
    limit = config.get("maxTokens", config.get("max_new_tokens"))
    messages = [{"role": m.get("role"), "content": [{"text": c["text"]} for c in m.get("content", []) if "text" in c]}
                for m in body["messages"]]
    return messages, body.get("system"), int(limit) if limit is not None else None


def _embedding(text: str, dimensions: int, normalize: bool) -> list[float]:
    """A deterministic pseudo-embedding: SHA-256 of the text stretched to ``dimensions`` floats."""
    values: list[float] = []
    counter = 0
    while len(values) < dimensions:
        digest = hashlib.sha256(f"{counter}|{text}".encode()).digest()
        values += [(b - 127.5) / 127.5 for b in digest]
        counter += 1
    values = values[:dimensions]
    if normalize:
        norm = math.sqrt(sum(v * v for v in values)) or 1.0
        values = [v / norm for v in values]
    return values


def _native_request(model: Any, body: Mapping[str, Any]) -> tuple[list[dict[str, Any]], Any, int | None]:
    if model.body_format == "anthropic-messages":
        return _anthropic_messages(body)
    if model.body_format == "nova":
        return _nova_messages(body)
    if "prompt" not in body:
        raise _error("ValidationException", _MALFORMED.format("#: required key [prompt] not found"))
    limit = body.get("max_gen_len")
    return [{"role": "user", "content": [{"text": str(body["prompt"])}]}], None, int(limit) if limit else None


def _native_response(model: Any, text: str, stop: str, tokens_in: int, tokens_out: int) -> dict[str, Any]:
    if model.body_format == "anthropic-messages":
        return {"id": "msg_bdrk_" + uuid.uuid4().hex[:24], "type": "message", "role": "assistant",
                "content": [{"type": "text", "text": text}], "stop_reason": stop, "stop_sequence": None,
                "usage": {"input_tokens": tokens_in, "output_tokens": tokens_out}}
    if model.body_format == "nova":
        return {"output": {"message": {"role": "assistant", "content": [{"text": text}]}}, "stopReason": stop,
                "usage": {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out}}
    return {"generation": text, "prompt_token_count": tokens_in, "generation_token_count": tokens_out,
            "stop_reason": "length" if stop == "max_tokens" else "stop"}


def _invoke_embedding(model: Any, body: Mapping[str, Any]) -> tuple[dict[str, Any], int]:
    from ..rules.standin_model import estimate_tokens

    if "inputText" not in body:
        raise _error("ValidationException", _MALFORMED.format("#: required key [inputText] not found"))
    dimensions = int(body.get("dimensions", 1024))
    if dimensions not in (256, 512, 1024):
        raise _error("ValidationException", _MALFORMED.format(f"#/dimensions: {dimensions} is not a valid enum value"))
    tokens = max(1, estimate_tokens(str(body["inputText"])))
    vector = _embedding(str(body["inputText"]), dimensions, bool(body.get("normalize", True)))
    return {"embedding": vector, "inputTextTokenCount": tokens}, tokens


def invoke_model(self: Any) -> Any:
    """Replacement for ``BedrockRuntimeResponse.invoke_model``."""
    from .moto_adapter import action_result

    model = _model(self, self._get_param("modelId"))
    guard = _guardrail(self, self._get_param("guardrailIdentifier"), self._get_param("guardrailVersion"))
    who = caller(self)
    _check_access(self, who, model, guard)
    body = _json_body(self)
    request_id = str(uuid.uuid4())
    trace = (self._get_param("trace") or "DISABLED").upper() in ("ENABLED", "ENABLED_FULL")
    if model.body_format == "titan-embed-v2":
        result, tokens_in = _invoke_embedding(model, body)
        tokens_out = 0
    else:
        messages, system, limit = _native_request(model, body)
        result, tokens_in, tokens_out = _generate(model, messages, system, limit, guard, trace)
    log_invocation(self, who, "InvokeModel", model.model_id, request_id, body, result, tokens_in, tokens_out)
    self.response_headers["x-amzn-RequestId"] = request_id
    return action_result({"body": json.dumps(result), "contentType": "application/json"})


def _json_body(self: Any) -> dict[str, Any]:
    """The request body as a JSON object (ValidationException, AWS's wording, otherwise)."""
    raw = self._get_param("body")
    try:
        body = json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else (raw or ""))
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        raise _error("ValidationException", _MALFORMED.format("#: expected type: JSONObject")) from None
    return body


def _generate(model: Any, messages: list[dict[str, Any]], system: Any, limit: int | None,
              guard: tuple[dict[str, Any], dict[str, Any], str] | None, trace: bool) -> tuple[dict[str, Any], int, int]:
    from ..rules import standin_model

    prompt_texts = [b["text"] for m in messages for b in m.get("content", []) if "text" in b]
    assessments: dict[str, Any] = {}
    if guard is not None:
        checked = _evaluate(guard[1], prompt_texts, "INPUT")
        assessments["input"] = {guard[0]["id"]: (checked.get("assessments") or [{}])[0]}
        blocked = _intervened(checked)
        if blocked is not None:
            tokens_in = max(1, sum(standin_model.estimate_tokens(t) for t in prompt_texts))
            out = _native_response(model, blocked, "end_turn", tokens_in, 0)
            out["amazon-bedrock-guardrailAction"] = "INTERVENED"
            if trace:
                out["amazon-bedrock-trace"] = {"guardrail": assessments}
            return out, tokens_in, 0
    answer = standin_model.reply(messages, system=system, max_tokens=limit)
    text = "".join(b.get("text", "") for b in answer["content"])
    action = "NONE"
    if guard is not None:
        checked = _evaluate(guard[1], [text], "OUTPUT")
        assessments["outputs"] = [{guard[0]["id"]: (checked.get("assessments") or [{}])[0]}]
        replaced = _intervened(checked)
        if replaced is not None:
            text, action = replaced, "INTERVENED"
    out = _native_response(model, text, answer["stop_reason"], answer["input_tokens"], answer["output_tokens"])
    if guard is not None:
        out["amazon-bedrock-guardrailAction"] = action
        if trace:
            out["amazon-bedrock-trace"] = {"guardrail": assessments}
    return out, answer["input_tokens"], answer["output_tokens"]


# --- Converse ---------------------------------------------------------------------------------------------


def _validate_messages(messages: list[dict[str, Any]]) -> None:
    if not messages or messages[0].get("role") != "user":
        raise _error("ValidationException",
                     "A conversation must start with a user message. Try again with a conversation that starts with a user message.")
    for previous, current in zip(messages, messages[1:]):
        if previous.get("role") == current.get("role"):
            raise _error("ValidationException",
                         "A conversation must alternate between user and assistant roles. Make sure the conversation "
                         "alternates between user and assistant roles and try again.")
    for index, message in enumerate(messages):
        results = [b["toolResult"] for b in message.get("content", []) if "toolResult" in b]
        if not results:
            continue
        uses = {b["toolUse"]["toolUseId"] for b in (messages[index - 1].get("content", []) if index else [])
                if "toolUse" in b}
        if len(results) > len(uses):
            raise _error("ValidationException", f"The number of toolResult blocks at messages.{index}.content exceeds "
                                                "the number of toolUse blocks of previous turn.")


def _guarded_texts(messages: list[dict[str, Any]], system: list[dict[str, Any]]) -> list[str]:
    """Texts the input guardrail checks: only ``guardContent`` blocks when there are any, else every text."""
    blocks = [b for m in messages for b in m.get("content", [])] + list(system)
    guarded = [b["guardContent"]["text"]["text"] for b in blocks if "text" in (b.get("guardContent") or {})]
    if guarded:
        return guarded
    return [b["text"] for b in blocks if "text" in b]


def converse(self: Any) -> Any:
    """Converse (added to ``BedrockRuntimeResponse``)."""
    from .moto_adapter import action_result

    return action_result(_converse(self, "Converse", "bedrock:InvokeModel"))


def _converse(self: Any, operation: str, action: str) -> dict[str, Any]:
    """The Converse answer (validated, authorized, guarded, logged as ``operation``); sets the request id header."""
    from ..rules import standin_model

    started = time.perf_counter()
    model = _model(self, self._get_param("modelId"))
    messages = _plain(self._get_param("messages") or [])
    system = _plain(self._get_param("system") or [])
    config = _plain(self._get_param("inferenceConfig") or {})
    tool_config = _plain(self._get_param("toolConfig") or {})
    guard_config = _plain(self._get_param("guardrailConfig") or {})
    if not model.conversational:
        raise _error("ValidationException", "The provided model identifier is invalid.")
    if tool_config and not model.tool_use:
        raise _error("ValidationException", "This model doesn't support tool use.")
    _validate_messages(messages)
    guard = _guardrail(self, guard_config.get("guardrailIdentifier"), guard_config.get("guardrailVersion"))
    who = caller(self)
    _check_access(self, who, model, guard, action)
    request_id = str(uuid.uuid4())
    trace_on = guard_config.get("trace") in ("enabled", "enabled_full")
    assessment: dict[str, Any] = {}
    reply = None
    if guard is not None:
        checked = _evaluate(guard[1], _guarded_texts(messages, system), "INPUT")
        assessment["inputAssessment"] = {guard[0]["id"]: (checked.get("assessments") or [{}])[0]}
        blocked = _intervened(checked)
        if blocked is not None:
            tokens_in = max(1, sum(standin_model.estimate_tokens(t) for t in _guarded_texts(messages, system)))
            reply = {"content": [{"text": blocked}], "stop_reason": "guardrail_intervened", "input_tokens": tokens_in,
                     "output_tokens": 0}
    if reply is None:
        reply = standin_model.reply(messages, system=system, tools=tool_config.get("tools"),
                                    max_tokens=config.get("maxTokens"), tool_choice=tool_config.get("toolChoice"))
        if guard is not None:
            text = "".join(b.get("text", "") for b in reply["content"])
            checked = _evaluate(guard[1], [text], "OUTPUT") if text else {"action": "NONE", "assessments": []}
            assessment["outputAssessments"] = {guard[0]["id"]: checked.get("assessments") or []}
            replaced = _intervened(checked)
            if replaced is not None:
                reply = {**reply, "content": [{"text": replaced}], "stop_reason": "guardrail_intervened"}
    tokens_in, tokens_out = reply["input_tokens"], reply["output_tokens"]
    result: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": reply["content"]}},
        "stopReason": reply["stop_reason"],
        "usage": {"inputTokens": tokens_in, "outputTokens": tokens_out, "totalTokens": tokens_in + tokens_out},
        "metrics": {"latencyMs": max(1, int((time.perf_counter() - started) * 1000))},
    }
    if guard is not None and trace_on:
        result["trace"] = {"guardrail": assessment}
    request = {k: v for k, v in (("messages", messages), ("system", system), ("inferenceConfig", config),
                                 ("toolConfig", tool_config), ("guardrailConfig", guard_config)) if v}
    log_invocation(self, who, operation, model.model_id, request_id, request, result, tokens_in, tokens_out)
    self.response_headers["x-amzn-RequestId"] = request_id
    return result


def _plain(value: Any) -> Any:
    """moto's parsed parameters as plain dicts/lists (JSON documents such as tool input included)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --- ApplyGuardrail ------------------------------------------------------------------------------------


def apply_guardrail(self: Any) -> Any:
    """ApplyGuardrail (added to ``BedrockRuntimeResponse``): one guardrail version on the given content."""
    from ..rules import guardrail
    from .bedrock import guardrail_policy
    from .moto_adapter import action_result

    identifier = self._get_param("guardrailIdentifier")
    version = self._get_param("guardrailVersion")
    record, definition = guardrail_policy(self.current_account, self.region, identifier, version)
    authorize(caller(self), "bedrock:ApplyGuardrail", record["arn"])
    content = _plain(self._get_param("content") or [])
    result = guardrail.evaluate(definition, content, self._get_param("source"),
                                output_scope=self._get_param("outputScope") or "INTERVENTIONS")
    return action_result(result)


# --- ConverseStream and InvokeModelWithResponseStream -----------------------------------------------------

_STREAM_ACTION = "bedrock:InvokeModelWithResponseStream"


def text_pieces(text: str) -> list[str]:
    """The deltas a streamed text arrives in: one per word (with the spaces after it); joined, they give ``text``."""
    return re.findall(r"\S+\s*|\s+", text) or [text]


def _json_pieces(text: str, size: int = 16) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [text]


def converse_events(result: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """A Converse result as ConverseStream's events, in AWS's order.

    ``messageStart``; per content block: ``contentBlockStart`` (tool use only: id and name),
    ``contentBlockDelta`` (text pieces, or the tool input JSON in pieces), ``contentBlockStop``;
    ``messageStop`` (``stopReason``); ``metadata`` (``usage``, ``metrics``, ``trace`` if any).
    """
    message = result["output"]["message"]
    events: list[tuple[str, dict[str, Any]]] = [("messageStart", {"role": message["role"]})]
    for index, block in enumerate(message["content"]):
        if "toolUse" in block:
            use = block["toolUse"]
            events.append(("contentBlockStart", {"start": {"toolUse": {"toolUseId": use["toolUseId"], "name": use["name"]}},
                                                 "contentBlockIndex": index}))
            deltas = [{"toolUse": {"input": p}} for p in _json_pieces(json.dumps(use.get("input", {})))]
        else:
            deltas = [{"text": p} for p in text_pieces(str(block.get("text", "")))]
        events += [("contentBlockDelta", {"delta": d, "contentBlockIndex": index}) for d in deltas]
        events.append(("contentBlockStop", {"contentBlockIndex": index}))
    events.append(("messageStop", {"stopReason": result["stopReason"]}))
    metadata: dict[str, Any] = {"usage": result["usage"], "metrics": result["metrics"]}
    if "trace" in result:
        metadata["trace"] = result["trace"]
    events.append(("metadata", metadata))
    return events


def _stream_response(self: Any, request_id: str, body: bytes, headers: Mapping[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    from ..rules.eventstream import CONTENT_TYPE

    self.response_headers["x-amzn-RequestId"] = request_id
    return 200, {"Content-Type": CONTENT_TYPE, "x-amzn-RequestId": request_id, **(headers or {})}, body


def converse_stream(self: Any) -> Any:
    """ConverseStream (added to ``BedrockRuntimeResponse``): the Converse answer as an event stream.

    AWS: the same request as Converse; IAM action ``bedrock:InvokeModelWithResponseStream``
    (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html). With a
    guardrail, ``streamProcessingMode`` ``sync`` (the default) buffers response chunks and scans them
    before sending; ``async`` sends chunks at once and scans in the background, blocking later chunks
    once something is found, and cannot mask sensitive information
    (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-streaming.html).

    Simulated: the input is checked before the stand-in runs and its whole answer is checked before
    the first event is sent, in both modes (``streamProcessingMode`` is accepted and ignored, so
    masking works in ``async`` too); the answer is then split into word deltas. Errors in the middle
    of a stream are not simulated.
    """
    from ..rules.eventstream import encode_events

    result = _converse(self, "ConverseStream", _STREAM_ACTION)
    request_id = self.response_headers["x-amzn-RequestId"]
    return _stream_response(self, request_id, encode_events(converse_events(result)))


def _native_answer(model: Any, out: Mapping[str, Any]) -> tuple[str, str]:
    """(text, stop reason) of a native InvokeModel response body."""
    if model.body_format == "anthropic-messages":
        return "".join(c.get("text", "") for c in out["content"]), str(out["stop_reason"])
    if model.body_format == "nova":
        return "".join(c.get("text", "") for c in out["output"]["message"]["content"]), str(out["stopReason"])
    return str(out["generation"]), str(out["stop_reason"])


def native_chunks(model: Any, out: Mapping[str, Any], tokens_in: int, tokens_out: int, latency_ms: int) -> list[dict[str, Any]]:
    """A native InvokeModel body as the provider's streaming chunks.

    Anthropic Claude (Messages API): ``message_start`` (the message, empty ``content``),
    ``content_block_start``, ``content_block_delta`` (``text_delta``) per piece,
    ``content_block_stop``, ``message_delta`` (``stop_reason``, ``usage.output_tokens``),
    ``message_stop`` with Bedrock's ``amazon-bedrock-invocationMetrics``
    (https://docs.anthropic.com/en/api/messages-streaming,
    https://docs.aws.amazon.com/bedrock/latest/userguide/bedrock-runtime_example_bedrock-runtime_InvokeModelWithResponseStream_AnthropicClaude_section.html).
    Amazon Nova: ``messageStart``, ``contentBlockDelta`` per piece, ``contentBlockStop``,
    ``messageStop``, ``metadata`` (``usage``), each a one-key object
    (https://docs.aws.amazon.com/nova/latest/nova2-userguide/streaming-responses.html).
    Meta Llama: ``generation`` pieces (``prompt_token_count`` on the first, a running
    ``generation_token_count``); the last has ``stop_reason`` and the invocation metrics (the
    Llama chunk fields are not confirmed in AWS's documentation).
    """
    text, stop = _native_answer(model, out)
    pieces = text_pieces(text)
    metrics = {"inputTokenCount": tokens_in, "outputTokenCount": tokens_out, "invocationLatency": latency_ms,
               "firstByteLatency": latency_ms}
    if model.body_format == "anthropic-messages":
        start = {key: out[key] for key in ("id", "type", "role") if key in out}
        start.update({"model": model.model_id, "content": [], "stop_reason": None, "stop_sequence": None,
                      "usage": {"input_tokens": tokens_in, "output_tokens": 0}})
        return ([{"type": "message_start", "message": start},
                 {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}]
                + [{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}} for p in pieces]
                + [{"type": "content_block_stop", "index": 0},
                   {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": tokens_out}},
                   {"type": "message_stop", "amazon-bedrock-invocationMetrics": metrics}])
    if model.body_format == "nova":
        return ([{"messageStart": {"role": "assistant"}}]
                + [{"contentBlockDelta": {"delta": {"text": p}, "contentBlockIndex": 0}} for p in pieces]
                + [{"contentBlockStop": {"contentBlockIndex": 0}}, {"messageStop": {"stopReason": stop}},
                   {"metadata": {"usage": {"inputTokens": tokens_in, "outputTokens": tokens_out}}}])
    from ..rules.standin_model import estimate_tokens

    chunks = [{"generation": piece, "prompt_token_count": tokens_in if number == 1 else None,
               "generation_token_count": estimate_tokens("".join(pieces[:number])), "stop_reason": None}
              for number, piece in enumerate(pieces, 1)]
    chunks[-1]["stop_reason"] = stop
    chunks[-1]["amazon-bedrock-invocationMetrics"] = metrics
    return chunks


def invoke_model_with_response_stream(self: Any) -> Any:
    """InvokeModelWithResponseStream (added to ``BedrockRuntimeResponse``): native streaming chunks.

    AWS: the InvokeModel request; IAM action ``bedrock:InvokeModelWithResponseStream``; the body is
    an event stream of ``chunk`` events whose ``bytes`` are the provider's streaming JSON; a model
    without ``responseStreamingSupported`` (embeddings) answers ValidationException "The model is
    unsupported for streaming." (the message AWS returns, seen in SDK error reports).
    Simulated: the stand-in's whole answer (guarded as for InvokeModel) is split into word pieces
    (:func:`native_chunks`); the invocation record logs the chunks sent as ``outputBodyJson``
    (not confirmed against a delivered record).
    """
    from ..rules.eventstream import encode_events

    started = time.perf_counter()
    model = _model(self, self._get_param("modelId"))
    guard = _guardrail(self, self._get_param("guardrailIdentifier"), self._get_param("guardrailVersion"))
    who = caller(self)
    _check_access(self, who, model, guard, _STREAM_ACTION)
    if not model.streaming:
        raise _error("ValidationException", "The model is unsupported for streaming.")
    body = _json_body(self)
    trace = (self._get_param("trace") or "DISABLED").upper() in ("ENABLED", "ENABLED_FULL")
    messages, system, limit = _native_request(model, body)
    out, tokens_in, tokens_out = _generate(model, messages, system, limit, guard, trace)
    latency = max(1, int((time.perf_counter() - started) * 1000))
    chunks = native_chunks(model, out, tokens_in, tokens_out, latency)
    request_id = str(uuid.uuid4())
    log_invocation(self, who, "InvokeModelWithResponseStream", model.model_id, request_id, body, chunks,
                   tokens_in, tokens_out)
    payload = encode_events(("chunk", {"bytes": base64.b64encode(json.dumps(c).encode("utf-8")).decode("ascii")})
                            for c in chunks)
    return _stream_response(self, request_id, payload, {"X-Amzn-Bedrock-Content-Type": "application/json"})


def keep_request_id(call_action: Any) -> Any:
    """Wrap ``BedrockRuntimeResponse.call_action``: answer with the request id the runtime logged.

    moto sets a random ``x-amzn-requestid`` on every response after the operation ran; the runtime's
    operations put theirs in ``response_headers["x-amzn-RequestId"]``, the id of the invocation record.
    """

    def call_action_keeping_request_id(self: Any) -> Any:
        status, headers, body = call_action(self)
        ours = self.response_headers.get("x-amzn-RequestId")
        if ours and isinstance(headers, dict):
            headers["x-amzn-requestid"] = ours
        return status, headers, body

    return call_action_keeping_request_id
