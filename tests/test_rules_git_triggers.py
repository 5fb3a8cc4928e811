"""CodePipeline V2 trigger filters (course_utils.rules.git_triggers)."""

from __future__ import annotations

import pytest

from course_utils.rules import git_triggers as gt
from course_utils.rules.git_triggers import GitEvent


@pytest.mark.parametrize("pattern, value, expected", [
    ("feature/*", "feature/login", True), ("feature/*", "feature/a/b", False), ("feature/**", "feature/a/b", True),
    ("*.java", "Main.java", True), ("*.java", "src/Main.java", False), ("**/*.java", "src/Main.java", True),
    ("*.{java,class}", "Main.class", True), ("foo.?", "foo.c", True), ("foo.?", "foo.cc", False),
    ("release-v[0-9]", "release-v7", True), ("[!a-c]x", "ax", False), ("\\*", "*", True), ("\\*", "a", False),
    ("directory/*", "directory/a/b", False), ("**", "any/path/at/all", True), ("v*", "v1.2.0", True),
])
def test_glob_rules_of_the_codepipeline_guide(pattern, value, expected):
    assert gt.glob_match(pattern, value) is expected


def test_excludes_take_priority_and_any_file_counts():
    crit = {"includes": ["services/api/**"], "excludes": ["**/*.md"]}
    assert gt.matches(crit, ["services/api/README.md", "services/api/app.py"])
    assert not gt.matches(crit, ["services/api/README.md"])
    assert gt.matches({"excludes": ["docs/**"]}, ["src/a.py"]) and not gt.matches({"excludes": ["docs/**"]}, ["docs/x"])


def _pipeline(name="api", triggers=None, ptype="V2", provider="CodeStarSourceConnection", branch="main"):
    source = {"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS", "provider": provider, "version": "1"},
              "configuration": {"BranchName": branch}, "outputArtifacts": [{"name": "Src"}]}
    build = {"name": "Build", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
             "inputArtifacts": [{"name": "Src"}]}
    p = {"name": name, "pipelineType": ptype, "stages": [{"name": "Source", "actions": [source]},
                                                        {"name": "Build", "actions": [build]}]}
    if triggers is not None:
        p["triggers"] = [{"providerType": "CodeStarSourceConnection",
                          "gitConfiguration": {"sourceActionName": "Source", **triggers}}]
    return p


def test_push_filters_branches_files_and_tags():
    p = _pipeline(triggers={"push": [{"branches": {"includes": ["main"]}, "filePaths": {"includes": ["api/**"]}},
                                     {"tags": {"includes": ["v*"], "excludes": ["v*-rc*"]}}]})
    assert gt.decide(p, GitEvent(branch="main", files=("api/app.py",))).starts
    assert not gt.decide(p, GitEvent(branch="main", files=("web/index.html",))).starts
    assert not gt.decide(p, GitEvent(branch="dev", files=("api/app.py",))).starts
    assert gt.decide(p, GitEvent(tag="v1.4.0")).starts
    assert not gt.decide(p, GitEvent(tag="v1.5.0-rc1")).starts


def test_pull_request_events_and_destination_branch():
    p = _pipeline(triggers={"pullRequest": [{"events": ["OPEN", "UPDATED"], "branches": {"includes": ["main"]}}]})
    assert gt.decide(p, GitEvent("pullRequest", branch="main", pr_event="OPEN")).starts
    assert not gt.decide(p, GitEvent("pullRequest", branch="main", pr_event="CLOSED")).starts
    assert not gt.decide(p, GitEvent("pullRequest", branch="dev", pr_event="OPEN")).starts
    assert not gt.decide(p, GitEvent(branch="main")).starts  # a filter replaces the default branch


def test_without_triggers_the_default_branch_starts_it():
    p = _pipeline(triggers=None, branch="main")
    assert gt.decide(p, GitEvent(branch="main")).starts
    assert not gt.decide(p, GitEvent(branch="dev")).starts and not gt.decide(p, GitEvent(tag="v1")).starts
    v1 = _pipeline(triggers={"push": [{"tags": {"includes": ["v*"]}}]}, ptype="V1")
    assert not gt.decide(v1, GitEvent(tag="v1")).starts  # triggers need V2


def test_validate_reports_the_documented_limits():
    assert gt.validate(_pipeline(triggers={"push": [{"branches": {"includes": ["main"]}}]})) == []
    bad = _pipeline(triggers={"push": [{"tags": {"includes": ["v*"]}, "branches": {"includes": ["main"]}},
                                       {"filePaths": {"includes": ["a"]}}, {"tags": {"includes": [str(i) for i in range(9)]}},
                                       {"tags": {"includes": ["x"]}}]}, ptype="V1", provider="S3")
    problems = "\n".join(gt.validate(bad))
    for text in ("V2", "not a connection", "not both", "needs tags or branches", "1 to 8", "at most 3"):
        assert text in problems


def test_route_and_describe():
    a = _pipeline("a", triggers={"push": [{"branches": {"includes": ["main"]}}]})
    b = _pipeline("b", triggers={"push": [{"tags": {"includes": ["v*"]}}]})
    assert [d.starts for d in gt.route([a, b], GitEvent(tag="v2"))] == [False, True]
    assert "tag v2" in GitEvent(tag="v2").describe()
