"""What goes on the cheat sheet: the course's own data, grouped by task statement.

Sources: the syllabus (exam facts, domains, task statements), the flashcards whose answer holds a
figure, and the drills' comparison tables (``data/``), and the ``> 💡 **Exam tip:**`` blockquotes of the domain notebooks,
each filed under the task statement its section's ``*Exam guide:*`` line names most often.
Nothing here draws: :mod:`course_utils.cheatsheet_pdf` lays the result out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CheatSheetError", "Tip", "Card", "Table", "TaskBlock", "DomainBlock", "Sheet", "collect", "plain_text", "notebook_tips"]

#: The domain notebooks whose exam tips go on the sheet.
TIP_NOTEBOOKS = "0[1-4]_*.ipynb"
#: A flashcard goes on the sheet when its answer holds a figure (a number: limits, sizes, dates).
_FIGURE = re.compile(r"\d")
_TIP_START = re.compile(r"^>\s*💡\s*\*\*Exam tip:\*\*\s*", re.M)


class CheatSheetError(ValueError):
    """A data file or notebook the cheat sheet is built from is missing or malformed."""


@dataclass(frozen=True)
class Tip:
    text: str
    section: str  # the section's title
    ref: str  # "01_development#lambda-basics"


@dataclass(frozen=True)
class Card:
    front: str
    back: str


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]


@dataclass
class TaskBlock:
    id: str
    title: str
    tips: list[Tip] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"Task {self.id}: {self.title}"


@dataclass
class DomainBlock:
    number: int
    name: str
    weight: int
    tasks: list[TaskBlock]


@dataclass
class Sheet:
    exam_code: str
    exam_name: str
    built: dt.date
    facts: list[tuple[str, str, bool]]  # label, value, confirmed for this exam version
    domains: list[DomainBlock]

    @property
    def tasks(self) -> list[TaskBlock]:
        return [t for d in self.domains for t in d.tasks]


_LINK = re.compile(r"\[([^\]]+)\]\([^)\s]*\)")
_STRONG = re.compile(r"\*\*(.+?)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])")
_TAG = re.compile(r"</?[a-zA-Z][^>]*>")


def plain_text(markdown: str) -> str:
    """Markdown as one plain paragraph: no blockquote marks, emphasis, code ticks, links or tags."""
    lines = [re.sub(r"^\s*>\s?", "", line) for line in markdown.splitlines()]
    text = " ".join(line.strip() for line in lines if line.strip())
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _STRONG.sub(r"\1", text)
    text = _EM.sub(r"\1", text)
    text = text.replace("`", "")
    return re.sub(r"\s+", " ", text).strip()


def _task_of(skills: list[str], notebook_domain: int | None) -> str | None:
    """The task a section's skills name most often (a tie goes to the notebook's own domain)."""
    counts = Counter(sid.rsplit(".", 1)[0] for sid in skills)
    if not counts:
        return None
    best = max(counts.values())
    tied = [task for task in dict.fromkeys(sid.rsplit(".", 1)[0] for sid in skills) if counts[task] == best]
    own = [task for task in tied if notebook_domain is not None and task.startswith(f"{notebook_domain}.")]
    return (own or tied)[0]


def notebook_tips(path: Path) -> list[tuple[list[str], Tip]]:
    """(section skills, tip) for every exam tip of one notebook, in order.

    Raises :class:`CheatSheetError` when the file is not a readable notebook.
    """
    from .syllabus.coverage import _GUIDE_LINK, _HEADING, _NEXT_SECTION, GUIDE_LINE, cell_source

    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        cells = nb["cells"]
        if not isinstance(cells, list):
            raise TypeError("'cells' is not a list")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheatSheetError(f"{path}: not a readable notebook: {exc}") from None
    out: list[tuple[list[str], Tip]] = []
    skills: list[str] = []
    title, anchor = "", ""
    for cell in cells:
        if not isinstance(cell, dict) or cell.get("cell_type") != "markdown":
            continue
        text = cell_source(cell)
        heading = _HEADING.search(text)
        if heading:
            title, anchor = heading["title"].strip(), heading["anchor"]
            guide = GUIDE_LINE.search(text)
            skills = [m["id"] for m in _GUIDE_LINK.finditer(guide["links"])] if guide else []
        elif _NEXT_SECTION.search(text):
            skills, title, anchor = [], "", ""
        for start in _TIP_START.finditer(text):
            block = []
            for line in text[start.end():].splitlines():  # the quote runs to a blank line (lazy continuation)
                if block and (not line.strip() or re.match(r"\s*>\s*(💡|🧪)", line)):
                    break
                block.append(line)
            tip = plain_text("\n".join(block))
            if tip and skills:
                out.append((list(skills), Tip(tip, title, f"{Path(path).stem}#{anchor}")))
    return out


def collect(*, data_dir: Path | None = None, notebooks: Path | None = None, built: dt.date | None = None) -> Sheet:
    """The sheet's content from the syllabus, bank and notebooks (defaults: the course's own).

    Raises :class:`CheatSheetError` naming the file at fault when a source is malformed.
    """
    from .meta import notebooks_dir
    from .quiz.bank import BankError, default_data_dir, load_bank
    from .syllabus.loader import SyllabusError, load_syllabus, syllabus_path

    data = Path(data_dir) if data_dir is not None else default_data_dir()
    try:
        syllabus = load_syllabus(syllabus_path(data))
    except SyllabusError as exc:
        raise CheatSheetError(str(exc)) from None
    try:
        bank = load_bank(data, strict=True)
    except BankError as exc:
        raise CheatSheetError(str(exc)) from None
    folder = Path(notebooks) if notebooks is not None else notebooks_dir()
    paths = sorted(folder.glob(TIP_NOTEBOOKS))
    if not paths:
        raise CheatSheetError(f"{folder}: no domain notebooks ({TIP_NOTEBOOKS}) to take exam tips from")

    blocks = {t.id: TaskBlock(t.id, t.title) for t in syllabus.tasks}
    for path in paths:
        domain = int(path.name[:2]) if path.name[:2].isdigit() else None
        for skills, tip in notebook_tips(path):
            task = _task_of(skills, domain)
            if task in blocks:
                blocks[task].tips.append(tip)
    for card in bank.flashcards:
        task = card.skills[0].rsplit(".", 1)[0]
        if task in blocks and _FIGURE.search(card.back):
            blocks[task].cards.append(Card(plain_text(card.front), plain_text(card.back)))
    for drill in bank.drills:
        task = drill.skills[0].rsplit(".", 1)[0]
        if task in blocks:
            c = drill.comparison
            blocks[task].tables.append(Table(plain_text(drill.title), [plain_text(x) for x in c.columns], [[plain_text(x) for x in row] for row in c.rows]))
    domains = [
        DomainBlock(d.number, d.name, d.weight, [blocks[t.id] for t in d.tasks])
        for d in syllabus.domains
    ]
    facts = [(f.label, f.value, f.confirmed_c03) for f in syllabus.facts]
    return Sheet(syllabus.exam.code, syllabus.exam.name, built or dt.datetime.now(dt.timezone.utc).date(), facts, domains)
