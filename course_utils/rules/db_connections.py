"""Database connections from Lambda, with and without RDS Proxy: the arithmetic of a connection storm.

AWS: each Lambda execution environment serves one request at a time, and a connection opened during
the init phase (outside the handler) is reused by the environment's later invocations and lives as
long as the environment. So ``N`` concurrent environments hold ``N x connections per environment``
database connections, busy or idle. A relational database accepts at most ``max_connections`` (a
database parameter); beyond it, new connections are refused ("too many connections").

**RDS Proxy** sits between the functions and the database. Functions connect to the proxy; the proxy
keeps a pool of database connections, at most ``MaxConnectionsPercent`` % of ``max_connections``
(default 100), and lends one to a client connection for the duration of a transaction, then returns
it to the pool (multiplexing). A session that does something the proxy cannot share (session state)
is *pinned*: it keeps its database connection until it ends. A request that finds no free pooled
connection waits, up to ``ConnectionBorrowTimeout`` (default 120 s), then fails.

Simulated: a steady-state count, not a queueing simulation. Without a proxy every environment holds
its connections all the time; with a proxy, a share ``transaction_share`` (0-1) of each
environment's time is spent inside a transaction and needs a pooled connection, and each pinned
environment holds one for good. The proxy's own limits on client connections, connection set-up
time and the waits themselves are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["ConnectionPlan", "plan", "pool_size", "max_concurrency_without_proxy"]


@dataclass(frozen=True)
class ConnectionPlan:
    """What the database sees for one concurrency level."""

    concurrency: int
    client_connections: int  # connections the functions open (to the database, or to the proxy)
    db_connections: int  # connections the database is asked to hold
    max_connections: int
    refused: int  # without a proxy: connection attempts the database turns away
    waiting: int  # with a proxy: transactions waiting for a pooled connection
    proxy_pool: int | None  # with a proxy: the pool's size; None without one

    @property
    def ok(self) -> bool:
        """Nothing refused and nothing waiting."""
        return self.refused == 0 and self.waiting == 0

    def __str__(self) -> str:
        if self.proxy_pool is None:
            tail = f"{self.refused} refused" if self.refused else "all accepted"
            return (f"concurrency {self.concurrency}: {self.client_connections} connections to the database "
                    f"(max_connections {self.max_connections}) -> {tail}")
        tail = f"{self.waiting} transactions wait for a connection" if self.waiting else "no waits"
        return (f"concurrency {self.concurrency}: {self.client_connections} client connections to the proxy, "
                f"{self.db_connections} busy database connections (pool {self.proxy_pool} of "
                f"{self.max_connections}) -> {tail}")


def _check(name: str, value: float, low: float, high: float | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise ValueError(f"{name} must be a number {bound}, got {value!r}")


def pool_size(max_connections: int, max_connections_percent: int = 100) -> int:
    """Database connections RDS Proxy may open: ``MaxConnectionsPercent`` % of ``max_connections``."""
    _check("max_connections", max_connections, 1)
    _check("max_connections_percent", max_connections_percent, 1, 100)
    return max_connections * max_connections_percent // 100


def max_concurrency_without_proxy(max_connections: int, *, per_environment: int = 1, other_clients: int = 0) -> int:
    """The highest concurrency whose connections all fit in ``max_connections`` (a reserved-concurrency cap)."""
    _check("max_connections", max_connections, 1)
    _check("per_environment", per_environment, 1)
    _check("other_clients", other_clients, 0)
    return max(0, (max_connections - other_clients) // per_environment)


def plan(concurrency: int, max_connections: int, *, per_environment: int = 1, other_clients: int = 0,
         proxy_max_connections_percent: int | None = None, transaction_share: float = 1.0,
         pinned_environments: int = 0) -> ConnectionPlan:
    """Connections needed at ``concurrency`` concurrent executions, directly or through RDS Proxy.

    ``per_environment``: connections each execution environment opens; ``other_clients``: connections
    other applications hold on the database. Give ``proxy_max_connections_percent`` (the proxy target
    group's ``MaxConnectionsPercent``) to put RDS Proxy in between; ``transaction_share`` is the share
    of an environment's time spent inside a transaction, ``pinned_environments`` how many sessions are
    pinned to a database connection.
    """
    _check("concurrency", concurrency, 0)
    _check("max_connections", max_connections, 1)
    _check("per_environment", per_environment, 1)
    _check("other_clients", other_clients, 0)
    _check("transaction_share", transaction_share, 0, 1)
    _check("pinned_environments", pinned_environments, 0)
    if pinned_environments > concurrency:
        raise ValueError(f"pinned_environments ({pinned_environments}) cannot exceed concurrency ({concurrency})")
    clients = concurrency * per_environment
    if proxy_max_connections_percent is None:
        wanted = clients + other_clients
        return ConnectionPlan(concurrency, clients, wanted, max_connections,
                              refused=max(0, wanted - max_connections), waiting=0, proxy_pool=None)
    pool = min(pool_size(max_connections, proxy_max_connections_percent), max(0, max_connections - other_clients))
    shared = (concurrency - pinned_environments) * per_environment
    busy = pinned_environments * per_environment + math.ceil(shared * transaction_share - 1e-9)
    return ConnectionPlan(concurrency, clients, min(busy, pool), max_connections,
                          refused=0, waiting=max(0, busy - pool), proxy_pool=pool)
