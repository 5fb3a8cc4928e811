"""course_utils.events: generated test events have the key structure of AWS's documented samples.

The documented samples are stored in tests/data/events/<name>.json with the URL they come from.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from course_utils import events

SAMPLES = Path(__file__).parent / "data" / "events"

#: A generator called with every optional part, so that optional fields appear.
FULL = {
    "s3-put": lambda: events.s3_put("uploads", "in/photo 1.jpg", 2048),
    "sqs-receive": lambda: events.sqs_receive("a", "b", attributes={"kind": {"dataType": "String", "stringValue": "x"}}),
    "sns-notification": lambda: events.sns_notification("hi", subject="s", attributes={"k": "v"}),
    "apigateway-rest": lambda: events.apigateway_rest("POST", "/orders/7", resource="/orders/{id}", body={"a": 1},
                                                      query={"q": ["x", "y"]}, path_parameters={"id": "7"},
                                                      stage_variables={"alias": "dev"}),
    "apigateway-http": lambda: events.apigateway_http("POST", "/orders/7", route_key="POST /orders/{id}", body="x",
                                                      query={"q": ["x", "y"]}, cookies=["c=1"],
                                                      path_parameters={"id": "7"}, stage_variables={"alias": "dev"}),
    "eventbridge": lambda: events.eventbridge(),
    "dynamodb-stream": lambda: events.dynamodb_stream("MODIFY", {"Id": 101}, new_image={"Id": 101, "Message": "b"},
                                                      old_image={"Id": 101, "Message": "a"}),
}

#: Documented fields a generated event may leave out, and why.
MAY_OMIT = {
    # present only with mutual TLS / with a JWT or Lambda authorizer (same page as the sample)
    "apigateway-http": {"requestContext.authentication", "requestContext.authentication.clientCert",
                        "requestContext.authentication.clientCert.clientCertPem",
                        "requestContext.authentication.clientCert.subjectDN",
                        "requestContext.authentication.clientCert.issuerDN",
                        "requestContext.authentication.clientCert.serialNumber",
                        "requestContext.authentication.clientCert.validity",
                        "requestContext.authentication.clientCert.validity.notBefore",
                        "requestContext.authentication.clientCert.validity.notAfter",
                        "requestContext.authorizer", "requestContext.authorizer.jwt",
                        "requestContext.authorizer.jwt.claims", "requestContext.authorizer.jwt.scopes"},
}

#: Generated fields the Lambda sample lacks but another AWS document defines.
DOCUMENTED_ELSEWHERE = {
    # StreamRecord.ApproximateCreationDateTime: botocore's dynamodbstreams model (checked below)
    "dynamodb-stream": {"Records[].dynamodb.ApproximateCreationDateTime"},
}


def sample(name: str) -> dict:
    data = json.loads((SAMPLES / f"{name}.json").read_text())
    assert data["source"].startswith("https://docs.aws.amazon.com/"), data["source"]
    return data["event"]


def types_by_path(event, prefix=""):
    found = {}
    if isinstance(event, dict):
        for key, value in event.items():
            path = f"{prefix}.{key}" if prefix else key
            found[path] = events._json_type(value)
            if key not in events.FREE_FORM:
                found.update(types_by_path(value, path))
    elif isinstance(event, list):
        for item in event:
            found.update(types_by_path(item, f"{prefix}[]"))
    return found


def test_every_event_has_a_template_and_a_documented_sample():
    assert set(FULL) == set(events.NAMES)
    for name in events.NAMES:
        assert (SAMPLES / f"{name}.json").is_file(), name
        assert events.template(name)


@pytest.mark.parametrize("name", events.NAMES)
def test_generated_keys_are_the_documented_keys(name):
    generated, documented = events.key_paths(FULL[name]()), events.key_paths(sample(name))
    invented = generated - documented - DOCUMENTED_ELSEWHERE.get(name, set())
    assert not invented, f"{name}: fields AWS's sample does not have: {sorted(invented)}"
    missing = documented - generated - MAY_OMIT.get(name, set())
    assert not missing, f"{name}: documented fields the generator leaves out: {sorted(missing)}"


@pytest.mark.parametrize("name", events.NAMES)
def test_generated_types_are_the_documented_types(name):
    generated, documented = types_by_path(FULL[name]()), types_by_path(sample(name))
    wrong = {p: (generated[p], documented[p]) for p in generated.keys() & documented.keys()
             if "null" not in (generated[p], documented[p]) and generated[p] != documented[p]}
    assert not wrong, f"{name}: (generated, documented) types differ: {wrong}"


def test_dynamodb_approximate_creation_time_is_in_the_stream_record_shape():
    import botocore.session

    shape = botocore.session.get_session().get_service_model("dynamodbstreams").shape_for("StreamRecord")
    assert "ApproximateCreationDateTime" in shape.members
    generated = events.dynamodb_stream()["Records"][0]["dynamodb"]
    assert set(generated) <= set(shape.members)


@pytest.mark.parametrize("name", events.NAMES)
def test_generated_events_pass_the_schema_check(name):
    events.validate(name, FULL[name]())


@pytest.mark.parametrize("name", ["s3-put", "sqs-receive", "sns-notification", "apigateway-rest", "eventbridge"])
def test_documented_samples_pass_the_schema_check(name):
    events.validate(name, sample(name))


def test_schema_check_names_the_first_mismatch():
    event = events.s3_put()
    event["Records"][0]["s3"]["object"]["size"] = "1024"
    with pytest.raises(ValueError, match=r"Records/0/s3/object/size: '1024' is not of type 'integer'"):
        events.validate("s3-put", event)
    del event["Records"][0]["s3"]["bucket"]
    with pytest.raises(ValueError, match="'bucket' is a required property"):
        events.validate("s3-put", event)


def test_s3_key_arrives_url_encoded():
    # "red flower.jpg" becomes "red+flower.jpg" (S3 user guide, event message structure)
    record = events.s3_put("uploads", "photos/red flower.jpg")["Records"][0]["s3"]
    assert record["object"]["key"] == "photos/red+flower.jpg"
    assert record["bucket"] == {"name": "uploads", "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": "arn:aws:s3:::uploads"}


def test_sqs_batch_has_one_record_per_body_with_its_md5():
    batch = events.sqs_receive('{"n": 1}', '{"n": 2}', queue="orders")["Records"]
    assert [r["body"] for r in batch] == ['{"n": 1}', '{"n": 2}']
    assert batch[0]["md5OfBody"] == hashlib.md5(b'{"n": 1}').hexdigest()
    assert batch[0]["eventSourceARN"] == "arn:aws:sqs:us-east-1:123456789012:orders"
    assert batch[0]["messageId"] != batch[1]["messageId"]
    with pytest.raises(TypeError, match="json.dumps"):
        events.sqs_receive({"n": 1})


def test_rest_proxy_event_carries_the_request():
    event = events.apigateway_rest("post", "/orders/7", resource="/orders/{id}", body={"a": 1},
                                   query={"tag": ["x", "y"]}, path_parameters={"id": "7"}, stage="test")
    assert event["httpMethod"] == event["requestContext"]["httpMethod"] == "POST"
    assert event["body"] == '{"a": 1}' and isinstance(event["body"], str)
    assert event["queryStringParameters"] == {"tag": "y"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["x", "y"]}
    assert event["requestContext"]["stage"] == "test" and event["resource"] == "/orders/{id}"
    plain = events.apigateway_rest()
    assert plain["body"] is None and plain["queryStringParameters"] is None


def test_http_api_event_uses_payload_format_2():
    event = events.apigateway_http("get", "/items", query={"p": ["1", "2"]}, headers={"X-Trace": "t"}, cookies=["a=1"])
    assert event["version"] == "2.0" and event["requestContext"]["http"]["method"] == "GET"
    assert event["queryStringParameters"] == {"p": "1,2"}  # duplicates joined with commas
    assert event["rawQueryString"] == "p=1&p=2"
    assert event["headers"]["x-trace"] == "t" and event["cookies"] == ["a=1"]
    assert "multiValueHeaders" not in event
    assert "body" not in events.apigateway_http()


def test_eventbridge_scheduled_and_custom():
    scheduled = events.eventbridge(rule="nightly")
    assert scheduled["detail-type"] == "Scheduled Event" and scheduled["source"] == "aws.events"
    assert scheduled["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/nightly"]
    custom = events.eventbridge("OrderPlaced", "com.example.shop", {"orderId": "o-1"})
    assert custom["detail"] == {"orderId": "o-1"} and custom["resources"] == []


def test_dynamodb_stream_record_in_dynamodb_json():
    record = events.dynamodb_stream("MODIFY", {"pk": "o-1"}, new_image={"pk": "o-1", "qty": 2, "paid": True},
                                    old_image={"pk": "o-1", "qty": 1, "paid": False})["Records"][0]
    assert record["eventName"] == "MODIFY"
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "o-1"}}
    assert record["dynamodb"]["NewImage"]["qty"] == {"N": "2"} and record["dynamodb"]["NewImage"]["paid"] == {"BOOL": True}
    remove = events.dynamodb_stream("REMOVE", {"pk": "o-1"}, old_image={"pk": "o-1"})["Records"][0]["dynamodb"]
    assert "NewImage" not in remove and remove["OldImage"] == {"pk": {"S": "o-1"}}
    with pytest.raises(ValueError, match="INSERT, MODIFY or REMOVE"):
        events.dynamodb_stream("UPDATE")


def test_generate_dispatches_like_sam_local_generate_event():
    assert events.generate("s3", "put", bucket="b-1", key="k")["Records"][0]["s3"]["bucket"]["name"] == "b-1"
    assert events.generate("apigateway", "http-api-proxy", method="POST")["requestContext"]["http"]["method"] == "POST"
    with pytest.raises(ValueError, match="no generator for s3 delete"):
        events.generate("s3", "delete")
    with pytest.raises(ValueError, match="unknown event"):
        events.template("kinesis")


def test_generated_event_drives_a_handler_in_the_sandbox(aws):
    from course_utils import deploy

    deploy.function("keys", "def handler(event, context):\n    return [r['s3']['object']['key'] for r in event['Records']]\n")
    assert deploy.invoke("keys", events.s3_put("uploads", "in/a b.csv"))[1] == ["in/a+b.csv"]
