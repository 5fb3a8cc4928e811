"""sim.drift: template-declared vs live properties in the sandbox."""

import boto3

from course_utils.sim import drift

TEMPLATE = """
Parameters:
  Mode: {Type: String, Default: blue}
Resources:
  Param:
    Type: AWS::SSM::Parameter
    Properties: {Name: /app/mode, Type: String, Value: !Ref Mode}
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: drift-q, VisibilityTimeout: 45}
  Topic:
    Type: AWS::SNS::Topic
    Properties: {DisplayName: alerts}
"""


def test_load_template_short_forms():
    t = drift.load_template("A: !GetAtt X.Arn\nB: !Sub 'a-${X}'\nC: !Ref P\n")
    assert t == {"A": {"Fn::GetAtt": ["X", "Arn"]}, "B": {"Fn::Sub": "a-${X}"}, "C": {"Ref": "P"}}


def test_in_sync_modified_deleted(aws):
    cfn = boto3.client("cloudformation")
    cfn.create_stack(StackName="d", TemplateBody=TEMPLATE)
    assert drift.detect_stack_drift("d").status == "IN_SYNC"
    boto3.client("ssm").put_parameter(Name="/app/mode", Value="green", Type="String", Overwrite=True)
    sqs = boto3.client("sqs")
    sqs.set_queue_attributes(QueueUrl=sqs.get_queue_url(QueueName="drift-q")["QueueUrl"], Attributes={"VisibilityTimeout": "99"})
    topic = boto3.client("sns").list_topics()["Topics"][0]["TopicArn"]
    boto3.client("sns").delete_topic(TopicArn=topic)
    result = drift.detect_stack_drift("d")
    by_id = {r.logical_id: r for r in result.resources}
    assert result.status == "DRIFTED"
    assert by_id["Param"].status == "MODIFIED" and by_id["Param"].differences[0].expected == "blue"
    assert by_id["Queue"].differences[0].path == "VisibilityTimeout" and by_id["Queue"].differences[0].actual == "99"
    assert by_id["Topic"].status == "DELETED"
    assert "expected 'blue', actual 'green'" in result.table()
