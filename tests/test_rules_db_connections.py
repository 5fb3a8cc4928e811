"""rules.db_connections: connections from concurrent Lambda environments, directly and through RDS Proxy."""

from __future__ import annotations

import pytest

from course_utils.rules import db_connections as dc


def test_without_a_proxy_every_environment_holds_its_connections():
    p = dc.plan(300, 100)
    assert (p.client_connections, p.db_connections, p.refused, p.waiting, p.proxy_pool) == (300, 300, 200, 0, None)
    assert not p.ok
    assert str(p) == "concurrency 300: 300 connections to the database (max_connections 100) -> 200 refused"
    assert dc.plan(80, 100, other_clients=10).ok and dc.plan(91, 100, other_clients=10).refused == 1
    assert dc.plan(40, 100, per_environment=3).refused == 20


def test_the_proxy_pool_is_a_percentage_of_max_connections():
    assert dc.pool_size(100) == 100 and dc.pool_size(100, 90) == 90 and dc.pool_size(1000, 33) == 330


def test_a_proxy_multiplexes_transactions_over_its_pool():
    p = dc.plan(300, 100, proxy_max_connections_percent=90, transaction_share=0.2)
    assert (p.client_connections, p.db_connections, p.proxy_pool, p.waiting, p.refused) == (300, 60, 90, 0, 0)
    assert p.ok and str(p).endswith("(pool 90 of 100) -> no waits")
    busy = dc.plan(1000, 100, proxy_max_connections_percent=90, transaction_share=0.2)
    assert (busy.db_connections, busy.waiting) == (90, 110)  # 200 transactions in flight, 90 connections


def test_pinned_sessions_keep_a_connection_and_defeat_multiplexing():
    p = dc.plan(300, 100, proxy_max_connections_percent=100, transaction_share=0.2, pinned_environments=50)
    assert p.db_connections == 100 and p.waiting == 0  # 50 pinned + ceil(250 x 0.2) = 100
    assert dc.plan(300, 100, proxy_max_connections_percent=100, transaction_share=0.2, pinned_environments=60).waiting == 8  # 60 + 48


def test_a_proxy_with_a_share_of_one_is_no_better_than_the_pool():
    p = dc.plan(300, 100, proxy_max_connections_percent=100)
    assert (p.db_connections, p.waiting) == (100, 200)


def test_other_clients_shrink_the_pool():
    assert dc.plan(10, 100, other_clients=30, proxy_max_connections_percent=100).proxy_pool == 70
    assert dc.plan(10, 100, other_clients=5, proxy_max_connections_percent=50).proxy_pool == 50


def test_the_reserved_concurrency_that_fits():
    assert dc.max_concurrency_without_proxy(100) == 100
    assert dc.max_concurrency_without_proxy(100, per_environment=2, other_clients=11) == 44
    assert dc.max_concurrency_without_proxy(10, other_clients=20) == 0


@pytest.mark.parametrize("kwargs, words", [
    ({"concurrency": -1}, "concurrency must be a number >= 0"),
    ({"max_connections": 0}, "max_connections must be a number >= 1"),
    ({"transaction_share": 1.5}, "transaction_share must be a number between 0 and 1"),
    ({"proxy_max_connections_percent": 0}, "max_connections_percent must be a number between 1 and 100"),
    ({"pinned_environments": 11}, r"pinned_environments \(11\) cannot exceed concurrency \(10\)"),
    ({"per_environment": True}, "per_environment must be a number"),
])
def test_bad_input_is_refused(kwargs, words):
    args = {"concurrency": 10, "max_connections": 100, **kwargs}
    with pytest.raises(ValueError, match=words):
        dc.plan(args.pop("concurrency"), args.pop("max_connections"), **args)
