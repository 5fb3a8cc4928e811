"""The policy evaluator: AWS's documented rules, and agreement with moto wherever moto enforces.

moto 5.2.5 enforces (a) S3 bucket-policy statements on object requests, always, and (b) a
user's identity policies (Action/NotAction/Resource, no Conditions) when IAM authentication is
switched on (``moto.core.authorization.enable_iam_authentication``, restored after each case).
The agreement tests run the same cases through moto and the evaluator. Left out on purpose,
because moto does not follow AWS there: Conditions (moto treats a conditional statement as a
Deny), ``?`` wildcards (moto reads them as a regex), resource ARNs outside S3 (moto checks
other services against ``*``) and resource-policy grants (moto never lets a bucket policy
allow what the identity policy does not).
"""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from course_utils.sim.policy import evaluate, parse_policy

ACCOUNT = "123456789012"
USER = f"arn:aws:iam::{ACCOUNT}:user/dev"
BUCKET = "agree-bucket"
ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def pol(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action, resource="*", **kw):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **kw}


def deny(action, resource="*", **kw):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **kw}


# ------------------------------------------------------------------ the rules


def test_default_is_implicit_deny():
    d = evaluate("s3:GetObject", "arn:aws:s3:::b/k")
    assert d.decision == "ImplicitDeny" and not d.allowed and d.statements == ()


def test_explicit_deny_beats_allow_and_names_the_statement():
    d = evaluate("s3:DeleteObject", "arn:aws:s3:::b/k",
                 identity_policies=[pol(allow("s3:*", Sid="All")), pol(deny("s3:Delete*", Sid="NoDelete"))])
    assert d.decision == "ExplicitDeny"
    assert [(s.source, s.sid, s.effect) for s in d.statements] == [("identity policy 2", "NoDelete", "Deny")]
    assert "NoDelete" in d.explain() and "identity policy 2" in str(d)


def test_action_case_insensitive_resource_case_sensitive_and_question_mark():
    p = pol(allow("S3:get*", "arn:aws:s3:::logs-202?/*"))
    assert evaluate("s3:GetObject", "arn:aws:s3:::logs-2025/a", identity_policies=[p]).allowed
    assert not evaluate("s3:GetObject", "arn:aws:s3:::logs-20251/a", identity_policies=[p]).allowed
    assert not evaluate("s3:GetObject", "arn:aws:s3:::LOGS-2025/a", identity_policies=[p]).allowed


def test_not_action_and_not_resource():
    p = pol({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::ok", "arn:aws:s3:::ok/*"]})
    assert evaluate("s3:GetObject", "arn:aws:s3:::ok/x", identity_policies=[p]).allowed
    assert evaluate("s3:GetObject", "arn:aws:s3:::other/x", identity_policies=[p]).decision == "ExplicitDeny"
    assert evaluate("iam:CreateUser", "*", identity_policies=[p]).decision == "ImplicitDeny"


def test_policy_variable_username_and_default():
    p = pol(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))
    assert evaluate("s3:PutObject", "arn:aws:s3:::home/dev/f", identity_policies=[p], principal=USER).allowed
    assert not evaluate("s3:PutObject", "arn:aws:s3:::home/ana/f", identity_policies=[p], principal=USER).allowed
    role = f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s"  # a role session has no aws:username
    assert not evaluate("s3:PutObject", "arn:aws:s3:::home/dev/f", identity_policies=[p], principal=role).allowed
    q = pol(allow("s3:*", "arn:aws:s3:::home/${aws:username, 'shared'}/*"))
    assert evaluate("s3:PutObject", "arn:aws:s3:::home/shared/f", identity_policies=[q], principal=role).allowed


@pytest.mark.parametrize("condition, context, expected", [
    ({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}, {"aws:RequestedRegion": "us-east-1"}, True),
    ({"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}, {}, False),  # missing key: false
    ({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "us-east-1"]}}, {"aws:RequestedRegion": "us-east-1"}, False),  # NOR
    ({"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}, {}, True),  # negated + missing: true
    ({"StringLike": {"s3:prefix": "home/*"}}, {"s3:prefix": "home/dev/"}, True),
    ({"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "Blue"}}, {"aws:PrincipalTag/team": "blue"}, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": False}, False),
    ({"Bool": {"aws:MultiFactorAuthPresent": True}}, {"aws:MultiFactorAuthPresent": "true"}, True),
    ({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}, {}, True),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 5}, True),
    ({"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": 60}, False),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2029-12-31T23:00:00Z"}, True),
    ({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws:CurrentTime": "2029-12-31T23:00:00Z"}, False),
    ({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "203.0.113.9"}, True),
    ({"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}, {"aws:SourceIp": "198.51.100.1"}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}}, {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"}, True),
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"}}, {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:u"}, False),
    ({"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    ({"Null": {"aws:TokenIssueTime": "false"}}, {}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, {"aws:TagKeys": ["env"]}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team"]}}, {"aws:TagKeys": ["env", "cost"]}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["env"]}}, {}, True),  # empty set: true
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}, {"aws:TagKeys": ["cost", "env"]}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["env"]}}, {}, False),
    ({"StringEquals": {"a:x": "1"}, "StringLike": {"a:y": "z*"}}, {"a:x": "1", "a:y": "q"}, False),  # operators AND
])  # fmt: skip
def test_conditions(condition, context, expected):
    p = pol(allow("s3:ListBucket", Condition=condition))
    assert evaluate("s3:ListBucket", "arn:aws:s3:::b", identity_policies=[p], context=context).allowed is expected


def test_deny_without_mfa_pattern():
    guard = pol(deny("*", Sid="NoMFA", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))
    ids = [ALL, guard]
    assert evaluate("ec2:StopInstances", "*", identity_policies=ids).decision == "ExplicitDeny"  # long-term keys: key absent
    assert evaluate("ec2:StopInstances", "*", identity_policies=ids, context={"aws:MultiFactorAuthPresent": "false"}).decision == "ExplicitDeny"
    assert evaluate("ec2:StopInstances", "*", identity_policies=ids, context={"aws:MultiFactorAuthPresent": "true"}).allowed


def test_boundary_caps_identity_policy():
    boundary = pol(allow(["s3:*", "cloudwatch:*"]))
    d = evaluate("dynamodb:PutItem", "*", identity_policies=[ALL], boundary=boundary)
    assert d.decision == "ImplicitDeny" and "boundary" in d.reason
    ok = evaluate("s3:GetObject", "arn:aws:s3:::b/k", identity_policies=[ALL], boundary=boundary)
    assert ok.allowed and {s.source for s in ok.statements} == {"identity policy 1", "permissions boundary"}
    # A boundary alone grants nothing.
    assert evaluate("s3:GetObject", "arn:aws:s3:::b/k", boundary=boundary).decision == "ImplicitDeny"


def test_scps_set_the_ceiling():
    scp = pol(allow("*"), deny("ec2:*", Condition={"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}))
    assert evaluate("ec2:RunInstances", "*", identity_policies=[ALL], scps=[scp], context={"aws:RequestedRegion": "us-east-1"}).decision == "ExplicitDeny"
    assert evaluate("ec2:RunInstances", "*", identity_policies=[ALL], scps=[scp], context={"aws:RequestedRegion": "eu-west-1"}).allowed
    only_s3 = pol(allow("s3:*"))
    d = evaluate("sqs:SendMessage", "*", identity_policies=[ALL], scps=[only_s3])
    assert d.decision == "ImplicitDeny" and "service control" in d.reason
    assert evaluate("s3:GetObject", "*", scps=[only_s3]).decision == "ImplicitDeny"  # SCPs grant nothing


def test_same_account_resource_policy_alone_is_enough():
    bp = pol(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": USER}, Sid="Dev"))
    d = evaluate("s3:GetObject", f"arn:aws:s3:::{BUCKET}/k", resource_policy=bp, principal=USER)
    assert d.allowed and d.statements[0].source == "resource policy" and d.statements[0].sid == "Dev"
    other = f"arn:aws:iam::{ACCOUNT}:user/ana"
    assert not evaluate("s3:GetObject", f"arn:aws:s3:::{BUCKET}/k", resource_policy=bp, principal=other).allowed


def test_account_principal_delegates_to_iam():
    key_policy = pol(allow("kms:*", Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, Sid="EnableIAM"))
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"
    assert evaluate("kms:Decrypt", key, resource_policy=key_policy, principal=USER).decision == "ImplicitDeny"
    assert evaluate("kms:Decrypt", key, resource_policy=key_policy, principal=USER, identity_policies=[pol(allow("kms:Decrypt"))]).allowed


def test_cross_account_needs_both_sides():
    caller = "arn:aws:sts::111122223333:assumed-role/reporting/job"
    bp = pol(allow("s3:GetObject", "arn:aws:s3:::shared/*", Principal={"AWS": "arn:aws:iam::111122223333:role/reporting"}))
    ident = pol(allow("s3:GetObject", "arn:aws:s3:::shared/*"))
    res = "arn:aws:s3:::shared/report.csv"
    only_resource = evaluate("s3:GetObject", res, resource_policy=bp, principal=caller, cross_account=True)
    only_identity = evaluate("s3:GetObject", res, identity_policies=[ident], principal=caller, cross_account=True)
    both = evaluate("s3:GetObject", res, identity_policies=[ident], resource_policy=bp, principal=caller, cross_account=True)
    assert (only_resource.decision, only_identity.decision, both.decision) == ("ImplicitDeny", "ImplicitDeny", "Allow")
    assert "identity policy" in only_resource.reason and "resource" in only_identity.reason
    # inferred from the ARNs when the resource carries an account
    q = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
    qp = pol(allow("sqs:SendMessage", q, Principal={"AWS": "111122223333"}))
    assert evaluate("sqs:SendMessage", q, resource_policy=qp, principal=caller).decision == "ImplicitDeny"
    assert evaluate("sqs:SendMessage", q, resource_policy=qp, principal=caller, identity_policies=[pol(allow("sqs:*"))]).allowed


def test_service_principal():
    fn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:f"
    rp = pol(allow("lambda:InvokeFunction", fn, Principal={"Service": "s3.amazonaws.com"},
                   Condition={"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"}}))
    assert evaluate("lambda:InvokeFunction", fn, resource_policy=rp, principal="s3.amazonaws.com", context={"aws:SourceArn": "arn:aws:s3:::uploads"}).allowed
    assert not evaluate("lambda:InvokeFunction", fn, resource_policy=rp, principal="s3.amazonaws.com", context={"aws:SourceArn": "arn:aws:s3:::other"}).allowed
    assert not evaluate("lambda:InvokeFunction", fn, resource_policy=rp, principal="sns.amazonaws.com", context={"aws:SourceArn": "arn:aws:s3:::uploads"}).allowed


@pytest.mark.parametrize("policy, message", [
    ("{not json", "not valid JSON"),
    ({"Version": "2012-10-17"}, "no 'Statement'"),
    (pol({"Effect": "Permit", "Action": "s3:*", "Resource": "*"}), "'Effect' must be"),
    (pol({"Effect": "Allow", "Resource": "*"}), "'Action' or 'NotAction'"),
    (pol(allow("s3:*", Condition={"StringEqualz": {"a": "b"}})), "unknown condition operator 'StringEqualz'"),
    (pol(allow("s3:*", Principal="*")), "only resource-based policies name a Principal"),
])  # fmt: skip
def test_malformed_policies_get_clear_messages(policy, message):
    with pytest.raises(ValueError, match=message):
        evaluate("s3:GetObject", "arn:aws:s3:::b/k", identity_policies=[policy])


def test_message_names_policy_and_statement():
    with pytest.raises(ValueError, match=r"identity policy 2, statement 2 \(Sid 'Bad'\)"):
        parse_policy(pol(allow("s3:*"), {"Sid": "Bad", "Effect": "Allow"}), "identity policy 2")
    with pytest.raises(ValueError, match="needs 'Principal'"):
        evaluate("s3:GetObject", "arn:aws:s3:::b/k", resource_policy=pol(allow("s3:*")))
    with pytest.raises(ValueError, match="service:Operation"):
        evaluate("GetObject", "*")


# ------------------------------------------------------------------ agreement with moto

BUCKET_POLICY_CASES = [
    ("deny-get-all", pol(deny("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal="*")), [("GET", "public/a"), ("PUT", "public/b")]),
    ("deny-secret-prefix", pol(deny("s3:GetObject", f"arn:aws:s3:::{BUCKET}/secret/*", Principal="*")), [("GET", "secret/x"), ("GET", "public/a")]),
    ("deny-put-wildcard", pol(deny("s3:Put*", f"arn:aws:s3:::{BUCKET}/*", Principal={"AWS": "*"})), [("PUT", "public/b"), ("GET", "public/a")]),
    ("deny-notaction", pol({"Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}),
     [("GET", "public/a"), ("PUT", "public/b"), ("DELETE", "public/a")]),
    ("deny-one-key", pol(deny(["s3:GetObject", "s3:DeleteObject"], f"arn:aws:s3:::{BUCKET}/public/a", Principal="*")),
     [("GET", "public/a"), ("DELETE", "public/a"), ("GET", "public/c")]),
    ("allow-only", pol(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*", Principal="*")), [("GET", "public/a"), ("PUT", "public/b")]),
]  # fmt: skip
_ACTIONS = {"GET": "s3:GetObject", "PUT": "s3:PutObject", "DELETE": "s3:DeleteObject"}


def _s3_call(client, method: str, key: str) -> bool:
    try:
        if method == "GET":
            client.get_object(Bucket=BUCKET, Key=key)
        elif method == "PUT":
            client.put_object(Bucket=BUCKET, Key=key, Body=b"x")
        else:
            client.delete_object(Bucket=BUCKET, Key=key)
        return True
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403, exc
        return False


@pytest.mark.parametrize("name, policy, calls", BUCKET_POLICY_CASES, ids=[c[0] for c in BUCKET_POLICY_CASES])
def test_bucket_policies_agree_with_moto(aws, name, policy, calls):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in ("public/a", "public/c", "secret/x"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    for method, key in calls:
        moto_allowed = _s3_call(s3, method, key)
        # moto's default mode: the caller's identity may do anything; only the bucket policy can deny.
        ours = evaluate(_ACTIONS[method], f"arn:aws:s3:::{BUCKET}/{key}", identity_policies=[ALL],
                        resource_policy=policy, principal=USER)  # fmt: skip
        assert ours.allowed == moto_allowed, f"{name}: {method} {key}: moto {moto_allowed}, evaluator {ours}"


IDENTITY_CASES = [
    ("get-only", [pol(allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*"))],
     [("GET", "public/a"), ("PUT", "public/b"), ("DELETE", "public/a")]),
    ("prefix-and-wildcard", [pol(allow("s3:*Object", f"arn:aws:s3:::{BUCKET}/public/*"))],
     [("GET", "public/a"), ("PUT", "public/b"), ("GET", "secret/x")]),
    ("deny-in-second-policy", [pol(allow("s3:*", "*")), pol(deny("s3:DeleteObject", f"arn:aws:s3:::{BUCKET}/*"))],
     [("GET", "public/a"), ("DELETE", "public/a")]),
    ("notaction", [pol({"Effect": "Allow", "NotAction": ["s3:DeleteObject", "s3:PutObject"], "Resource": "*"})],
     [("GET", "public/a"), ("PUT", "public/b"), ("DELETE", "public/a")]),
    ("nothing", [pol(allow("sqs:*"))], [("GET", "public/a")]),
]  # fmt: skip


@pytest.mark.parametrize("name, policies, calls", IDENTITY_CASES, ids=[c[0] for c in IDENTITY_CASES])
def test_identity_policies_agree_with_moto_iam_auth(aws, name, policies, calls):
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin, enable_iam_authentication

    iam, s3 = boto3.client("iam"), boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in ("public/a", "public/ab", "secret/x"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    iam.create_user(UserName="dev")
    for i, p in enumerate(policies):
        iam.put_user_policy(UserName="dev", PolicyName=f"p{i}", PolicyDocument=json.dumps(p))
    key = iam.create_access_key(UserName="dev")["AccessKey"]
    dev = boto3.client("s3", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
    before = (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count)
    with enable_iam_authentication():
        results = [(m, k, _s3_call(dev, m, k)) for m, k in calls]
    assert (settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count) == before  # restored
    for method, k, moto_allowed in results:
        ours = evaluate(_ACTIONS[method], f"arn:aws:s3:::{BUCKET}/{k}", identity_policies=policies, principal=USER)
        assert ours.allowed == moto_allowed, f"{name}: {method} {k}: moto {moto_allowed}, evaluator {ours}"
    # After the block the sandbox's own credentials work again.
    assert s3.list_objects_v2(Bucket=BUCKET)["KeyCount"] >= 1
