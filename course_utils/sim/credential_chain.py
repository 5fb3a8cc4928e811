"""Show which link of the SDK's credential provider chain supplied the credentials.

AWS (boto3 "Credentials" guide): boto3 looks for credentials in a fixed order and stops at the
first hit: parameters passed to the client or session; environment variables
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``); assume-role and web
identity settings of the profile; the shared credentials file (``~/.aws/credentials``, or
``AWS_SHARED_CREDENTIALS_FILE``); the config file; container credentials (ECS task role); and the
EC2 instance metadata service (instance profile).

Nothing is simulated here: botocore resolves the chain itself and this module reports its
``method``. :func:`scoped_env` changes environment variables for a ``with`` block and restores
them exactly afterwards, so the sandbox's fake credentials come back and a learner's real
profile is never read.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

__all__ = ["Resolved", "resolve", "scoped_env"]


@dataclass(frozen=True)
class Resolved:
    method: str  # botocore's name for the provider: "env", "shared-credentials-file", "assume-role", ...
    access_key: str
    temporary: bool  # True when a session token came with the keys

    def __str__(self) -> str:
        kind = "temporary (with session token)" if self.temporary else "long-term"
        return f"{self.method:<24} -> {self.access_key[:4]}{'*' * 8} ({kind})"


def resolve(profile: str | None = None) -> Resolved:
    """Resolve credentials with a fresh botocore session, as a new boto3 client would."""
    import botocore.session

    session = botocore.session.Session(profile=profile)
    creds = session.get_credentials()
    if creds is None:
        raise RuntimeError("no credentials found anywhere in the chain")
    frozen = creds.get_frozen_credentials()
    return Resolved(creds.method, frozen.access_key, bool(frozen.token))


@contextmanager
def scoped_env(**changes: str | None) -> Iterator[None]:
    """Set (value) or remove (None) environment variables inside the block; restore on exit."""
    saved = {k: os.environ.get(k) for k in changes}
    try:
        for k, v in changes.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
