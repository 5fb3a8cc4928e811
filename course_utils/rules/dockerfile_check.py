"""Check a Dockerfile for a Lambda container image or an ECS service, each finding with its reason.

The Dockerfile is parsed with the ``dockerfile-parse`` library; the checks are these:

* **base-image** — a ``FROM`` on ``latest`` (or on no tag, which means ``latest``) can change under
  you; a version tag can be moved too; only ``name@sha256:<digest>`` names one image for good.
* **non-root** (ECS) — the last ``USER`` of the final stage is not root. Lambda runs every image as
  its own least-privileged default user, so a Lambda image needs no ``USER``
  (https://docs.aws.amazon.com/lambda/latest/dg/images-create.html, Requirements).
* **layer-order** — dependency manifests are copied and installed before the source, so a code
  change doesn't invalidate the install layer's build cache.
* **secrets** — no secret-looking ``ENV``/``ARG`` key or AWS access key id: both persist in the image
  (Docker's ``SecretsUsedInArgOrEnv`` check,
  https://docs.docker.com/reference/build-checks/secrets-used-in-arg-or-env/); use build secret
  mounts, and Secrets Manager or Parameter Store at run time.
* **lambda-runtime-api** (Lambda) — the image implements the Lambda Runtime API: an AWS base image
  (``public.ecr.aws/lambda/...``, runtime interface client included) or an installed runtime
  interface client; **lambda-handler** — ``CMD`` names the handler (or ``ENTRYPOINT`` starts the
  client); **lambda-task-root** — code goes to ``${LAMBDA_TASK_ROOT}``; **lambda-platform** — one
  architecture, ``linux/amd64`` (x86_64) or ``linux/arm64``: Lambda supports only Linux images and
  no multi-architecture images; the image is at most 10 GB uncompressed, all layers included
  (https://docs.aws.amazon.com/lambda/latest/dg/images-create.html,
  https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html).
* **healthcheck** (ECS) — a Dockerfile ``HEALTHCHECK`` is not what ECS watches: the agent monitors
  only the ``healthCheck`` of the container definition
  (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html).
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Finding", "ImageRef", "parse_image", "check", "problems", "report", "LAMBDA_MAX_IMAGE_BYTES", "TARGETS"]

#: Lambda's quota "Container image code package size": 10 GB, uncompressed, all layers included.
LAMBDA_MAX_IMAGE_BYTES = 10 * 1024**3
TARGETS = ("lambda", "ecs")

_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_SECRET_KEY = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIAL)", re.I)
_AWS_KEY_ID = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b")
_INSTALL = re.compile(r"\b(pip3?\s+install|npm\s+(ci|install)|yarn(\s+install)?\b|pnpm\s+install|poetry\s+install|"
                      r"go\s+mod\s+download|mvn\b|gradle\b|bundle\s+install|dotnet\s+restore|dnf\s+install|microdnf\s+install)")
_MANIFESTS = re.compile(r"(^|/)(requirements[\w.-]*\.txt|pyproject\.toml|poetry\.lock|Pipfile(\.lock)?|setup\.(py|cfg)|"
                        r"package(-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|go\.(mod|sum)|pom\.xml|build\.gradle(\.kts)?|"
                        r"Gemfile(\.lock)?|[\w.-]+\.csproj)$")
_RIC = ("awslambdaric", "aws-lambda-ric", "aws_lambda_ric", "aws-lambda-java-runtime-interface-client",
        "amazon.lambda.runtimesupport", "aws-lambda-go")
_LAMBDA_PLATFORMS = {"linux/amd64": "x86_64", "linux/arm64": "arm64"}


@dataclass(frozen=True)
class Finding:
    rule: str
    ok: bool
    line: int | None  # 1-based line of the instruction, when one is concerned
    reason: str
    severity: str = "error"  # error | warning | info

    def __str__(self) -> str:
        mark = "note" if self.severity == "info" else "ok  " if self.ok else {"error": "FAIL", "warning": "WARN"}[self.severity]
        where = f"line {self.line}: " if self.line else ""
        return f"{mark} {self.rule:<18} {where}{self.reason}"


@dataclass(frozen=True)
class ImageRef:
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        return self.digest is not None


def parse_image(ref: str) -> ImageRef:
    """Split ``registry/repo[:tag][@sha256:digest]``; a registry port is not a tag."""
    name, _, digest = ref.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = None
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    if digest and not _DIGEST.match(digest):
        raise ValueError(f"not a sha256 digest: {digest!r}")
    return ImageRef(name, tag, digest or None)


def _parse(dockerfile: str) -> list[dict[str, Any]]:
    from dockerfile_parse import DockerfileParser  # the pinned parser (requirements.txt)

    parser = DockerfileParser(fileobj=io.BytesIO(dockerfile.encode()))
    out = []
    args: dict[str, str] = {}
    for item in parser.structure:
        item = dict(item)
        if item["instruction"] == "ARG" and "=" in item["value"]:
            key, _, val = item["value"].partition("=")
            args[key.strip()] = val.strip().strip('"')
        if item["instruction"] == "FROM":  # substitute ARGs declared before FROM, as docker build does
            item["value"] = re.sub(r"\$\{?(\w+)\}?", lambda m: args.get(m.group(1), m.group(0)), item["value"])
        out.append(item)
    return out


def _from(value: str) -> tuple[str | None, str, str | None]:
    """``FROM [--platform=p] image [AS name]`` -> (platform, image, stage name)."""
    words = value.split()
    platform = None
    while words and words[0].startswith("--"):
        flag = words.pop(0)
        if flag.startswith("--platform="):
            platform = flag.split("=", 1)[1]
    image = words[0] if words else ""
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
    return platform, image, name


def _copy_sources(value: str) -> tuple[list[str], str]:
    if value.lstrip().startswith("["):
        parts = json.loads(value)
    else:
        parts = [w for w in value.split() if not w.startswith("--")]
    return parts[:-1], (parts[-1] if parts else "")


def _check_base(stages: list[tuple[int, str | None, str, str | None]]) -> list[Finding]:
    out: list[Finding] = []
    names = {n for _, _, _, n in stages if n}
    for line, _platform, image, _name in stages:
        if image in names or image == "scratch":
            continue
        ref = parse_image(image)
        if ref.pinned:
            out.append(Finding("base-image", True, line, f"{ref.repository} pinned by digest: every build starts from the same image"))
        elif ref.tag in (None, "latest"):
            out.append(Finding("base-image", False, line, f"{image!r} follows 'latest', a tag that moves with every release: "
                               "builds are not reproducible; use a version tag, better a digest (name@sha256:...)"))
        else:
            out.append(Finding("base-image", False, line, f"tag {ref.tag!r} can be moved to another image; pin the digest "
                               f"({ref.repository}:{ref.tag}@sha256:...) and bump it on purpose to pick up patches", "warning"))
    return out


def _check_layers(items: list[dict[str, Any]]) -> Finding:
    copies: list[tuple[int, list[str]]] = []
    for item in items:
        if item["instruction"] in ("COPY", "ADD"):
            if "--from=" in item["value"]:
                continue
            copies.append((item["startline"] + 1, _copy_sources(item["value"])[0]))
        elif item["instruction"] == "RUN" and _INSTALL.search(item["value"]):
            line = item["startline"] + 1
            for cline, sources in copies:
                code = [s for s in sources if not _MANIFESTS.search(s)]
                if code:
                    return Finding("layer-order", False, cline, f"{', '.join(code)} copied before the install on line {line}: "
                                   "every code change invalidates the dependency layer's cache; copy the manifests, install, then copy the code")
            return Finding("layer-order", True, line, "dependencies are installed before the source is copied: code changes reuse the cached install layer")
    return Finding("layer-order", True, None, "no dependency install step to order", "info")


def _check_secrets(items: list[dict[str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    for item in items:
        if item["instruction"] not in ("ENV", "ARG"):
            continue
        line = item["startline"] + 1
        for pair in re.findall(r'(\w+)(?:=("[^"]*"|\S*))?', item["value"]):
            key, value = pair
            if _SECRET_KEY.search(key) or _AWS_KEY_ID.search(value):
                out.append(Finding("secrets", False, line, f"{item['instruction']} {key}: ENV and ARG values persist in the image "
                                   "(docker history / inspect); use a build secret mount, and Secrets Manager or Parameter "
                                   "Store at run time (the task definition's 'secrets')"))
    if not out:
        out.append(Finding("secrets", True, None, "no secret-looking ENV or ARG"))
    return out


def _handler(cmd: str) -> str | None:
    """The handler of an exec-form ``CMD ["app.handler"]``, else None."""
    try:
        parts = json.loads(cmd)
    except ValueError:
        return None
    ok = isinstance(parts, list) and len(parts) == 1 and re.fullmatch(r"[\w./-]+\.\w+(::\w+)?", str(parts[0]))
    return parts[0] if ok else None


def _check_lambda(items: list[dict[str, Any]], final: tuple[int, str | None, str, str | None]) -> list[Finding]:
    out: list[Finding] = []
    line, platform, image, _ = final
    runs = " ".join(i["value"] for i in items if i["instruction"] == "RUN")
    aws_base = image.startswith(("public.ecr.aws/lambda/", "amazon/aws-lambda-"))
    ric = next((r for r in _RIC if r in runs), None)
    if aws_base:
        out.append(Finding("lambda-runtime-api", True, line, "AWS base image: runtime interface client (Lambda Runtime API) included"))
    elif ric:
        out.append(Finding("lambda-runtime-api", True, None, f"non-AWS base image with the runtime interface client {ric}"))
    else:
        out.append(Finding("lambda-runtime-api", False, line, f"{image!r} is not an AWS Lambda base image and no runtime interface "
                           "client is installed: the image must implement the Lambda Runtime API"))
    cmd = [i for i in items if i["instruction"] == "CMD"]
    entry = [i for i in items if i["instruction"] == "ENTRYPOINT"]
    handler = _handler(cmd[-1]["value"]) if cmd else None
    if handler:
        out.append(Finding("lambda-handler", True, cmd[-1]["startline"] + 1, f"CMD names the handler {handler!r} (file.function)"))
    elif cmd:
        out.append(Finding("lambda-handler", False, cmd[-1]["startline"] + 1, f"CMD {cmd[-1]['value']} is not a handler: "
                           'use the exec form with one module.function string, CMD ["app.handler"]'))
    elif entry and not aws_base:
        out.append(Finding("lambda-handler", True, entry[-1]["startline"] + 1, "ENTRYPOINT starts the runtime interface client"))
    else:
        out.append(Finding("lambda-handler", False, None, 'no CMD: name the handler (CMD ["app.handler"]) or set ImageConfig.Command'))
    if aws_base:
        dests = [(i["startline"] + 1, _copy_sources(i["value"])[1]) for i in items if i["instruction"] in ("COPY", "ADD")]
        outside = [(n, d) for n, d in dests if "LAMBDA_TASK_ROOT" not in d and not d.startswith("/var/task")]
        if outside:
            n, d = outside[0]
            out.append(Finding("lambda-task-root", False, n, f"copied to {d!r}: the AWS base image loads the handler from "
                               "${LAMBDA_TASK_ROOT} (/var/task)", "warning"))
        else:
            out.append(Finding("lambda-task-root", True, None, "code copied into ${LAMBDA_TASK_ROOT}"))
    if platform is None:
        out.append(Finding("lambda-platform", True, line, "build for one architecture (docker build --platform linux/amd64 or "
                           "linux/arm64) matching the function's Architectures; no multi-architecture images", "info"))
    elif platform in _LAMBDA_PLATFORMS:
        out.append(Finding("lambda-platform", True, line, f"{platform}: set Architectures=['{_LAMBDA_PLATFORMS[platform]}']"))
    else:
        out.append(Finding("lambda-platform", False, line, f"{platform}: Lambda runs only linux/amd64 (x86_64) or linux/arm64 images"))
    return out


def _check_ecs(items: list[dict[str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    users = [i for i in items if i["instruction"] == "USER"]
    if not users:
        out.append(Finding("non-root", False, None, "no USER: the container runs as root; add a user and switch to it"))
    else:
        user = users[-1]["value"].split(":")[0].strip()
        ok = user not in ("root", "0")
        out.append(Finding("non-root", ok, users[-1]["startline"] + 1,
                           f"runs as {user!r}" + ("" if ok else ": root inside the container; switch to an unprivileged user")))
    expose = [i for i in items if i["instruction"] == "EXPOSE"]
    out.append(Finding("expose", True, expose[0]["startline"] + 1 if expose else None,
                       (f"EXPOSE {expose[0]['value']} documents the port; the task definition's portMappings publishes it"
                        if expose else "no EXPOSE: the task definition's portMappings still decides the ports"), "info"))
    hc = [i for i in items if i["instruction"] == "HEALTHCHECK"]
    if hc:
        out.append(Finding("healthcheck", True, hc[0]["startline"] + 1, "Dockerfile HEALTHCHECK is not monitored by ECS: repeat it "
                           "as healthCheck in the container definition (that one wins)", "info"))
    return out


def check(dockerfile: str, target: str = "ecs") -> list[Finding]:
    """All findings for ``target`` (``lambda`` or ``ecs``), in rule order."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    items = _parse(dockerfile)
    stages = []
    for item in items:
        if item["instruction"] == "FROM":
            stages.append((item["startline"] + 1, *_from(item["value"])))
    if not stages:
        raise ValueError("no FROM instruction: not a Dockerfile")
    final_start = max(i for i, it in enumerate(items) if it["instruction"] == "FROM")
    final_items = items[final_start:]
    findings = _check_base(stages)
    if target == "ecs":
        findings += _check_ecs(final_items)
    else:
        findings.append(Finding("non-root", True, None, "Lambda runs the image as its own least-privileged user: no USER needed", "info"))
    findings.append(_check_layers(final_items))
    findings += _check_secrets(items)
    if target == "lambda":
        findings += _check_lambda(final_items, stages[-1])
    return findings


def problems(dockerfile: str, target: str = "ecs") -> list[Finding]:
    """Only the failed findings (errors and warnings)."""
    return [f for f in check(dockerfile, target) if not f.ok]


def report(dockerfile: str, target: str = "ecs") -> str:
    """One line per finding, as printed in the notebook."""
    return "\n".join(str(f) for f in check(dockerfile, target))
