"""Elastic Beanstalk deployment policies: instances in service over time, and a figure.

What AWS Elastic Beanstalk documents (Deployment policies and settings):

* **All at once**: the new version goes to every instance at the same time; the environment is
  out of service while the deployment runs. Fastest; has downtime.
* **Rolling**: instances are updated in batches (a batch size by count or percent); each batch
  is out of service while it is updated, so capacity drops by one batch.
* **Rolling with additional batch**: Beanstalk first launches one extra batch of new
  instances, so full capacity stays in service during the update; the extra instances are
  terminated at the end.
* **Immutable**: a fresh set of instances is launched in a temporary Auto Scaling group (one
  first, then the rest); when they pass health checks they move into the environment and the
  old ones are terminated. Full capacity throughout, twice the instances for a while, and a
  failed deployment only has to terminate the new instances.
* **Traffic splitting**: like immutable, but a percentage of client traffic goes to the new
  instances for an evaluation period before the switch.
* **Blue/green** (not a policy: a separate environment plus a CNAME swap, or Route 53): the
  old environment keeps serving until the swap.

What this module reproduces: for ``n`` instances, a batch size, the minutes a batch takes to
deploy and the minutes a new instance takes to launch, the number of instances serving (old
version, new version) minute by minute for each policy, with the minimum capacity and the peak
instance count, plus a figure. Health checks, failures and scaling events are not modelled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["POLICIES", "Timeline", "simulate", "plot_capacity"]

POLICIES: tuple[str, ...] = ("all_at_once", "rolling", "rolling_with_additional_batch", "immutable", "traffic_splitting", "blue_green")


@dataclass
class Timeline:
    policy: str
    instances: int
    points: list[tuple[float, int, int, int]]  # (minute, old in service, new in service, instances running)

    @property
    def min_in_service(self) -> int:
        return min(o + n for _, o, n, _ in self.points)

    @property
    def peak_instances(self) -> int:
        return max(r for *_, r in self.points)

    @property
    def duration(self) -> float:
        return self.points[-1][0]

    @property
    def full_capacity_throughout(self) -> bool:
        return self.min_in_service >= self.instances

    def summary(self) -> str:
        return (
            f"{self.policy:<30} min in service {self.min_in_service:>2}/{self.instances}  "
            f"peak instances {self.peak_instances:>2}  done after {self.duration:g} min"
        )


def simulate(policy: str, instances: int = 4, *, batch: int = 1, deploy_minutes: float = 2, launch_minutes: float = 3) -> Timeline:
    """Instances in service over time for one deployment policy."""
    if policy not in POLICIES:
        import difflib

        hint = difflib.get_close_matches(policy, POLICIES, n=1)
        raise ValueError(f"unknown policy {policy!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "") + f"; use one of {', '.join(POLICIES)}")
    if instances < 1 or not 1 <= batch <= instances:
        raise ValueError(f"need instances >= 1 and 1 <= batch <= instances, got instances={instances}, batch={batch}")
    n, d, launch = instances, float(deploy_minutes), float(launch_minutes)
    pts: list[tuple[float, int, int, int]] = [(0.0, n, 0, n)]
    t = 0.0
    if policy == "all_at_once":
        pts.append((0.0, 0, 0, n))
        t += d
        pts.append((t, 0, n, n))
    elif policy in ("rolling", "rolling_with_additional_batch"):
        old, new, running = n, 0, n
        extra = policy == "rolling_with_additional_batch"
        if extra:  # launch one extra batch of new instances first
            t += launch
            running += batch
            new = batch
            pts.append((t, old, new, running))
        remaining = n
        while remaining > 0:
            size = min(batch, remaining)
            old -= size
            remaining -= size
            pts.append((t, old, new, running))  # this batch is out of service while it updates
            t += d
            new += size
            pts.append((t, old, new, running))
        if extra:  # the extra batch is terminated at the end
            pts.append((t, 0, n, n))
    elif policy in ("immutable", "traffic_splitting"):
        t += launch
        pts.append((t, n, 1, n + 1))  # one instance first, to check the version works
        t += launch
        pts.append((t, n, n, 2 * n))
        if policy == "traffic_splitting":
            t += 5  # evaluation period with a share of traffic on the new instances
            pts.append((t, n, n, 2 * n))
        t += 1
        pts.append((t, 0, n, n))  # old instances terminated
    else:  # blue_green: a whole green environment, then a CNAME swap
        t += launch + d
        pts.append((t, n, 0, 2 * n))
        t += 1
        pts.append((t, 0, n, 2 * n))
        pts.append((t, 0, n, n))
    return Timeline(policy, n, pts)


def plot_capacity(instances: int = 4, *, batch: int = 1, policies: tuple[str, ...] = POLICIES[:4], **kwargs):
    """Instances in service (old + new version) against minutes, one panel per policy (two per row),
    the legend below the panels so it covers no data; the figure carries alt text (course_utils.rules.figures)."""
    import matplotlib.pyplot as plt

    from .figures import describe

    cols = min(2, len(policies))
    rows = -(-len(policies) // cols)
    fig, grid = plt.subplots(rows, cols, figsize=(9, 2.5 * rows + 0.9), sharey=True, squeeze=False)
    axes = [ax for row in grid for ax in row]
    for ax in axes[len(policies):]:
        ax.set_visible(False)
    axes = axes[: len(policies)]
    for ax, policy in zip(axes, policies):
        tl = simulate(policy, instances, batch=batch, **kwargs)
        xs = [p[0] for p in tl.points]
        ax.step(xs, [p[1] for p in tl.points], where="post", label="old version", color="#8c959f")
        ax.step(xs, [p[2] for p in tl.points], where="post", label="new version", color="#1f883d")
        ax.step(xs, [p[1] + p[2] for p in tl.points], where="post", label="in service (old + new)", color="#0969da", lw=2.2)
        ax.step(xs, [p[3] for p in tl.points], where="post", label="running (billed)", color="#cf222e", ls=":")
        ax.axhline(instances, color="black", lw=0.5, ls="--")
        ax.set_title(policy.replace("_", " "), fontsize=10)
        ax.set_xlabel("minutes", fontsize=9)
        ax.tick_params(labelsize=9)
    for ax in axes[::cols]:
        ax.set_ylabel("instances", fontsize=9)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.suptitle(f"Elastic Beanstalk deployment policies, {instances} instances, batch {batch}", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=9, frameon=False)
    lowest = {p: min(pt[1] + pt[2] for pt in simulate(p, instances, batch=batch, **kwargs).points) for p in policies}
    describe(fig, f"Step charts, one per Elastic Beanstalk deployment policy ({instances} instances, batch {batch}): "
             "instances of the old version, the new version, in service, and running, against minutes. Lowest in service: "
             + "; ".join(f"{p.replace('_', ' ')} {n}" for p, n in lowest.items()) + ".")
    return fig, axes
