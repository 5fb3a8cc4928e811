"""An IAM policy evaluator: the decision, and the statements that made it.

AWS (IAM User Guide, "Policy evaluation logic"): every request starts denied. Then

1. an explicit ``Deny`` in any applicable policy (SCP, resource-based, identity-based,
   permissions boundary) ends evaluation: **explicit deny**;
2. if the account is under AWS Organizations SCPs, some SCP must allow the action, otherwise
   **implicit deny** (an SCP grants nothing by itself, it only sets the ceiling);
3. within one account, an ``Allow`` in the resource-based policy for this principal is enough;
4. otherwise an identity-based policy must allow it, and, when the principal has a permissions
   boundary, the boundary must allow it too (the effective permissions are the intersection);
5. cross-account requests need both sides: the caller's identity policy (within its boundary and
   SCPs) *and* the resource owner's resource-based policy must allow.

Statements match on ``Action``/``NotAction`` (case-insensitive, ``*`` and ``?`` wildcards),
``Resource``/``NotResource`` (case-sensitive wildcards), ``Principal``/``NotPrincipal`` (resource
policies) and ``Condition``. Condition blocks follow the documented rules: operators AND, keys
AND, values OR (NOR for negated operators); a missing key makes a condition false, except for
negated operators (true), ``...IfExists`` (true) and ``Null``; ``ForAnyValue:``/``ForAllValues:``
compare sets. Policy variables such as ``${aws:username}`` (with an optional default,
``${aws:username, 'anon'}``) are replaced from the request context.

What this simulator leaves out: session policies, resource control policies, service-specific
rules (a KMS key policy must delegate to the account before IAM policies count; S3 ACLs; VPC
endpoint policies), and SCP inheritance levels (all SCPs given count as one level). A resource
policy whose matching principal is the account (``arn:aws:iam::<account>:root``) delegates to
the account's IAM policies instead of granting by itself, as AWS documents.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Mapping, Sequence

__all__ = ["evaluate", "Decision", "MatchedStatement", "parse_policy", "OPERATORS"]

ALLOW, EXPLICIT_DENY, IMPLICIT_DENY = "Allow", "ExplicitDeny", "ImplicitDeny"

_BASE_OPERATORS = (
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals",
    "Bool", "IpAddress", "NotIpAddress", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike", "Null",
)  # fmt: skip
#: Condition operators understood (each also with ``IfExists`` and ``ForAnyValue:``/``ForAllValues:``).
OPERATORS: frozenset[str] = frozenset(_BASE_OPERATORS)
_NEGATED = {"StringNotEquals", "StringNotEqualsIgnoreCase", "StringNotLike", "NumericNotEquals", "DateNotEquals",
            "NotIpAddress", "ArnNotEquals", "ArnNotLike"}  # fmt: skip


@dataclass(frozen=True)
class MatchedStatement:
    """One statement that applied to the request, and where it came from."""

    source: str  # "identity policy 1", "resource policy", "permissions boundary", "SCP 1"
    sid: str | None
    effect: str
    statement: Mapping[str, Any]
    note: str = ""

    def __str__(self) -> str:
        sid = f"Sid {self.sid!r}" if self.sid else "statement without Sid"
        return f"{self.effect} in {self.source} ({sid}){' - ' + self.note if self.note else ''}"


@dataclass(frozen=True)
class Decision:
    """The outcome of :func:`evaluate`."""

    decision: str  # "Allow" | "ExplicitDeny" | "ImplicitDeny"
    action: str
    resource: str
    reason: str
    statements: tuple[MatchedStatement, ...] = ()
    matched: tuple[MatchedStatement, ...] = field(default=(), repr=False)

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOW

    def explain(self) -> str:
        lines = [f"{self.decision}: {self.action} on {self.resource}", f"  why: {self.reason}"]
        for st in self.statements:
            lines.append(f"  decided by: {st}")
        others = [m for m in self.matched if m not in self.statements]
        for st in others:
            lines.append(f"  also matched: {st}")
        return "\n".join(lines)

    __str__ = explain


# ---------------------------------------------------------------- parsing


def parse_policy(policy: Mapping[str, Any] | str, where: str = "policy") -> list[dict[str, Any]]:
    """The statements of ``policy`` (a dict or JSON text); ValueError naming ``where`` if malformed."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(policy, Mapping):
        raise ValueError(f"{where}: a policy must be a JSON object, got {type(policy).__name__}")
    if "Statement" not in policy:
        raise ValueError(f"{where}: no 'Statement' element")
    statements = policy["Statement"]
    if isinstance(statements, Mapping):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        raise ValueError(f"{where}: 'Statement' must be an object or a non-empty list of objects")
    out = []
    for i, st in enumerate(statements, 1):
        label = f"{where}, statement {i}" + (f" (Sid {st.get('Sid')!r})" if isinstance(st, Mapping) and st.get("Sid") else "")
        if not isinstance(st, Mapping):
            raise ValueError(f"{label}: a statement must be a JSON object")
        if st.get("Effect") not in ("Allow", "Deny"):
            raise ValueError(f"{label}: 'Effect' must be \"Allow\" or \"Deny\", got {st.get('Effect')!r}")
        if ("Action" in st) == ("NotAction" in st):
            raise ValueError(f"{label}: exactly one of 'Action' or 'NotAction' is required")
        if "Resource" in st and "NotResource" in st:
            raise ValueError(f"{label}: use 'Resource' or 'NotResource', not both")
        for key, value in st.get("Condition", {}).items():
            op = _split_operator(key, label)[1]
            if not isinstance(value, Mapping):
                raise ValueError(f"{label}: condition {op!r} must map context keys to values")
        out.append(dict(st))
    return out


def _split_operator(name: str, where: str) -> tuple[str | None, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ("ForAnyValue", "StringLike", True)."""
    qualifier = None
    if ":" in name:
        qualifier, _, name = name.partition(":")
        if qualifier not in ("ForAnyValue", "ForAllValues"):
            raise ValueError(f"{where}: unknown set qualifier {qualifier!r} (ForAnyValue or ForAllValues)")
    if_exists = name.endswith("IfExists")
    base = name[: -len("IfExists")] if if_exists else name
    if base not in OPERATORS:
        raise ValueError(f"{where}: unknown condition operator {name!r}")
    return qualifier, base, if_exists


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]


# ---------------------------------------------------------------- matching


def _wildcard(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL) is not None


_VAR = re.compile(r"\$\{([^}]+)\}")


def _substitute(text: str, ctx: Mapping[str, Any]) -> str | None:
    """Replace policy variables; None when one is missing and has no default."""
    missing = False

    def repl(m: re.Match[str]) -> str:
        nonlocal missing
        body = m.group(1)
        if body in ("*", "?", "$"):
            return "\x00" + body  # escaped literal, restored below
        name, _, default = body.partition(",")
        value = ctx.get(name.strip().lower())
        if value is None or isinstance(value, (list, tuple)):
            if default.strip():
                return default.strip().strip("'\"")
            missing = True
            return ""
        return str(value)

    out = _VAR.sub(repl, text)
    return None if missing else out


def _glob_regex(text: str) -> str:
    """Regex for an IAM pattern; ``\x00`` marks the next character as literal (``${*}``)."""
    out, literal = [], False
    for c in text:
        if c == "\x00":
            literal = True
            continue
        out.append(re.escape(c) if literal or c not in "*?" else (".*" if c == "*" else "."))
        literal = False
    return "".join(out)


def _literal_match(pattern: str, value: str, ctx: Mapping[str, Any], *, ignore_case: bool = False) -> bool:
    sub = _substitute(pattern, ctx)
    if sub is None:
        return False
    return re.fullmatch(_glob_regex(sub), value, (re.IGNORECASE if ignore_case else 0) | re.DOTALL) is not None


def _action_matches(st: Mapping[str, Any], action: str) -> bool:
    if "Action" in st:
        return any(_wildcard(p, action, ignore_case=True) for p in _as_list(st["Action"]))
    return not any(_wildcard(p, action, ignore_case=True) for p in _as_list(st["NotAction"]))


def _resource_matches(st: Mapping[str, Any], resource: str, ctx: Mapping[str, Any]) -> bool:
    if "Resource" in st:
        return any(_literal_match(p, resource, ctx) for p in _as_list(st["Resource"]))
    if "NotResource" in st:
        return not any(_literal_match(p, resource, ctx) for p in _as_list(st["NotResource"]))
    return True  # trust policies have no Resource


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


def _principal_forms(principal: str) -> set[str]:
    """The ARNs a policy may name for ``principal`` (an assumed-role session also matches its role)."""
    forms = {principal}
    m = re.fullmatch(r"arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/.+", principal)
    if m:
        forms.add(f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}")
    return forms


def _principal_matches(element: Any, principal: str | None) -> tuple[bool, bool]:
    """(matches, delegates_to_account) for a Principal element."""
    if element == "*":
        return True, False
    if not isinstance(element, Mapping):
        raise ValueError(f"Principal must be \"*\" or an object such as {{\"AWS\": ...}}, got {element!r}")
    if principal is None:
        return any(v == "*" for vs in element.values() for v in _as_list(vs)), False
    forms = _principal_forms(principal)
    account = _account_of(principal)
    for kind, values in element.items():
        for v in _as_list(values):
            if v == "*" or v in forms:
                return True, False
            if kind == "AWS" and account and v in (account, f"arn:aws:iam::{account}:root"):
                return True, True
            if kind != "AWS" and v == principal:  # Service, Federated, CanonicalUser
                return True, False
    return False, False


# ---------------------------------------------------------------- conditions


def _to_number(v: Any) -> float:
    return float(v)


def _to_date(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=timezone.utc)
    s = str(v)
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return datetime.fromtimestamp(float(s), timezone.utc)
    d = datetime.fromisoformat(s.replace("Z", "+00:00"))
    return d if d.tzinfo else d.replace(tzinfo=timezone.utc)


def _compare(op: str, actual: Any, wanted: str, ctx: Mapping[str, Any]) -> bool:
    """One positive comparison (negation is applied by the caller)."""
    base = op.replace("Not", "", 1) if op in _NEGATED else op
    if base in ("StringEquals", "StringEqualsIgnoreCase"):
        w = _substitute(str(wanted), ctx)
        if w is None:
            return False
        w = w.replace("\x00", "")
        return str(actual).lower() == w.lower() if base.endswith("IgnoreCase") else str(actual) == w
    if base in ("StringLike", "ArnLike", "ArnEquals"):
        return _literal_match(str(wanted), str(actual), ctx)
    if base.startswith("Numeric"):
        a, w = _to_number(actual), _to_number(wanted)
        return {"NumericEquals": a == w, "NumericLessThan": a < w, "NumericLessThanEquals": a <= w,
                "NumericGreaterThan": a > w, "NumericGreaterThanEquals": a >= w}[base]  # fmt: skip
    if base.startswith("Date"):
        a, w = _to_date(actual), _to_date(wanted)
        return {"DateEquals": a == w, "DateLessThan": a < w, "DateLessThanEquals": a <= w,
                "DateGreaterThan": a > w, "DateGreaterThanEquals": a >= w}[base]  # fmt: skip
    if base == "Bool":
        return str(actual).lower() == str(wanted).lower()
    if base == "IpAddress":
        return ipaddress.ip_address(str(actual)) in ipaddress.ip_network(str(wanted), strict=False)
    raise ValueError(f"unsupported operator {op}")


def _condition_holds(condition: Mapping[str, Any], ctx: Mapping[str, Any], where: str) -> bool:
    for op_name, pairs in condition.items():
        qualifier, op, if_exists = _split_operator(op_name, where)
        for key, wanted in pairs.items():
            wanted_values = [str(w).lower() if isinstance(w, bool) else w for w in _as_list(wanted)]
            actual = ctx.get(key.lower())
            present = actual is not None and not (isinstance(actual, (list, tuple)) and qualifier is None and not actual)
            if op == "Null":
                want_absent = str(wanted_values[0]).lower() == "true"
                if want_absent == present:
                    return False
                continue
            if not present:
                if qualifier == "ForAllValues":
                    continue  # an empty set is a subset of anything
                if if_exists or (op in _NEGATED and qualifier is None):
                    continue
                return False
            negated = op in _NEGATED
            try:
                if qualifier is None:
                    values = _as_list(actual)
                    hit = any(_compare(op, a, w, ctx) for a in values for w in wanted_values)
                    ok = not hit if negated else hit
                else:
                    values = _as_list(actual)

                    def one(a: Any) -> bool:
                        h = any(_compare(op, a, w, ctx) for w in wanted_values)
                        return not h if negated else h

                    ok = any(one(a) for a in values) if qualifier == "ForAnyValue" else all(one(a) for a in values)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{where}: condition {op_name} on {key!r}: cannot compare {actual!r} with {wanted!r} ({exc})") from None
            if not ok:
                return False
    return True


# ---------------------------------------------------------------- evaluation


def _context(context: Mapping[str, Any] | None, principal: str | None) -> dict[str, Any]:
    ctx = {str(k).lower(): v for k, v in (context or {}).items()}
    if principal:
        ctx.setdefault("aws:principalarn", principal)
        account = _account_of(principal)
        if account:
            ctx.setdefault("aws:principalaccount", account)
        m = re.fullmatch(r"arn:[\w-]+:iam::\d{12}:user/(?:.*/)?([^/]+)", principal)
        if m:
            ctx.setdefault("aws:username", m.group(1))
    ctx.setdefault("aws:currenttime", datetime.now(timezone.utc).isoformat())
    return ctx


def _matching(statements: list[tuple[str, dict[str, Any]]], action: str, resource: str, ctx: dict[str, Any],
              principal: str | None, *, resource_policy: bool) -> list[MatchedStatement]:  # fmt: skip
    out = []
    for source, st in statements:
        where = f"{source}" + (f" (Sid {st.get('Sid')!r})" if st.get("Sid") else "")
        note = ""
        if resource_policy:
            if "Principal" in st:
                ok, delegates = _principal_matches(st["Principal"], principal)
            elif "NotPrincipal" in st:
                ok, delegates = not _principal_matches(st["NotPrincipal"], principal)[0], False
            else:
                raise ValueError(f"{where}: a resource-based policy statement needs 'Principal' or 'NotPrincipal'")
            if not ok:
                continue
            if delegates:
                note = "the principal is the account: it delegates to the account's IAM policies"
        elif "Principal" in st or "NotPrincipal" in st:
            raise ValueError(f"{where}: only resource-based policies name a Principal")
        if not _action_matches(st, action) or not _resource_matches(st, resource, ctx):
            continue
        if "Condition" in st and not _condition_holds(st["Condition"], ctx, where):
            continue
        out.append(MatchedStatement(source, st.get("Sid"), st["Effect"], st, note))
    return out


def _statements(policies: Sequence[Mapping[str, Any] | str], label: str) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(policies, (str, Mapping)):
        policies = [policies]
    out = []
    for i, p in enumerate(policies, 1):
        source = f"{label} {i}" if label in ("identity policy", "SCP") else label
        out.extend((source, st) for st in parse_policy(p, source))
    return out


def evaluate(
    action: str,
    resource: str,
    *,
    identity_policies: Sequence[Mapping[str, Any] | str] = (),
    resource_policy: Mapping[str, Any] | str | None = None,
    principal: str | None = None,
    context: Mapping[str, Any] | None = None,
    boundary: Mapping[str, Any] | str | None = None,
    scps: Sequence[Mapping[str, Any] | str] | None = None,
    cross_account: bool = False,
) -> Decision:
    """Decide whether ``principal`` may perform ``action`` on ``resource``.

    ``identity_policies``: the principal's policies (dicts or JSON text). ``resource_policy``:
    the resource's policy, if any. ``context``: condition keys (``aws:SourceIp``,
    ``aws:MultiFactorAuthPresent``, ``s3:x-amz-server-side-encryption``, ...); ``aws:username``,
    ``aws:PrincipalArn`` and ``aws:PrincipalAccount`` are filled in from ``principal`` when
    missing. ``boundary``: a permissions boundary; ``scps``: the service control policies of the
    caller's account (``None``: no Organizations). ``cross_account``: the resource belongs to
    another account than the principal (inferred from the ARNs when both carry an account).
    """
    if not isinstance(action, str) or ":" not in action:
        raise ValueError(f"action must look like 'service:Operation', got {action!r}")
    if not isinstance(resource, str) or not resource:
        raise ValueError("resource must be an ARN (or '*')")
    ctx = _context(context, principal)
    p_account, r_account = _account_of(principal or ""), _account_of(resource)
    if p_account and r_account and p_account != r_account:
        cross_account = True

    identity = _matching(_statements(identity_policies, "identity policy"), action, resource, ctx, principal, resource_policy=False)
    res = (_matching(_statements([resource_policy], "resource policy"), action, resource, ctx, principal, resource_policy=True)
           if resource_policy is not None else [])  # fmt: skip
    bound = (_matching(_statements([boundary], "permissions boundary"), action, resource, ctx, principal, resource_policy=False)
             if boundary is not None else [])  # fmt: skip
    scp = _matching(_statements(scps, "SCP"), action, resource, ctx, principal, resource_policy=False) if scps is not None else []
    matched = tuple(scp + res + identity + bound)

    def decide(decision: str, reason: str, deciding: Sequence[MatchedStatement] = ()) -> Decision:
        return Decision(decision, action, resource, reason, tuple(deciding), matched)

    denies = [m for m in matched if m.effect == "Deny"]
    if denies:
        return decide(EXPLICIT_DENY, "an explicit Deny matched; a Deny always wins over any Allow", denies)

    scp_allow = [m for m in scp if m.effect == "Allow"]
    if scps is not None and not scp_allow:
        return decide(IMPLICIT_DENY, "no service control policy allows the action: SCPs set the ceiling for the account")

    res_allow = [m for m in res if m.effect == "Allow"]
    res_grants = [m for m in res_allow if not m.note]
    id_allow = [m for m in identity if m.effect == "Allow"]
    b_allow = [m for m in bound if m.effect == "Allow"]

    if not cross_account and res_grants:
        return decide(ALLOW, "the resource-based policy allows this principal (same account: that is enough)", scp_allow + res_grants)

    if not id_allow:
        if cross_account and res_allow:
            return decide(IMPLICIT_DENY, "cross-account: the resource policy allows, but no identity policy in the caller's account does")
        return decide(IMPLICIT_DENY, "no statement allows the action: everything not allowed is denied")
    if boundary is not None and not b_allow:
        return decide(IMPLICIT_DENY, "an identity policy allows it, but the permissions boundary does not: the boundary caps what identity policies can grant")
    if cross_account and not res_allow:
        return decide(IMPLICIT_DENY, "cross-account: the identity policy allows, but the resource owner's resource-based policy does not")
    if cross_account:
        return decide(ALLOW, "cross-account: both the caller's identity policy and the resource policy allow", scp_allow + res_allow + id_allow + b_allow)
    return decide(ALLOW, "an identity-based policy allows the action" + (" within the permissions boundary" if boundary is not None else ""),
                  scp_allow + id_allow + b_allow + res_allow)  # fmt: skip
