"""sim.ecr_lifecycle: ECR's documented evaluation rules."""

from datetime import datetime, timezone

import pytest

from course_utils.sim import ecr_lifecycle as ecr

NOW = datetime(2026, 11, 1, tzinfo=timezone.utc)


def rule(prio, status, count_type, n, **sel):
    s = {"tagStatus": status, "countType": count_type, "countNumber": n, **sel}
    if count_type == "sinceImagePushed":
        s["countUnit"] = "days"
    return {"rulePriority": prio, "selection": s, "action": {"type": "expire"}}


def test_documented_multiple_rules_example():
    # AWS's example: A (beta-1, prod-1) oldest, B (beta-2, prod-2), C (beta-3) newest.
    images = ecr.images_from_days([("beta-1,prod-1", 10), ("beta-2,prod-2", 9), ("beta-3", 8)], now=NOW)
    policy = {"rules": [rule(1, "tagged", "imageCountMoreThan", 1, tagPrefixList=["prod"]),
                        rule(2, "tagged", "imageCountMoreThan", 1, tagPrefixList=["beta"])]}
    expired = ecr.evaluate(policy, images, now=NOW)
    assert [(e.image.tags, e.rule_priority) for e in expired] == [(("beta-1", "prod-1"), 1)]  # B is protected by rule 1


def test_untagged_age_and_any():
    images = ecr.images_from_days([("", 20), ("", 5), ("v1", 40), ("v2", 2), ("x", 35)], now=NOW)
    policy = {"rules": [rule(1, "untagged", "sinceImagePushed", 14), rule(2, "tagged", "imageCountMoreThan", 1, tagPatternList=["v*"]),
                        rule(3, "any", "sinceImagePushed", 30)]}
    got = {e.image.label: e.rule_priority for e in ecr.evaluate(policy, images, now=NOW)}
    assert got == {images[0].label: 1, "v1": 2, "x": 3}


def test_validation_messages():
    bad = {"rules": [rule(2, "any", "sinceImagePushed", 3), rule(5, "tagged", "imageCountMoreThan", 1),
                     rule(5, "untagged", "imageCountMoreThan", 1, tagPrefixList=["a"])]}
    problems = ecr.validate(bad)
    assert any("needs tagPrefixList or tagPatternList" in p for p in problems)
    assert any("priorities must be unique" in p for p in problems)
    assert any("only allowed with tagStatus tagged" in p for p in problems)
    assert any("must have the highest rulePriority" in p for p in problems)
    with pytest.raises(ValueError, match="lifecycle policy has problems"):
        ecr.evaluate(bad, [])
