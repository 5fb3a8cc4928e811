"""CodePipeline V2 triggers: which Git push or pull request starts which pipeline.

What AWS documents:

* **Triggers** (``pipeline.triggers``, V2 pipelines only) start a pipeline on Git events of a
  ``CodeStarSourceConnection`` source action (GitHub, GitLab, Bitbucket through a connection);
  ``gitConfiguration`` names the ``sourceActionName`` (one trigger per source action) and lists
  up to 3 ``push`` and up to 3 ``pullRequest`` filters (botocore model of CodePipeline).
  CodeCommit and S3 sources start pipelines through change detection (EventBridge), not triggers
  (https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-triggers.html).
* A **push** filter combines ``tags``, or ``branches``, or ``branches`` + ``filePaths``; a
  **pullRequest** filter combines ``branches`` or ``branches`` + ``filePaths``, and ``events``
  (``OPEN``, ``UPDATED``, ``CLOSED``). Each criterion has ``includes`` and ``excludes`` (1-8 glob
  patterns); **excludes take priority over includes** (pipelines-triggers page; CDK GitPushFilter).
  A push runs on the commit of the branch pushed *to*; a pull request filter's branches are the
  pull request's destination branches
  (https://docs.aws.amazon.com/codepipeline/latest/userguide/pipelines-filter.html).
* With a filter, the source action's ``BranchName`` is no longer what starts the pipeline; it
  stays the default for a manual start. Without any trigger, a push to ``BranchName`` starts it.
* **Glob patterns** (https://docs.aws.amazon.com/codepipeline/latest/userguide/syntax-glob.html):
  ``*`` zero or more characters of a name component (not crossing ``/``), ``**`` crossing
  directory boundaries, ``?`` one character, ``[ ]`` one character of a set (``!`` negates),
  ``{a,b}`` a group of sub-patterns (not nested), ``\\`` escapes.

What this module decides: :func:`glob_match`, :func:`matches` (one criterion), :func:`validate`
(a pipeline's triggers), :func:`decide` (one pipeline and one event) and :func:`route` (many
pipelines). When a push changes several files, a filePaths criterion matches when at least one
changed file is included and not excluded (our reading; AWS does not spell it out).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable

__all__ = ["GitEvent", "Decision", "glob_match", "matches", "validate", "decide", "route"]

PR_EVENTS = ("OPEN", "UPDATED", "CLOSED")


@dataclass(frozen=True)
class GitEvent:
    """A Git event on the repository: a push (of a branch or a tag) or a pull request event."""

    kind: str = "push"  # "push" or "pullRequest"
    branch: str | None = None  # push: the branch pushed to; pullRequest: the destination branch
    tag: str | None = None  # push of a Git tag
    files: tuple[str, ...] = ()  # paths changed by the commit(s)
    pr_event: str | None = None  # OPEN, UPDATED or CLOSED (pull requests)

    def describe(self) -> str:
        if self.kind == "pullRequest":
            return f"pull request {self.pr_event} into {self.branch}"
        what = f"tag {self.tag}" if self.tag else f"branch {self.branch}"
        return f"push of {what}" + (f" changing {', '.join(self.files)}" if self.files else "")


@dataclass
class Decision:
    """Whether ``pipeline`` starts for an event, and why."""

    pipeline: str
    starts: bool
    reason: str
    source_action: str | None = None
    filter: dict[str, Any] | None = field(default=None, repr=False)


@lru_cache(maxsize=512)
def _compile(pattern: str) -> re.Pattern[str]:
    out, i, in_group = [], 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1:i + 2] in ("!", "]") else i + 1)
            if end == -1:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                negate = body.startswith("!")
                body = body[1:] if negate else body
                chars = "".join("\\" + ch if ch in "\\^]" else ch for ch in body)
                out.append(f"[{'^' if negate else ''}{chars}]")
                i = end + 1
                continue
        elif c == "{" and not in_group:
            out.append("(?:")
            in_group = True
        elif c == "}" and in_group:
            out.append(")")
            in_group = False
        elif c == "," and in_group:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(pattern: str, value: str) -> bool:
    """Whether ``value`` (a branch, tag or file path) matches one glob ``pattern``."""
    return _compile(pattern).match(value) is not None


def matches(criterion: dict[str, Any] | None, values: Iterable[str]) -> bool:
    """Whether a criterion (``{"includes": [...], "excludes": [...]}``) accepts the values:
    at least one value is included (or there are no includes) and not excluded."""
    if not criterion:
        return True
    includes, excludes = criterion.get("includes") or [], criterion.get("excludes") or []
    for value in values:
        if any(glob_match(p, value) for p in excludes):
            continue  # excludes take priority over includes
        if not includes or any(glob_match(p, value) for p in includes):
            return True
    return False


def _source_actions(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    stages = pipeline.get("stages") or []
    first = stages[0].get("actions", []) if stages else []
    return {a["name"]: a for a in first if (a.get("actionTypeId") or {}).get("category") == "Source"}


def validate(pipeline: dict[str, Any]) -> list[str]:
    """Problems with a pipeline's ``triggers`` (AWS rules above); empty when sound."""
    triggers = pipeline.get("triggers") or []
    if not triggers:
        return []
    problems = []
    if pipeline.get("pipelineType", "V1") != "V2":
        problems.append("triggers need pipelineType V2")
    sources, seen = _source_actions(pipeline), set()
    for t in triggers:
        if t.get("providerType") != "CodeStarSourceConnection":
            problems.append(f"providerType must be CodeStarSourceConnection, got {t.get('providerType')!r}")
        git = t.get("gitConfiguration") or {}
        name = git.get("sourceActionName")
        action = sources.get(name)
        if action is None:
            problems.append(f"sourceActionName {name!r} is not a source action of the first stage")
        elif action["actionTypeId"].get("provider") != "CodeStarSourceConnection":
            problems.append(f"source action {name!r} uses {action['actionTypeId'].get('provider')}, not a connection")
        if name in seen:
            problems.append(f"only one trigger per source action ({name!r} has several)")
        seen.add(name)
        for kind in ("push", "pullRequest"):
            filters = git.get(kind) or []
            if len(filters) > 3:
                problems.append(f"{name}: at most 3 {kind} filters, got {len(filters)}")
            for f in filters:
                problems.extend(f"{name}.{kind}: {p}" for p in _filter_problems(kind, f))
    return problems


def _filter_problems(kind: str, f: dict[str, Any]) -> list[str]:
    problems = []
    if kind == "push":
        if f.get("tags") and (f.get("branches") or f.get("filePaths")):
            problems.append("a push filter uses tags, or branches (+ filePaths), not both")
        if not f.get("tags") and not f.get("branches"):
            problems.append("a push filter needs tags or branches")
    else:
        if not f.get("branches"):
            problems.append("a pullRequest filter needs branches")
        bad = [e for e in f.get("events") or [] if e not in PR_EVENTS]
        if bad:
            problems.append(f"pull request events must be among {PR_EVENTS}, got {bad}")
    for key in ("tags", "branches", "filePaths"):
        for side in ("includes", "excludes"):
            patterns = (f.get(key) or {}).get(side)
            if patterns is not None and not 1 <= len(patterns) <= 8:
                problems.append(f"{key}.{side} takes 1 to 8 patterns, got {len(patterns)}")
    return problems


def _filter_accepts(kind: str, f: dict[str, Any], event: GitEvent) -> bool:
    if kind == "pullRequest" and event.pr_event not in (f.get("events") or PR_EVENTS):
        return False
    if f.get("tags"):
        return event.tag is not None and matches(f["tags"], [event.tag])
    if event.branch is None or not matches(f.get("branches"), [event.branch]):
        return False
    if f.get("filePaths"):
        return matches(f["filePaths"], event.files)
    return True


def decide(pipeline: dict[str, Any], event: GitEvent) -> Decision:
    """Whether ``event`` starts ``pipeline`` (a declaration as ``get_pipeline`` returns it)."""
    name = pipeline.get("name", "?")
    triggers = (pipeline.get("triggers") or []) if pipeline.get("pipelineType") == "V2" else []
    sources = _source_actions(pipeline)
    triggered = {((t.get("gitConfiguration") or {}).get("sourceActionName")): t for t in triggers}
    for action_name, action in sources.items():
        trigger = triggered.get(action_name)
        if trigger is None:  # no filter: change detection on the action's BranchName
            default = (action.get("configuration") or {}).get("BranchName")
            if event.kind == "push" and event.tag is None and default is not None and event.branch == default:
                return Decision(name, True, f"no trigger filter: a push to the default branch {default!r} of {action_name}", action_name)
            continue
        kind = event.kind
        for f in trigger["gitConfiguration"].get(kind) or []:
            if _filter_accepts(kind, f, event):
                return Decision(name, True, f"{kind} filter of {action_name} matches {_summary(f)}", action_name, f)
    return Decision(name, False, "no trigger filter matches" if triggers else "not a push to the default branch")


def _summary(f: dict[str, Any]) -> str:
    parts = []
    for key in ("events", "tags", "branches", "filePaths"):
        if f.get(key):
            parts.append(f"{key}={f[key]}")
    return ", ".join(parts)


def route(pipelines: Iterable[dict[str, Any]], event: GitEvent) -> list[Decision]:
    """One decision per pipeline, in the order given."""
    return [decide(p, event) for p in pipelines]
