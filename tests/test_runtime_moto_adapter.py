"""The one door to moto's internals: every declared internal exists as recorded, a moved one is named."""

from __future__ import annotations

import subprocess
import sys

import pytest

from course_utils.runtime import moto_adapter, patches
from course_utils.runtime.moto_adapter import MotoInternalsChanged
from course_utils.runtime.patches import PatchPoint

ALL = moto_adapter.ALL_POINTS


def test_moto_is_pinned_to_the_checked_version():
    import moto

    assert moto.__version__ == "5.2.5", "course_utils/runtime/patches.py and moto_reads.py were checked against moto 5.2.5 only"


@pytest.mark.parametrize("point", ALL, ids=[p.target for p in ALL])
def test_internal_exists_as_recorded(point):
    assert moto_adapter.problems([point]) == []


def test_a_missing_method_is_named(monkeypatch):
    from moto.sqs.models import SQSBackend

    monkeypatch.delattr(SQSBackend, "delete_message")
    found = moto_adapter.problems(ALL)
    assert found == ["moto.sqs.models.SQSBackend.delete_message: expected to exist, found none "
                     "(AttributeError: type object 'SQSBackend' has no attribute 'delete_message')"]
    with pytest.raises(MotoInternalsChanged, match=r"SQSBackend\.delete_message"):
        moto_adapter.check(ALL)


def test_changed_parameters_are_named(monkeypatch):
    from moto.sqs.models import SQSBackend

    monkeypatch.setattr(SQSBackend, "get_queue", lambda self, name, extra=None: None)
    [problem] = moto_adapter.problems(ALL)
    assert problem == ("moto.sqs.models:SQSBackend.get_queue: expected parameters ('self', 'queue_name'), "
                       "found ('self', 'name', 'extra')")


def test_a_model_attribute_no_longer_set_is_named():
    point = PatchPoint("moto.sqs.models:Queue.no_such_attribute", "read", (), "test", set_in=("__init__",))
    assert moto_adapter.problems([point]) == [
        "moto.sqs.models:Queue.no_such_attribute: expected an attribute set in __init__, found none"]
    listed = PatchPoint("moto.sqs.models:Queue.delay_seconds", "read", (), "test", set_in=("BASE_ATTRIBUTES",))
    assert moto_adapter.problems([listed]) == []


def test_install_raises_naming_the_broken_internal(monkeypatch):
    """Starting the sandbox checks every loaded module's internals: a moved one stops it, named."""
    code = (
        "import moto.sqs.models as m\n"
        "del m.SQSBackend.delete_message\n"
        "from course_utils import sandbox\n"
        "try:\n"
        "    sandbox.start(quiet=True)\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("MotoInternalsChanged 1 moto/botocore internal(s)")
    assert "moto.sqs.models.SQSBackend.delete_message: expected to exist, found none" in out


def test_lazily_imported_modules_are_checked_on_first_import():
    """API Gateway is imported on first use; its internals are checked then, and a moved one is named."""
    code = (
        "import sys\n"
        "from course_utils import sandbox\n"
        "sandbox.start(quiet=True)\n"
        "assert 'moto.apigateway.models' not in sys.modules\n"
        "import course_utils.runtime.moto_adapter as a\n"
        "a._hook.pending['moto.apigateway.models'].insert(0, lambda: delattr(sys.modules['moto.apigateway.models'].Stage, 'to_json'))\n"
        "try:\n"
        "    import moto.apigateway.models\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("MotoInternalsChanged"), out
    assert "moto.apigateway.models.Stage.to_json: expected to exist" in out


@pytest.mark.parametrize("point", patches.REPLACED, ids=[p.target for p in patches.REPLACED])
def test_replacement_is_installed(aws, point):
    import moto.apigateway.responses  # noqa: F401 - lazily patched modules: patched on first import

    owner, attr, current = moto_adapter.resolve_target(point.target)
    assert current is not moto_adapter.original(point.target), f"{point.target} is not patched"


def test_install_is_idempotent(aws):
    from course_utils import runtime
    from course_utils.runtime import routes

    owner, attr, before = moto_adapter.resolve_target(patches.REPLACED[0].target)
    runtime.install()
    runtime.install()
    assert moto_adapter.resolve_target(patches.REPLACED[0].target)[2] is before
    registered = moto_adapter.responses_mock().registered()
    assert sum(1 for r in registered if r in routes._registered) == len(routes.METHODS)


def test_import_has_no_side_effects():
    code = (
        "import sys\n"
        "import course_utils.runtime, course_utils.runtime.moto_adapter, course_utils.runtime.patches\n"
        "assert not [m for m in sys.modules if m.startswith(('moto', 'botocore'))], 'imported moto or botocore'\n"
        "assert not course_utils.runtime.installed()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
