"""Presigned URLs checked with the current credentials; the S3 checks: :mod:`course_utils.rules.presign`."""

from __future__ import annotations

from datetime import datetime
from typing import Mapping

from ..rules import presign as _rules
from ..rules import presign as _engine
from ..rules.presign import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.presign import Verdict

__all__ = [*_engine.__all__]


def _secret(secret_key: str | None) -> str:
    if secret_key is not None:
        return secret_key
    import boto3

    creds = boto3.Session().get_credentials()
    if creds is None:
        raise ValueError("no credentials found: pass secret_key")
    return creds.get_frozen_credentials().secret_key


def check_url(url: str, at: datetime | None = None, *, method: str = "GET",
              headers: Mapping[str, str] | None = None, secret_key: str | None = None,
              credentials_expire_at: datetime | None = None) -> Verdict:
    """Would S3 accept this presigned URL at time ``at`` (default now, freezegun-aware)?

    ``method`` and ``headers`` describe the request actually sent; ``secret_key`` is the signer's
    secret (default: the current boto3 credentials); ``credentials_expire_at`` is when temporary
    signing credentials expire (a role session's ``Expiration``).
    """
    return _rules.check_url(url, at, method=method, headers=headers, secret_key=lambda: _secret(secret_key),
                            credentials_expire_at=credentials_expire_at)
