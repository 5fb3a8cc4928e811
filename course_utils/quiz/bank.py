"""Load the question bank, the flashcards and the drills; report every problem precisely.

:func:`load_bank` never loses good data to a bad entry: a malformed question is left out and
described by a :class:`Problem` naming its file, its id and the field at fault, while every other
question (in that file and in the others) still loads. ``strict=True`` raises :class:`BankError`
instead, listing all problems (the CLI and the tests use it).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..syllabus.loader import error_location

__all__ = ["Problem", "BankError", "Bank", "load_bank", "default_data_dir", "DOMAINS", "DATA_ENV_VAR"]

#: Exam domains and their weights in DVA-C03 (the same as ``data/syllabus.yaml``; a test keeps them equal).
DOMAINS: dict[int, tuple[str, float]] = {
    1: ("Development with AWS Services", 0.30),
    2: ("Security", 0.26),
    3: ("Testing and Deployment", 0.22),
    4: ("Troubleshooting and Optimization", 0.22),
}

_KINDS = {"questions": "questions", "flashcards": "cards", "drills": "drills"}


#: Environment variable naming another data folder (tests, authors trying a draft bank).
DATA_ENV_VAR = "DVA_COURSE_BANK"


def default_data_dir() -> Path:
    """The package's data folder (``course_utils/data``), or ``$DVA_COURSE_BANK`` when set."""
    override = os.environ.get(DATA_ENV_VAR, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a data file."""

    file: str
    id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.id:
            parts.append(self.id)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join(parts) + f": {self.message}"


class BankError(ValueError):
    """Raised by ``load_bank(strict=True)`` when any file has a problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the question bank:\n{lines}")


@dataclass
class Bank:
    """Questions, flashcards and drills that passed validation, plus the problems found."""

    questions: list = field(default_factory=list)
    flashcards: list = field(default_factory=list)
    drills: list = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    data_dir: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def question(self, qid: str):
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def drill(self, did: str):
        for d in self.drills:
            if d.id == did:
                return d
        raise KeyError(did)

    def problems_for(self, item_id: str) -> list[Problem]:
        return [p for p in self.problems if p.id == item_id]

    def select(
        self,
        ids: Iterable[str] | None = None,
        tags: Iterable[str] | None = None,
        domain: int | None = None,
        section: str | None = None,
    ) -> list:
        """Questions by id (in the order given), else by tag (any of them), domain and/or section.

        ``section`` is a notebook section such as ``"01_development#sqs"``: the questions whose
        ``section`` field links there, in bank order.
        """
        if ids is not None:
            wanted = list(ids)
            index = {q.id: q for q in self.questions}
            return [index[i] for i in wanted if i in index]
        tagset = {t.lower() for t in tags} if tags else None
        return [
            q
            for q in self.questions
            if (tagset is None or tagset & set(q.tags))
            and (domain is None or q.domain == domain)
            and (section is None or q.section == section)
        ]

    def stats(self) -> dict[str, Any]:
        """Counts per domain, type and tag; flashcards per domain; drills."""
        per_domain = Counter(q.domain for q in self.questions)
        per_type = Counter(q.type for q in self.questions)
        per_tag = Counter(t for q in self.questions for t in q.tags)
        per_task = Counter(q.task for q in self.questions)
        cards = Counter(c.domain for c in self.flashcards)
        drills = Counter(d.domain for d in self.drills)
        return {
            "questions": len(self.questions),
            "per_domain": {str(d): per_domain.get(d, 0) for d in DOMAINS},
            "per_type": {t: per_type.get(t, 0) for t in ("single", "multiple")},
            "per_tag": dict(sorted(per_tag.items(), key=lambda kv: (-kv[1], kv[0]))),
            "per_task": dict(sorted(per_task.items())),
            "flashcards": len(self.flashcards),
            "flashcards_per_domain": {str(d): cards.get(d, 0) for d in DOMAINS},
            "drills": len(self.drills),
            "drills_per_domain": {str(d): drills.get(d, 0) for d in DOMAINS},
            "problems": len(self.problems),
        }


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _yaml_load(text: str) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader


def parsed_cache_dir() -> Path:
    """Where parsed bank files are kept as JSON (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dva-course" / "bank"


def _load_data(path: Path) -> Any:
    """The YAML file's data, read through a JSON cache named by the file's SHA-256.

    Building Python objects from YAML costs about 30 ms per 1,000 lines even with libyaml; a
    notebook's first quiz pays it for the whole bank. JSON parses ten times faster, so the data
    of an unchanged file is read back from the cache. The cache is only written when the data
    survives a JSON round trip unchanged, and a missing, unreadable or corrupt cache entry just
    means the YAML is parsed again.
    """
    raw = path.read_bytes()
    cache = parsed_cache_dir() / f"{hashlib.sha256(raw).hexdigest()}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = _yaml_load(raw.decode("utf-8"))
    try:
        text = json.dumps(data, ensure_ascii=False)
        if json.loads(text) == data:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, cache)
    except (OSError, TypeError, ValueError):
        pass  # a read-only home or data JSON cannot hold: parse the YAML every time
    return data


def _skill_rules(item, file_domain: int | None, known: set[str]) -> list[tuple[str, str]]:
    """Every skill id exists in the syllabus; the first (primary) one belongs to the item's domain."""
    problems = []
    for index, skill in enumerate(item.skills):
        if skill not in known:
            problems.append((f"skills[{index}]", f"unknown skill id '{skill}': not in the DVA-C03 syllabus (course_utils/data/syllabus.yaml)"))
    domain = getattr(item, "domain", None) or file_domain
    first = item.skills[0]
    if domain is not None and first in known and int(first.split(".")[0]) != domain:
        problems.append((
            "skills[0]",
            f"the first skill is the primary skill and must belong to domain {domain}, got '{first}' (domain {first.split('.')[0]}); "
            "list a skill of this domain first",
        ))
    return problems


def _parse_file(path: Path, kind: str, model, rules, known_skills: set[str] | None = None) -> tuple[list, list[Problem]]:
    """Valid entries of one file and the problems of the rest."""
    from pydantic import ValidationError

    name = _display(path)
    list_key = _KINDS[kind]
    try:
        data = _load_data(path)
    except OSError as exc:
        return [], [Problem(name, None, None, f"cannot be read: {exc}")]
    except Exception as exc:  # yaml.YAMLError and its subclasses
        return [], [Problem(name, None, None, f"is not valid YAML: {exc}".replace("\n", " "))]
    if not isinstance(data, dict):
        return [], [Problem(name, None, None, f"must be a mapping with 'domain' and '{list_key}'")]
    problems: list[Problem] = []
    for key in sorted(set(data) - {"domain", list_key}):
        problems.append(Problem(name, None, str(key), "unknown top-level key"))
    file_domain = data.get("domain")
    if not (isinstance(file_domain, int) and not isinstance(file_domain, bool) and 1 <= file_domain <= 4):
        problems.append(Problem(name, None, "domain", f"the file's domain must be 1, 2, 3 or 4, got {file_domain!r}"))
        file_domain = None
    entries = data.get(list_key)
    if not isinstance(entries, list):
        problems.append(Problem(name, None, list_key, f"must be a list, got {type(entries).__name__}"))
        return [], problems
    good = []
    for index, entry in enumerate(entries):
        label = f"entry #{index + 1}"
        if isinstance(entry, dict) and isinstance(entry.get("id"), str) and entry["id"].strip():
            label = entry["id"].strip()
        if not isinstance(entry, dict):
            problems.append(Problem(name, label, None, "must be a mapping"))
            continue
        try:
            item = model.model_validate(entry)
        except ValidationError as exc:
            for err in exc.errors():
                problems.append(Problem(name, label, error_location(err["loc"]) or None, err["msg"]))
            continue
        found = [Problem(name, label, fld, msg) for fld, msg in (rules(item) if rules else [])]
        if known_skills is not None:
            found += [Problem(name, label, fld, msg) for fld, msg in _skill_rules(item, file_domain, known_skills)]
        item_domain = getattr(item, "domain", None)
        if file_domain is not None and item_domain is not None and item_domain != file_domain:
            where = "id" if kind == "flashcards" else "domain"
            found.append(Problem(name, label, where, f"domain {item_domain} differs from the file's domain {file_domain}"))
        if found:
            problems.extend(found)
            continue
        good.append(item)
    return good, problems


def _load(data_dir: Path) -> Bank:
    from .schema import Drill, Flashcard, Question, drill_rules, question_rules

    from ..syllabus.loader import SyllabusError, load_syllabus, syllabus_path

    bank = Bank(data_dir=data_dir)
    try:
        known: set[str] | None = load_syllabus(syllabus_path(data_dir)).skill_ids()
    except SyllabusError as exc:
        known = None
        bank.problems.extend(Problem(_display(exc.path), None, None, p) for p in exc.problems)
    specs = {
        "questions": (Question, question_rules, bank.questions),
        "flashcards": (Flashcard, None, bank.flashcards),
        "drills": (Drill, drill_rules, bank.drills),
    }
    for kind, (model, rules, target) in specs.items():
        folder = data_dir / kind
        seen: dict[str, str] = {}
        for path in sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml")):
            items, problems = _parse_file(path, kind, model, rules, known)
            bank.problems.extend(problems)
            name = _display(path)
            for item in items:
                if item.id in seen:
                    bank.problems.append(Problem(name, item.id, "id", f"duplicate id: already used in {seen[item.id]}"))
                    continue
                seen[item.id] = name
                target.append(item)
    return bank


_cache: dict[tuple[Path, Path], tuple[tuple, Bank]] = {}
_cache_lock = threading.Lock()


def _signature(data_dir: Path) -> tuple:
    sig = []
    for kind in _KINDS:
        for path in sorted((data_dir / kind).glob("*.y*ml")):
            try:
                st = path.stat()
            except OSError:
                continue
            sig.append((str(path), st.st_mtime_ns, st.st_size))
    from ..syllabus.loader import syllabus_path

    with contextlib.suppress(OSError):
        st = syllabus_path(data_dir).stat()
        sig.append(("syllabus", st.st_mtime_ns, st.st_size))
    return tuple(sig)


def load_bank(data_dir: str | os.PathLike | None = None, *, strict: bool = False) -> Bank:
    """Load ``questions/``, ``flashcards/`` and ``drills/`` under ``data_dir`` (default: package data).

    Returns a :class:`Bank` with the valid items and the list of problems; with ``strict=True``
    any problem raises :class:`BankError`. Results are cached until a file changes.
    """
    folder = (Path(data_dir) if data_dir is not None else default_data_dir()).resolve()
    key = (folder, Path.cwd())  # problems name files relative to the working directory
    signature = _signature(folder)
    with _cache_lock:
        cached = _cache.get(key)
        if cached and cached[0] == signature:
            bank = cached[1]
        else:
            bank = _load(folder)
            _cache[key] = (signature, bank)
    if strict and bank.problems:
        raise BankError(bank.problems)
    return bank
