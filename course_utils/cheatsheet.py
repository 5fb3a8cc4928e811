"""A printable cheat sheet (PDF) of the course's key figures, exam tips and comparisons.

    python -m course_utils cheatsheet                       # build/dva-c03-cheatsheet.pdf
    python -m course_utils cheatsheet -o sheet.pdf --date 2026-12-04
    make cheatsheet

Content comes from the course's own data, grouped by DVA-C03 task statement: the syllabus's exam
facts and domains, the ``> 💡 **Exam tip:**`` cells of notebooks 01-04, the flashcards and the
drills' comparison tables (:mod:`course_utils.cheatsheet_content`); :mod:`course_utils.cheatsheet_pdf`
lays it out. A malformed data file or notebook stops the build with a message naming it (exit 1),
and the PDF is written atomically: a finished file or none.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from .cheatsheet_content import CheatSheetError

__all__ = ["CheatSheetError", "Built", "build_cheatsheet", "default_output", "register", "run"]


@dataclass(frozen=True)
class Built:
    """What :func:`build_cheatsheet` wrote."""

    path: Path
    pages: int
    tasks: int
    tips: int
    cards: int
    tables: int


def default_output() -> Path:
    """``build/dva-c03-cheatsheet.pdf`` in the course checkout."""
    return Path(__file__).resolve().parent.parent / "build" / "dva-c03-cheatsheet.pdf"


def build_cheatsheet(output: str | os.PathLike | None = None, *, built: dt.date | None = None,
                     data_dir: str | os.PathLike | None = None, notebooks: str | os.PathLike | None = None) -> Built:
    """Build the PDF at ``output`` (default :func:`default_output`), dated ``built`` (default: today, UTC).

    ``data_dir`` holds ``syllabus.yaml``, ``flashcards/`` and ``drills/`` (default: the package's);
    ``notebooks`` the ``0[1-4]_*.ipynb`` notebooks. Raises :class:`CheatSheetError` when a source
    is malformed or the file cannot be written; an existing file at ``output`` is then left as it was.
    """
    from .cheatsheet_content import collect
    from .cheatsheet_pdf import render_pdf

    sheet = collect(data_dir=Path(data_dir) if data_dir else None, notebooks=Path(notebooks) if notebooks else None, built=built)
    target = Path(output) if output else default_output()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        pages = render_pdf(sheet, target)
    except OSError as exc:
        raise CheatSheetError(f"{target}: cannot be written: {exc.strerror or exc}") from None
    tasks = sheet.tasks
    return Built(target, pages, len(tasks), sum(len(t.tips) for t in tasks), sum(len(t.cards) for t in tasks),
                 sum(len(t.tables) for t in tasks))


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def run(args: argparse.Namespace) -> int:
    """The ``cheatsheet`` subcommand: 0 when the PDF is written, 1 when a source is malformed."""
    try:
        result = build_cheatsheet(args.output, built=args.date, data_dir=args.data, notebooks=args.notebooks)
    except CheatSheetError as exc:
        print(f"cheatsheet: {exc}", file=sys.stderr)
        print("cheatsheet: nothing written", file=sys.stderr)
        return 1
    print(f"wrote {result.path}: {result.pages} pages, {result.tasks} task statements, {result.tips} exam tips, "
          f"{result.cards} flashcards, {result.tables} comparison tables")
    return 0


def register(sub) -> None:
    """Add the ``cheatsheet`` subcommand to the course CLI's subparsers."""
    p = sub.add_parser("cheatsheet", help="build a printable PDF cheat sheet (key figures, exam tips, comparisons)")
    p.add_argument("-o", "--output", help="the PDF to write (default: build/dva-c03-cheatsheet.pdf)")
    p.add_argument("--date", type=_date, help="the build date printed on the sheet (default: today, UTC)")
    p.add_argument("--data", help="data folder with syllabus.yaml, flashcards/ and drills/ (default: the course's)")
    p.add_argument("--notebooks", help="notebooks folder (default: found from the working directory)")
    p.set_defaults(func=run)
