"""sim.rollout: UpdateService in the sandbox, rolled out (and rolled back) by the engine."""

import boto3
import pytest

from course_utils.sim import rollout


def make_service(ecs, ec2, config=None):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="shop")
    for image in ("web:1.0", "web:2.0"):
        ecs.register_task_definition(family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                     memory="512", containerDefinitions=[{"name": "web", "image": image}])
    ecs.create_service(cluster="shop", serviceName="web", taskDefinition="web:1", desiredCount=4, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}},
                       **({"deploymentConfiguration": config} if config else {}))


def running(ecs):
    return ecs.describe_services(cluster="shop", services=["web"])["services"][0]["taskDefinition"].rsplit("/", 1)[-1]


def test_circuit_breaker_rolls_the_service_back(aws):
    ecs, ec2 = boto3.client("ecs"), boto3.client("ec2")
    make_service(ecs, ec2)
    cfg = {"minimumHealthyPercent": 100, "maximumPercent": 200, "deploymentCircuitBreaker": {"enable": True, "rollback": True}}
    r = rollout.update_service("shop", "web", "web:2", healthy=False, deployment_configuration=cfg)
    assert r.state == "FAILED" and r.rolled_back and r.labels == ("web:1", "web:2")
    assert running(ecs) == "web:1" and r.meta["running"] == "web:1"
    stored = ecs.describe_services(cluster="shop", services=["web"])["services"][0]["deploymentConfiguration"]
    assert stored["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}


def test_without_circuit_breaker_the_update_stays_in_progress(aws):
    ecs, ec2 = boto3.client("ecs"), boto3.client("ec2")
    make_service(ecs, ec2)
    r = rollout.update_service("shop", "web", "web:2", healthy=False,
                               deployment_configuration={"minimumHealthyPercent": 100, "maximumPercent": 200}, max_steps=4)
    assert r.state == "IN_PROGRESS" and not r.rolled_back and r.min_serving == 4 and r.failed == 16
    assert running(ecs) == "web:2"  # the service keeps the failing revision and keeps retrying


def test_healthy_update_uses_defaults_and_completes(aws):
    ecs, ec2 = boto3.client("ecs"), boto3.client("ec2")
    make_service(ecs, ec2)
    r = rollout.update_service("shop", "web", "web:2")
    assert r.state == "COMPLETED" and (r.min_healthy, r.max_total) == (4, 8)
    assert r.meta["deploymentConfiguration"] == rollout.DEFAULT_DEPLOYMENT_CONFIGURATION
    assert running(ecs) == "web:2"


def test_unknown_service_and_revision(aws):
    ecs, ec2 = boto3.client("ecs"), boto3.client("ec2")
    make_service(ecs, ec2)
    with pytest.raises(ValueError, match="no service 'api'"):
        rollout.update_service("shop", "api", "web:2")
    with pytest.raises(ecs.exceptions.ClientException):
        rollout.update_service("shop", "web", "web:9")
