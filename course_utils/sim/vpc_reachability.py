"""Where can a Lambda function in a VPC connect? Read from the sandbox; engine: :mod:`course_utils.rules.vpc_reachability`.

The driver reads, with boto3, the function's ``VpcConfig`` (Lambda), its VPC's subnets, route
tables, internet and NAT gateways, endpoints, security groups and prefix lists (EC2) and, for a
database, its DB subnet group and security groups (RDS), then applies AWS's routing rules.

Simulated: moto stores the network but routes nothing, and answers ``GetFunctionConfiguration``
with a placeholder ``VpcId``; like Lambda ("Lambda retrieves the VPC ID value based on the subnet
and security group parameters"), the driver finds the VPC from the function's subnets.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..rules import vpc_reachability as _engine
from .clients import default_client
from ..rules.vpc_reachability import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.vpc_reachability import FunctionNetwork, Network, Target, Verdict, check, network, resource

__all__ = [*_engine.__all__, "function_network", "read_network", "rds_instance", "rds_proxy", "check_function", "report", "show"]


def _client(service: str, given: Any = None) -> Any:
    """``given``, else a client of boto3's default session, made once per session and service."""
    return given if given is not None else default_client(service)


def function_network(function_name: str, *, lam: Any = None) -> FunctionNetwork:
    """The function's subnets and security groups, from ``GetFunctionConfiguration``."""
    config = _client("lambda", lam).get_function_configuration(FunctionName=function_name).get("VpcConfig") or {}
    return FunctionNetwork(tuple(config.get("SubnetIds") or ()), tuple(config.get("SecurityGroupIds") or ()))


def read_network(vpc_id: str, *, ec2: Any = None) -> Network:
    """One VPC, read with EC2's ``Describe*`` calls."""
    ec2 = _client("ec2", ec2)
    by_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    return network(
        ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0],
        ec2.describe_subnets(Filters=by_vpc)["Subnets"],
        ec2.describe_route_tables(Filters=by_vpc)["RouteTables"],
        internet_gateways=ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"],
        nat_gateways=ec2.describe_nat_gateways(Filters=by_vpc)["NatGateways"],
        endpoints=ec2.describe_vpc_endpoints(Filters=by_vpc)["VpcEndpoints"],
        security_groups=ec2.describe_security_groups(Filters=by_vpc)["SecurityGroups"],
        prefix_lists=ec2.describe_prefix_lists()["PrefixLists"],
    )


def _cidrs(subnet_ids: Iterable[str], ec2: Any) -> list[str]:
    ids = list(subnet_ids)
    return [s["CidrBlock"] for s in ec2.describe_subnets(SubnetIds=ids)["Subnets"]] if ids else []


def rds_instance(identifier: str, *, rds: Any = None, ec2: Any = None) -> Target:
    """A DB instance as a target: its port, VPC, subnet group's CIDR blocks and security groups."""
    db = _client("rds", rds).describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    group = db["DBSubnetGroup"]
    subnets = [s["SubnetIdentifier"] for s in group.get("Subnets", ())]
    return resource(identifier, db["Endpoint"]["Port"], group["VpcId"], _cidrs(subnets, _client("ec2", ec2)),
                    [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", ())])


def rds_proxy(name: str, *, rds: Any = None, ec2: Any = None) -> Target:
    """An RDS Proxy as a target: the port of its registered targets, its subnets and security groups."""
    rds = _client("rds", rds)
    proxy = rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]
    ports = {t["Port"] for t in rds.describe_db_proxy_targets(DBProxyName=name)["Targets"] if t.get("Port")}
    if len(ports) != 1:
        raise ValueError(f"RDS Proxy {name}: register exactly one database port first, found {sorted(ports)}")
    return resource(name, ports.pop(), proxy["VpcId"], _cidrs(proxy["VpcSubnetIds"], _client("ec2", ec2)),
                    proxy["VpcSecurityGroupIds"])


def check_function(function_name: str, targets: Iterable[Target], *, lam: Any = None, ec2: Any = None) -> list[Verdict]:
    """Verdicts for ``function_name`` and each target, from the sandbox as it is now."""
    fn = function_network(function_name, lam=lam)
    net = None
    if fn.subnet_ids:
        ec2 = _client("ec2", ec2)
        vpcs = {s["VpcId"] for s in ec2.describe_subnets(SubnetIds=list(fn.subnet_ids))["Subnets"]}
        if len(vpcs) != 1:
            raise ValueError(f"{function_name}: its subnets span several VPCs {sorted(vpcs)}")
        net = read_network(vpcs.pop(), ec2=ec2)
    return [check(fn, t, net) for t in targets]


def _print(verdicts: Iterable[Verdict], why: bool) -> None:
    for v in verdicts:
        mark = {True: "✅", False: "❌", None: "❔"}[v.reachable]
        print(f"{mark} {v.target:<22} via {v.via}")
        for reason in v.reasons if why else v.blockers:
            print(f"     - {reason}")


def report(function_name: str, targets: Iterable[Target], *, why: bool = False, **clients: Any) -> list[Verdict]:
    """Print one line per target, with every reason when ``why``, else what blocks it; return the verdicts."""
    verdicts = check_function(function_name, targets, **clients)
    _print(verdicts, why)
    return verdicts


def show(fn: FunctionNetwork, targets: Iterable[Target], net: Network | None, *, why: bool = False) -> list[Verdict]:
    """Like :func:`report`, for a ``VpcConfig`` and a network already read (no AWS call): try a "what if"."""
    verdicts = [check(fn, t, net) for t in targets]
    _print(verdicts, why)
    return verdicts
