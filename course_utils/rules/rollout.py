"""Rolling updates step by step: ECS services and Kubernetes Deployments, one engine for both.

What AWS documents for an ECS service on the rolling update (``ECS``) deployment type
(DeploymentConfiguration, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html):

* ``minimumHealthyPercent``: lower limit on the tasks that stay RUNNING (and healthy) during a
  deployment, as a percentage of ``desiredCount`` **rounded up**; default 100 for a replica service.
* ``maximumPercent``: upper limit on the tasks RUNNING or PENDING, **rounded down**; default 200.
* ``deploymentCircuitBreaker {enable, rollback}``: when on, a deployment that can't reach a steady
  state moves to ``FAILED`` and stops launching tasks; with ``rollback`` the service goes back to
  the last deployment that completed. The failure threshold is ``0.5 * desired task count``, at
  least 3 and at most 200 (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceDeploymentCircuitBreaker.html;
  the rounding of odd counts is not documented: this engine rounds up).
* Without the circuit breaker, "Amazon ECS doesn't ever stop a failing service from retrying"
  (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-throttle-logic.html).
* Fargate task sizes: the valid ``cpu``/``memory`` pairs of RegisterTaskDefinition (:data:`FARGATE_MEMORY`).

What Kubernetes documents for a Deployment's ``RollingUpdate`` strategy (``RollingUpdateDeployment``
in the API reference): ``maxSurge`` (pods above ``replicas``; a percentage is **rounded up**) and
``maxUnavailable`` (pods below ``replicas`` that may be unavailable; **rounded down**), both 25 % by
default and not both 0. A pod counts as available once its readiness probe passes. A rollout that
stops progressing gets the ``ProgressDeadlineExceeded`` condition after ``progressDeadlineSeconds``
(600 s by default) and is **not** rolled back automatically.

What this module simulates: rounds of the scheduler. In each round it stops old tasks (surplus ones,
or as many as the limits allow to make room) and starts new ones up to the limits (one step), then
the new ones become healthy or fail (the next step). ECS stops and replaces a failed task; a Kubernetes pod that fails its
readiness probe stays, not ready. Time, placement, capacity and the service throttle are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = [
    "Step", "Rollout", "simulate", "ecs_bounds", "circuit_breaker_threshold", "ecs_rollout",
    "k8s_value", "k8s_bounds", "k8s_rollout", "deployment_rollout", "FARGATE_MEMORY", "fargate_task_size", "plot",
]


@dataclass(frozen=True)
class Step:
    n: int
    old: int  # old-revision tasks running and healthy (serving)
    new: int  # new-revision tasks running and healthy (serving)
    pending: int  # new-revision tasks started but not (yet) healthy: not serving
    failed: int  # new-revision tasks that failed so far
    event: str

    @property
    def serving(self) -> int:
        return self.old + self.new


@dataclass(frozen=True)
class Rollout:
    desired: int
    min_healthy: int
    max_total: int
    steps: tuple[Step, ...]
    state: str  # COMPLETED | FAILED | IN_PROGRESS (ECS's rolloutState values)
    rolled_back: bool = False
    threshold: int | None = None
    labels: tuple[str, str] = ("old", "new")
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def min_serving(self) -> int:
        return min(s.serving for s in self.steps)

    @property
    def failed(self) -> int:
        return self.steps[-1].failed

    def summary(self) -> str:
        end = self.steps[-1]
        rb = ", rolled back" if self.rolled_back else ""
        what = "new pods not ready" if "maxSurge" in self.meta else "new tasks failed"
        return (f"{self.state}{rb} after {end.n} steps: {self.labels[0]} {end.old}, {self.labels[1]} {end.new} serving; "
                f"never fewer than {self.min_serving} of {self.desired} serving; {end.failed} {what}")

    def table(self) -> str:
        rows = [f"{'step':>4} {self.labels[0]:>10} {self.labels[1]:>10} {'pending':>7} {'failed':>6}  event"]
        for s in self.steps:
            rows.append(f"{s.n:>4} {s.old:>10} {s.new:>10} {s.pending:>7} {s.failed:>6}  {s.event}")
        return "\n".join(rows)


def simulate(desired: int, *, min_healthy: int, max_total: int, healthy: bool = True, failure_threshold: int | None = None,
             rollback: bool = False, replace_failed: bool = True, max_steps: int = 8,
             labels: tuple[str, str] = ("old", "new")) -> Rollout:
    """Replace ``desired`` old tasks by new ones, keeping at least ``min_healthy`` serving and at
    most ``max_total`` running. Each round is two steps: old tasks stop and new ones start
    (pending), then the new ones pass their health checks or fail. ``failure_threshold`` (None: no
    circuit breaker) fails the rollout once that many new tasks failed; ``rollback`` then restores
    the old revision. At most ``max_steps`` rounds."""
    if desired < 0 or min_healthy < 0 or max_total < 1:
        raise ValueError("desired, min_healthy must be >= 0 and max_total >= 1")
    if min_healthy > desired or max_total < desired:
        raise ValueError(f"limits must satisfy min_healthy <= desired <= max_total, got {min_healthy} <= {desired} <= {max_total}")
    old, new, waiting, failed = desired, 0, 0, 0  # waiting: pods kept running but not ready (Kubernetes)
    steps = [Step(0, old, new, 0, 0, "update requested")]
    state, rolled_back = "IN_PROGRESS", False
    for _ in range(max_steps):
        n = steps[-1].n + 1
        stop = max(0, old + new - desired)  # new tasks are healthy: their old counterparts go
        need = desired - new - waiting
        room = max_total - (old - stop + new + waiting)
        if need > room:  # make room by stopping old tasks, never below min_healthy serving
            stop += min(old - stop, need - room, max(0, old - stop + new - min_healthy))
        old -= stop
        launch = max(0, min(need, max_total - (old + new + waiting)))
        if new == desired and old == 0:
            state = "COMPLETED"
            steps.append(Step(n, old, new, waiting, failed, f"stopped {stop} {labels[0]}: steady state"))
            break
        if launch == 0 and stop == 0:
            steps.append(Step(n, old, new, waiting, failed, "stalled: no room to start a task and no old task may stop"))
            break
        steps.append(Step(n, old, new, waiting + launch, failed, f"stopped {stop} {labels[0]}, started {launch} {labels[1]}"))
        if healthy:
            new += launch
            event = f"{launch} {labels[1]} healthy"
        elif replace_failed:
            failed += launch
            event = f"{launch} {labels[1]} failed health checks: stopped"
        else:
            waiting += launch
            failed += launch
            event = f"{launch} {labels[1]} not ready (readiness probe failing)"
        if failure_threshold is not None and not healthy and failed >= failure_threshold:
            state = "FAILED"
            steps.append(Step(n + 1, old, new, waiting, failed, f"{event}; {failed} failed >= threshold {failure_threshold}: FAILED"))
            if rollback:
                rolled_back = True
                old, new, waiting = desired, 0, 0
                steps.append(Step(n + 2, old, new, 0, failed, f"rolled back: {desired} {labels[0]}, no {labels[1]}"))
            break
        steps.append(Step(n + 1, old, new, waiting, failed, event))
    return Rollout(desired, min_healthy, max_total, tuple(steps), state, rolled_back, failure_threshold, labels)


# --- ECS ------------------------------------------------------------------------------------------

def ecs_bounds(desired: int, minimum_healthy_percent: int = 100, maximum_percent: int = 200) -> tuple[int, int]:
    """(tasks that must stay healthy, tasks allowed running or pending): min rounds up, max down."""
    return math.ceil(desired * minimum_healthy_percent / 100), math.floor(desired * maximum_percent / 100)


def circuit_breaker_threshold(desired: int) -> int:
    """0.5 x desired count, at least 3 and at most 200 (rounded up here: not documented)."""
    return min(200, max(3, math.ceil(0.5 * desired)))


def ecs_rollout(desired: int, *, minimum_healthy_percent: int = 100, maximum_percent: int = 200, healthy: bool = True,
                circuit_breaker: dict[str, bool] | None = None, max_steps: int = 8,
                labels: tuple[str, str] = ("old", "new")) -> Rollout:
    """A rolling update of an ECS service; ``circuit_breaker`` is the API's ``{"enable", "rollback"}``."""
    low, high = ecs_bounds(desired, minimum_healthy_percent, maximum_percent)
    cb = circuit_breaker or {}
    threshold = circuit_breaker_threshold(desired) if cb.get("enable") else None
    r = simulate(desired, min_healthy=min(low, desired), max_total=max(high, desired), healthy=healthy,
                 failure_threshold=threshold, rollback=bool(cb.get("rollback")), max_steps=max_steps, labels=labels)
    r.meta.update(minimumHealthyPercent=minimum_healthy_percent, maximumPercent=maximum_percent, circuit_breaker=dict(cb))
    return r


#: Fargate (Linux) task sizes: memory MiB allowed for each cpu value (RegisterTaskDefinition
#: ``memory``, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_size).
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: (1024, 2048, 3072, 4096),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),  # platform 1.4.0 or later
    16384: tuple(range(32768, 122880 + 1, 8192)),  # platform 1.4.0 or later
}


def _units(value: int | str, unit: str) -> int:
    text = str(value).strip().lower()
    if text.isdigit():
        return int(text)
    number = float(text.replace(unit, "").strip())
    return int(number * 1024)


def fargate_task_size(cpu: int | str, memory: int | str) -> str | None:
    """None when ``cpu``/``memory`` is a valid Fargate task size, else why not. Strings such as
    ``"1 vCPU"`` and ``"2 GB"`` are converted as RegisterTaskDefinition does."""
    c, m = _units(cpu, "vcpu"), _units(memory, "gb")
    if c not in FARGATE_MEMORY:
        return f"cpu {c} is not a Fargate size: use one of {', '.join(map(str, FARGATE_MEMORY))}"
    allowed = FARGATE_MEMORY[c]
    if m not in allowed:
        return f"cpu {c} allows memory {allowed[0]}-{allowed[-1]} MiB ({', '.join(map(str, allowed[:4]))}{', ...' if len(allowed) > 4 else ''}), not {m}"
    return None


# --- Kubernetes -----------------------------------------------------------------------------------

def k8s_value(value: int | str, replicas: int, *, round_up: bool) -> int:
    """An IntOrString: an integer, or ``"N%"`` of replicas rounded up (maxSurge) or down (maxUnavailable)."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.endswith("%") and value[:-1].isdigit():
        exact = replicas * int(value[:-1]) / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    raise ValueError(f"expected an integer or a percentage like '25%', got {value!r}")


def k8s_bounds(replicas: int, max_surge: int | str = "25%", max_unavailable: int | str = "25%") -> tuple[int, int]:
    """(pods that must stay available, pods allowed in total)."""
    surge = k8s_value(max_surge, replicas, round_up=True)
    unavailable = k8s_value(max_unavailable, replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        raise ValueError(f"maxSurge {max_surge!r} and maxUnavailable {max_unavailable!r} both resolve to 0 for {replicas} replicas: "
                         "the rollout could never start (Kubernetes rejects both being 0)")
    return max(0, replicas - unavailable), replicas + surge


def k8s_rollout(replicas: int, *, max_surge: int | str = "25%", max_unavailable: int | str = "25%", ready: bool = True,
                max_steps: int = 8, labels: tuple[str, str] = ("old", "new")) -> Rollout:
    """A Deployment rolling update; pods failing their readiness probe stay, not ready, and the
    rollout stalls (no automatic rollback)."""
    low, high = k8s_bounds(replicas, max_surge, max_unavailable)
    r = simulate(replicas, min_healthy=low, max_total=high, healthy=ready, replace_failed=False, max_steps=max_steps, labels=labels)
    r.meta.update(maxSurge=max_surge, maxUnavailable=max_unavailable)
    return r


def deployment_rollout(manifest: dict[str, Any], *, ready: bool = True, max_steps: int = 8) -> Rollout:
    """:func:`k8s_rollout` with the replicas and strategy of a ``Deployment`` manifest (defaults
    applied: 1 replica, RollingUpdate 25 %/25 %)."""
    if manifest.get("kind") != "Deployment":
        raise ValueError(f"expected a Deployment, got {manifest.get('kind')!r}")
    spec = manifest.get("spec") or {}
    strategy = spec.get("strategy") or {}
    if strategy.get("type", "RollingUpdate") != "RollingUpdate":
        raise ValueError(f"strategy {strategy.get('type')!r}: only RollingUpdate is a rolling update")
    ru = strategy.get("rollingUpdate") or {}
    return k8s_rollout(spec.get("replicas", 1), max_surge=ru.get("maxSurge", "25%"),
                       max_unavailable=ru.get("maxUnavailable", "25%"), ready=ready, max_steps=max_steps)


# --- plot -----------------------------------------------------------------------------------------

def plot(rollouts: Sequence[Rollout], titles: Sequence[str] | None = None):
    """Old and new tasks serving per step, one panel per rollout (new tasks that failed: red x)."""
    import matplotlib.pyplot as plt

    from .figures import describe

    # at most 9 in wide (the notebook's width), so 9 pt text stays 9 pt on screen
    fig, axes = plt.subplots(1, len(rollouts), figsize=(min(9.0, 3.4 * len(rollouts)), 3.4), sharey=True, squeeze=False)
    axes = list(axes[0])
    for i, (ax, r) in enumerate(zip(axes, rollouts)):
        xs = [s.n for s in r.steps]
        ax.step(xs, [s.old for s in r.steps], where="post", color="#8c959f", lw=2, label=r.labels[0])
        ax.step(xs, [s.new for s in r.steps], where="post", color="#1f883d", lw=2, label=r.labels[1])
        ax.step(xs, [s.pending for s in r.steps], where="post", color="#bf8700", ls="--", label="started, not healthy")
        fails = [(s.n, s.failed - p.failed) for p, s in zip(r.steps, r.steps[1:]) if s.failed > p.failed]
        if fails:
            ax.plot([f[0] for f in fails], [f[1] for f in fails], "x", color="#cf222e", ms=7, label="failed this step")
        ax.axhline(r.min_healthy, color="black", lw=0.6, ls="--")
        ax.axhline(r.max_total, color="black", lw=0.6, ls="-.")
        title = titles[i] if titles else ""
        ax.set_title(f"{title}\n{r.state}{', rolled back' if r.rolled_back else ''}", fontsize=9)
        ax.set_xlabel("scheduler step")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0].set_ylabel("tasks")
    handles: dict[str, Any] = {}
    for ax in axes:  # one legend below the panels (it covers no step line); labels differ per rollout kind
        for h, label in zip(*ax.get_legend_handles_labels()):
            handles.setdefault(label, h)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.legend(list(handles.values()), list(handles), loc="lower center", ncol=min(4, len(handles)), fontsize=9, frameon=False)
    describe(fig, "Step charts of a rolling deployment, one per case: old and new tasks serving, tasks started but not "
             "healthy, and failed tasks, against scheduler steps. "
             + "; ".join(f"{(titles[i] + ': ') if titles else ''}{r.state}{', rolled back' if r.rolled_back else ''}"
                         for i, r in enumerate(rollouts)) + ".")
    return fig, axes
