"""rules.rollout: ECS minimumHealthyPercent/maximumPercent and circuit breaker, Kubernetes maxSurge/maxUnavailable."""

import pytest

from course_utils.rules import rollout as ro


def test_ecs_bounds_round_min_up_and_max_down():
    assert ro.ecs_bounds(3, 50, 150) == (2, 4)  # 1.5 -> 2 up, 4.5 -> 4 down
    assert ro.ecs_bounds(4) == (4, 8)  # defaults 100 / 200


def test_circuit_breaker_threshold_bounds():
    assert [ro.circuit_breaker_threshold(n) for n in (1, 4, 6, 10, 1000)] == [3, 3, 3, 5, 200]


def test_ecs_max_200_starts_all_new_tasks_before_stopping_old():
    r = ro.ecs_rollout(4, minimum_healthy_percent=50, maximum_percent=200)
    assert r.state == "COMPLETED" and r.min_serving == 4
    assert (r.steps[1].old, r.steps[1].pending) == (4, 4)  # AWS's example: four new before stopping four old


def test_ecs_min_50_max_100_stops_half_first():
    r = ro.ecs_rollout(4, minimum_healthy_percent=50, maximum_percent=100)
    assert (r.steps[1].old, r.steps[1].pending) == (2, 2)  # AWS's example: stop two, start two
    assert r.state == "COMPLETED" and r.min_serving == 2
    assert all(s.old + s.new + s.pending <= 4 for s in r.steps)


def test_failing_revision_without_circuit_breaker_retries_forever():
    r = ro.ecs_rollout(4, healthy=False, minimum_healthy_percent=100, maximum_percent=200, max_steps=5)
    assert r.state == "IN_PROGRESS" and not r.rolled_back
    assert r.min_serving == 4 and r.failed == 20  # old tasks keep serving, new ones keep failing
    half = ro.ecs_rollout(4, healthy=False, minimum_healthy_percent=50, maximum_percent=100, max_steps=5)
    assert half.state == "IN_PROGRESS" and half.steps[-1].serving == 2  # stuck at half capacity


def test_circuit_breaker_fails_and_rolls_back():
    cb = {"enable": True, "rollback": True}
    r = ro.ecs_rollout(4, healthy=False, minimum_healthy_percent=50, maximum_percent=100, circuit_breaker=cb)
    assert r.state == "FAILED" and r.rolled_back and r.threshold == 3
    assert r.failed == 4 and (r.steps[-1].old, r.steps[-1].new) == (4, 0)
    assert "threshold 3: FAILED" in r.steps[-2].event
    no_rb = ro.ecs_rollout(4, healthy=False, minimum_healthy_percent=50, maximum_percent=100, circuit_breaker={"enable": True, "rollback": False})
    assert no_rb.state == "FAILED" and not no_rb.rolled_back and no_rb.steps[-1].old == 2  # stops launching, no restore


def test_healthy_rollout_is_not_stopped_by_the_circuit_breaker():
    r = ro.ecs_rollout(4, circuit_breaker={"enable": True, "rollback": True})
    assert r.state == "COMPLETED" and r.failed == 0


def test_min_100_max_100_cannot_start():
    r = ro.ecs_rollout(4, minimum_healthy_percent=100, maximum_percent=100)
    assert r.state == "IN_PROGRESS" and "stalled" in r.steps[-1].event


def test_k8s_percentages_round_surge_up_and_unavailable_down():
    assert ro.k8s_bounds(10, "25%", "25%") == (8, 13)  # surge 2.5 -> 3, unavailable 2.5 -> 2
    assert ro.k8s_bounds(4) == (3, 5)
    assert ro.k8s_bounds(3, 0, "50%") == (2, 3)
    with pytest.raises(ValueError, match="both resolve to 0"):
        ro.k8s_bounds(3, "0%", "10%")  # 0.3 rounds down to 0
    with pytest.raises(ValueError, match="percentage"):
        ro.k8s_value("half", 4, round_up=True)


def test_k8s_rollout_ready_and_not_ready():
    r = ro.k8s_rollout(4)
    assert r.state == "COMPLETED" and r.min_serving == 3
    assert all(s.old + s.new + s.pending <= 5 for s in r.steps)
    stuck = ro.k8s_rollout(4, ready=False)
    assert stuck.state == "IN_PROGRESS" and not stuck.rolled_back and "stalled" in stuck.steps[-1].event
    assert (stuck.steps[-1].old, stuck.steps[-1].pending) == (3, 2)  # not-ready pods stay; no rollback
    assert stuck.summary().endswith("2 new pods not ready")


def test_deployment_rollout_reads_the_manifest():
    manifest = {"kind": "Deployment", "spec": {"replicas": 6, "strategy": {"type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 2, "maxUnavailable": 0}}}}
    r = ro.deployment_rollout(manifest)
    assert (r.min_healthy, r.max_total, r.state, r.min_serving) == (6, 8, "COMPLETED", 6)
    with pytest.raises(ValueError, match="Recreate"):
        ro.deployment_rollout({"kind": "Deployment", "spec": {"strategy": {"type": "Recreate"}}})


@pytest.mark.parametrize("cpu, memory, ok", [(256, 512, True), (256, 3072, False), ("1 vCPU", "2 GB", True),
                                             (4096, 30720, True), (8192, 20480, True), (8192, 18432, False), (300, 512, False)])
def test_fargate_task_sizes(cpu, memory, ok):
    assert (ro.fargate_task_size(cpu, memory) is None) == ok


def test_plot_and_table():
    import matplotlib

    matplotlib.use("Agg")
    rolls = [ro.ecs_rollout(4, healthy=False, circuit_breaker={"enable": True, "rollback": True}), ro.k8s_rollout(4)]
    fig, axes = ro.plot(rolls, ["ECS", "EKS"])
    assert len(axes) == 2 and "rolled back" in axes[0].get_title()
    assert "pending" in rolls[1].table().splitlines()[0]
    import matplotlib.pyplot as plt

    plt.close(fig)
