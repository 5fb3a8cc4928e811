"""The course's AWS sandbox: moto in-process, fake credentials, nothing leaves the machine.

Every notebook's setup cell calls :func:`start` once. It

1. pins the environment to fake credentials and ``us-east-1`` and hides the learner's own
   AWS profile, config and credentials files, instance metadata and endpoint overrides;
2. starts one ``moto.mock_aws`` for the whole kernel (Step Functions executes state machines);
3. installs the network guard (:mod:`course_utils.netguard`), the ``%aws`` magic when running
   under IPython, and the course's extensions on top of moto;
4. shows a short banner.

Calling :func:`start` again (Run All twice) keeps every resource and says so;
:func:`reset` wipes the sandbox's state. Importing this module changes nothing.
"""

from __future__ import annotations

import importlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

__all__ = ["SandboxInfo", "start", "reset", "stop", "is_running", "info", "FAKE_ENV", "REGION", "ACCOUNT_ID"]

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
BANNER_PROMISE = "no request leaves this machine"

#: Environment the sandbox forces while it runs.
FAKE_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,  # the learner's ~/.aws/config is never read
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,  # nor ~/.aws/credentials
    "AWS_EC2_METADATA_DISABLED": "true",  # nor instance metadata
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",  # DynamoDB (Streams) fail under moto without it
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
}

#: Variables removed while the sandbox runs: they select other credentials or other endpoints.
#: ``AWS_ENDPOINT_URL`` in particular would make moto stop intercepting.
_REMOVED_PREFIXES = ("AWS_ENDPOINT_URL",)
_REMOVED_VARS = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_S3_US_EAST_1_REGIONAL_ENDPOINT",
)

#: moto configuration for the kernel's single mock.
MOTO_CONFIG: dict[str, Any] = {
    "core": {"mock_credentials": False, "reset_boto3_session": True},
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}

#: The IPython extension that provides ``%aws`` (registered on start when running under IPython).
MAGIC_EXTENSION = "course_utils.awscli_magic"

#: Modules layered on moto by the course. Each provides ``install()`` (called after moto starts)
#: and ``reset()`` (called after the state is wiped). Missing modules are skipped.
EXTENSIONS: tuple[str, ...] = ("course_utils.runtime",)


@dataclass(frozen=True)
class SandboxInfo:
    """What :func:`start` reports."""

    account_id: str
    region: str
    moto_version: str
    started_at: datetime
    already_running: bool
    network_guard: bool

    def banner_text(self) -> str:
        state = "already running, your resources are kept (sandbox.reset() wipes them)" if self.already_running else "started"
        return (
            f"AWS sandbox {state}: account {self.account_id}, region {self.region}, "
            f"moto {self.moto_version} in-process; {BANNER_PROMISE}."
        )


_lock = threading.RLock()
_mock: Any = None
_saved_env: dict[str, str | None] = {}
_started_at: datetime | None = None
_guard: bool = False


def _apply_env() -> None:
    for key in list(os.environ):
        if key in _REMOVED_VARS or key.startswith(_REMOVED_PREFIXES):
            _saved_env.setdefault(key, os.environ[key])
            del os.environ[key]
    for key, value in FAKE_ENV.items():
        _saved_env.setdefault(key, os.environ.get(key))
        os.environ[key] = value


def _restore_env() -> None:
    for key, value in _saved_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _saved_env.clear()


def _extensions() -> list[Any]:
    mods = []
    for name in EXTENSIONS:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return mods


def is_running() -> bool:
    """True while the kernel's mock is active."""
    return _mock is not None


def info(*, already_running: bool = False) -> SandboxInfo:
    """Describe the running sandbox (raises if it is not running)."""
    if _mock is None or _started_at is None:
        raise RuntimeError("The AWS sandbox is not running: call course_utils.sandbox.start() first.")
    import moto

    return SandboxInfo(ACCOUNT_ID, REGION, moto.__version__, _started_at, already_running, _guard)


def start(*, quiet: bool = False, network_guard: bool = True) -> SandboxInfo:
    """Start the sandbox (or confirm it is running) and show the banner.

    ``network_guard`` refuses every non-loopback connection made from Python in this process.
    """
    global _mock, _started_at, _guard
    with _lock:
        already = _mock is not None
        if not already:
            _apply_env()  # before moto or any client reads the environment
            from moto import mock_aws

            mock = mock_aws(config=MOTO_CONFIG)
            mock.start()
            _mock, _started_at = mock, datetime.now(timezone.utc)
            import boto3

            boto3.DEFAULT_SESSION = None  # a session made earlier may hold the learner's profile
            for ext in _extensions():
                ext.install()
        else:
            _apply_env()  # a cell may have changed the environment in between
        if network_guard:
            from . import netguard

            netguard.install()
            _guard = True
        _register_magic()
        result = info(already_running=already)
    if not quiet:
        _show_banner(result)
    return result


def reset() -> None:
    """Wipe every resource in the sandbox; it keeps running."""
    with _lock:
        if _mock is None:
            raise RuntimeError("The AWS sandbox is not running: nothing to reset.")
        _mock.stop(remove_data=True)
        _mock.start(reset=True)
        for ext in _extensions():
            ext.reset()


def stop() -> None:
    """Stop the sandbox, wipe its state and restore the environment (used by tests)."""
    global _mock, _started_at, _guard
    with _lock:
        if _mock is None:
            return
        _mock.stop(remove_data=True)
        _mock, _started_at = None, None
        _restore_env()
        from . import netguard

        netguard.set_enabled(False)
        _guard = False


def _register_magic() -> None:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return
    shell = get_ipython()
    if shell is not None:
        # loaded by name, as `%load_ext` does: the magic uses the sandbox, the sandbox does not import it
        shell.extension_manager.load_extension(MAGIC_EXTENSION)
        from .rules import figures

        figures.install(shell)  # every course figure shows as an <img> with alt text saying what it shows


def _show_banner(result: SandboxInfo) -> None:
    from .display import show

    colour = "#1f6feb" if not result.already_running else "#8250df"
    html = (
        f'<div class="course-sandbox-banner" style="border-left:4px solid {colour};padding:6px 10px;'
        'background:rgba(31,111,235,0.06);font-family:sans-serif">'
        f"<b>AWS sandbox {'already running' if result.already_running else 'ready'}</b> · "
        f"account <code>{result.account_id}</code> · region <code>{result.region}</code> · "
        f"moto {result.moto_version} in-process · <b>{BANNER_PROMISE}</b>"
        + ("<br><small>Your resources are kept. <code>sandbox.reset()</code> wipes them.</small>" if result.already_running else "")
        + "</div>"
    )
    show(result.banner_text(), html=html)
