"""Amazon Bedrock control plane: the foundation-model catalogue and guardrails (with versions).

AWS: ``ListFoundationModels``/``GetFoundationModel`` describe the models of a Region.
``CreateGuardrail`` makes a guardrail (id of lowercase letters and digits, ARN
``arn:aws:bedrock:{region}:{account}:guardrail/{id}``) whose working copy is the ``DRAFT``
version; ``UpdateGuardrail`` replaces the DRAFT; ``CreateGuardrailVersion`` freezes the DRAFT
as an immutable numbered version (1, 2, ...); ``GetGuardrail`` reads one version (DRAFT when
none is given) by id or ARN; ``ListGuardrails`` lists the DRAFT of every guardrail, or every
version of one (``guardrailIdentifier``); ``DeleteGuardrail`` deletes the guardrail or one
numbered version. API reference: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_GetGuardrail.html

Simulated: the catalogue is the small verified list in :mod:`course_utils.rules.bedrock_catalogue`;
guardrails are kept on moto's Bedrock backend (wiped with the sandbox), are ``READY`` at once,
and their policies are checked with :func:`course_utils.rules.guardrail.check_policy`.
Contextual grounding, automated reasoning, cross-Region and KMS settings are stored, not applied.
"""

from __future__ import annotations

import json
import secrets
import string
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

__all__ = [
    "list_foundation_models", "get_foundation_model", "create_guardrail", "get_guardrail", "list_guardrails",
    "update_guardrail", "create_guardrail_version", "delete_guardrail", "guardrails", "find_guardrail",
    "guardrail_policy", "reset_state",
]

#: CreateGuardrail request fields kept as a version's definition (the policy the engine evaluates).
_POLICY_FIELDS = (
    "topicPolicyConfig", "contentPolicyConfig", "wordPolicyConfig", "sensitiveInformationPolicyConfig",
    "contextualGroundingPolicyConfig", "automatedReasoningPolicyConfig", "crossRegionConfig",
    "blockedInputMessaging", "blockedOutputsMessaging",
)  # fmt: skip

#: request field -> (GetGuardrail response field, {request list key: response list key})
_AS_READ = {
    "topicPolicyConfig": ("topicPolicy", {"topicsConfig": "topics", "tierConfig": "tier"}),
    "contentPolicyConfig": ("contentPolicy", {"filtersConfig": "filters", "tierConfig": "tier"}),
    "wordPolicyConfig": ("wordPolicy", {"wordsConfig": "words", "managedWordListsConfig": "managedWordLists"}),
    "sensitiveInformationPolicyConfig": ("sensitiveInformationPolicy",
                                         {"piiEntitiesConfig": "piiEntities", "regexesConfig": "regexes"}),
    "contextualGroundingPolicyConfig": ("contextualGroundingPolicy", {"filtersConfig": "filters"}),
}


def reset_state() -> None:
    """Nothing to do: guardrails live on moto's backend and go with ``sandbox.reset()``."""


def _error(code: str, message: str) -> Exception:
    from .moto_adapter import service_error

    return service_error(code, message)


def guardrails(account_id: str, region: str) -> dict[str, dict[str, Any]]:
    """The guardrails of one account and Region: id -> record (kept on moto's Bedrock backend)."""
    from .moto_adapter import backend_state, bedrock_backend

    return backend_state(bedrock_backend(account_id, region), "guardrails")


def _body(self: Any) -> dict[str, Any]:
    raw = self.body
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    return json.loads(raw) if raw else {}


def _query(self: Any, name: str) -> str | None:
    values = self.querystring.get(name)
    return values[0] if values else None


def _path_identifier(self: Any) -> str:
    return unquote(self.path.split("?", 1)[0].split("/guardrails/", 1)[1])


def find_guardrail(account_id: str, region: str, identifier: str) -> dict[str, Any]:
    """The record of a guardrail given by id or ARN; ResourceNotFoundException otherwise."""
    key = identifier.rsplit("/", 1)[-1] if identifier.startswith("arn:") else identifier
    record = guardrails(account_id, region).get(key)
    if record is None or (identifier.startswith("arn:") and record["arn"] != identifier):
        raise _error("ResourceNotFoundException", f"The guardrail {identifier} was not found.")
    return record


def guardrail_policy(account_id: str, region: str, identifier: str, version: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(record, definition of ``version``: DRAFT when None) for ApplyGuardrail and guardrailConfig."""
    record = find_guardrail(account_id, region, identifier)
    version = version or "DRAFT"
    if version == "DRAFT":
        return record, record["draft"]
    if version not in record["versions"]:
        raise _error("ResourceNotFoundException", f"The guardrail {identifier} version {version} was not found.")
    return record, record["versions"][version]["policy"]


def _definition(params: dict[str, Any]) -> dict[str, Any]:
    from ..rules import guardrail

    policy = {k: params[k] for k in _POLICY_FIELDS if k in params}
    problems = guardrail.check_policy(policy)
    if problems:
        raise _error("ValidationException", problems[0])
    return policy


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _new_id(existing: dict[str, Any]) -> str:
    alphabet = string.ascii_lowercase + string.digits
    while True:
        gid = "".join(secrets.choice(alphabet) for _ in range(12))
        if gid not in existing:
            return gid


def _as_read(policy: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field, (name, keys) in _AS_READ.items():
        if field in policy:
            out[name] = {keys.get(k, k): v for k, v in policy[field].items()}
    out["blockedInputMessaging"] = policy.get("blockedInputMessaging", "")
    out["blockedOutputsMessaging"] = policy.get("blockedOutputsMessaging", "")
    return out


# --- the operations (added to moto's BedrockResponse) -------------------------------------------------


def list_foundation_models(self: Any) -> Any:
    """ListFoundationModels with its four filters."""
    from ..rules import bedrock_catalogue
    from .moto_adapter import action_result as ActionResult

    models = bedrock_catalogue.summaries(
        self.region, by_provider=_query(self, "byProvider"), by_output_modality=_query(self, "byOutputModality"),
        by_inference_type=_query(self, "byInferenceType"), by_customization_type=_query(self, "byCustomizationType"),
    )
    return ActionResult({"modelSummaries": models})


def get_foundation_model(self: Any) -> Any:
    """GetFoundationModel by model id or foundation-model ARN."""
    from ..rules import bedrock_catalogue
    from .moto_adapter import action_result as ActionResult

    identifier = unquote(self.path.split("?", 1)[0].split("/foundation-models/", 1)[1])
    model = bedrock_catalogue.find(identifier)
    if model is None:
        raise _error("ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier.")
    return ActionResult({"modelDetails": bedrock_catalogue.summary(model, self.region)})


def create_guardrail(self: Any) -> Any:
    from .moto_adapter import action_result as ActionResult

    params = _body(self)
    store = guardrails(self.current_account, self.region)
    name = params.get("name", "")
    if any(r["name"] == name for r in store.values()):
        raise _error("ConflictException", f"A guardrail with the name {name} already exists.")
    policy = _definition(params)
    gid = _new_id(store)
    now = _now()
    arn = f"arn:{self.partition}:bedrock:{self.region}:{self.current_account}:guardrail/{gid}"
    store[gid] = {"id": gid, "arn": arn, "name": name, "description": params.get("description"), "created": now,
                  "updated": now, "draft": policy, "versions": {}, "next_version": 1, "tags": params.get("tags", [])}
    return ActionResult({"guardrailId": gid, "guardrailArn": arn, "version": "DRAFT", "createdAt": now})


def _version_view(record: dict[str, Any], version: str) -> dict[str, Any]:
    if version == "DRAFT":
        policy, description, updated = record["draft"], record["description"], record["updated"]
    else:
        snap = record["versions"][version]
        policy, description, updated = snap["policy"], snap["description"], snap["created"]
    view = {"name": record["name"], "guardrailId": record["id"], "guardrailArn": record["arn"], "version": version,
            "status": "READY", "createdAt": record["created"], "updatedAt": updated, **_as_read(policy)}
    if description:
        view["description"] = description
    return view


def get_guardrail(self: Any) -> Any:
    from .moto_adapter import action_result as ActionResult

    version = _query(self, "guardrailVersion") or "DRAFT"
    identifier = _path_identifier(self)
    record, _ = guardrail_policy(self.current_account, self.region, identifier, version)
    return ActionResult(_version_view(record, version))


def _summary(record: dict[str, Any], version: str) -> dict[str, Any]:
    view = _version_view(record, version)
    out = {"id": view["guardrailId"], "arn": view["guardrailArn"], "status": "READY", "name": view["name"],
           "version": version, "createdAt": view["createdAt"], "updatedAt": view["updatedAt"]}
    if view.get("description"):
        out["description"] = view["description"]
    return out


def list_guardrails(self: Any) -> Any:
    from .moto_adapter import action_result as ActionResult

    identifier = _query(self, "guardrailIdentifier")
    if identifier:
        record = find_guardrail(self.current_account, self.region, identifier)
        items = [_summary(record, "DRAFT")] + [_summary(record, v) for v in record["versions"]]
    else:
        items = [_summary(r, "DRAFT") for r in guardrails(self.current_account, self.region).values()]
    start = int(_query(self, "nextToken") or 0)
    size = int(_query(self, "maxResults") or 100)
    result: dict[str, Any] = {"guardrails": items[start:start + size]}
    if start + size < len(items):
        result["nextToken"] = str(start + size)
    return ActionResult(result)


def update_guardrail(self: Any) -> Any:
    from .moto_adapter import action_result as ActionResult

    params = _body(self)
    record = find_guardrail(self.current_account, self.region, _path_identifier(self))
    name = params.get("name", record["name"])
    if any(r["name"] == name and r["id"] != record["id"] for r in guardrails(self.current_account, self.region).values()):
        raise _error("ConflictException", f"A guardrail with the name {name} already exists.")
    record["draft"] = _definition(params)
    record["name"], record["description"], record["updated"] = name, params.get("description"), _now()
    return ActionResult({"guardrailId": record["id"], "guardrailArn": record["arn"], "version": "DRAFT",
                         "updatedAt": record["updated"]})


def create_guardrail_version(self: Any) -> Any:
    from .moto_adapter import action_result as ActionResult

    params = _body(self)
    record = find_guardrail(self.current_account, self.region, _path_identifier(self))
    version = str(record["next_version"])
    record["next_version"] += 1
    record["versions"][version] = {"policy": json.loads(json.dumps(record["draft"])), "created": _now(),
                                   "description": params.get("description", record["description"])}
    return ActionResult({"guardrailId": record["id"], "version": version})


def delete_guardrail(self: Any) -> Any:
    from .moto_adapter import action_result as ActionResult

    record = find_guardrail(self.current_account, self.region, _path_identifier(self))
    version = _query(self, "guardrailVersion")
    if version:
        if version not in record["versions"]:
            raise _error("ResourceNotFoundException", f"The guardrail {record['id']} version {version} was not found.")
        del record["versions"][version]
    else:
        del guardrails(self.current_account, self.region)[record["id"]]
    return ActionResult({})
