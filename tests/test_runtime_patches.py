"""Every moto internal the runtime touches still exists with the expected signature (moto 5.2.5)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

from course_utils.runtime import patches

ALL = patches.REPLACED + patches.USED


def test_moto_is_pinned_to_the_patched_version():
    import moto

    assert moto.__version__ == "5.2.5", "course_utils/runtime/patches.py was checked against moto 5.2.5 only"


@pytest.mark.parametrize("point", ALL, ids=[p.target for p in ALL])
def test_patch_point_exists_with_expected_signature(point):
    original = patches.original(point.target)
    if not point.params:
        assert original is not None
        return
    params = tuple(inspect.signature(original).parameters)
    assert params == point.params, f"{point.target} changed: {params} (expected {point.params})"


@pytest.mark.parametrize("point", patches.REPLACED, ids=[p.target for p in patches.REPLACED])
def test_replacement_is_installed(aws, point):
    owner, attr, current = patches.resolve_target(point.target)
    assert current is not patches.original(point.target), f"{point.target} is not patched"


def test_install_is_idempotent(aws):
    from course_utils import runtime

    owner, attr, before = patches.resolve_target(patches.REPLACED[0].target)
    runtime.install()
    runtime.install()
    assert patches.resolve_target(patches.REPLACED[0].target)[2] is before
    from moto.core.models import responses_mock
    from course_utils.runtime import routes

    registered = responses_mock.registered()
    assert sum(1 for r in registered if r in routes._registered) == len(routes.METHODS)


def test_import_has_no_side_effects():
    code = (
        "import moto.awslambda.responses as r; before = r.LambdaResponse.invoke\n"
        "import course_utils.runtime, course_utils.runtime.patches\n"
        "assert r.LambdaResponse.invoke is before\n"
        "assert not course_utils.runtime.installed()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
