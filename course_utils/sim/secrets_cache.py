"""A client-side secret cache with a time-to-live, counting the Secrets Manager calls it saves.

AWS: every ``GetSecretValue`` is an API call (billed per 10,000 calls and subject to a request
quota), so AWS recommends caching secrets in the client. AWS's caching libraries (for Python,
``aws-secretsmanager-caching``) keep a secret in memory and refresh it after a refresh interval
(one hour by default). After a rotation, a cached copy can be up to one interval old, which is
why rotation keeps the previous version valid for a while (AWSPREVIOUS).

This simulator is that cache in a few lines: it calls ``get_secret_value`` on a miss or when
the entry is older than ``ttl_seconds`` and counts hits, misses and calls saved. It reads the
clock through ``time.time()`` so ``freezegun`` can move time past the TTL.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

__all__ = ["SecretCache", "CacheStats"]


@dataclass
class CacheStats:
    requests: int = 0
    api_calls: int = 0

    @property
    def calls_saved(self) -> int:
        return self.requests - self.api_calls


class SecretCache:
    """``get_secret_string(secret_id)`` served from memory until the entry is ``ttl_seconds`` old."""

    def __init__(self, client: Any = None, *, ttl_seconds: float = 3600.0) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        if client is None:
            import boto3

            client = boto3.client("secretsmanager")
        self.client, self.ttl = client, float(ttl_seconds)
        self.stats = CacheStats()
        self._entries: dict[str, tuple[float, str, str]] = {}  # id -> (fetched_at, value, version)

    def get_secret_string(self, secret_id: str) -> str:
        self.stats.requests += 1
        now = time.time()
        entry = self._entries.get(secret_id)
        if entry is None or now - entry[0] >= self.ttl:
            resp = self.client.get_secret_value(SecretId=secret_id)
            self.stats.api_calls += 1
            entry = (now, resp["SecretString"], resp["VersionId"])
            self._entries[secret_id] = entry
        return entry[1]

    def version(self, secret_id: str) -> str | None:
        """The version id of the cached copy (None if not cached)."""
        entry = self._entries.get(secret_id)
        return entry[2] if entry else None

    def refresh_now(self, secret_id: str) -> str:
        """Drop the entry and fetch again (what code does after an auth failure)."""
        self._entries.pop(secret_id, None)
        return self.get_secret_string(secret_id)
