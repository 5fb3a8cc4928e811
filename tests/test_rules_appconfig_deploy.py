"""AppConfig deployment growth over time (course_utils.rules.appconfig_deploy)."""

from __future__ import annotations

import pytest

from course_utils.rules import appconfig_deploy as ad


def test_linear_matches_the_user_guide_timeline():
    # user guide: 10-hour deployment, 20% linear -> 0% at 0 h, 20% at 2 h, ... 100% at 10 h
    s = ad.Strategy(600, 20, "LINEAR", 0)
    assert [ad.percentage_at(s, h * 60) for h in range(0, 11, 2)] == [0, 20, 40, 60, 80, 100]
    assert ad.percentage_at(s, 119) == 0 and ad.percentage_at(s, 121) == 20


def test_exponential_doubles_the_growth_factor_until_all_targets():
    # user guide: growth factor 2 -> 2%, 4%, 8%, ... until all targets
    s = ad.Strategy(10, 2, "EXPONENTIAL", 0)
    assert [p for _, p in ad.schedule(s)] == [2, 4, 8, 16, 32, 64, 100]
    assert ad.schedule(s)[-1][0] == pytest.approx(10)


def test_predefined_strategies_as_documented():
    linear = ad.PREDEFINED["AppConfig.Linear20PercentEvery6Minutes"]
    assert [m for m, _ in ad.schedule(linear)] == [6, 12, 18, 24, 30]
    assert ad.progress(linear, 31).state == "BAKING" and ad.progress(linear, 60).state == "COMPLETE"
    assert ad.progress(ad.PREDEFINED["AppConfig.AllAtOnce"], 0).percentage == 100


def test_bake_then_complete_with_events():
    s = ad.Strategy(10, 50, "LINEAR", 5)
    assert ad.progress(s, 4).state == "DEPLOYING" and ad.progress(s, 4).percentage == 0
    assert ad.progress(s, 5).percentage == 50
    p = ad.progress(s, 15)
    assert p.state == "COMPLETE" and p.completed_minute == 15
    assert [e.type for e in p.events] == ["DEPLOYMENT_STARTED", "PERCENTAGE_UPDATED", "PERCENTAGE_UPDATED",
                                          "BAKE_TIME_STARTED", "DEPLOYMENT_COMPLETED"]


def test_rollback_only_while_deploying_or_baking():
    s = ad.Strategy(10, 50, "LINEAR", 5)
    rolled = ad.progress(s, 20, rolled_back_at=12, rolled_back_by="CLOUDWATCH_ALARM")
    assert rolled.state == "ROLLED_BACK" and rolled.events[-1].triggered_by == "CLOUDWATCH_ALARM"
    assert ad.progress(s, 20, rolled_back_at=16).state == "COMPLETE"  # after the bake: nothing to roll back
    assert ad.progress(s, 3, rolled_back_at=12).state == "DEPLOYING"  # not yet


def test_validate_and_buckets():
    assert ad.validate(ad.Strategy(0, 100)) == []
    assert len(ad.validate(ad.Strategy(2000, 0, "STEP", -1))) == 4
    assert ad.sees_new_version(19, 20) and not ad.sees_new_version(20, 20) and ad.sees_new_version(99, 100)
    assert "COMPLETE" in ad.timeline(ad.Strategy(1, 50, "LINEAR", 1))
