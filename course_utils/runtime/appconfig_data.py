"""AWS AppConfig Data: how an application reads its deployed configuration.

AWS (AppConfig Data API reference, StartConfigurationSession and GetLatestConfiguration):

* ``StartConfigurationSession(ApplicationIdentifier, EnvironmentIdentifier,
  ConfigurationProfileIdentifier)`` (IDs or names) answers an ``InitialConfigurationToken``.
* ``GetLatestConfiguration(ConfigurationToken)`` answers the deployed configuration, a
  ``NextPollConfigurationToken`` for the next call, and ``NextPollIntervalInSeconds``. The body is
  **empty when the client already has the latest version**. Each token is valid for one call and
  for up to 24 hours; an expired token gives ``BadRequestException``.
* While a deployment grows, only part of the clients receive the new version; after a rollback
  they receive the previous one again.

Simulated: moto 5.2.5 has no AppConfig Data service. The sandbox answers its two operations
before moto's "not implemented" (a wrap of moto's request router), in-process; each session is
placed in one of 100 fixed buckets, and sees the new version once the deployment's percentage
passes its bucket. Feature-flag profiles return the ``values`` object of the flags document.
A reused token is refused with ``BadRequestException``; the default poll interval (60 s) and
the error wording are ours.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from .appconfig import FEATURE_FLAGS, served_version, state_of
from .moto_adapter import appconfig_backend, default_account_id

__all__ = ["wrap_process_request", "answer"]

_TOKEN_LIFETIME = 24 * 3600
_DEFAULT_POLL = 60


def wrap_process_request(original: Callable[..., Any]) -> Callable[..., Any]:
    """``BotocoreStubber.process_request``: answer ``appconfigdata.<region>.amazonaws.com`` ourselves."""

    def process_request(self: Any, request: Any) -> Any:
        host = urlsplit(request.url).hostname or ""
        if host.startswith("appconfigdata.") and host.endswith(".amazonaws.com"):
            return answer(request.method, request.url, request.body)
        return original(self, request)

    return process_request


def _error(status: int, code: str, message: str, **extra: Any) -> tuple[int, dict[str, str], bytes]:
    body = {"__type": code, "message": message, "Message": message, **extra}
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, json.dumps(body).encode()


def _find(items: dict[str, Any], identifier: str, name_of: Callable[[Any], str]) -> str | None:
    if identifier in items:
        return identifier
    return next((key for key, item in items.items() if name_of(item) == identifier), None)


def answer(method: str, url: str, body: Any) -> tuple[int, dict[str, str], bytes]:
    """Answer one AppConfig Data request (the account is the sandbox's)."""
    parts = urlsplit(url)
    region = (parts.hostname or "").split(".")[1]
    account = default_account_id()
    if method == "POST" and parts.path.rstrip("/") == "/configurationsessions":
        raw = body.decode() if isinstance(body, bytes) else (body or "{}")
        return _start_session(account, region, json.loads(raw or "{}"))
    if method == "GET" and parts.path.rstrip("/") == "/configuration":
        token = (parse_qs(parts.query).get("configuration_token") or [""])[0]
        return _latest(account, region, token)
    return _error(404, "ResourceNotFoundException", f"No AppConfig Data operation at {method} {parts.path}")


def _start_session(account: str, region: str, params: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    backend = appconfig_backend(account, region)
    app_id = _find(backend.applications, params.get("ApplicationIdentifier", ""), lambda a: a.name)
    if app_id is None:
        return _error(404, "ResourceNotFoundException", "Application not found", ResourceType="Application")
    envs = state_of(account, region)["environments"].get(app_id, {})
    env_id = _find(envs, params.get("EnvironmentIdentifier", ""), lambda e: e["Name"])
    if env_id is None:
        return _error(404, "ResourceNotFoundException", "Environment not found", ResourceType="Environment")
    profiles = backend.applications[app_id].config_profiles
    profile_id = _find(profiles, params.get("ConfigurationProfileIdentifier", ""), lambda p: p.name)
    if profile_id is None:
        return _error(404, "ResourceNotFoundException", "Configuration profile not found",
                      ResourceType="ConfigurationProfile")
    session_id = uuid.uuid4().hex
    session = {"app": app_id, "env": env_id, "profile": profile_id, "seen": None,
               "bucket": int(hashlib.sha256(session_id.encode()).hexdigest(), 16) % 100,
               "poll": params.get("RequiredMinimumPollIntervalInSeconds") or _DEFAULT_POLL}
    token = _issue(account, region, session)
    return 201, {"Content-Type": "application/json"}, json.dumps({"InitialConfigurationToken": token}).encode()


def _issue(account: str, region: str, session: dict[str, Any]) -> str:
    token = uuid.uuid4().hex + uuid.uuid4().hex
    state_of(account, region)["sessions"][token] = {"session": session, "issued": time.time(), "used": False}
    return token


def _latest(account: str, region: str, token: str) -> tuple[int, dict[str, str], bytes]:
    entry = state_of(account, region)["sessions"].get(token)
    if entry is None or entry["used"]:
        return _error(400, "BadRequestException", "The configuration token is not valid (each token is valid for one call)")
    if time.time() - entry["issued"] > _TOKEN_LIFETIME:
        return _error(400, "BadRequestException", "The configuration token has expired (tokens are valid for 24 hours)")
    session = entry["session"]
    served = served_version(account, region, session["app"], session["env"], session["profile"], session["bucket"])
    if served is None:
        return _error(400, "BadRequestException", "No configuration has been deployed to this environment")
    entry["used"] = True
    headers = {"Next-Poll-Configuration-Token": _issue(account, region, session),
               "Next-Poll-Interval-In-Seconds": str(session["poll"])}
    profile, version = served
    key = (profile.id, version.version)
    if session["seen"] == key:
        return 200, {**headers, "Content-Type": version.content_type or "application/octet-stream"}, b""
    session["seen"] = key
    content = version.content if isinstance(version.content, bytes) else str(version.content).encode()
    if profile._type == FEATURE_FLAGS:
        content = json.dumps(json.loads(content).get("values") or {}).encode()
    headers["Content-Type"] = "application/json" if profile._type == FEATURE_FLAGS else (version.content_type or "")
    if version.version_label:
        headers["Version-Label"] = version.version_label
    return 200, headers, content
