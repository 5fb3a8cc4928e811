"""Apply an Amazon ECR lifecycle policy to a list of images: which expire, and by which rule.

What Amazon ECR documents (Lifecycle policy properties; Lifecycle policy evaluation rules):

* Rules are evaluated by ``rulePriority``, lowest first; priorities are unique integers; a rule
  with ``tagStatus: any`` must have the highest priority.
* ``selection.tagStatus``: ``tagged`` (needs ``tagPrefixList`` or ``tagPatternList``, not
  both), ``untagged`` (neither list), or ``any``. Only one rule may select untagged images.
  An image matches a list when every entry matches one of its tags (prefixes by
  ``startswith``; patterns with ``*`` wildcards, at most four per pattern).
* ``countType: imageCountMoreThan`` keeps the ``countNumber`` most recently pushed matching
  images and expires the rest; ``sinceImagePushed`` (``countUnit: days``) expires matching
  images pushed more than ``countNumber`` days ago. Older images always expire first.
* An image is expired by exactly one rule or none. An image that matches a higher-priority rule
  cannot be expired by a lower-priority rule, though lower rules still count it.
* ``action.type`` is ``expire``.

What this module reproduces: :func:`validate` checks a policy and names the bad field;
:func:`evaluate` applies it to an image list at a given moment (as ECR's preview does) and
returns, per image, the rule that expired it. Manifest lists, archive storage classes and the
``sinceImagePulled`` / ``sinceImageTransitioned`` count types are not modelled.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["Image", "Expiry", "validate", "evaluate", "images_from_days"]


@dataclass(frozen=True)
class Image:
    digest: str
    tags: tuple[str, ...]
    pushed_at: datetime

    @property
    def label(self) -> str:
        return ",".join(self.tags) if self.tags else f"<untagged {self.digest[-6:]}>"


@dataclass(frozen=True)
class Expiry:
    image: Image
    rule_priority: int
    description: str


def _load(policy: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError as exc:
            raise ValueError(f"lifecycle policy is not valid JSON: {exc}") from None
    if not isinstance(policy, dict) or not isinstance(policy.get("rules"), list) or not policy["rules"]:
        raise ValueError("lifecycle policy needs a non-empty 'rules' list")
    return policy


def validate(policy: str | dict[str, Any]) -> list[str]:
    """Problems in a lifecycle policy, each naming the rule and field; empty when sound."""
    data = _load(policy)
    problems: list[str] = []
    priorities: list[int] = []
    untagged = 0
    for i, rule in enumerate(data["rules"]):
        where = f"rules[{i}]"
        prio = rule.get("rulePriority")
        if not isinstance(prio, int) or prio < 1:
            problems.append(f"{where}.rulePriority: must be a positive integer, got {prio!r}")
        elif prio in priorities:
            problems.append(f"{where}.rulePriority: {prio} is used by another rule; priorities must be unique")
        else:
            priorities.append(prio)
        sel = rule.get("selection") or {}
        status = sel.get("tagStatus")
        prefixes, patterns = sel.get("tagPrefixList"), sel.get("tagPatternList")
        if status not in ("tagged", "untagged", "any"):
            problems.append(f"{where}.selection.tagStatus: must be tagged, untagged or any, got {status!r}")
        if status == "tagged" and not (prefixes or patterns):
            problems.append(f"{where}.selection: tagStatus tagged needs tagPrefixList or tagPatternList")
        if prefixes and patterns:
            problems.append(f"{where}.selection: use tagPrefixList or tagPatternList, not both")
        if status != "tagged" and (prefixes or patterns):
            problems.append(f"{where}.selection: tag lists are only allowed with tagStatus tagged")
        for p in patterns or []:
            if str(p).count("*") > 4:
                problems.append(f"{where}.selection.tagPatternList: {p!r} has more than four '*' wildcards")
        if status == "untagged":
            untagged += 1
        count_type = sel.get("countType")
        number = sel.get("countNumber")
        if count_type not in ("imageCountMoreThan", "sinceImagePushed"):
            problems.append(f"{where}.selection.countType: must be imageCountMoreThan or sinceImagePushed, got {count_type!r}")
        if count_type == "sinceImagePushed" and sel.get("countUnit") != "days":
            problems.append(f"{where}.selection.countUnit: sinceImagePushed needs countUnit 'days'")
        if count_type == "imageCountMoreThan" and "countUnit" in sel:
            problems.append(f"{where}.selection.countUnit: not allowed with imageCountMoreThan")
        if not isinstance(number, int) or number < 1:
            problems.append(f"{where}.selection.countNumber: must be a positive integer, got {number!r}")
        if (rule.get("action") or {}).get("type") != "expire":
            problems.append(f"{where}.action.type: must be 'expire'")
    if untagged > 1:
        problems.append("rules: only one rule may select untagged images")
    anys = [r.get("rulePriority") for r in data["rules"] if (r.get("selection") or {}).get("tagStatus") == "any"]
    if anys and priorities and any(isinstance(a, int) and a != max(priorities) for a in anys):
        problems.append("rules: a rule with tagStatus any must have the highest rulePriority (it is evaluated last)")
    return problems


def _matches(image: Image, sel: dict[str, Any]) -> bool:
    status = sel["tagStatus"]
    if status == "any":
        return True
    if status == "untagged":
        return not image.tags
    if not image.tags:
        return False
    if sel.get("tagPrefixList"):
        return all(any(t.startswith(p) for t in image.tags) for p in sel["tagPrefixList"])
    return all(any(fnmatch.fnmatchcase(t, p) for t in image.tags) for p in sel["tagPatternList"])


def evaluate(policy: str | dict[str, Any], images: list[Image], *, now: datetime | None = None) -> list[Expiry]:
    """The images the policy expires, oldest first, each with the rule that expired it."""
    data = _load(policy)
    problems = validate(data)
    if problems:
        raise ValueError("lifecycle policy has problems:\n" + "\n".join(f"  - {p}" for p in problems))
    now = now or datetime.now(timezone.utc)
    expired: dict[str, Expiry] = {}
    claimed: set[str] = set()  # images selected by a higher-priority rule
    for rule in sorted(data["rules"], key=lambda r: r["rulePriority"]):
        sel = rule["selection"]
        selected = sorted((im for im in images if _matches(im, sel)), key=lambda im: im.pushed_at, reverse=True)  # newest first
        if sel["countType"] == "imageCountMoreThan":
            marked = selected[sel["countNumber"] :]
        else:
            limit = now - timedelta(days=sel["countNumber"])
            marked = [im for im in selected if im.pushed_at < limit]
        for im in marked:
            if im.digest in expired or im.digest in claimed:
                continue  # expired already, or protected by a higher-priority rule
            expired[im.digest] = Expiry(im, rule["rulePriority"], rule.get("description", ""))
        claimed.update(im.digest for im in selected)
    return sorted(expired.values(), key=lambda e: e.image.pushed_at)


def images_from_days(spec: list[tuple[str, int]], *, now: datetime | None = None) -> list[Image]:
    """Build images from ``(comma-separated tags or '', days since push)`` pairs; on equal days,
    earlier entries count as pushed earlier."""
    now = now or datetime.now(timezone.utc)
    out = []
    for i, (tags, days) in enumerate(spec):
        tag_tuple = tuple(t for t in tags.split(",") if t)
        out.append(Image(f"sha256:{i:064x}", tag_tuple, now - timedelta(days=days, seconds=len(spec) - i)))
    return out
