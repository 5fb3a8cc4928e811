"""REST API stages: deployment snapshots, canary releases and the stage cache.

AWS:

* **Deployments are snapshots.** A stage serves the API as it was when its deployment was
  created; changing a method afterwards changes nothing for callers until you deploy again.
* **Canary**: a stage's ``canarySettings`` (``percentTraffic``, ``deploymentId``,
  ``stageVariableOverrides``, ``useStageCache``) send that percentage of requests to the canary
  deployment, with the overridden stage variables. ``CreateDeployment`` with ``canarySettings``
  puts the new deployment on the canary and leaves the stage's own deployment serving the rest;
  promoting copies ``/canarySettings/deploymentId`` to ``/deploymentId`` (and the overrides to
  ``/variables``) with ``UpdateStage``; ``remove /canarySettings`` deletes the canary.
* **Cache** (``cacheClusterEnabled`` on the stage plus the method setting ``caching/enabled``):
  responses are kept for ``caching/ttlInSeconds`` (default 300 s, at most 3600 s, 0 turns it
  off). Setting it for ``*/*`` enables only ``GET`` methods; other methods need their own
  method setting. The cache key is the method, the request path and the integration's
  ``cacheKeyParameters`` (e.g. ``method.request.querystring.id``): other query strings and
  headers do not split the cache. ``Cache-Control: max-age=0`` refetches only when
  ``requireAuthorizationForCacheControl`` is off (otherwise, by default, the header is ignored;
  with ``FAIL_WITH_403`` the request gets 403).

Simulated: moto keeps no snapshot and drops ``canarySettings`` and ``cacheKeyParameters``; the runtime deep-copies the
API's resources when a deployment is created, keeps canary settings on moto's ``Stage`` and
returns them from ``GetStage``. The cache is a dict in this process with ``time.time()``
expiry (so ``freezegun`` moves it); responses with status >= 500 are not cached. Canary draws
come from a ``random.Random`` reseeded by :func:`reset_state` (repeatable). Cache size, cache
encryption and authorized invalidation with ``execute-api:InvalidateCache`` are not modelled.
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from typing import Any, Callable

__all__ = [
    "wrap_create_deployment",
    "update_integration_mocks",
    "wrap_response_create_deployment",
    "wrap_apply_operations",
    "wrap_stage_to_json",
    "wrap_put_integration",
    "resources_for",
    "pick_deployment",
    "cache_lookup",
    "cache_store",
    "cache_stats",
    "reset_state",
]

_rng = random.Random(0)
_lock = threading.Lock()
_cache: dict[tuple[Any, ...], tuple[float, tuple[int, dict[str, str], Any]]] = {}
_stats = {"hits": 0, "misses": 0}


def reset_state() -> None:
    with _lock:
        _cache.clear()
        _stats.update(hits=0, misses=0)
    _rng.seed(0)


# --- snapshots -------------------------------------------------------------------------------------


def wrap_create_deployment(original: Callable[..., Any]) -> Callable[..., Any]:
    """``RestAPI.create_deployment``: keep a copy of the resources as they are now."""

    def create_deployment(self: Any, name: str, description: str, stage_variables: Any = None) -> Any:
        deployment = original(self, name, description, stage_variables)
        deployment._course_resources = copy.deepcopy(self.resources)
        return deployment

    create_deployment.__wrapped__ = original  # type: ignore[attr-defined]
    return create_deployment


def resources_for(api: Any, deployment_id: str | None) -> dict[str, Any]:
    """The resources a deployment serves (its snapshot; the live ones if it has none)."""
    deployment = api.deployments.get(deployment_id) if deployment_id else None
    snapshot = getattr(deployment, "_course_resources", None)  # ours; None for no deployment
    return snapshot if snapshot is not None else api.resources


def update_integration_mocks(self: Any, stage_name: str) -> None:
    """Replacement for ``RestAPI.update_integration_mocks``: register nothing.

    moto adds two ``responses`` callbacks per method on every deployment; the course's own
    execute-api callback (:mod:`.routes`) serves every stage, so they would only pile up and make
    every later HTTP request slower to match.
    """


# --- canary ----------------------------------------------------------------------------------------


def _canary(stage: Any) -> dict[str, Any] | None:
    return stage.__dict__.get("_course_canary")


def wrap_response_create_deployment(original: Callable[..., Any]) -> Callable[..., Any]:
    """``APIGatewayResponse.create_deployment``: honour ``canarySettings``."""

    def create_deployment(self: Any) -> Any:
        canary = self._get_param("canarySettings")
        stage_name = self._get_param("stageName")
        api_id = self.path.replace("/restapis/", "", 1).split("/")[0]
        api = self.backend.get_rest_api(api_id) if canary else None
        old_stage = api.stages.get(stage_name) if api is not None and stage_name else None
        result = original(self)
        if canary and api is not None and old_stage is not None:
            status, headers, body = result
            deployment_id = json.loads(body)["id"]
            api.stages[stage_name] = old_stage  # the stage keeps serving its own deployment
            old_stage._course_canary = {
                "percentTraffic": float(canary.get("percentTraffic", 0.0)),
                "deploymentId": deployment_id,
                "stageVariableOverrides": dict(canary.get("stageVariableOverrides") or {}),
                "useStageCache": bool(canary.get("useStageCache", False)),
            }
        return result

    create_deployment.__wrapped__ = original  # type: ignore[attr-defined]
    return create_deployment


def wrap_apply_operations(original: Callable[..., Any]) -> Callable[..., Any]:
    """``Stage.apply_operations``: the ``/canarySettings`` patch operations (and promotion copies)."""

    def apply_operations(self: Any, patch_operations: list[dict[str, Any]]) -> Any:
        rest: list[dict[str, Any]] = []
        for op in patch_operations:
            path, kind = op.get("path", ""), op.get("op")
            source = op.get("from", "")
            if kind == "copy" and source == "/canarySettings/deploymentId" and path == "/deploymentId":
                if _canary(self):
                    self.deployment_id = _canary(self)["deploymentId"]
            elif kind == "copy" and source == "/canarySettings/stageVariableOverrides" and path == "/variables":
                if _canary(self):
                    self.variables.update(_canary(self)["stageVariableOverrides"])
            elif path == "/canarySettings" and kind == "remove":
                self.__dict__.pop("_course_canary", None)
            elif path.startswith("/canarySettings/"):
                canary = self.__dict__.setdefault(
                    "_course_canary",
                    {"percentTraffic": 0.0, "deploymentId": self.deployment_id, "stageVariableOverrides": {}, "useStageCache": False},
                )
                key = path[len("/canarySettings/"):]
                if key == "percentTraffic":
                    canary["percentTraffic"] = float(op.get("value", 0))
                elif key == "deploymentId":
                    canary["deploymentId"] = op.get("value")
                elif key == "useStageCache":
                    canary["useStageCache"] = str(op.get("value")).lower() == "true"
                elif key.startswith("stageVariableOverrides/"):
                    name = key.split("/", 1)[1]
                    if kind == "remove":
                        canary["stageVariableOverrides"].pop(name, None)
                    else:
                        canary["stageVariableOverrides"][name] = op.get("value")
            else:
                rest.append(op)
        return original(self, rest) if rest else self

    apply_operations.__wrapped__ = original  # type: ignore[attr-defined]
    return apply_operations


def wrap_stage_to_json(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def to_json(self: Any) -> dict[str, Any]:
        data = original(self)
        canary = _canary(self)
        if canary:
            data["canarySettings"] = dict(canary)
        return data

    to_json.__wrapped__ = original  # type: ignore[attr-defined]
    return to_json


def pick_deployment(stage: Any) -> tuple[str | None, dict[str, str], bool]:
    """(deployment id, stage variables, is canary) for one request to ``stage``."""
    variables = dict(stage.variables or {})
    canary = _canary(stage)
    if canary and canary["percentTraffic"] > 0 and _rng.random() * 100.0 < canary["percentTraffic"]:
        variables.update(canary["stageVariableOverrides"])
        return canary["deploymentId"], variables, True
    return stage.deployment_id, variables, False


# --- cache -----------------------------------------------------------------------------------------


def wrap_put_integration(original: Callable[..., Any]) -> Callable[..., Any]:
    """``APIGatewayResponse.put_integration``: keep ``cacheKeyParameters`` (moto drops them)."""

    def put_integration(self: Any) -> Any:
        result = original(self)
        keys = self._get_param("cacheKeyParameters")
        if keys:
            parts = self.path.split("/")
            integration = self.backend.get_integration(parts[2], parts[4], parts[6])
            integration.cache_key_parameters = list(keys)
            status, headers, _body = result
            result = (status, headers, json.dumps(integration.to_json()))
        return result

    put_integration.__wrapped__ = original  # type: ignore[attr-defined]
    return put_integration


def _setting(stage: Any, resource_path: str, method: str) -> dict[str, Any] | None:
    """The method settings that apply: ``{path}/{METHOD}`` first, then ``*/*`` (GET only)."""
    settings = stage.method_settings or {}
    own_key = resource_path.strip("/").replace("/", "~1") + "/" + method
    for key in (own_key, "~1" + own_key):
        if key in settings:
            return settings[key]
    if method == "GET" and "*/*" in settings:
        return settings["*/*"]
    return None


def cache_policy(stage: Any, resource_path: str, method: str) -> dict[str, Any] | None:
    """``{ttl, require_auth, strategy}`` if responses of this method are cached, else None."""
    if not stage.cache_cluster_enabled:
        return None
    setting = _setting(stage, resource_path, method)
    if not setting or not setting.get("cachingEnabled"):
        return None
    ttl = int(setting.get("cacheTtlInSeconds", 300))
    if ttl <= 0:
        return None
    return {
        "ttl": min(ttl, 3600),
        "require_auth": bool(setting.get("requireAuthorizationForCacheControl", True)),
        "strategy": setting.get("unauthorizedCacheControlHeaderStrategy", "SUCCEED_WITH_RESPONSE_HEADER"),
    }


def cache_key(api: Any, stage: Any, deployment_id: str | None, method: str, path: str, integration: Any,
              event: dict[str, Any]) -> tuple[Any, ...]:
    parts: list[tuple[str, str]] = []
    qs = event.get("queryStringParameters") or {}
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    for param in integration.cache_key_parameters or []:
        if param.startswith("method.request.querystring."):
            name = param.split(".", 3)[3]
            parts.append((param, str(qs.get(name))))
        elif param.startswith("method.request.header."):
            name = param.split(".", 3)[3].lower()
            parts.append((param, str(headers.get(name))))
    return (api.id, stage.name, deployment_id, method, path, tuple(parts))


def cache_lookup(key: tuple[Any, ...]) -> tuple[int, dict[str, str], Any] | None:
    now = time.time()
    with _lock:
        entry = _cache.get(key)
        if entry is not None and entry[0] > now:
            _stats["hits"] += 1
            return entry[1]
        _cache.pop(key, None)
        _stats["misses"] += 1
        return None


def cache_store(key: tuple[Any, ...], ttl: int, response: tuple[int, dict[str, str], Any]) -> None:
    if response[0] >= 500:
        return
    with _lock:
        _cache[key] = (time.time() + ttl, response)


def cache_stats() -> dict[str, int]:
    """Hits and misses since the last reset (AWS reports them as CacheHitCount / CacheMissCount)."""
    with _lock:
        return dict(_stats, entries=len(_cache))


def flush(api_id: str, stage_name: str) -> None:
    """Drop a stage's cached responses (AWS: ``FlushStageCache``)."""
    with _lock:
        for key in [k for k in _cache if k[0] == api_id and k[1] == stage_name]:
            del _cache[key]
