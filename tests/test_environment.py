"""requirements.txt, environment.yml and binder/environment.yml pin the same packages."""

from __future__ import annotations

import re

import yaml

from conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\-]+(?:\[[^\]]+\])?)==([^\s#]+)$")


def _requirements() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = PIN.match(line)
            assert match, f"requirements.txt: not an exact pin: {line!r}"
            pins[match.group(1).lower()] = match.group(2)
    return pins


def _conda_pip(path) -> dict[str, str]:
    env = yaml.safe_load(path.read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = {}
    for line in pip_section:
        match = PIN.match(line.strip())
        assert match, f"{path.name}: not an exact pin: {line!r}"
        pins[match.group(1).lower()] = match.group(2)
    return pins


def test_requirements_pin_the_verified_versions():
    pins = _requirements()
    expected = {"jupyterlab": "4.6.6", "nbgrader": "0.9.6", "ipywidgets": "8.1.9", "boto3": "1.44.5",
                "botocore": "1.44.5", "matplotlib": "3.11.2", "nbclient": "0.11.0"}  # fmt: skip
    for name, version in expected.items():
        assert pins.get(name) == version, name
    moto = next(k for k in pins if k.startswith("moto["))
    assert pins[moto] == "5.2.5"
    for extra in ("cognitoidp", "apigateway", "stepfunctions"):
        assert extra in moto
    assert "freezegun" in pins


def test_environment_yml_mirrors_requirements():
    assert _conda_pip(ROOT / "environment.yml") == _requirements()


def test_binder_environment_is_the_same_file():
    assert (ROOT / "binder" / "environment.yml").read_text() == (ROOT / "environment.yml").read_text()


def test_every_environment_line_says_what_uses_it():
    text = (ROOT / "environment.yml").read_text()
    lines = text[text.index("dependencies:"):].splitlines()
    deps = [line for line in lines if re.match(r"^\s+- [A-Za-z]", line) and "pip:" not in line]
    assert deps
    for line in deps:
        assert " # " in line and line.split(" # ", 1)[1].strip(), f"no comment: {line.strip()}"


def test_python_version_is_311():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert "python=3.11" in env["dependencies"]


def test_conda_environment_name_is_version_neutral():
    text = (ROOT / "environment.yml").read_text()
    assert yaml.safe_load(text)["name"] == "dva-course"
    assert "conda activate dva-course " in text  # the usage comment names the same environment
