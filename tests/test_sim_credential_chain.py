"""The credential chain as botocore resolves it in the sandbox; the environment is restored."""

from __future__ import annotations

import os

from course_utils.sim.credential_chain import resolve, scoped_env

CREDS = """[default]
aws_access_key_id = AKIAFROMFILE00000000
aws_secret_access_key = file-secret
[app]
role_arn = arn:aws:iam::123456789012:role/app
source_profile = default
role_session_name = demo
"""


def test_env_first_then_file_then_assumed_role(aws, tmp_path):
    before = dict(os.environ)
    assert resolve().method == "env" and resolve().access_key == "testing"
    path = tmp_path / "credentials"
    path.write_text(CREDS)
    with scoped_env(AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_SHARED_CREDENTIALS_FILE=str(path)):
        from_file = resolve()
        assert (from_file.method, from_file.access_key, from_file.temporary) == ("shared-credentials-file", "AKIAFROMFILE00000000", False)
        role = resolve("app")
        assert role.method == "assume-role" and role.temporary and role.access_key.startswith("ASIA")
    with scoped_env(AWS_SHARED_CREDENTIALS_FILE=str(path)):
        assert resolve().method == "env"  # environment variables win over the file
    assert dict(os.environ) == before
    assert "AKIA****" in str(from_file) and "long-term" in str(from_file)


def test_scoped_env_restores_on_error():
    before = dict(os.environ)
    try:
        with scoped_env(AWS_ACCESS_KEY_ID="x", COURSE_NEW_VAR="y"):
            raise RuntimeError
    except RuntimeError:
        pass
    assert dict(os.environ) == before
