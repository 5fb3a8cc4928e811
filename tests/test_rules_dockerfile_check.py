"""rules.dockerfile_check: Lambda and ECS Dockerfile checks, each with its reason."""

import pytest

from course_utils.rules import dockerfile_check as dc

DIGEST = "sha256:" + "a" * 64

LAMBDA = """FROM public.ecr.aws/lambda/python:3.12
COPY requirements.txt ${LAMBDA_TASK_ROOT}
RUN pip install -r requirements.txt
COPY app.py ${LAMBDA_TASK_ROOT}
CMD ["app.handler"]
"""

ECS = f"""FROM python:3.12-slim@{DIGEST}
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY src/ ./src/
RUN useradd --uid 10001 app
USER app
EXPOSE 8000
HEALTHCHECK CMD python -c "print('ok')"
CMD ["python", "-m", "src.server"]
"""

BAD = """FROM python:latest
ENV DB_PASSWORD=hunter2 REGION=us-east-1
ARG KEY=AKIAIOSFODNN7EXAMPLE
COPY . /app
RUN pip install -r /app/requirements.txt
USER root
CMD python /app/server.py
"""


def by_rule(findings):
    out = {}
    for f in findings:
        out.setdefault(f.rule, []).append(f)
    return out


def test_good_lambda_image_has_no_errors_and_only_the_tag_warning():
    found = dc.problems(LAMBDA, "lambda")
    assert [(f.rule, f.severity, f.line) for f in found] == [("base-image", "warning", 1)]
    rules = by_rule(dc.check(LAMBDA, "lambda"))
    assert rules["lambda-handler"][0].ok and "app.handler" in rules["lambda-handler"][0].reason
    assert rules["lambda-runtime-api"][0].ok and rules["lambda-task-root"][0].ok
    assert "no USER needed" in rules["non-root"][0].reason  # Lambda runs images as its own user


def test_good_ecs_image_passes_and_notes_healthcheck():
    assert dc.problems(ECS, "ecs") == []
    rules = by_rule(dc.check(ECS, "ecs"))
    assert rules["base-image"][0].ok and "digest" in rules["base-image"][0].reason
    assert rules["non-root"][0].line == 7
    assert "not monitored by ECS" in rules["healthcheck"][0].reason


def test_bad_image_fails_each_rule_with_its_line():
    rules = by_rule(dc.problems(BAD, "ecs"))
    assert set(rules) == {"base-image", "non-root", "layer-order", "secrets"}
    assert "latest" in rules["base-image"][0].reason and rules["base-image"][0].severity == "error"
    assert rules["non-root"][0].line == 6
    assert rules["layer-order"][0].line == 4 and "install on line 5" in rules["layer-order"][0].reason
    assert sorted(f.line for f in rules["secrets"]) == [2, 3]  # DB_PASSWORD by name, the key id by value
    assert "REGION" not in " ".join(f.reason for f in rules["secrets"])


def test_lambda_rules_on_a_non_lambda_image():
    rules = by_rule(dc.problems(BAD, "lambda"))
    assert "Lambda Runtime API" in rules["lambda-runtime-api"][0].reason
    assert "not a handler" in rules["lambda-handler"][0].reason
    assert "non-root" not in rules


def test_runtime_interface_client_and_platform():
    ric = f"""FROM --platform=linux/arm64 python:3.12-slim@{DIGEST}
RUN pip install awslambdaric
COPY app.py /function/
ENTRYPOINT ["/usr/local/bin/python", "-m", "awslambdaric"]
CMD ["app.handler"]
"""
    rules = by_rule(dc.check(ric, "lambda"))
    assert rules["lambda-runtime-api"][0].ok and "awslambdaric" in rules["lambda-runtime-api"][0].reason
    assert rules["lambda-platform"][0].ok and "arm64" in rules["lambda-platform"][0].reason
    windows = ric.replace("linux/arm64", "windows/amd64")
    assert not by_rule(dc.check(windows, "lambda"))["lambda-platform"][0].ok


def test_multistage_and_arg_substitution():
    text = f"""ARG PY=3.12
FROM python:${{PY}}-slim AS build
RUN pip install --target /deps requests
FROM public.ecr.aws/lambda/python:${{PY}}@{DIGEST}
COPY --from=build /deps ${{LAMBDA_TASK_ROOT}}
COPY app.py ${{LAMBDA_TASK_ROOT}}
CMD ["app.handler"]
"""
    base = [f for f in dc.check(text, "lambda") if f.rule == "base-image"]
    assert [(f.line, f.ok) for f in base] == [(2, False), (4, True)]
    assert "3.12-slim" in base[0].reason  # the ARG was substituted


def test_parse_image_and_errors():
    ref = dc.parse_image(f"localhost:5000/team/web:1.2@{DIGEST}")
    assert (ref.repository, ref.tag, ref.digest, ref.pinned) == ("localhost:5000/team/web", "1.2", DIGEST, True)
    assert dc.parse_image("localhost:5000/web").tag is None
    with pytest.raises(ValueError, match="not a sha256 digest"):
        dc.parse_image("web@sha256:xyz")
    with pytest.raises(ValueError, match="target must be one of"):
        dc.check(LAMBDA, "k8s")
    with pytest.raises(ValueError, match="no FROM"):
        dc.check("RUN echo hi\n")
    assert dc.LAMBDA_MAX_IMAGE_BYTES == 10 * 1024**3
