"""The course's table of contents, generated from the notebook files themselves.

Notebooks are named ``NN_name.ipynb``; the title is the first ``# `` heading of the first
cell and the purpose is its italic line. A new notebook appears in the index without edits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .meta import notebooks_dir

__all__ = ["NotebookEntry", "discover", "toc_markdown", "show", "NAME_PATTERN"]

NAME_PATTERN = re.compile(r"^(?P<number>\d{2})_(?P<slug>[a-z0-9_]+)\.ipynb$")
_ITALIC = re.compile(r"^\s*(?:\*(?!\*)(?P<a>.+?)\*|_(?P<b>.+?)_)\s*$")


@dataclass(frozen=True)
class NotebookEntry:
    number: int
    filename: str
    title: str
    purpose: str


def _first_cell_text(path: Path) -> str:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cell = nb["cells"][0]
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return ""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def parse_opening(text: str) -> tuple[str, str]:
    """Title (first ``# `` heading) and purpose (first italic line) of a notebook's first cell."""
    title = purpose = ""
    for line in text.splitlines():
        if not title and line.startswith("# "):
            title = line[2:].strip()
        elif title and not purpose:
            match = _ITALIC.match(line)
            if match:
                purpose = (match.group("a") or match.group("b")).strip()
    return title, purpose


def discover(folder: Path | None = None) -> list[NotebookEntry]:
    """Every ``NN_name.ipynb`` in the notebooks folder, in number order."""
    folder = folder or notebooks_dir()
    entries = []
    for path in sorted(folder.glob("*.ipynb")):
        match = NAME_PATTERN.match(path.name)
        if not match:
            continue
        title, purpose = parse_opening(_first_cell_text(path))
        fallback = match.group("slug").replace("_", " ").capitalize()
        entries.append(NotebookEntry(int(match.group("number")), path.name, title or fallback, purpose))
    return entries


def toc_markdown(folder: Path | None = None) -> str:
    """A Markdown table linking every notebook, with its purpose line."""
    rows = ["| # | Notebook | What it is for |", "|---|---|---|"]
    for entry in discover(folder):
        rows.append(f"| {entry.number:02d} | [{entry.title}]({entry.filename}) | {entry.purpose} |")
    return "\n".join(rows)


def show(folder: Path | None = None) -> None:
    """Display the table of contents (Markdown in Jupyter, plain text elsewhere)."""
    from .display import show as display_show

    text = toc_markdown(folder)
    display_show(text, markdown=text)
