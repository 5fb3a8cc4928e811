"""sim.vpc_reachability: a VPC, a function with VpcConfig and a database built in the sandbox, then checked."""

from __future__ import annotations

import boto3
import pytest

from course_utils import deploy
from course_utils.sim import vpc_reachability as reach


def _vpc():
    """A VPC with private subnets a/b (NAT route, S3 gateway endpoint), public subnet p, a database and a proxy."""
    ec2, rds = boto3.client("ec2"), boto3.client("rds")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = lambda cidr, az: ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]  # noqa: E731
    a, b, p = subnet("10.20.1.0/24", "us-east-1a"), subnet("10.20.3.0/24", "us-east-1b"), subnet("10.20.2.0/24", "us-east-1a")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt_pub = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt_pub, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt_pub, SubnetId=p)
    nat = ec2.create_nat_gateway(SubnetId=p, AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])["NatGateway"]["NatGatewayId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for s in (a, b):
        ec2.associate_route_table(RouteTableId=rt, SubnetId=s)
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway", RouteTableIds=[rt])
    fn_sg = ec2.create_security_group(GroupName="fn", Description="function", VpcId=vpc)["GroupId"]
    proxy_sg = ec2.create_security_group(GroupName="proxy", Description="proxy", VpcId=vpc)["GroupId"]
    db_sg = ec2.create_security_group(GroupName="db", Description="database", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=proxy_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": fn_sg}]}])
    ec2.authorize_security_group_ingress(GroupId=db_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": proxy_sg}]}])
    rds.create_db_subnet_group(DBSubnetGroupName="orders", DBSubnetGroupDescription="orders", SubnetIds=[a, b])
    rds.create_db_instance(DBInstanceIdentifier="orders-db", Engine="postgres", DBInstanceClass="db.t4g.micro",
                           MasterUsername="app", MasterUserPassword="not-a-real-one", AllocatedStorage=20,
                           DBSubnetGroupName="orders", VpcSecurityGroupIds=[db_sg])
    secret = boto3.client("secretsmanager").create_secret(Name="orders-db", SecretString="{}")["ARN"]
    rds.create_db_proxy(DBProxyName="orders-proxy", EngineFamily="POSTGRESQL", RoleArn=deploy.role("rds-proxy", "rds.amazonaws.com"),
                        Auth=[{"AuthScheme": "SECRETS", "SecretArn": secret, "IAMAuth": "REQUIRED"}],
                        VpcSubnetIds=[a, b], VpcSecurityGroupIds=[proxy_sg])
    deploy.function("in-vpc", "def handler(event, context):\n    return 1\n",
                    VpcConfig={"SubnetIds": [a, b], "SecurityGroupIds": [fn_sg]})
    return dict(vpc=vpc, a=a, b=b, p=p, rt=rt, fn_sg=fn_sg, db_sg=db_sg, proxy_sg=proxy_sg)


def test_the_driver_reads_the_function_and_its_vpc(aws):
    ids = _vpc()
    fn = reach.function_network("in-vpc")
    assert fn == reach.FunctionNetwork((ids["a"], ids["b"]), (ids["fn_sg"],))
    net = reach.read_network(ids["vpc"])
    assert set(net.subnets) == {ids["a"], ids["b"], ids["p"]} and net.cidrs == ("10.20.0.0/16",)
    assert reach.route_table_for(ids["a"], net)["RouteTableId"] == ids["rt"]
    assert "com.amazonaws.us-east-1.s3" in net.prefix_lists.values()
    db = reach.rds_instance("orders-db")
    assert (db.port, db.vpc_id, db.cidrs, db.security_groups) == (5432, ids["vpc"], ("10.20.1.0/24", "10.20.3.0/24"), (ids["db_sg"],))


def test_verdicts_flip_with_the_routes_and_the_subnets(aws, capsys):
    ids = _vpc()
    ec2, lam = boto3.client("ec2"), boto3.client("lambda")
    boto3.client("rds").register_db_proxy_targets(DBProxyName="orders-proxy", DBInstanceIdentifiers=["orders-db"])
    targets = [reach.internet(), reach.aws_service("s3", "us-east-1"), reach.aws_service("dynamodb", "us-east-1"),
               reach.rds_proxy("orders-proxy"), reach.rds_instance("orders-db")]
    before = reach.check_function("in-vpc", targets)
    assert [v.reachable for v in before] == [True, True, True, True, False]  # the DB admits the proxy, not the function
    assert [v.via.split(" ")[0] for v in before[:3]] == ["NAT", "gateway", "NAT"]
    assert "inbound: no rule of orders-db's security groups" in before[4].blockers[0]

    ec2.delete_route(RouteTableId=ids["rt"], DestinationCidrBlock="0.0.0.0/0")
    ec2.create_vpc_endpoint(VpcId=ids["vpc"], ServiceName="com.amazonaws.us-east-1.dynamodb", VpcEndpointType="Gateway",
                            RouteTableIds=[ids["rt"]])
    after = reach.report("in-vpc", targets[:3])
    assert [v.reachable for v in after] == [False, True, True] and after[2].via.startswith("gateway endpoint vpce-")
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("❌ the internet") and "has no route to 0.0.0.0/0" in out

    lam.update_function_configuration(FunctionName="in-vpc", VpcConfig={"SubnetIds": [ids["p"]], "SecurityGroupIds": [ids["fn_sg"]]})
    public = reach.check_function("in-vpc", [reach.internet()])[0]
    assert public.reachable is False and public.via.startswith("internet gateway igw-")

    lam.update_function_configuration(FunctionName="in-vpc", VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
    assert [v.reachable for v in reach.check_function("in-vpc", targets[:1] + targets[3:4])] == [True, False]


def test_a_proxy_without_registered_targets_has_no_port(aws):
    _vpc()
    with pytest.raises(ValueError, match="register exactly one database port first"):
        reach.rds_proxy("orders-proxy")


def test_show_checks_a_what_if_vpc_config_without_calling_aws(aws, capsys, monkeypatch):
    ids = _vpc()
    net = reach.read_network(ids["vpc"])
    fn = reach.function_network("in-vpc")
    import botocore.client

    def no_calls(*args, **kwargs):  # show() must work from the data already read
        raise AssertionError("show() made an AWS call")

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", no_calls)
    public = reach.show(reach.FunctionNetwork((ids["p"],), fn.security_group_ids), [reach.internet()], net, why=True)
    private = reach.show(fn, [reach.internet()], net)
    assert public[0].reachable is False and public[0].via.startswith("internet gateway igw-")
    assert private[0].reachable is True and private[0].via.startswith("NAT gateway nat-")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("❌ the internet") and "no public IP" in out[1]  # why=True prints the reasons
    assert out[-1].startswith("✅ the internet") and all(line.startswith("     - ") for line in out[1:-1])  # no blockers


def test_the_driver_reuses_one_client_per_service_and_session(aws):
    import boto3

    assert reach._client("ec2") is reach._client("ec2")
    given = boto3.client("ec2")
    assert reach._client("ec2", given) is given
    boto3.setup_default_session()  # a new default session gets new clients
    assert reach._client("ec2") is not given
