"""An appspec.yml validator for CodeDeploy's three compute platforms, with the hook order of each.

What AWS CodeDeploy documents (AppSpec file reference, 'hooks' section):

* **EC2/On-Premises**: ``version: 0.0``, ``os`` (``linux`` or ``windows``), optional ``files``
  (``source`` -> ``destination``), ``permissions`` and ``hooks`` mapping lifecycle events to
  scripts (``location``, optional ``timeout`` in seconds, at most 3600, and ``runas``). In-place
  order: ApplicationStop, DownloadBundle, BeforeInstall, Install, AfterInstall, ApplicationStart,
  ValidateService; behind a load balancer, BeforeBlockTraffic, BlockTraffic, AfterBlockTraffic
  come first and BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic last. DownloadBundle,
  Install, BlockTraffic and AllowTraffic are run by CodeDeploy and cannot take scripts.
* **AWS Lambda**: ``version: 0.0``, ``Resources`` with one ``AWS::Lambda::Function`` naming
  ``Name``, ``Alias``, ``CurrentVersion`` and ``TargetVersion``; ``Hooks`` run Lambda functions
  at BeforeAllowTraffic and AfterAllowTraffic (order: Start, BeforeAllowTraffic, AllowTraffic,
  AfterAllowTraffic, End).
* **Amazon ECS**: ``version: 0.0``, ``Resources`` with one ``AWS::ECS::Service`` naming
  ``TaskDefinition`` and ``LoadBalancerInfo`` (``ContainerName``, ``ContainerPort``); ``Hooks``
  run Lambda functions at BeforeInstall, AfterInstall, AfterAllowTestTraffic,
  BeforeAllowTraffic, AfterAllowTraffic (order: Start, BeforeInstall, Install, AfterInstall,
  AllowTestTraffic, AfterAllowTestTraffic, BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic,
  End).

What this module reproduces: :func:`validate` checks a learner's AppSpec for the chosen platform
and names the bad key; :func:`hook_order` lists the events in run order with which ones take a
hook; :func:`plot_hook_order` draws them. It does not deploy anything.
"""

from __future__ import annotations

import difflib
from typing import Any

from ._spec import Problem, load_mapping

__all__ = ["PLATFORMS", "EVENTS", "SCRIPTABLE", "Problem", "validate", "check", "hook_order", "plot_hook_order"]

PLATFORMS = ("ec2", "lambda", "ecs")

_EC2_LB_START = ["BeforeBlockTraffic", "BlockTraffic", "AfterBlockTraffic"]
_EC2_CORE = ["ApplicationStop", "DownloadBundle", "BeforeInstall", "Install", "AfterInstall", "ApplicationStart", "ValidateService"]
_EC2_LB_END = ["BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"]

#: Lifecycle events in run order, per platform (EC2: in-place behind a load balancer).
EVENTS: dict[str, list[str]] = {
    "ec2": ["Start", *_EC2_LB_START, *_EC2_CORE, *_EC2_LB_END, "End"],
    "lambda": ["Start", "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic", "End"],
    "ecs": [
        "Start", "BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
        "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic", "End",
    ],
}  # fmt: skip

_EC2_NOT_SCRIPTABLE = {"Start", "End", "DownloadBundle", "Install", "BlockTraffic", "AllowTraffic"}
#: Events that accept a hook (a script on EC2, a Lambda function on Lambda and ECS).
SCRIPTABLE: dict[str, list[str]] = {
    "ec2": [e for e in EVENTS["ec2"] if e not in _EC2_NOT_SCRIPTABLE],
    "lambda": ["BeforeAllowTraffic", "AfterAllowTraffic"],
    "ecs": ["BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic"],
}

_RESOURCE_TYPE = {"lambda": "AWS::Lambda::Function", "ecs": "AWS::ECS::Service"}
_RESOURCE_PROPS = {
    "lambda": {"required": ("Name", "Alias", "CurrentVersion", "TargetVersion"), "allowed": ("Name", "Alias", "CurrentVersion", "TargetVersion")},
    "ecs": {"required": ("TaskDefinition", "LoadBalancerInfo"), "allowed": ("TaskDefinition", "LoadBalancerInfo", "PlatformVersion", "NetworkConfiguration", "CapacityProviderStrategy")},
}
_TOP = {"ec2": ("version", "os", "files", "permissions", "hooks", "file_exists_behavior"), "lambda": ("version", "Resources", "Hooks"), "ecs": ("version", "Resources", "Hooks")}


def _load(spec: str | dict[str, Any]) -> dict[str, Any]:
    return load_mapping(spec, "appspec", "a YAML mapping")


def _platform(platform: str) -> str:
    key = platform.lower().replace("/on-premises", "").replace("server", "ec2")
    if key not in PLATFORMS:
        raise ValueError(f"unknown compute platform {platform!r}: use one of {', '.join(PLATFORMS)}")
    return key


def _unknown(path: str, key: Any, allowed: list[str] | tuple[str, ...], what: str) -> Problem:
    hint = difflib.get_close_matches(str(key), list(allowed), n=1)
    tip = f" (did you mean '{hint[0]}'?)" if hint else ""
    return Problem(f"{path}.{key}" if path else str(key), f"{what} '{key}' is not valid here{tip}; allowed: {', '.join(allowed)}")


def _check_hook_event(event: Any, path: str, platform: str, problems: list[Problem]) -> None:
    if event in SCRIPTABLE[platform]:
        return
    if event in EVENTS[platform]:
        problems.append(Problem(f"{path}.{event}", f"'{event}' is run by CodeDeploy itself and cannot take a hook on {platform}"))
    else:
        problems.append(_unknown(path, event, SCRIPTABLE[platform], "lifecycle event"))


def validate(spec: str | dict[str, Any], platform: str) -> list[Problem]:
    """Every problem in an AppSpec for ``platform`` (``ec2``, ``lambda`` or ``ecs``)."""
    platform = _platform(platform)
    data = _load(spec)
    problems: list[Problem] = []
    for key in data:
        if key not in _TOP[platform]:
            problems.append(_unknown("", key, _TOP[platform], "top-level key"))
    if "version" not in data:
        problems.append(Problem("version", "is required and must be 0.0"))
    elif str(data["version"]) != "0.0":
        problems.append(Problem("version", f"must be 0.0 (the only AppSpec version), got {data['version']!r}"))
    if platform == "ec2":
        if data.get("os") not in ("linux", "windows"):
            problems.append(Problem("os", f"must be linux or windows, got {data.get('os')!r}"))
        for i, item in enumerate(data.get("files") or []):
            if not isinstance(item, dict) or "source" not in item or "destination" not in item:
                problems.append(Problem(f"files[{i}]", "needs both 'source' and 'destination'"))
        hooks = data.get("hooks") or {}
        if "Hooks" in data:
            problems.append(Problem("Hooks", "EC2/On-Premises AppSpec files use lowercase 'hooks'"))
        if not isinstance(hooks, dict):
            problems.append(Problem("hooks", "must map lifecycle events to lists of scripts"))
            hooks = {}
        for event, scripts in hooks.items():
            _check_hook_event(event, "hooks", platform, problems)
            for j, script in enumerate(scripts if isinstance(scripts, list) else [scripts]):
                path = f"hooks.{event}[{j}]"
                if not isinstance(script, dict) or "location" not in script:
                    problems.append(Problem(path, "each script needs a 'location'"))
                    continue
                timeout = script.get("timeout")
                if timeout is not None and (not isinstance(timeout, int) or not 0 < timeout <= 3600):
                    problems.append(Problem(f"{path}.timeout", f"must be whole seconds from 1 to 3600, got {timeout!r}"))
        return problems
    resources = data.get("Resources")
    if not isinstance(resources, list) or len(resources) != 1:
        problems.append(Problem("Resources", f"must list exactly one {_RESOURCE_TYPE[platform]}"))
    else:
        entry = resources[0]
        if not isinstance(entry, dict) or len(entry) != 1:
            problems.append(Problem("Resources[0]", "must be one named resource, e.g. 'myFunction: {Type: ..., Properties: ...}'"))
        else:
            (name, body), = entry.items()
            path = f"Resources[0].{name}"
            body = body or {}
            if body.get("Type") != _RESOURCE_TYPE[platform]:
                problems.append(Problem(f"{path}.Type", f"must be {_RESOURCE_TYPE[platform]} for a {platform} deployment, got {body.get('Type')!r}"))
            props = body.get("Properties") or {}
            rules = _RESOURCE_PROPS[platform]
            for key in props:
                if key not in rules["allowed"]:
                    problems.append(_unknown(f"{path}.Properties", key, rules["allowed"], "property"))
            for key in rules["required"]:
                if key not in props:
                    problems.append(Problem(f"{path}.Properties.{key}", "is required"))
            if platform == "lambda" and "CurrentVersion" in props and str(props.get("CurrentVersion")) == str(props.get("TargetVersion")):
                problems.append(Problem(f"{path}.Properties.TargetVersion", "equals CurrentVersion: there is no traffic to shift"))
            lb = props.get("LoadBalancerInfo")
            if platform == "ecs" and isinstance(lb, dict):
                for key in ("ContainerName", "ContainerPort"):
                    if key not in lb:
                        problems.append(Problem(f"{path}.Properties.LoadBalancerInfo.{key}", "is required"))
    if "hooks" in data:
        problems.append(Problem("hooks", f"{platform} AppSpec files use capitalised 'Hooks' (a list of event: function)"))
    hooks = data.get("Hooks") or []
    if not isinstance(hooks, list):
        problems.append(Problem("Hooks", "must be a list of '- Event: FunctionName' items"))
        hooks = []
    for i, item in enumerate(hooks):
        if not isinstance(item, dict) or len(item) != 1:
            problems.append(Problem(f"Hooks[{i}]", "each item is one 'Event: FunctionName' pair"))
            continue
        (event, fn), = item.items()
        _check_hook_event(event, f"Hooks[{i}]", platform, problems)
        if not isinstance(fn, str) or not fn:
            problems.append(Problem(f"Hooks[{i}].{event}", "must name a Lambda function (name or ARN)"))
    return problems


def check(spec: str | dict[str, Any], platform: str) -> dict[str, Any]:
    """Validate and raise ``ValueError`` naming every problem; return the parsed AppSpec."""
    data = _load(spec)
    problems = validate(data, platform)
    if problems:
        raise ValueError(f"{platform} appspec has problems:\n" + "\n".join(f"  - {p}" for p in problems))
    return data


def hook_order(platform: str, *, load_balancer: bool = True) -> list[tuple[str, bool]]:
    """``(event, takes_a_hook)`` in run order. EC2 without a load balancer has no traffic events."""
    platform = _platform(platform)
    events = EVENTS[platform]
    if platform == "ec2" and not load_balancer:
        events = ["Start", *_EC2_CORE, "End"]
    return [(e, e in SCRIPTABLE[platform]) for e in events]


def plot_hook_order(platforms: tuple[str, ...] = PLATFORMS, *, used: dict[str, list[str]] | None = None):
    """One column per platform: lifecycle events top to bottom in run order; hookable events in blue
    (green when ``used`` says the AppSpec defines that hook), the events CodeDeploy runs itself in grey.
    Drawn 9 in wide (the notebook's width) with 9 pt labels; carries alt text (course_utils.rules.figures)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from .figures import describe

    used = used or {}
    names = {"ec2": "EC2/On-Premises", "lambda": "Lambda", "ecs": "ECS"}
    cols = [(_platform(p), hook_order(p)) for p in platforms]
    depth = max(len(events) for _, events in cols)
    fig, ax = plt.subplots(figsize=(9, 0.36 * depth + 1.4))
    grey, blue, green = "#d0d7de", "#9ecbff", "#4ac26b"
    for x, (platform, events) in enumerate(cols):
        ax.text(x, -0.9, names[platform], ha="center", va="center", fontsize=10, fontweight="bold")
        for y, (event, hookable) in enumerate(events):
            colour = grey if not hookable else (green if event in used.get(platform, []) else blue)
            ax.add_patch(plt.Rectangle((x - 0.42, y - 0.36), 0.84, 0.72, color=colour))
            ax.text(x, y, event, ha="center", va="center", fontsize=9, fontstyle="normal" if hookable else "italic")
            if y:
                ax.annotate("", (x, y - 0.36), (x, y - 0.64), arrowprops={"arrowstyle": "->", "lw": 0.8})
    ax.set_xlim(-0.5, len(cols) - 0.5)
    ax.set_ylim(depth - 0.4, -1.4)
    ax.axis("off")
    ax.set_title("CodeDeploy lifecycle events in run order (top to bottom)", fontsize=11)
    fig.legend(handles=[Patch(color=blue, label="you can attach a hook"), Patch(color=green, label="hook this AppSpec defines"),
                        Patch(color=grey, label="CodeDeploy runs it (no hook)")],
               loc="lower center", ncol=3, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    describe(fig, "Diagram of CodeDeploy lifecycle events in run order, one column per platform. "
             + " ".join(f"{names[p]}: " + " > ".join(e + ("" if h else " (CodeDeploy)") for e, h in events) + "."
                        for p, events in cols)
             + (" Hooks this AppSpec defines: " + "; ".join(f"{names[_platform(p)]} {', '.join(h)}" for p, h in used.items() if h) + "."
                if any(used.values()) else ""))
    return fig, ax
