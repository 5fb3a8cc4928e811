"""A tiny Application Load Balancer in front of web instances, for the session-state drill.

What AWS does: an ALB spreads requests over the healthy targets of a target group (round robin
by default). With *stickiness* (duration-based, cookie ``AWSALB``) it sends a client back to the
target that served it first, for as long as that target is healthy; when the target fails its
health checks or is deregistered the client is routed to another target. *Deregistration delay*
(connection draining) stops new requests to a deregistering target and lets in-flight ones finish
before the target is removed. None of this moves data: whatever a web server keeps in its own
memory disappears with the instance.

moto models load balancers as metadata and routes no requests, so this module simulates the
routing: :class:`LoadBalancer` over named instances, each running the same shopping-basket web
app whose sessions live either in the instance's memory (:class:`InstanceMemoryStore`) or in a
DynamoDB table shared by all instances
(:class:`~course_utils.sim.load_balancer.DynamoDBSessionStore`, real boto3 calls, items with a
TTL attribute). :meth:`LoadBalancer.fail` kills an instance; :meth:`LoadBalancer.deregister`
drains it, then terminates it.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["SessionStore", "InstanceMemoryStore", "Response", "Browser", "LoadBalancer"]


class SessionStore(Protocol):
    """Where the web app keeps a session's basket."""

    def load(self, instance_id: str, session_id: str) -> list[str] | None: ...
    def save(self, instance_id: str, session_id: str, basket: list[str]) -> None: ...
    def instance_lost(self, instance_id: str) -> None: ...


class InstanceMemoryStore:
    """Sessions in each instance's own memory (a dict per instance); lost with the instance."""

    name = "instance memory"

    def __init__(self) -> None:
        self.memory: dict[str, dict[str, list[str]]] = {}

    def load(self, instance_id: str, session_id: str) -> list[str] | None:
        return self.memory.get(instance_id, {}).get(session_id)

    def save(self, instance_id: str, session_id: str, basket: list[str]) -> None:
        self.memory.setdefault(instance_id, {})[session_id] = list(basket)

    def instance_lost(self, instance_id: str) -> None:
        self.memory.pop(instance_id, None)


@dataclass
class Response:
    """What one request returned: the instance that served it and the basket it saw."""

    instance: str
    basket: list[str]
    new_session: bool

    def __str__(self) -> str:
        flag = " (new session!)" if self.new_session else ""
        return f"served by {self.instance}: basket={self.basket}{flag}"


@dataclass
class Browser:
    """A client with its cookies (the app's ``session_id`` and the ALB's ``AWSALB``)."""

    name: str
    lb: "LoadBalancer"
    cookies: dict[str, str] = field(default_factory=dict)

    def add(self, item: str) -> Response:
        return self.lb.request(self, add=item)

    def view(self) -> Response:
        return self.lb.request(self)


class LoadBalancer:
    """Round robin over healthy instances; optional duration-based stickiness (cookie AWSALB)."""

    def __init__(self, instances: list[str], *, store: SessionStore | None = None, sticky: bool = False) -> None:
        if not instances:
            raise ValueError("a load balancer needs at least one instance")
        if len(set(instances)) != len(instances):
            raise ValueError(f"instance ids must be unique: {instances}")
        self.instances = list(instances)
        self.healthy = {i: True for i in instances}
        self.draining: set[str] = set()
        self.store: SessionStore = store if store is not None else InstanceMemoryStore()
        self.sticky = sticky
        self._rr = itertools.cycle(range(len(instances)))
        self.log: list[str] = []

    def browser(self, name: str) -> Browser:
        return Browser(name, self)

    def _in_service(self) -> list[str]:
        return [i for i in self.instances if self.healthy[i] and i not in self.draining]

    def _route(self, browser: Browser) -> str:
        live = self._in_service()
        if not live:
            raise RuntimeError("503 Service Unavailable: no healthy targets")
        pinned = browser.cookies.get("AWSALB")
        if self.sticky and pinned in live:
            return pinned  # type: ignore[return-value]
        while True:
            candidate = self.instances[next(self._rr)]
            if candidate in live:
                break
        if self.sticky:
            browser.cookies["AWSALB"] = candidate
        return candidate

    def request(self, browser: Browser, *, add: str | None = None) -> Response:
        """One HTTP request from ``browser``: the app loads the session, maybe adds an item, saves."""
        instance = self._route(browser)
        sid = browser.cookies.get("session_id")
        basket = self.store.load(instance, sid) if sid else None
        new = basket is None
        if new:
            sid = sid or f"s-{uuid.uuid4().hex[:8]}"
            browser.cookies["session_id"] = sid
            basket = []
        if add is not None:
            basket = basket + [add]
        self.store.save(instance, sid, basket)  # type: ignore[arg-type]
        self.log.append(f"{browser.name} -> {instance}{' (new session)' if new else ''}")
        return Response(instance, basket, new)

    def fail(self, instance_id: str) -> None:
        """The instance dies (hardware failure, scale-in, Spot reclaim): its memory is gone."""
        self._check(instance_id)
        self.healthy[instance_id] = False
        self.store.instance_lost(instance_id)

    def deregister(self, instance_id: str) -> None:
        """Deregister with connection draining: no new requests, then the instance terminates."""
        self._check(instance_id)
        self.draining.add(instance_id)
        # in-flight requests would finish here; then the instance is terminated
        self.healthy[instance_id] = False
        self.store.instance_lost(instance_id)

    def _check(self, instance_id: str) -> None:
        if instance_id not in self.healthy:
            raise ValueError(f"unknown instance {instance_id!r}; known: {', '.join(self.instances)}")
