"""Find personally identifiable information (PII) in text: the stand-in for Amazon Comprehend's
and Bedrock Guardrails' PII detectors.

AWS detects PII with machine-learning models; this module uses regular expressions plus the
published validators where a format has one (Luhn for card numbers and Canadian SINs, the SSA's
area/group/serial rules for SSNs, the IBAN mod-97 checksum, the VIN check digit, the IRS's ITIN
ranges, the UK's NINO prefix rules, :mod:`ipaddress` for IPv4/IPv6). Two types need language
understanding and are **heuristics** here:

* ``NAME``: a capitalised given name + surname after a cue ("my name is", "I am", "Dear",
  "Name:", "Mr."/"Mrs."/"Ms."/"Dr."), or a name from a short built-in list of common first
  names followed by a capitalised word ("Alice Johnson").
* ``ADDRESS``: a US street address: house number, one to four capitalised words and a street
  suffix (Street, St, Avenue, Ave, Road, ...), optionally an apartment/suite, a city, a state
  code and a ZIP code.

Secrets that have no format of their own (``PASSWORD``, ``USERNAME``, ``PIN``, card CVV/expiry,
bank account/routing numbers) are recognised only after an explicit cue such as
``password:``/``password is`` or ``CVV``; types not listed in :data:`SUPPORTED` are never detected.

Type names are Bedrock Guardrails' (the ``GuardrailPiiEntityType`` enum of the ``bedrock`` API);
:data:`COMPREHEND_TYPES` maps them to Amazon Comprehend's ``PiiEntityType`` names.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

__all__ = ["ENTITY_TYPES", "SUPPORTED", "COMPREHEND_TYPES", "Entity", "find", "luhn_valid"]

#: Bedrock Guardrails' PII entity types (botocore ``bedrock`` model, enum ``GuardrailPiiEntityType``).
ENTITY_TYPES: tuple[str, ...] = (
    "ADDRESS", "AGE", "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "CA_HEALTH_NUMBER",
    "CA_SOCIAL_INSURANCE_NUMBER", "CREDIT_DEBIT_CARD_CVV", "CREDIT_DEBIT_CARD_EXPIRY",
    "CREDIT_DEBIT_CARD_NUMBER", "DRIVER_ID", "EMAIL", "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
    "IP_ADDRESS", "LICENSE_PLATE", "MAC_ADDRESS", "NAME", "PASSWORD", "PHONE", "PIN",
    "SWIFT_CODE", "UK_NATIONAL_HEALTH_SERVICE_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
    "UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", "URL", "USERNAME", "US_BANK_ACCOUNT_NUMBER",
    "US_BANK_ROUTING_NUMBER", "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_PASSPORT_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER", "VEHICLE_IDENTIFICATION_NUMBER",
)


@dataclass(frozen=True)
class Entity:
    """One match: ``text[begin:end]`` (end exclusive), with a confidence score in [0, 1]."""

    type: str
    begin: int
    end: int
    score: float


# --- validators ---------------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check used by payment card numbers and Canadian SINs."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _only_digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _card_ok(m: re.Match[str]) -> bool:
    digits = _only_digits(m.group(0))
    return 13 <= len(digits) <= 19 and len(set(digits)) > 1 and luhn_valid(digits)


def _ssn_ok(m: re.Match[str]) -> bool:
    # SSA: area 000, 666 and 900-999 are never issued; group 00 and serial 0000 neither.
    # https://www.ssa.gov/employer/randomization.html
    area, group, serial = m.group("a"), m.group("g"), m.group("s")
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _ipv4_ok(m: re.Match[str]) -> bool:
    try:
        ipaddress.IPv4Address(m.group(0))
    except ValueError:
        return False
    return True


def _ipv6_ok(m: re.Match[str]) -> bool:
    text = m.group(0)
    if text.count(":") < 2 or not any(c.isalnum() for c in text):
        return False  # "::" alone is valid IPv6 but is punctuation in prose
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


# Lengths of IBANs per country (ISO 13616 registry, a subset); other countries: 15-34 characters.
_IBAN_LENGTHS = {
    "AT": 20, "BE": 16, "CH": 21, "CZ": 24, "DE": 22, "DK": 18, "ES": 24, "FI": 18, "FR": 27,
    "GB": 22, "GR": 27, "IE": 22, "IT": 27, "LU": 20, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "SE": 24,
}


def _iban_ok(m: re.Match[str]) -> bool:
    iban = re.sub(r"\s", "", m.group(0)).upper()
    expected = _IBAN_LENGTHS.get(iban[:2])
    if (expected is not None and len(iban) != expected) or not 15 <= len(iban) <= 34:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _phone_ok(m: re.Match[str]) -> bool:
    digits = _only_digits(m.group(0))
    if m.group(0).startswith("+") and not m.group(0).startswith("+1"):
        return 8 <= len(digits) <= 15  # E.164: at most 15 digits
    if len(digits) == 11:
        digits = digits[1:]
    # NANP: area code and exchange start with 2-9.
    return len(digits) == 10 and digits[0] >= "2" and digits[3] >= "2"


_VIN_VALUES = {**{str(d): d for d in range(10)},
               **dict(zip("ABCDEFGH", range(1, 9))), **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
               **dict(zip("STUVWXYZ", range(2, 10)))}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _vin_ok(m: re.Match[str]) -> bool:
    # North American VINs (49 CFR 565): position 9 is a check digit (mod 11, 10 -> "X").
    vin = m.group(0).upper()
    if not any(ch.isdigit() for ch in vin) or not any(ch.isalpha() for ch in vin):
        return False
    total = sum(_VIN_VALUES[ch] * w for ch, w in zip(vin, _VIN_WEIGHTS))
    check = total % 11
    return vin[8] == ("X" if check == 10 else str(check))


def _sin_ok(m: re.Match[str]) -> bool:
    digits = _only_digits(m.group(0))
    return luhn_valid(digits)


def _secret_ok(m: re.Match[str]) -> bool:
    s = m.group(0)
    return (any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s))


def _always(m: re.Match[str]) -> bool:
    return True


# --- NAME and ADDRESS heuristics -------------------------------------------------------------------------

_FIRST_NAMES = frozenset(
    """james john robert michael william david richard joseph thomas charles christopher daniel
    matthew anthony mark steven paul andrew joshua kevin brian george edward jason ryan jacob
    mary patricia jennifer linda elizabeth barbara susan jessica sarah karen lisa nancy betty
    margaret sandra ashley emily donna michelle carol amanda melissa deborah laura rebecca sophia
    olivia emma ava isabella mia alice bob carlos maria ana juan jose luis wei li priya raj
    fatima ahmed mohammed omar hannah anna peter jane""".split()
)
_CAP = r"[A-Z][a-z]+(?:[-'][A-Z][a-z]+)?"
_NAME_CUE = re.compile(
    r"(?:\b[Mm]y name is|\b[Tt]his is|\bI am|\bI'm|\bDear|\b[Nn]ame:|\b(?:Mr|Mrs|Ms|Dr)\.?)\s+"
    rf"(?P<n>{_CAP}(?:\s+{_CAP}){{0,2}})"
)
_NAME_LIST = re.compile(rf"(?<![\w'-])(?=(?P<n>{_CAP}\s+{_CAP})\b)")  # overlapping: every capitalised word
_NOT_NAMES = frozenset("the a an i it this that my your our his her their".split())


def _names(text: str) -> Iterator[tuple[int, int, float]]:
    for m in _NAME_CUE.finditer(text):
        words = m.group("n").split()
        # "I am Happy" is not a name: after "I am"/"I'm"/"This is" require given name + surname.
        cue = m.group(0)[: m.start("n") - m.start()].strip().lower()
        if cue in ("i am", "i'm", "this is") and (len(words) < 2 or words[0].lower() not in _FIRST_NAMES):
            continue
        if words[0].lower() in _NOT_NAMES:
            continue
        yield m.start("n"), m.end("n"), 0.9
    for m in _NAME_LIST.finditer(text):
        first = m.group("n").split()[0].lower()
        if first in _FIRST_NAMES:
            yield m.start("n"), m.end("n"), 0.8


_STREET_SUFFIX = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Ter|Parkway|Pkwy|Circle|Cir|Highway|Hwy|Square|Sq)"
)
_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
).split()
_ADDRESS = re.compile(
    rf"\b\d{{1,6}}(?:\s+(?:[NSEW]\.?|North|South|East|West))?(?:\s+(?:{_CAP}|\d+(?:st|nd|rd|th))){{1,4}}"
    rf"\s+{_STREET_SUFFIX}\b\.?"
    r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit)\.?\s+#?[A-Za-z0-9-]+)?"
    rf"(?:,\s+{_CAP}(?:\s+{_CAP}){{0,2}})?"
    rf"(?:,?\s+(?:{'|'.join(_STATES)})\b)?"
    r"(?:\s+\d{5}(?:-\d{4})?\b)?"
)


def _addresses(text: str) -> Iterator[tuple[int, int, float]]:
    for m in _ADDRESS.finditer(text):
        yield m.start(), m.end(), 0.85


# --- the recognisers ----------------------------------------------------------------------------------

_B = r"(?<![\w.@+-])"  # not glued to a word, an e-mail or a number before
_E = r"(?![\w@-])"

_Rec = tuple[str, "re.Pattern[str]", Callable[[re.Match[str]], bool], float, str]
_RECOGNISERS: tuple[_Rec, ...] = (
    ("EMAIL", re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,}\b"),
     _always, 0.9999, ""),
    ("URL", re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]"), _always, 0.9999, ""),
    ("CREDIT_DEBIT_CARD_NUMBER", re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])"), _card_ok, 0.9999, ""),
    ("US_SOCIAL_SECURITY_NUMBER",
     re.compile(r"(?<![\d-])(?P<a>\d{3})([- ])(?P<g>\d{2})\2(?P<s>\d{4})(?![\d-])"), _ssn_ok, 0.9999, ""),
    # IRS: ITINs are 9XX-[50-65|70-88|90-92|94-99]-XXXX.
    ("US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
     re.compile(r"(?<![\d-])9\d{2}([- ])(?:5\d|6[0-5]|7\d|8[0-8]|9[0-2]|9[4-9])\1\d{4}(?![\d-])"),
     _always, 0.9999, ""),
    ("CA_SOCIAL_INSURANCE_NUMBER", re.compile(r"(?<![\d-])\d{3}([- ])\d{3}\1\d{3}(?![\d-])"), _sin_ok, 0.95, ""),
    ("PHONE", re.compile(
        r"(?<![\w+-])(?:"
        r"\+1[ .-]?\(?\d{3}\)?[ .-]?\d{3}[ .-]?\d{4}"            # +1 415 555 2671
        r"|\+[2-9]\d{0,2}(?:[ .-]?\d{1,4}){2,5}"                  # E.164: +44 20 7946 0958
        r"|(?:1[ .-])?\(\d{3}\)\s?\d{3}[ .-]?\d{4}"               # (415) 555-2671
        r"|(?:1[ .-])?\d{3}[.-]\d{3}[.-]\d{4}"                     # 415-555-2671, 415.555.2671
        r")(?![\w-])"), _phone_ok, 0.9999, ""),
    ("IP_ADDRESS", re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]|\.\d)"), _ipv4_ok, 0.9999, ""),
    ("IP_ADDRESS", re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])"),
     _ipv6_ok, 0.9999, ""),
    ("MAC_ADDRESS", re.compile(r"(?<![\w:-])[0-9A-Fa-f]{2}([:-])(?:[0-9A-Fa-f]{2}\1){4}[0-9A-Fa-f]{2}(?![\w:-])"),
     _always, 0.9999, ""),
    ("AWS_ACCESS_KEY", re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), _always, 0.9999, ""),
    ("AWS_SECRET_KEY", re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), _secret_ok, 0.9, ""),
    ("INTERNATIONAL_BANK_ACCOUNT_NUMBER",
     re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"), _iban_ok, 0.9999, ""),
    ("VEHICLE_IDENTIFICATION_NUMBER", re.compile(r"\b[A-HJ-NPR-Z0-9]{17}\b"), _vin_ok, 0.99, ""),
    # HMRC: prefix letters exclude D F I Q U V (and O second); BG GB KN NK NT TN ZZ are not issued.
    ("UK_NATIONAL_INSURANCE_NUMBER",
     re.compile(r"\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b"),
     _always, 0.99, ""),
    # Secrets without a format of their own: only after an explicit cue; the match is the value.
    ("PASSWORD", re.compile(r"(?i:\b(?:password|passwd|pwd)\b(?:\s+is\s*[:=]?|\s*[:=])\s*)(?P<v>[^\s,;'\"]{4,})"),
     _always, 0.9, "v"),
    ("USERNAME", re.compile(r"(?i:\b(?:user ?name|login|user id)\b(?:\s+is\s*[:=]?|\s*[:=])\s*)(?P<v>[A-Za-z0-9._-]{3,})"),
     _always, 0.9, "v"),
    ("PIN", re.compile(r"(?:\bPIN\b|\b[Pp]in (?:code|number)\b)(?:\s+is)?\s*[:=]?\s*(?P<v>\d{4,6})\b"),
     _always, 0.9, "v"),
    ("CREDIT_DEBIT_CARD_CVV", re.compile(r"\b(?:CVV2?|CVC2?|CSC)\b(?:\s+is)?\s*[:=]?\s*(?P<v>\d{3,4})\b"),
     _always, 0.9, "v"),
    ("CREDIT_DEBIT_CARD_EXPIRY",
     re.compile(r"(?i:\b(?:exp(?:iry|iration)?(?: date)?|expires|valid thru)\b\.?\s*[:=]?\s*)"
                r"(?P<v>(?:0[1-9]|1[0-2])\s?/\s?(?:\d{2}|20\d{2}))\b"), _always, 0.9, "v"),
    # ABA routing numbers: 9 digits whose weighted sum 3-7-1 is a multiple of 10, after a cue.
    ("US_BANK_ROUTING_NUMBER",
     re.compile(r"(?i:\b(?:routing|ABA)(?: (?:number|no\.?|#))?\s*[:=]?\s*)(?P<v>\d{9})\b"),
     lambda m: sum(int(d) * w for d, w in zip(m.group("v"), (3, 7, 1) * 3)) % 10 == 0, 0.95, "v"),
    ("US_BANK_ACCOUNT_NUMBER",
     re.compile(r"(?i:\b(?:bank )?account (?:number|no\.?|#)\s*[:=]?\s*)(?P<v>\d{6,17})\b"),
     _always, 0.9, "v"),
)

#: The types this module really recognises (the others are never reported).
SUPPORTED: frozenset[str] = frozenset({rec[0] for rec in _RECOGNISERS} | {"NAME", "ADDRESS"})

#: Guardrails name -> Amazon Comprehend ``PiiEntityType`` (botocore ``comprehend`` model), for
#: the supported types Comprehend also detects.
COMPREHEND_TYPES: dict[str, str] = {
    name: _c for name, _c in {
        "ADDRESS": "ADDRESS", "AWS_ACCESS_KEY": "AWS_ACCESS_KEY", "AWS_SECRET_KEY": "AWS_SECRET_KEY",
        "CA_SOCIAL_INSURANCE_NUMBER": "CA_SOCIAL_INSURANCE_NUMBER",
        "CREDIT_DEBIT_CARD_CVV": "CREDIT_DEBIT_CVV", "CREDIT_DEBIT_CARD_EXPIRY": "CREDIT_DEBIT_EXPIRY",
        "CREDIT_DEBIT_CARD_NUMBER": "CREDIT_DEBIT_NUMBER", "EMAIL": "EMAIL",
        "INTERNATIONAL_BANK_ACCOUNT_NUMBER": "INTERNATIONAL_BANK_ACCOUNT_NUMBER",
        "IP_ADDRESS": "IP_ADDRESS", "MAC_ADDRESS": "MAC_ADDRESS", "NAME": "NAME", "PASSWORD": "PASSWORD",
        "PHONE": "PHONE", "PIN": "PIN", "UK_NATIONAL_INSURANCE_NUMBER": "UK_NATIONAL_INSURANCE_NUMBER",
        "URL": "URL", "USERNAME": "USERNAME", "US_BANK_ACCOUNT_NUMBER": "BANK_ACCOUNT_NUMBER",
        "US_BANK_ROUTING_NUMBER": "BANK_ROUTING",
        "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER": "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER",
        "US_SOCIAL_SECURITY_NUMBER": "SSN", "VEHICLE_IDENTIFICATION_NUMBER": "VEHICLE_IDENTIFICATION_NUMBER",
    }.items() if name in SUPPORTED
}

# When two candidates overlap and have the same length, the earlier type in this order wins.
_PRIORITY = {name: i for i, name in enumerate(dict.fromkeys(
    ["URL", "EMAIL", "AWS_ACCESS_KEY", "INTERNATIONAL_BANK_ACCOUNT_NUMBER", "CREDIT_DEBIT_CARD_NUMBER",
     "US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", "US_SOCIAL_SECURITY_NUMBER", "CA_SOCIAL_INSURANCE_NUMBER",
     "MAC_ADDRESS", "IP_ADDRESS", "PHONE", "VEHICLE_IDENTIFICATION_NUMBER", "UK_NATIONAL_INSURANCE_NUMBER",
     "ADDRESS", "NAME"] + [rec[0] for rec in _RECOGNISERS]
))}


def _candidates(text: str, wanted: frozenset[str]) -> Iterator[Entity]:
    for name, pattern, ok, score, group in _RECOGNISERS:
        if name not in wanted:
            continue
        for m in pattern.finditer(text):
            if ok(m):
                g = group or 0
                yield Entity(name, m.start(g), m.end(g), score)
    if "NAME" in wanted:
        for b, e, s in _names(text):
            yield Entity("NAME", b, e, s)
    if "ADDRESS" in wanted:
        for b, e, s in _addresses(text):
            yield Entity("ADDRESS", b, e, s)


def find(text: str, types: Iterable[str] | None = None) -> list[Entity]:
    """The PII entities in ``text``, non-overlapping, sorted by ``begin``.

    ``types``: Guardrails type names to look for (None: all of :data:`SUPPORTED`); a name that
    is not a Guardrails PII type raises ``ValueError``; a known type that is not supported finds
    nothing. Of two overlapping matches the longer wins (equal lengths: the more specific type).
    """
    if types is None:
        wanted = SUPPORTED
    else:
        wanted = frozenset(types)
        unknown = sorted(wanted - set(ENTITY_TYPES))
        if unknown:
            raise ValueError(f"unknown PII entity type(s): {', '.join(unknown)}")
    ranked = sorted(_candidates(text, wanted),
                    key=lambda e: (-(e.end - e.begin), _PRIORITY.get(e.type, 99), e.begin))
    kept: list[Entity] = []
    for cand in ranked:
        if all(cand.end <= k.begin or cand.begin >= k.end for k in kept):
            kept.append(cand)
    return sorted(kept, key=lambda e: e.begin)
