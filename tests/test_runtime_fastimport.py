"""The deferred rfc3987_syntax import and the lazily applied API Gateway patches."""

from __future__ import annotations

import subprocess
import sys


def test_sandbox_start_does_not_import_api_gateway_and_patches_apply_on_first_use():
    code = (
        "import sys\n"
        "from course_utils import sandbox\n"
        "sandbox.start(quiet=True)\n"
        "assert 'moto.apigateway.models' not in sys.modules\n"
        "import boto3\n"
        "boto3.client('apigateway').create_rest_api(name='x')\n"
        "import moto.apigateway.models as m, moto.apigateway.responses as r\n"
        "assert hasattr(m.RestAPI.create_deployment, '__wrapped__')\n"
        "assert hasattr(r.APIGatewayResponse.create_deployment, '__wrapped__')\n"
        "assert type(sys.modules['rfc3987_syntax']).__name__ == '_Deferred'\n"
        "import jsonschema._format as f\n"
        "assert f.is_iri('https://example.com/a') is True\n"
        "assert type(sys.modules['rfc3987_syntax']).__name__ == 'module'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
