"""rules.vpc_reachability: a Lambda function's routes, gateways, endpoints and security groups, AWS's way."""

from __future__ import annotations

import pytest

from course_utils.rules import vpc_reachability as vr

VPC = "vpc-1"
FN_SG, DB_SG, EP_SG = "sg-fn", "sg-db", "sg-ep"
S3_PL, DDB_PL = "pl-s3", "pl-ddb"
REGION = "us-east-1"


def sg(gid, ingress=(), egress=({"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},)):
    return {"GroupId": gid, "VpcId": VPC, "IpPermissions": list(ingress), "IpPermissionsEgress": list(egress)}


def tcp(port, *, cidr=None, group=None, prefix_list=None, to_port=None):
    perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": to_port or port, "IpRanges": [], "UserIdGroupPairs": [],
            "PrefixListIds": []}
    if cidr:
        perm["IpRanges"].append({"CidrIp": cidr})
    if group:
        perm["UserIdGroupPairs"].append({"GroupId": group})
    if prefix_list:
        perm["PrefixListIds"].append({"PrefixListId": prefix_list})
    return perm


def table(tid, routes, subnets=(), main=False):
    assoc = [{"SubnetId": s, "RouteTableId": tid} for s in subnets]
    if main:
        assoc.append({"Main": True, "RouteTableId": tid})
    return {"RouteTableId": tid, "VpcId": VPC, "Associations": assoc,
            "Routes": [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"}, *routes]}


def default(**target):
    return {"DestinationCidrBlock": "0.0.0.0/0", "State": "active", **target}


def build(*, private_routes=(default(NatGatewayId="nat-1"),), nat_state="available", nat_type="public",
          igw_attached=True, endpoints=(), groups=None, extra_tables=()):
    """Private subnets a/b (10.0.1.0/24, 10.0.3.0/24), public subnet p (10.0.2.0/24) with the NAT gateway."""
    subnets = [{"SubnetId": s, "VpcId": VPC, "CidrBlock": c}
               for s, c in (("subnet-a", "10.0.1.0/24"), ("subnet-b", "10.0.3.0/24"), ("subnet-p", "10.0.2.0/24"),
                            ("subnet-x", "10.0.9.0/24"))]
    tables = [table("rtb-main", [], main=True),
              table("rtb-pub", [default(GatewayId="igw-1")], ["subnet-p"]),
              table("rtb-priv", list(private_routes), ["subnet-a", "subnet-b"]), *extra_tables]
    igws = [{"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": VPC, "State": "available"}] if igw_attached else []}]
    nats = [{"NatGatewayId": "nat-1", "SubnetId": "subnet-p", "State": nat_state, "ConnectivityType": nat_type}]
    if groups is None:
        groups = [sg(FN_SG), sg(DB_SG, [tcp(5432, group=FN_SG)]), sg(EP_SG, [tcp(443, group=FN_SG)])]
    return vr.network({"VpcId": VPC, "CidrBlock": "10.0.0.0/16"}, subnets, tables, internet_gateways=igws,
                      nat_gateways=nats, endpoints=endpoints, security_groups=groups,
                      prefix_lists=[{"PrefixListId": S3_PL, "PrefixListName": f"com.amazonaws.{REGION}.s3"},
                                    {"PrefixListId": DDB_PL, "PrefixListName": f"com.amazonaws.{REGION}.dynamodb"}])


FN = vr.FunctionNetwork(("subnet-a", "subnet-b"), (FN_SG,))
DB = vr.resource("orders-db", 5432, VPC, ["10.0.1.0/24", "10.0.3.0/24"], [DB_SG])
S3, DDB, SQS = (vr.aws_service(s, REGION) for s in ("s3", "dynamodb", "sqs"))
GATEWAY_S3 = {"VpcEndpointId": "vpce-s3", "VpcId": VPC, "ServiceName": f"com.amazonaws.{REGION}.s3",
              "VpcEndpointType": "Gateway", "State": "available", "RouteTableIds": ["rtb-priv"]}
S3_ROUTE = {"DestinationPrefixListId": S3_PL, "GatewayId": "vpce-s3", "State": "active"}


def interface(service="sqs", private_dns=True, groups=(EP_SG,)):
    return {"VpcEndpointId": f"vpce-{service}", "VpcId": VPC, "ServiceName": f"com.amazonaws.{REGION}.{service}",
            "VpcEndpointType": "Interface", "State": "available", "SubnetIds": ["subnet-a"],
            "Groups": [{"GroupId": g} for g in groups], "PrivateDnsEnabled": private_dns}


# --- the internet ---------------------------------------------------------------------------

def test_private_subnets_through_a_nat_gateway_reach_the_internet():
    v = vr.check(FN, vr.internet(), build())
    assert v.reachable is True and v.via == "NAT gateway nat-1 -> igw-1" and v.blockers == ()
    assert "route 0.0.0.0/0 -> nat-1 in rtb-priv" in v.reasons[0]


def test_a_public_subnet_does_not_give_a_function_internet_access():
    v = vr.check(vr.FunctionNetwork(("subnet-p",), (FN_SG,)), vr.internet(), build())
    assert v.reachable is False and v.via == "internet gateway igw-1"
    assert "no public IP" in v.blockers[0] and "NAT gateway" in v.blockers[0]


def test_without_a_default_route_there_is_no_internet_and_no_public_service_endpoint():
    net = build(private_routes=())
    for target in (vr.internet(), DDB):
        v = vr.check(FN, target, net)
        assert v.reachable is False and v.via == "no route"
    assert vr.check(FN, DDB, net).blockers[0] == "no VPC endpoint for it here: the SDK calls its public endpoint"


@pytest.mark.parametrize("kwargs, words", [
    ({"nat_state": "deleted"}, "the NAT gateway is deleted: the route is a blackhole"),
    ({"nat_type": "private"}, "private NAT gateway"),
    ({"igw_attached": False}, "no route to an attached internet gateway"),
    ({"private_routes": (default(NatGatewayId="nat-1", State="blackhole"),)}, "is a blackhole"),
])
def test_a_nat_route_that_leads_nowhere_is_reported(kwargs, words):
    v = vr.check(FN, vr.internet(), build(**kwargs))
    assert v.reachable is False and words in v.blockers[0]


def test_a_subnet_without_its_own_route_table_uses_the_main_one():
    v = vr.check(vr.FunctionNetwork(("subnet-x",), (FN_SG,)), vr.internet(), build())
    assert vr.route_table_for("subnet-x", build())["RouteTableId"] == "rtb-main"
    assert v.reachable is False and "rtb-main of subnet-x has no route to 0.0.0.0/0" in v.blockers[0]


def test_egress_rules_are_checked_too():
    groups = [sg(FN_SG, egress=[tcp(5432, cidr="10.0.0.0/16")]), sg(DB_SG, [tcp(5432, group=FN_SG)])]
    v = vr.check(FN, vr.internet(), build(groups=groups))
    assert v.reachable is False and v.blockers == (
        f"outbound: no rule of the function's security groups ['{FN_SG}'] allows TCP 443 there",)
    assert vr.check(FN, DB, build(groups=groups)).reachable is True  # 5432 inside the VPC is allowed


def test_one_bad_subnet_is_enough_to_fail_and_is_named():
    extra = table("rtb-b", [], ["subnet-b"])
    net = build(extra_tables=[extra])
    net = vr.Network(**{**net.__dict__, "route_tables": tuple(
        {**t, "Associations": [a for a in t["Associations"] if a.get("SubnetId") != "subnet-b"]} if t["RouteTableId"] == "rtb-priv" else t
        for t in net.route_tables)})
    v = vr.check(FN, vr.internet(), net)
    assert v.reachable is False and v.blockers[0] == "from subnet-b (1 of 2 subnets)"


def test_routes_to_other_targets_are_not_guessed():
    v = vr.check(FN, vr.internet(), build(private_routes=(default(TransitGatewayId="tgw-1"),)))
    assert v.reachable is None and v.via == "tgw-1" and "does not follow routes to tgw targets" in v.reasons[0]


# --- AWS services: gateway and interface endpoints ------------------------------------------

def test_the_s3_gateway_endpoint_beats_the_nat_default_route():
    net = build(private_routes=(default(NatGatewayId="nat-1"), S3_ROUTE), endpoints=[GATEWAY_S3])
    assert vr.check(FN, S3, net).via == "gateway endpoint vpce-s3"
    assert vr.check(FN, DDB, net).via == "NAT gateway nat-1 -> igw-1"  # no DynamoDB endpoint: over the NAT


def test_a_gateway_endpoint_works_without_any_internet_route():
    net = build(private_routes=(S3_ROUTE,), endpoints=[GATEWAY_S3])
    assert vr.check(FN, S3, net).reachable is True
    assert vr.check(FN, vr.internet(), net).reachable is False


def test_egress_to_the_prefix_list_is_enough_for_a_gateway_endpoint():
    groups = [sg(FN_SG, egress=[tcp(443, prefix_list=S3_PL)])]
    net = build(private_routes=(S3_ROUTE,), endpoints=[GATEWAY_S3], groups=groups)
    assert vr.check(FN, S3, net).reachable is True
    groups = [sg(FN_SG, egress=[tcp(443, prefix_list=DDB_PL)])]
    v = vr.check(FN, S3, build(private_routes=(S3_ROUTE,), endpoints=[GATEWAY_S3], groups=groups))
    assert v.reachable is False and v.blockers[0].startswith("outbound: no rule")


def test_a_gateway_route_to_a_deleted_endpoint_fails():
    v = vr.check(FN, S3, build(private_routes=(S3_ROUTE,), endpoints=[{**GATEWAY_S3, "State": "deleted"}]))
    assert v.reachable is False and "not available" in v.blockers[0]


def test_an_interface_endpoint_needs_its_security_group_to_let_the_function_in():
    ok = vr.check(FN, SQS, build(private_routes=(), endpoints=[interface()]))
    assert ok.reachable is True and ok.via == "interface endpoint vpce-sqs"
    groups = [sg(FN_SG), sg(EP_SG, [tcp(443, cidr="10.0.100.0/24")])]
    v = vr.check(FN, SQS, build(private_routes=(), endpoints=[interface()], groups=groups))
    assert v.reachable is False and v.blockers == (
        f"inbound: the endpoint's security groups ['{EP_SG}'] do not allow TCP 443 from the function",)
    groups = [sg(FN_SG), sg(EP_SG, [tcp(443, cidr="10.0.0.0/16")])]  # a CIDR covering the function's subnets
    assert vr.check(FN, SQS, build(private_routes=(), endpoints=[interface()], groups=groups)).reachable is True


def test_an_interface_endpoint_without_private_dns_is_not_used_by_default_names():
    v = vr.check(FN, SQS, build(endpoints=[interface(private_dns=False)]))
    assert v.via == "NAT gateway nat-1 -> igw-1"


# --- private resources ----------------------------------------------------------------------

def test_a_database_admits_the_functions_security_group():
    v = vr.check(FN, DB, build(private_routes=()))
    assert v.reachable is True and v.via == "the local route"
    assert v.reasons[-1] == f"inbound: {DB_SG} allows {FN_SG}"


@pytest.mark.parametrize("ingress, reachable", [
    ([tcp(5432, cidr="10.0.0.0/16")], True),  # covers both function subnets
    ([tcp(5432, cidr="10.0.1.0/24")], False),  # only subnet-a: subnet-b's traffic is refused
    ([tcp(3306, group=FN_SG)], False),  # wrong port
    ([tcp(5000, group=FN_SG, to_port=6000)], True),  # a port range
    ([], False),
])
def test_database_ingress_rules(ingress, reachable):
    v = vr.check(FN, DB, build(groups=[sg(FN_SG), sg(DB_SG, ingress)]))
    assert v.reachable is reachable
    if not reachable:
        assert any(b.startswith("inbound: no rule of orders-db's security groups") for b in v.blockers)


def test_a_resource_in_another_vpc_is_not_guessed():
    other = vr.resource("cache", 6379, "vpc-2", ["172.16.0.0/24"], ["sg-x"])
    assert vr.check(FN, other, build()).reachable is None


# --- no VPC, and bad input --------------------------------------------------------------------

def test_a_function_outside_any_vpc_reaches_the_internet_but_not_private_resources():
    fn = vr.FunctionNetwork()
    assert vr.check(fn, vr.internet(), None).reachable is True
    assert vr.check(fn, S3, None).reachable is True
    v = vr.check(fn, DB, None)
    assert v.reachable is False and "not attached to a VPC" in v.blockers[0]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match=r"subnets \['subnet-zz'\] are not in vpc-1"):
        vr.check(vr.FunctionNetwork(("subnet-zz",), (FN_SG,)), vr.internet(), build())
    with pytest.raises(ValueError, match="at least one security group"):
        vr.check(vr.FunctionNetwork(("subnet-a",), ()), vr.internet(), build())
    with pytest.raises(ValueError, match="give its Network"):
        vr.check(FN, vr.internet(), None)
    with pytest.raises(ValueError, match="CIDR blocks"):
        vr.resource("db", 5432, VPC, [], [DB_SG])
    with pytest.raises(ValueError, match="unknown target kind"):
        vr.check(FN, vr.Target("x", "moon"), build())


def test_network_reads_every_cidr_block_and_verdicts_print():
    net = vr.network({"VpcId": VPC, "CidrBlock": "10.0.0.0/16", "CidrBlockAssociationSet": [
        {"CidrBlock": "10.0.0.0/16"}, {"CidrBlock": "10.1.0.0/16"}]}, [], [])
    assert net.cidrs == ("10.0.0.0/16", "10.1.0.0/16")
    text = str(vr.check(FN, vr.internet(), build(private_routes=())))
    assert text.startswith("❌ the internet: NOT reachable via no route | ")
