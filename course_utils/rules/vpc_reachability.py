"""Can a Lambda function attached to a VPC reach the internet, an AWS service or a database? AWS's rules.

AWS (Lambda developer guide, "Giving Lambda functions access to resources in an Amazon VPC"; Amazon
VPC and AWS PrivateLink guides):

- A function **not** attached to a VPC has internet access (and reaches AWS services' public
  endpoints) but no access to private resources in your VPCs. A function attached to a VPC sends
  all its traffic through Hyperplane ENIs in the subnets, with the security groups, of its
  ``VpcConfig``: "it can only access resources available within that VPC".
- A subnet's traffic follows the route table associated with it, else the VPC's main route table;
  the most specific route wins (the ``local`` route covers the VPC's own CIDR blocks).
- Lambda's network interfaces have no public IP address, so a route to an **internet gateway** does
  not give a function internet access: "Connecting a function to a public subnet doesn't give it
  internet access or a public IP address." A route to a **NAT gateway** does, when the NAT gateway
  is available, public, and in a subnet whose route table sends ``0.0.0.0/0`` to an internet
  gateway attached to the VPC.
- A **gateway endpoint** (Amazon S3, DynamoDB) adds a route to the service's prefix list in the
  route tables you choose; it is more specific than ``0.0.0.0/0``, so it wins. An **interface
  endpoint** (AWS PrivateLink) puts network interfaces in subnets; with private DNS, the service's
  default DNS name resolves to them, and the endpoint's security groups must let the function in.
- **Security groups** are stateful: the function's security groups must allow the connection
  outbound, the target's must allow it inbound (from the function's security group, or from a CIDR
  block covering the function's subnet); the replies are allowed automatically.

Simulated (moto stores all of this and routes nothing): :func:`check` reads the network as plain
data in the shapes of EC2's ``Describe*`` responses and returns a verdict with its reasons. Not
modelled: network ACLs (assumed to allow everything, as the default one does), DNS, IPv6, routes
to peering connections, transit gateways or instances (verdict "cannot tell"), endpoint, bucket and
IAM policies, and interface endpoints without private DNS (the SDK would need their DNS name).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

__all__ = ["Network", "FunctionNetwork", "Target", "Verdict", "network", "internet", "aws_service",
           "resource", "check", "route_table_for", "PUBLIC_ADDRESS"]

#: A public IPv4 address standing for "somewhere on the internet" (a documentation range).
PUBLIC_ADDRESS = "198.51.100.20"


@dataclass(frozen=True)
class Network:
    """One VPC as EC2 describes it (each item in the shape of its ``Describe*`` response)."""

    vpc_id: str
    cidrs: tuple[str, ...]
    subnets: Mapping[str, Mapping[str, Any]]
    route_tables: tuple[Mapping[str, Any], ...]
    internet_gateways: tuple[Mapping[str, Any], ...] = ()
    nat_gateways: tuple[Mapping[str, Any], ...] = ()
    endpoints: tuple[Mapping[str, Any], ...] = ()
    security_groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    prefix_lists: Mapping[str, str] = field(default_factory=dict)  # prefix list id -> name


@dataclass(frozen=True)
class FunctionNetwork:
    """A function's ``VpcConfig``: no subnets means the function is not attached to a VPC."""

    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Target:
    """Where the function wants to go. Build one with :func:`internet`, :func:`aws_service`, :func:`resource`."""

    name: str
    kind: str  # "internet" | "service" | "resource"
    port: int = 443
    address: str = PUBLIC_ADDRESS  # internet: a public address
    service_name: str = ""  # service: com.amazonaws.<region>.<service>
    vpc_id: str = ""  # resource: its VPC
    cidrs: tuple[str, ...] = ()  # resource: where its address can be (its subnets)
    security_groups: tuple[str, ...] = ()  # resource: its security groups


@dataclass(frozen=True)
class Verdict:
    """The answer: reachable (True/False, None when the checker cannot tell), the path, and why."""

    target: str
    reachable: bool | None
    via: str
    reasons: tuple[str, ...]
    blockers: tuple[str, ...] = ()  # the reasons that make it unreachable

    def __str__(self) -> str:
        mark = {True: "✅", False: "❌", None: "❔"}[self.reachable]
        word = {True: "reachable", False: "NOT reachable", None: "cannot tell"}[self.reachable]
        return f"{mark} {self.target}: {word} via {self.via} | " + "; ".join(self.reasons)


def internet(port: int = 443, address: str = PUBLIC_ADDRESS) -> Target:
    """A server on the internet (an external API)."""
    return Target("the internet", "internet", port=port, address=address)


def aws_service(service: str, region: str, port: int = 443) -> Target:
    """An AWS service's regional endpoint, e.g. ``aws_service("s3", "us-east-1")``."""
    return Target(f"{service} ({region})", "service", port=port, service_name=f"com.amazonaws.{region}.{service}")


def resource(name: str, port: int, vpc_id: str, cidrs: Iterable[str], security_groups: Iterable[str]) -> Target:
    """A private resource (a DB instance, an RDS Proxy, a cache) in ``vpc_id``, in subnets ``cidrs``."""
    cidrs = tuple(cidrs)
    if not cidrs:
        raise ValueError(f"resource {name!r}: give the CIDR blocks of the subnets its address can be in")
    return Target(name, "resource", port=port, vpc_id=vpc_id, cidrs=cidrs, security_groups=tuple(security_groups))


def network(vpc: Mapping[str, Any], subnets: Iterable[Mapping[str, Any]], route_tables: Iterable[Mapping[str, Any]], *,
            internet_gateways: Iterable[Mapping[str, Any]] = (), nat_gateways: Iterable[Mapping[str, Any]] = (),
            endpoints: Iterable[Mapping[str, Any]] = (), security_groups: Iterable[Mapping[str, Any]] = (),
            prefix_lists: Iterable[Mapping[str, Any]] = ()) -> Network:
    """A :class:`Network` from EC2's ``Describe*`` items (``Vpcs[0]``, ``Subnets``, ``RouteTables`` ...)."""
    cidrs = tuple(a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", ()) if a.get("CidrBlock")) or (vpc["CidrBlock"],)
    return Network(
        vpc["VpcId"], cidrs, {s["SubnetId"]: s for s in subnets}, tuple(route_tables), tuple(internet_gateways),
        tuple(nat_gateways), tuple(endpoints), {g["GroupId"]: g for g in security_groups},
        {p["PrefixListId"]: p["PrefixListName"] for p in prefix_lists})


# --- routes -----------------------------------------------------------------------------------

def route_table_for(subnet_id: str, net: Network) -> Mapping[str, Any] | None:
    """The subnet's route table: the one associated with it, else the VPC's main route table."""
    main = None
    for table in net.route_tables:
        for assoc in table.get("Associations", ()):
            if assoc.get("SubnetId") == subnet_id:
                return table
            if assoc.get("Main"):
                main = table
    return main


def _target_of(route: Mapping[str, Any]) -> str:
    for key in ("NatGatewayId", "GatewayId", "TransitGatewayId", "VpcPeeringConnectionId", "NetworkInterfaceId",
                "InstanceId", "EgressOnlyInternetGatewayId", "LocalGatewayId", "CarrierGatewayId"):
        if route.get(key):
            return route[key]
    return "?"


def _best_route(table: Mapping[str, Any], address: str, prefix_list: str | None = None) -> Mapping[str, Any] | None:
    """Longest prefix match for ``address``; a route to ``prefix_list`` beats the default route."""
    ip = ipaddress.ip_address(address)
    best, best_len = None, -1
    for route in table.get("Routes", ()):
        cidr = route.get("DestinationCidrBlock")
        if cidr and ip in ipaddress.ip_network(cidr, strict=False):
            length = ipaddress.ip_network(cidr, strict=False).prefixlen
            if length > best_len:
                best, best_len = route, length
    for route in table.get("Routes", ()):
        if prefix_list and route.get("DestinationPrefixListId") == prefix_list and best_len < 1:
            return route
    return best


def _igw_attached(igw_id: str, net: Network) -> bool:
    return any(g["InternetGatewayId"] == igw_id and any(a.get("VpcId") == net.vpc_id and a.get("State") in ("available", "attached")
                                                        for a in g.get("Attachments", ()))
               for g in net.internet_gateways)


def _to_internet(subnet_id: str, address: str, net: Network, prefix_list: str | None = None) -> tuple[bool | None, str, list[str]]:
    """Follow the subnet's route for a public ``address``: (reachable, via, reasons)."""
    table = route_table_for(subnet_id, net)
    if table is None:
        return False, "no route table", [f"{subnet_id} has no route table (and the VPC no main route table)"]
    route = _best_route(table, address, prefix_list)
    tid = table["RouteTableId"]
    if route is None:
        return False, "no route", [f"route table {tid} of {subnet_id} has no route to 0.0.0.0/0 (only the local route)"]
    target = _target_of(route)
    where = f"route {route.get('DestinationCidrBlock') or route.get('DestinationPrefixListId')} -> {target} in {tid}"
    if route.get("State") == "blackhole":
        return False, "a blackhole route", [f"{where} is a blackhole (its target was deleted)"]
    if route.get("NatGatewayId"):
        return _through_nat(route["NatGatewayId"], where, net)
    if target.startswith("igw-"):
        return False, f"internet gateway {target}", [
            f"{subnet_id} is a public subnet ({where}), but a Lambda function's network interfaces have no public IP: "
            "an internet gateway does not give a function internet access; use a private subnet that routes to a NAT gateway"]
    if target == "local":
        return False, "the local route", [f"{address} is inside the VPC ({where})"]
    return None, target, [f"{where}: this checker does not follow routes to {target.split('-')[0]} targets"]


def _through_nat(nat_id: str, where: str, net: Network) -> tuple[bool | None, str, list[str]]:
    nat = next((n for n in net.nat_gateways if n["NatGatewayId"] == nat_id), None)
    if nat is None or nat.get("State") != "available":
        state = "missing" if nat is None else nat.get("State")
        return False, f"NAT gateway {nat_id}", [f"{where}, but the NAT gateway is {state}: the route is a blackhole"]
    if nat.get("ConnectivityType", "public") == "private":
        return False, f"NAT gateway {nat_id}", [f"{where}, but it is a private NAT gateway: it cannot reach the internet"]
    nat_table = route_table_for(nat["SubnetId"], net)
    up = _best_route(nat_table, PUBLIC_ADDRESS) if nat_table else None
    igw = _target_of(up) if up else ""
    if not igw.startswith("igw-") or not _igw_attached(igw, net):
        return False, f"NAT gateway {nat_id}", [
            f"{where}, but the NAT gateway's subnet {nat['SubnetId']} has no route to an attached internet gateway"]
    return True, f"NAT gateway {nat_id} -> {igw}", [f"{where}; the NAT gateway's subnet {nat['SubnetId']} routes to {igw}"]


# --- security groups --------------------------------------------------------------------------

def _port_ok(perm: Mapping[str, Any], port: int) -> bool:
    proto = str(perm.get("IpProtocol", ""))
    if proto == "-1":
        return True
    return proto in ("tcp", "6") and perm.get("FromPort", 0) <= port <= perm.get("ToPort", 65535)


def _covers(rule_cidr: str, cidrs: Iterable[str]) -> bool:
    outer = ipaddress.ip_network(rule_cidr, strict=False)
    return all(ipaddress.ip_network(c, strict=False).subnet_of(outer) for c in cidrs)


def _allows(groups: Iterable[str], direction: str, port: int, net: Network, *, cidrs: Iterable[str] = (),
            peer_groups: Iterable[str] = (), prefix_list: str | None = None) -> str | None:
    """The first rule of ``groups`` in ``direction`` that lets TCP ``port`` to/from the peer; None if none."""
    cidrs, peers = tuple(cidrs), set(peer_groups)
    for gid in groups:
        for perm in net.security_groups.get(gid, {}).get(direction, ()):
            if not _port_ok(perm, port):
                continue
            for r in perm.get("IpRanges", ()):
                if cidrs and _covers(r["CidrIp"], cidrs):
                    return f"{gid} allows {r['CidrIp']}"
            for pair in perm.get("UserIdGroupPairs", ()):
                if pair.get("GroupId") in peers:
                    return f"{gid} allows {pair['GroupId']}"
            for pl in perm.get("PrefixListIds", ()):
                if prefix_list and pl.get("PrefixListId") == prefix_list:
                    return f"{gid} allows {prefix_list}"
    return None


def _egress(fn: FunctionNetwork, port: int, net: Network, **peer: Any) -> tuple[bool, str]:
    rule = _allows(fn.security_group_ids, "IpPermissionsEgress", port, net, **peer)
    if rule:
        return True, f"outbound: {rule}"
    return False, f"outbound: no rule of the function's security groups {list(fn.security_group_ids)} allows TCP {port} there"


# --- the checks -------------------------------------------------------------------------------

def _service_endpoints(service_name: str, net: Network) -> tuple[Mapping[str, Any] | None, str | None]:
    """(interface endpoint with private DNS, prefix list id of the service) in this VPC."""
    interface = next((e for e in net.endpoints if e.get("ServiceName") == service_name and e.get("VpcId") == net.vpc_id
                      and e.get("VpcEndpointType") == "Interface" and e.get("PrivateDnsEnabled")
                      and str(e.get("State", "")).lower() == "available"), None)
    prefix_list = next((pid for pid, name in net.prefix_lists.items() if name == service_name), None)
    return interface, prefix_list


def _check_subnet(fn: FunctionNetwork, subnet_id: str, target: Target, net: Network) -> tuple[bool | None, str, list[str], list[str]]:
    """(reachable, via, every reason, the reasons that block) from one subnet."""
    if target.kind == "resource":
        if target.vpc_id != net.vpc_id:
            why = f"{target.name} is in {target.vpc_id}, not {net.vpc_id}: peering is not modelled"
            return None, "another VPC", [why], []
        inside = all(any(ipaddress.ip_network(c, strict=False).subnet_of(ipaddress.ip_network(v, strict=False))
                         for v in net.cidrs) for c in target.cidrs)
        if not inside:
            return None, "outside the VPC's CIDR", [f"{target.name}'s addresses are not in {list(net.cidrs)}"], []
        ok_out, out = _egress(fn, target.port, net, cidrs=target.cidrs, peer_groups=target.security_groups)
        rule_in = _allows(target.security_groups, "IpPermissions", target.port, net,
                          cidrs=[net.subnets[subnet_id]["CidrBlock"]], peer_groups=fn.security_group_ids)
        inbound = (f"inbound: {rule_in}" if rule_in else
                   f"inbound: no rule of {target.name}'s security groups {list(target.security_groups)} allows "
                   f"TCP {target.port} from the function's security groups or subnet")
        blockers = [m for ok, m in ((ok_out, out), (bool(rule_in), inbound)) if not ok]
        return not blockers, "the local route", [f"{target.name} is in the VPC (local route)", out, inbound], blockers

    prefix_list = None
    if target.kind == "service":
        interface, prefix_list = _service_endpoints(target.service_name, net)
        if interface is not None:
            ep_cidrs = [net.subnets[s]["CidrBlock"] for s in interface.get("SubnetIds", ()) if s in net.subnets] or list(net.cidrs)
            ep_groups = [g["GroupId"] for g in interface.get("Groups", ())]
            ok_out, out = _egress(fn, target.port, net, cidrs=ep_cidrs, peer_groups=ep_groups)
            rule_in = _allows(ep_groups, "IpPermissions", target.port, net, cidrs=[net.subnets[subnet_id]["CidrBlock"]],
                              peer_groups=fn.security_group_ids)
            inbound = (f"inbound: {rule_in}" if rule_in else
                       f"inbound: the endpoint's security groups {ep_groups} do not allow TCP {target.port} from the function")
            blockers = [m for ok, m in ((ok_out, out), (bool(rule_in), inbound)) if not ok]
            return not blockers, f"interface endpoint {interface['VpcEndpointId']}", [
                "private DNS sends the service's name to the endpoint's network interfaces", out, inbound], blockers
        table = route_table_for(subnet_id, net)
        route = _best_route(table, PUBLIC_ADDRESS, prefix_list) if (table and prefix_list) else None
        if route is not None and route.get("DestinationPrefixListId") == prefix_list:
            vpce = route.get("GatewayId", "?")
            endpoint = next((e for e in net.endpoints if e.get("VpcEndpointId") == vpce), None)
            if endpoint is None or str(endpoint.get("State", "")).lower() != "available":
                why = f"the route to {prefix_list} points at {vpce}, which is not available"
                return False, f"gateway endpoint {vpce}", [why], [why]
            ok_out, out = _egress(fn, target.port, net, cidrs=["0.0.0.0/0"], prefix_list=prefix_list)
            return ok_out, f"gateway endpoint {vpce}", [f"route {prefix_list} -> {vpce} in {table['RouteTableId']}", out], \
                [] if ok_out else [out]

    reachable, via, reasons = _to_internet(subnet_id, target.address, net, prefix_list)
    blockers = list(reasons) if reachable is False else []
    if target.kind == "service":
        reasons.insert(0, "no VPC endpoint for it here: the SDK calls its public endpoint")
        if blockers:
            blockers.insert(0, reasons[0])
    ok_out, out = _egress(fn, target.port, net, cidrs=["0.0.0.0/0"])
    if not ok_out:
        reachable, blockers = False, blockers + [out]
    return reachable, via, reasons + [out], blockers


def check(fn: FunctionNetwork, target: Target, net: Network | None) -> Verdict:
    """Can the function reach ``target``? From each of its subnets (Lambda may use any of them)."""
    if target.kind not in ("internet", "service", "resource"):
        raise ValueError(f"unknown target kind {target.kind!r}")
    if not fn.subnet_ids:
        if target.kind == "resource":
            why = ("the function is not attached to a VPC: it cannot reach private resources in your VPC; "
                   "add a VpcConfig with the private subnets and a security group")
            return Verdict(target.name, False, "the Lambda-managed network", (why,), (why,))
        return Verdict(target.name, True, "the Lambda-managed network", (
            "the function is not attached to a VPC: it has internet access and reaches public AWS endpoints",))
    if net is None:
        raise ValueError("the function is attached to a VPC: give its Network")
    unknown = [s for s in fn.subnet_ids if s not in net.subnets]
    if unknown:
        raise ValueError(f"subnets {unknown} are not in {net.vpc_id}")
    if not fn.security_group_ids:
        raise ValueError("a function attached to a VPC needs at least one security group")
    results = {s: _check_subnet(fn, s, target, net) for s in fn.subnet_ids}
    if all(r[0] is True for r in results.values()):
        vias = sorted({r[1] for r in results.values()})
        return Verdict(target.name, True, " / ".join(vias), tuple(next(iter(results.values()))[2]))
    reachable = False if any(r[0] is False for r in results.values()) else None
    bad = [s for s, r in results.items() if r[0] is reachable]
    first = results[bad[0]]
    where = () if len(bad) == len(results) else (f"from {', '.join(bad)} ({len(bad)} of {len(results)} subnets)",)
    return Verdict(target.name, reachable, first[1], where + tuple(first[2]), where + tuple(first[3]))
