"""CloudWatch Logs data protection policies: read a policy document, find and mask what it names.

AWS (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutDataProtectionPolicy.html,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch-logs-data-protection-policies.html):

* the document is JSON of at most 30,720 characters, with ``Name``, ``Description`` and
  ``Version`` (the only version is ``2021-06-01``) and a ``Statement`` of two blocks: the first
  has a ``DataIdentifier`` array and ``Operation: {"Audit": {"FindingsDestination": {...}}}``
  (the destination object may be empty), the second the *same* ``DataIdentifier`` array and
  ``Operation: {"Deidentify": {"MaskConfig": {}}}`` (``MaskConfig`` must be empty);
* a data identifier is a managed identifier ARN
  (``arn:aws:dataprotection::aws:data-identifier/EmailAddress``; the names:
  https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL-managed-data-identifiers.html)
  or the ``Name`` of a custom data identifier defined in ``Configuration.CustomDataIdentifier``
  (``[{"Name", "Regex"}]``): at most 10 per policy, names of at most 128 characters from
  ``a-zA-Z0-9_-`` that are not a managed identifier's name, regexes of at most 200 characters
  from a documented character set
  (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CWL-custom-data-identifiers.html);
* matches are replaced by asterisks when events are read.

Simulated: managed identifiers are detected with :mod:`course_utils.rules.pii` (regexes plus
validators, not AWS's machine learning) through :data:`PII_TYPES`; a managed identifier with no
counterpart there is accepted but never matches (:func:`undetected` names them). Keywords that
AWS requires near some types are not required here. Custom regexes run with Python's ``re``.
Each matched character becomes one ``*`` (AWS documents "replaced by asterisks", not how many).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = [
    "POLICY_VERSION", "MAX_POLICY_CHARS", "MAX_CUSTOM_IDENTIFIERS", "MANAGED_IDENTIFIERS", "PII_TYPES",
    "PolicyError", "ProtectionPolicy", "Finding", "parse_policy", "managed_arn", "find", "mask", "masked",
    "undetected",
]

POLICY_VERSION = "2021-06-01"
MAX_POLICY_CHARS = 30_720
MAX_CUSTOM_IDENTIFIERS = 10
MAX_CUSTOM_NAME = 128
MAX_CUSTOM_REGEX = 200

_ARN = re.compile(r"arn:(?P<partition>aws|aws-cn|aws-us-gov):dataprotection::aws:data-identifier/(?P<name>[A-Za-z0-9-]+)")
_CUSTOM_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Alphanumerics, the symbols _ # = @ / ; , - space, and the regex reserved characters ^ $ ? [ ] { } | \ * + .
_CUSTOM_REGEX = re.compile(r"[A-Za-z0-9_#=@/;, \-^$?\[\]{}|\\*+.]+")

#: Managed data identifiers documented for CloudWatch Logs (language/region independent ones,
#: and those that need a country suffix, as listed in the user guide and the CDK's enum).
MANAGED_IDENTIFIERS: frozenset[str] = frozenset(
    ["Address", "AwsSecretKey", "CreditCardExpiration", "CreditCardNumber", "CreditCardSecurityCode",
     "EmailAddress", "IpAddress", "LatLong", "Name", "OpenSshPrivateKey", "PgpPrivateKey", "PkcsPrivateKey",
     "PuttyPrivateKey", "VehicleIdentificationNumber", "DateOfBirth",
     "CepCode-BR", "Cnpj-BR", "CpfCode-BR", "RgNumber-BR", "PhoneNumber-BR",
     "DrugEnforcementAgencyNumber-US", "HealthInsuranceClaimNumber-US", "HealthcareProcedureCode-US",
     "IndividualTaxIdentificationNumber-US", "MedicareBeneficiaryNumber-US", "NationalDrugCode-US",
     "NationalProviderId-US", "Ssn-US", "ZipCode-US", "PassportNumber-US", "PhoneNumber-US",
     "BankAccountNumber-US", "DriversLicense-US",
     "ElectoralRollNumber-GB", "NationalInsuranceNumber-GB", "NhsNumber-GB", "TaxId-GB",
     "HealthInsuranceCardNumber-EU", "HealthInsuranceNumber-FR", "InseeCode-FR", "TaxId-FR", "TaxId-DE", "TaxId-ES",
     "NationalIdentificationNumber-DE", "NationalIdentificationNumber-ES", "NationalIdentificationNumber-IT",
     "NieNumber-ES", "NifNumber-ES", "Ssn-ES",
     "PermanentResidenceNumber-CA", "PersonalHealthNumber-CA", "PostalCode-CA", "SocialInsuranceNumber-CA"]
    + [f"BankAccountNumber-{c}" for c in ("DE", "ES", "FR", "GB", "IT")]
    + [f"PassportNumber-{c}" for c in ("CA", "DE", "ES", "FR", "GB", "IT")]
    + [f"PhoneNumber-{c}" for c in ("DE", "ES", "FR", "GB", "IT")]
    + [f"DriversLicense-{c}" for c in ("AT", "AU", "BE", "BG", "CA", "CY", "CZ", "DE", "DK", "EE", "ES", "FI",
                                          "FR", "GB", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL",
                                          "PL", "PT", "RO", "SE", "SI", "SK")]
)

#: CloudWatch Logs managed identifier -> the :mod:`.pii` (Bedrock Guardrails) type that detects it here.
PII_TYPES: dict[str, str] = {
    "Address": "ADDRESS",
    "AwsSecretKey": "AWS_SECRET_KEY",
    "BankAccountNumber-US": "US_BANK_ACCOUNT_NUMBER",
    "CreditCardExpiration": "CREDIT_DEBIT_CARD_EXPIRY",
    "CreditCardNumber": "CREDIT_DEBIT_CARD_NUMBER",
    "CreditCardSecurityCode": "CREDIT_DEBIT_CARD_CVV",
    "DriversLicense-US": "DRIVER_ID",
    "EmailAddress": "EMAIL",
    "IndividualTaxIdentificationNumber-US": "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
    "IpAddress": "IP_ADDRESS",
    "Name": "NAME",
    "NationalInsuranceNumber-GB": "UK_NATIONAL_INSURANCE_NUMBER",
    "NhsNumber-GB": "UK_NATIONAL_HEALTH_SERVICE_NUMBER",
    "PassportNumber-US": "US_PASSPORT_NUMBER",
    "PersonalHealthNumber-CA": "CA_HEALTH_NUMBER",
    "PhoneNumber-US": "PHONE",
    "SocialInsuranceNumber-CA": "CA_SOCIAL_INSURANCE_NUMBER",
    "Ssn-US": "US_SOCIAL_SECURITY_NUMBER",
    "VehicleIdentificationNumber": "VEHICLE_IDENTIFICATION_NUMBER",
}


class PolicyError(ValueError):
    """The document breaks a rule of data protection policies (the message says which)."""


@dataclass(frozen=True)
class ProtectionPolicy:
    """A parsed data protection policy: what it protects."""

    name: str | None
    identifiers: tuple[str, ...]  # as written in the statements (ARNs and custom names)
    managed: tuple[str, ...]  # managed identifier names (``EmailAddress``, ``Ssn-US``, ...)
    custom: dict[str, str] = field(default_factory=dict)  # custom identifier name -> regex


@dataclass(frozen=True)
class Finding:
    """One match of a data identifier: ``text[begin:end]``."""

    identifier: str  # managed name (``EmailAddress``) or custom identifier name
    begin: int
    end: int


def managed_arn(name: str, partition: str = "aws") -> str:
    """The ARN of a managed data identifier (``EmailAddress`` -> ``arn:aws:dataprotection::aws:data-identifier/EmailAddress``)."""
    return f"arn:{partition}:dataprotection::aws:data-identifier/{name}"


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{where} must be a JSON object")
    return value


def _operation(statement: dict[str, Any], index: int) -> tuple[str, dict[str, Any]]:
    operation = _object(statement.get("Operation"), f"Statement[{index}].Operation")
    if len(operation) != 1 or next(iter(operation)) not in ("Audit", "Deidentify"):
        raise PolicyError(f"Statement[{index}].Operation must have exactly one of Audit or Deidentify")
    kind = next(iter(operation))
    return kind, _object(operation[kind], f"Statement[{index}].Operation.{kind}")


def _custom_identifiers(document: dict[str, Any]) -> dict[str, str]:
    configuration = document.get("Configuration")
    if configuration is None:
        return {}
    entries = _object(configuration, "Configuration").get("CustomDataIdentifier", [])
    if not isinstance(entries, list):
        raise PolicyError("Configuration.CustomDataIdentifier must be an array")
    if len(entries) > MAX_CUSTOM_IDENTIFIERS:
        raise PolicyError(f"A data protection policy supports at most {MAX_CUSTOM_IDENTIFIERS} custom data identifiers")
    custom: dict[str, str] = {}
    for i, entry in enumerate(entries):
        entry = _object(entry, f"Configuration.CustomDataIdentifier[{i}]")
        name, regex = entry.get("Name"), entry.get("Regex")
        if not isinstance(name, str) or not isinstance(regex, str):
            raise PolicyError(f"Configuration.CustomDataIdentifier[{i}] needs a Name and a Regex (strings)")
        if not name or len(name) > MAX_CUSTOM_NAME or not _CUSTOM_NAME.fullmatch(name):
            raise PolicyError(f"Custom data identifier name {name!r}: 1 to {MAX_CUSTOM_NAME} characters from a-zA-Z0-9_-")
        if name in MANAGED_IDENTIFIERS:
            raise PolicyError(f"Custom data identifier name {name!r} is the name of a managed data identifier")
        if name in custom:
            raise PolicyError(f"Custom data identifier {name!r} is defined twice")
        if not regex or len(regex) > MAX_CUSTOM_REGEX or not _CUSTOM_REGEX.fullmatch(regex):
            raise PolicyError(f"Custom data identifier {name!r}: the Regex must have 1 to {MAX_CUSTOM_REGEX} characters "
                              "from the supported set")
        try:
            re.compile(regex)
        except re.error as exc:
            raise PolicyError(f"Custom data identifier {name!r}: invalid Regex ({exc})") from None
        custom[name] = regex
    return custom


def parse_policy(document: str) -> ProtectionPolicy:
    """Check a policy document against the documented rules; :class:`PolicyError` names the first broken one."""
    if len(document) > MAX_POLICY_CHARS:
        raise PolicyError(f"The policy document can be up to {MAX_POLICY_CHARS} characters")
    try:
        doc = json.loads(document)
    except (TypeError, ValueError):
        raise PolicyError("The policy document is not valid JSON") from None
    doc = _object(doc, "The policy document")
    version = doc.get("Version", POLICY_VERSION)
    if version != POLICY_VERSION:
        raise PolicyError(f"Version must be {POLICY_VERSION}")
    name = doc.get("Name")
    if name is not None and not isinstance(name, str):
        raise PolicyError("Name must be a string")
    statements = doc.get("Statement")
    if not isinstance(statements, list) or len(statements) != 2:
        raise PolicyError("Statement must have exactly two blocks: an Audit statement, then a Deidentify statement")
    custom = _custom_identifiers(doc)
    lists: list[list[str]] = []
    for index, (statement, expected) in enumerate(zip(statements, ("Audit", "Deidentify"))):
        statement = _object(statement, f"Statement[{index}]")
        kind, body = _operation(statement, index)
        if kind != expected:
            raise PolicyError(f"Statement[{index}] must have the {expected} operation "
                              "(the first block audits, the second de-identifies)")
        if kind == "Audit" and not isinstance(body.get("FindingsDestination"), dict):
            raise PolicyError("The Audit operation must contain a FindingsDestination object (it may be empty)")
        if kind == "Deidentify" and body.get("MaskConfig") != {}:
            raise PolicyError('The Deidentify operation must contain "MaskConfig": {} (an empty object)')
        identifiers = statement.get("DataIdentifier")
        if not isinstance(identifiers, list) or not all(isinstance(i, str) for i in identifiers):
            raise PolicyError(f"Statement[{index}].DataIdentifier must be an array of strings")
        lists.append(identifiers)
    if sorted(lists[0]) != sorted(lists[1]):
        raise PolicyError("The DataIdentifier arrays of the Audit and Deidentify statements must match exactly")
    managed: list[str] = []
    for identifier in lists[0]:
        match = _ARN.fullmatch(identifier)
        if match:
            managed.append(match.group("name"))
        elif identifier not in custom:
            raise PolicyError(f"Data identifier {identifier!r} is neither a managed data identifier ARN nor the "
                              "name of a custom data identifier in Configuration.CustomDataIdentifier")
    return ProtectionPolicy(name, tuple(lists[0]), tuple(dict.fromkeys(managed)),
                            {n: r for n, r in custom.items() if n in lists[0]})


def undetected(policy: ProtectionPolicy) -> list[str]:
    """The managed identifiers of ``policy`` that this simulation never matches."""
    from . import pii

    return [n for n in policy.managed if PII_TYPES.get(n) not in pii.SUPPORTED]


def find(text: str, policies: Iterable[ProtectionPolicy]) -> list[Finding]:
    """Matches of every identifier of ``policies`` (policies are cumulative), non-overlapping, by position.

    Of two overlapping matches the longer is kept (equal length: the earlier).
    """
    from . import pii

    wanted: dict[str, str] = {}  # pii type -> managed name
    candidates: list[Finding] = []
    for policy in policies:
        for name in policy.managed:
            kind = PII_TYPES.get(name)
            if kind in pii.SUPPORTED:
                wanted.setdefault(kind, name)
        for name, regex in policy.custom.items():
            candidates += [Finding(name, m.start(), m.end()) for m in re.finditer(regex, text) if m.end() > m.start()]
    if wanted:
        candidates += [Finding(wanted[e.type], e.begin, e.end) for e in pii.find(text, wanted)]
    kept: list[Finding] = []
    for f in sorted(candidates, key=lambda f: (-(f.end - f.begin), f.begin)):
        if all(f.end <= k.begin or f.begin >= k.end for k in kept):
            kept.append(f)
    return sorted(kept, key=lambda f: f.begin)


def mask(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with each finding's characters replaced by ``*``."""
    chars = list(text)
    for f in findings:
        chars[f.begin:f.end] = "*" * (f.end - f.begin)
    return "".join(chars)


def masked(text: str, policies: Iterable[ProtectionPolicy]) -> str | None:
    """The masked text, or None when no identifier matches."""
    findings = find(text, policies)
    return mask(text, findings) if findings else None
