"""What Amazon Bedrock Guardrails' ``ApplyGuardrail`` does with one guardrail version's policies.

AWS evaluates the content with machine-learning classifiers; this engine keeps AWS's documented
*rules* and replaces the classifiers with small deterministic stand-ins:

* **Content filters** (HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT, PROMPT_ATTACK): a phrase
  lexicon per category gives a confidence NONE/LOW/MEDIUM/HIGH (the highest phrase found; two
  different MEDIUM phrases make HIGH). AWS's rule for which confidences a strength blocks is
  kept exactly: LOW blocks HIGH; MEDIUM blocks MEDIUM and HIGH; HIGH blocks LOW, MEDIUM and
  HIGH; NONE blocks nothing
  (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-content-filters-overview.html).
  Prompt attacks are evaluated on ``INPUT`` only: CreateGuardrail requires the PROMPT_ATTACK
  output strength to be NONE
  (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-prompt-attack.html).
* **Denied topics**: a text matches a topic when it shares enough content words (lowercased,
  stop words removed, crude suffix stemming) with the topic: at least half of an example's
  words (and at least two, or its only word), or at least two words of ``name`` + ``definition``.
* **Word filters**: custom words/phrases match case-insensitively as whole words; the managed
  ``PROFANITY`` list is a short built-in list.
* **Sensitive information**: PII entities come from :func:`course_utils.rules.pii.find`;
  regexes are Python regular expressions. ANONYMIZE replaces a PII match with ``{TYPE}`` (e.g.
  ``{EMAIL}``, as in AWS's example "Hi, my name is {NAME}") and a regex match with ``{name}``
  (the regex's name in braces: not confirmed in AWS's documentation).

Precedence (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-independent-api.html):
any BLOCKED finding -> ``GUARDRAIL_INTERVENED`` with the blocked message as the single output;
otherwise any ANONYMIZED finding -> ``GUARDRAIL_INTERVENED`` with every text block returned masked;
otherwise ``NONE`` with an empty ``outputs`` list (findings whose action is NONE are reported in
the assessment only). ``usage`` counts text units of up to 1,000 characters per configured policy
(Amazon Bedrock pricing). Not evaluated: contextual grounding (``contextualGroundingPolicyConfig``),
automated reasoning, image blocks (counted in ``guardrailCoverage.images`` only), and
``qualifiers`` (every text block is guarded).
"""

from __future__ import annotations

import math
import re
import time
from typing import Any, Mapping, Sequence

from . import pii

__all__ = [
    "FILTER_TYPES", "STRENGTHS", "PROMPT_ATTACK_OUTPUT_MESSAGE", "evaluate", "check_policy",
    "blocked_message", "classify", "blocks", "topic_matches",
]

FILTER_TYPES = ("SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK")
STRENGTHS = ("NONE", "LOW", "MEDIUM", "HIGH")
TEXT_UNIT = 1000  # characters per text unit (Amazon Bedrock pricing: https://aws.amazon.com/bedrock/pricing/)

#: AWS's message when a PROMPT_ATTACK filter has an output strength other than NONE.
PROMPT_ATTACK_OUTPUT_MESSAGE = "PROMPT ATTACK content filter strength for response must be NONE"

_BLOCKED_CONFIDENCES = {
    "NONE": frozenset(),
    "LOW": frozenset({"HIGH"}),
    "MEDIUM": frozenset({"MEDIUM", "HIGH"}),
    "HIGH": frozenset({"LOW", "MEDIUM", "HIGH"}),
}


def blocks(strength: str, confidence: str) -> bool:
    """AWS's table: does a filter of ``strength`` filter content classified with ``confidence``?"""
    return confidence in _BLOCKED_CONFIDENCES.get(strength, frozenset())


# --- the stand-in classifier ------------------------------------------------------------------------

_LEXICON: dict[str, tuple[tuple[str, str], ...]] = {
    "VIOLENCE": (
        (r"(?:i(?:'ll| will| am going to|'m going to)|gonna) (?:kill|hurt|stab|shoot|beat up) (?:you|him|her|them)", "HIGH"),
        (r"kill (?:you|him|her|them|everyone)", "HIGH"),
        (r"(?:murder|massacre|behead|slaughter)\w*", "MEDIUM"),
        (r"(?:stab|shoot|strangle|torture)\w*", "MEDIUM"),
        (r"(?:punch|kick|hit|fight|attack|weapon)\w*", "LOW"),
    ),
    "INSULTS": (
        (r"you(?:'re| are) (?:a |an )?(?:worthless|pathetic|disgusting) (?:idiot|moron|loser|piece of \w+)", "HIGH"),
        (r"you(?:'re| are) (?:so |such )?(?:a |an )?(?:worthless|pathetic|useless)", "MEDIUM"),
        (r"(?:idiot|moron|imbecile|loser)s?", "MEDIUM"),
        (r"(?:stupid|dumb|ugly|lame)", "LOW"),
    ),
    "HATE": (
        (r"(?:subhuman|vermin|inferior race)", "HIGH"),
        (r"(?:go back to your (?:own )?country)", "HIGH"),
        (r"all \w+ (?:people )?(?:are|should be) (?:inferior|animals|criminals|banned|deported)", "HIGH"),
        (r"(?:i )?hate (?:all )?(?:immigrants|foreigners|muslims|christians|jews|women|men|gays)", "HIGH"),
        (r"(?:those|these) people are", "LOW"),
    ),
    "SEXUAL": (
        (r"(?:explicit sex|sexually explicit|porn\w*|have sex with)", "HIGH"),
        (r"(?:nude|naked|erotic|sexy|orgasm)\w*", "MEDIUM"),
        (r"(?:sexual|seductive|lingerie|flirt)\w*", "LOW"),
    ),
    "MISCONDUCT": (
        (r"how (?:do i |to |can i )?(?:make|build) (?:a )?(?:bomb|explosive|meth|poison)", "HIGH"),
        (r"how (?:do i |to |can i )?(?:steal|launder money|shoplift|hotwire|hack into)", "HIGH"),
        (r"(?:hack into|launder\w* money|shoplift\w*|counterfeit\w*|illegal drugs|evade taxes)", "MEDIUM"),
        (r"(?:steal|cheat on|bribe|smuggl)\w*", "LOW"),
    ),
    "PROMPT_ATTACK": (
        (r"ignore (?:all |any )?(?:the )?(?:previous|prior|earlier|above|preceding) (?:instructions|prompts?|rules|directions)", "HIGH"),
        (r"ignore everything (?:earlier|before|above)", "HIGH"),
        (r"disregard (?:all |any )?(?:your|the|previous|prior) (?:system prompt|instructions|rules)", "HIGH"),
        (r"you are now (?:dan|in developer mode|an unrestricted)", "HIGH"),
        (r"do anything now", "HIGH"),
        (r"(?:reveal|print|repeat|show me) (?:your|the) (?:system prompt|hidden instructions|initial instructions)", "HIGH"),
        (r"(?:jailbreak|developer mode|without any restrictions)", "MEDIUM"),
        (r"(?:pretend|act as if) you (?:are|have) no (?:rules|restrictions|filters)", "MEDIUM"),
        (r"(?:pretend to be|roleplay as|you are no longer)", "LOW"),
    ),
}
_COMPILED = {
    category: tuple((re.compile(rf"(?<!\w){pattern}(?!\w)", re.IGNORECASE), level) for pattern, level in rules)
    for category, rules in _LEXICON.items()
}
_RANK = {level: i for i, level in enumerate(STRENGTHS)}


def classify(text: str) -> dict[str, str]:
    """The stand-in classifier: each content-filter category's confidence for ``text``."""
    result: dict[str, str] = {}
    for category, rules in _COMPILED.items():
        found = [(level, m.group(0).lower()) for pattern, level in rules for m in pattern.finditer(text)]
        best = max((level for level, _ in found), key=_RANK.__getitem__, default="NONE")
        if best == "MEDIUM" and len({phrase for level, phrase in found if level == "MEDIUM"}) >= 2:
            best = "HIGH"
        result[category] = best
    return result


# --- denied topics ----------------------------------------------------------------------------------

_STOP = frozenset(
    """a an the and or but if then so of to in on at by for with about from into over under as is are
    was were be been being am do does did doing have has had having i me my we our you your he him his
    she her it its they them their this that these those what which who whom whose when where why how
    can could should would will shall may might must not no yes any all some more most other such own
    same than too very just also only there here up down out off again further once each few both
    please tell give get let make know want need like okay ok hi hello thanks thank
    question questions information advice help provide providing related topic topics anything
    something about regarding including include includes discuss discussion talk""".split()
)


def _stem(word: str) -> str:
    for suffix in ("ments", "ment", "ings", "ing", "ions", "ion", "ies", "ed", "es", "ly", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _content_words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP and len(w) > 1}


def topic_matches(topic: Mapping[str, Any], text: str) -> bool:
    """The stand-in topic classifier (deterministic; see the module docstring for the rule)."""
    words = _content_words(text)
    if not words:
        return False
    for example in topic.get("examples") or ():
        ex = _content_words(example)
        shared = len(words & ex)
        if ex and shared >= max(math.ceil(len(ex) / 2), min(2, len(ex))):
            return True
    definition = _content_words(f"{topic.get('name', '')} {topic.get('definition', '')}")
    return len(words & definition) >= 2


# --- word filters -----------------------------------------------------------------------------------

_PROFANITY = ("fuck", "fucking", "shit", "bullshit", "bitch", "bastard", "asshole", "dickhead", "damn", "crap",
              "piss", "wanker", "bollocks")


def _word_pattern(phrase: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in phrase.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)", re.IGNORECASE)


# --- per-source settings ----------------------------------------------------------------------------


def _side(source: str) -> str:
    return "input" if source == "INPUT" else "output"


def _enabled(cfg: Mapping[str, Any], source: str) -> bool:
    return cfg.get(f"{_side(source)}Enabled", True) is not False


def _action(cfg: Mapping[str, Any], source: str, default: str = "BLOCK") -> str:
    return str(cfg.get(f"{_side(source)}Action") or cfg.get("action") or default)


_PAST = {"BLOCK": "BLOCKED", "ANONYMIZE": "ANONYMIZED", "NONE": "NONE"}


def blocked_message(policy: Mapping[str, Any], source: str) -> str:
    """The guardrail's blocked message for ``source`` (``INPUT`` or ``OUTPUT``)."""
    key = "blockedInputMessaging" if source == "INPUT" else "blockedOutputsMessaging"
    return str(policy.get(key, ""))


# --- evaluate ---------------------------------------------------------------------------------------


def _texts(content: Sequence[Mapping[str, Any]]) -> list[str | None]:
    out: list[str | None] = []
    for block in content:
        text = block.get("text")
        out.append(str(text.get("text", "")) if isinstance(text, Mapping) else None)
    return out


def _units(texts: Sequence[str]) -> int:
    return sum(math.ceil(len(t) / TEXT_UNIT) for t in texts)


def evaluate(policy: Mapping[str, Any], content: Sequence[Mapping[str, Any]], source: str, *,
             output_scope: str = "INTERVENTIONS") -> dict[str, Any]:
    """ApplyGuardrail's response for ``content`` checked against ``policy`` (CreateGuardrail's shape)."""
    started = time.perf_counter()
    full = output_scope == "FULL"
    blocks_ = _texts(content)
    texts = [t for t in blocks_ if t is not None]
    joined = "\n".join(texts)
    assessment: dict[str, Any] = {}
    spans: list[tuple[int, int, int, str]] = []  # (block index, begin, end, replacement)

    topics_cfg = [t for t in (policy.get("topicPolicyConfig") or {}).get("topicsConfig") or () if _enabled(t, source)]
    topics = []
    for topic in topics_cfg:
        hit = any(topic_matches(topic, t) for t in texts)
        action = _PAST.get(_action(topic, source), "BLOCKED") if hit else "NONE"
        if hit or full:
            topics.append({"name": topic["name"], "type": topic.get("type", "DENY"), "action": action, "detected": hit})
    if topics:
        assessment["topicPolicy"] = {"topics": topics}

    filters_cfg = [f for f in (policy.get("contentPolicyConfig") or {}).get("filtersConfig") or () if _enabled(f, source)]
    filters = []
    confidences = classify(joined) if filters_cfg else {}
    for f in filters_cfg:
        strength = str(f.get(f"{_side(source)}Strength", "NONE"))
        if f["type"] == "PROMPT_ATTACK" and source != "INPUT":
            strength = "NONE"  # prompt attacks are an input-only check
        confidence = confidences.get(f["type"], "NONE")
        hit = blocks(strength, confidence)
        action = _PAST.get(_action(f, source), "BLOCKED") if hit else "NONE"
        if hit or full:
            filters.append({"type": f["type"], "confidence": confidence, "filterStrength": strength,
                            "action": action, "detected": hit})
    if filters:
        assessment["contentPolicy"] = {"filters": filters}

    word_cfg = policy.get("wordPolicyConfig") or {}
    custom, managed = [], []
    for w in word_cfg.get("wordsConfig") or ():
        if _enabled(w, source):
            for t in texts:
                for m in _word_pattern(w["text"]).finditer(t):
                    custom.append({"match": m.group(0), "action": _PAST.get(_action(w, source), "BLOCKED"), "detected": True})
    for lst in word_cfg.get("managedWordListsConfig") or ():
        if _enabled(lst, source) and lst.get("type", "PROFANITY") == "PROFANITY":
            for word in _PROFANITY:
                for t in texts:
                    for m in _word_pattern(word).finditer(t):
                        managed.append({"match": m.group(0), "type": "PROFANITY",
                                        "action": _PAST.get(_action(lst, source), "BLOCKED"), "detected": True})
    if custom or managed:
        assessment["wordPolicy"] = {"customWords": custom, "managedWordLists": managed}

    sens_cfg = policy.get("sensitiveInformationPolicyConfig") or {}
    pii_cfg = {e["type"]: e for e in sens_cfg.get("piiEntitiesConfig") or () if _enabled(e, source)}
    regex_cfg = [r for r in sens_cfg.get("regexesConfig") or () if _enabled(r, source)]
    pii_found, regex_found = [], []
    for index, t in enumerate(blocks_):
        if t is None:
            continue
        for ent in pii.find(t, pii_cfg) if pii_cfg else ():
            action = _PAST.get(_action(pii_cfg[ent.type], source), "NONE")
            pii_found.append({"match": t[ent.begin:ent.end], "type": ent.type, "action": action, "detected": True})
            if action == "ANONYMIZED":
                spans.append((index, ent.begin, ent.end, "{" + ent.type + "}"))
        for r in regex_cfg:
            try:
                pattern = re.compile(r["pattern"])
            except re.error:
                continue
            for m in pattern.finditer(t):
                if m.end() == m.start():
                    continue
                action = _PAST.get(_action(r, source), "NONE")
                regex_found.append({"name": r["name"], "match": m.group(0), "regex": r["pattern"],
                                    "action": action, "detected": True})
                if action == "ANONYMIZED":
                    spans.append((index, m.start(), m.end(), "{" + r["name"] + "}"))
    if pii_found or regex_found:
        assessment["sensitiveInformationPolicy"] = {"piiEntities": pii_found, "regexes": regex_found}

    findings = [*topics, *filters, *custom, *managed, *pii_found, *regex_found]
    if any(f["action"] == "BLOCKED" for f in findings):
        action, outputs = "GUARDRAIL_INTERVENED", [{"text": blocked_message(policy, source)}]
    elif any(f["action"] == "ANONYMIZED" for f in findings):
        action, outputs = "GUARDRAIL_INTERVENED", [{"text": _mask(t, index, spans)} for index, t in enumerate(blocks_)
                                                  if t is not None]
    else:
        action, outputs = "NONE", []

    units = _units(texts)
    usage = {
        "topicPolicyUnits": units if topics_cfg else 0,
        "contentPolicyUnits": units if filters_cfg else 0,
        "wordPolicyUnits": units if (word_cfg.get("wordsConfig") or word_cfg.get("managedWordListsConfig")) else 0,
        "sensitiveInformationPolicyUnits": units if pii_cfg else 0,
        "sensitiveInformationPolicyFreeUnits": units if regex_cfg else 0,
        "contextualGroundingPolicyUnits": 0,
    }
    images = sum(1 for block in content if "image" in block)
    coverage: dict[str, Any] = {"textCharacters": {"guarded": sum(map(len, texts)), "total": sum(map(len, texts))}}
    if images:
        coverage["images"] = {"guarded": 0, "total": images}
    assessment["invocationMetrics"] = {
        "guardrailProcessingLatency": int((time.perf_counter() - started) * 1000),
        "usage": dict(usage),
        "guardrailCoverage": coverage,
    }
    return {"usage": usage, "action": action, "outputs": outputs, "assessments": [assessment],
            "guardrailCoverage": coverage}


def _mask(text: str, index: int, spans: list[tuple[int, int, int, str]]) -> str:
    kept: list[tuple[int, int, str]] = []
    for _, begin, end, repl in sorted((s for s in spans if s[0] == index), key=lambda s: (s[1], -(s[2] - s[1]))):
        if kept and begin < kept[-1][1]:
            continue  # overlaps a span already masked
        kept.append((begin, end, repl))
    for begin, end, repl in reversed(kept):
        text = text[:begin] + repl + text[end:]
    return text


# --- check_policy -----------------------------------------------------------------------------------


def _too_long(path: str, limit: int) -> str:
    return (f"1 validation error detected: Value at '{path}' failed to satisfy constraint: "
            f"Member must have length less than or equal to {limit}")


def check_policy(policy: Mapping[str, Any]) -> list[str]:
    """Problems AWS rejects with ValidationException in a CreateGuardrail/UpdateGuardrail request.

    Lengths and counts are the ``max`` constraints of botocore's ``bedrock`` model (botocore does
    not check them client-side); topic definitions may be 1,000 characters with the STANDARD tier
    (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-tiers.html).
    """
    problems: list[str] = []
    for key in ("blockedInputMessaging", "blockedOutputsMessaging"):
        if len(str(policy.get(key, ""))) > 500:
            problems.append(_too_long(key, 500))
    topic_policy = policy.get("topicPolicyConfig") or {}
    topics = topic_policy.get("topicsConfig") or []
    if len(topics) > 30:
        problems.append(_too_long("topicPolicyConfig.topicsConfig", 30))
    tier = (topic_policy.get("tierConfig") or {}).get("tierName", "CLASSIC")
    limit = 1000 if tier == "STANDARD" else 200
    for i, topic in enumerate(topics, 1):
        base = f"topicPolicyConfig.topicsConfig.{i}.member"
        if len(topic.get("name", "")) > 100:
            problems.append(_too_long(f"{base}.name", 100))
        if len(topic.get("definition", "")) > limit:
            problems.append(_too_long(f"{base}.definition", limit))
        examples = topic.get("examples") or []
        if len(examples) > 5:
            problems.append(_too_long(f"{base}.examples", 5))
        for j, example in enumerate(examples, 1):
            if len(example) > 100:
                problems.append(_too_long(f"{base}.examples.{j}.member", 100))
    filters = (policy.get("contentPolicyConfig") or {}).get("filtersConfig") or []
    if len(filters) > 6:
        problems.append(_too_long("contentPolicyConfig.filtersConfig", 6))
    for f in filters:
        if f.get("type") == "PROMPT_ATTACK" and f.get("outputStrength", "NONE") != "NONE":
            problems.append(PROMPT_ATTACK_OUTPUT_MESSAGE)
    words = (policy.get("wordPolicyConfig") or {}).get("wordsConfig") or []
    if len(words) > 10000:
        problems.append(_too_long("wordPolicyConfig.wordsConfig", 10000))
    for i, word in enumerate(words, 1):
        if len(word.get("text", "")) > 100:
            problems.append(_too_long(f"wordPolicyConfig.wordsConfig.{i}.member.text", 100))
    regexes = (policy.get("sensitiveInformationPolicyConfig") or {}).get("regexesConfig") or []
    if len(regexes) > 30:
        problems.append(_too_long("sensitiveInformationPolicyConfig.regexesConfig", 30))
    for i, r in enumerate(regexes, 1):
        base = f"sensitiveInformationPolicyConfig.regexesConfig.{i}.member"
        for field, max_len in (("name", 100), ("pattern", 500), ("description", 1000)):
            if len(str(r.get(field, ""))) > max_len:
                problems.append(_too_long(f"{base}.{field}", max_len))
    return problems
