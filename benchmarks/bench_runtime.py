"""Benchmark the in-process Lambda runtime and the API Gateway data plane (prints, asserts nothing).

Figures: warm ``lambda.invoke`` latency and a ``requests`` call through a REST API's AWS_PROXY
integration, each as median/p95 over N calls and as a ratio to calling the same handler
directly as a Python function.

    .venv/bin/python benchmarks/bench_runtime.py [N]
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

HANDLER = '''
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"ok": True, "n": len(event)})}
'''


def _stats(samples: list[float]) -> tuple[float, float]:
    s = sorted(samples)
    return statistics.median(s), s[min(len(s) - 1, int(len(s) * 0.95))]


def main(n: int = 200) -> None:
    import boto3
    import requests

    from course_utils import sandbox

    sandbox.start(quiet=True)
    sandbox.reset()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", HANDLER)
    role = boto3.client("iam").create_role(RoleName="bench", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = boto3.client("lambda")
    arn = lam.create_function(FunctionName="bench", Runtime="python3.12", Role=role, Handler="app.handler",
                              Code={"ZipFile": buf.getvalue()})["FunctionArn"]
    api = boto3.client("apigateway")
    api_id = api.create_rest_api(name="bench")["id"]
    root = api.get_resources(restApiId=api_id)["items"][0]["id"]
    rid = api.create_resource(restApiId=api_id, parentId=root, pathPart="b")["id"]
    api.put_method(restApiId=api_id, resourceId=rid, httpMethod="GET", authorizationType="NONE")
    api.put_integration(restApiId=api_id, resourceId=rid, httpMethod="GET", type="AWS_PROXY", integrationHttpMethod="POST",
                        uri=f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{arn}/invocations")
    api.create_deployment(restApiId=api_id, stageName="dev")
    url = f"https://{api_id}.execute-api.us-east-1.amazonaws.com/dev/b"

    namespace: dict = {}
    exec(HANDLER, namespace)
    direct_fn = namespace["handler"]
    payload = {"k": "v"}

    def timed(call, count):
        out = []
        for _ in range(count):
            t0 = time.perf_counter()
            call()
            out.append(time.perf_counter() - t0)
        return out

    lam.invoke(FunctionName="bench", Payload=json.dumps(payload))  # cold start
    requests.get(url)
    direct = timed(lambda: direct_fn(payload, None), n)
    invoke = timed(lambda: lam.invoke(FunctionName="bench", Payload=json.dumps(payload))["Payload"].read(), n)
    gateway = timed(lambda: requests.get(url).content, n)

    d_med, d_p95 = _stats(direct)
    print(f"N={n} warm calls each")
    print(f"{'path':<42}{'median':>12}{'p95':>12}{'x direct (median)':>20}")
    for label, samples in (("direct Python call of the handler", direct),
                           ("boto3 lambda.invoke (warm)", invoke),
                           ("requests -> REST API AWS_PROXY -> handler", gateway)):
        med, p95 = _stats(samples)
        print(f"{label:<42}{med * 1e3:>10.3f}ms{p95 * 1e3:>10.3f}ms{med / d_med:>19.0f}x")
    sandbox.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
