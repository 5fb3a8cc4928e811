"""Lay a :class:`~course_utils.cheatsheet_content.Sheet` out on A4 pages and write it as a PDF.

Matplotlib's PDF backend draws the text (no other dependency). Fonts are embedded as TrueType
(``pdf.fonttype`` 42) with a ToUnicode map, so viewers can search and copy the text and
``→ ≤ é`` survive. Lines are wrapped by the font's own advance widths; headings are kept with
what follows; tables break between rows. Characters the font lacks become ``?``.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .cheatsheet_content import Sheet, Table

__all__ = ["PAGE_SIZE", "render_pdf", "layout_pages", "wrap"]

#: A4 in points.
PAGE_SIZE = (595.28, 841.89)
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 40.0, 44.0, 46.0
BODY = 7.6
LEADING = 1.28
_FONTS = {"regular": "DejaVuSans.ttf", "bold": "DejaVuSans-Bold.ttf", "oblique": "DejaVuSans-Oblique.ttf"}
GREY, ACCENT, INK = "#555555", "#1f4e79", "#111111"


@dataclass(frozen=True)
class Op:
    """One line of text (or a rule when ``text`` is empty) at ``x, y`` points from the bottom left."""

    x: float
    y: float
    text: str
    font: str = "regular"
    size: float = BODY
    color: str = INK
    rule_to: float = 0.0  # a horizontal rule from x to rule_to


def _font_path(font: str) -> str:
    import matplotlib

    return os.path.join(matplotlib.get_data_path(), "fonts", "ttf", _FONTS[font])


@lru_cache(maxsize=None)
def _metrics(font: str) -> tuple[dict[int, float], float]:
    """Advance width per code point at 1 pt, and the width used for anything else."""
    from matplotlib.ft2font import FT2Font

    ft = FT2Font(_font_path(font))
    ft.set_size(100, 72)
    widths: dict[int, float] = {}
    for code in ft.get_charmap():
        glyph = ft.load_char(code)
        widths[code] = glyph.linearHoriAdvance / 65536 / 100
    return widths, widths.get(ord("?"), 0.55)


def clean(text: str, font: str = "regular") -> str:
    """``text`` with every character the font cannot draw replaced by ``?`` (tabs become spaces)."""
    widths, _ = _metrics(font)
    return "".join(ch if ord(ch) in widths else (" " if ch in "\t\n\r" else "?") for ch in text)


def width(text: str, font: str = "regular", size: float = BODY) -> float:
    widths, other = _metrics(font)
    return sum(widths.get(ord(ch), other) for ch in text) * size


def wrap(text: str, max_width: float, font: str = "regular", size: float = BODY) -> list[str]:
    """Greedy word wrap to ``max_width`` points; a word longer than a line is cut."""
    lines: list[str] = []
    line = ""
    for word in clean(text, font).split():
        while width(word, font, size) > max_width:  # cut an over-long word (a URL, an ARN)
            cut = len(word)
            while cut > 1 and width(word[:cut], font, size) > max_width:
                cut -= 1
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and width(candidate, font, size) > max_width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


class _Layout:
    """A cursor running down the pages, collecting :class:`Op` per page."""

    def __init__(self) -> None:
        self.pages: list[list[Op]] = [[]]
        self.top = PAGE_SIZE[1] - MARGIN_TOP
        self.y = self.top
        self.left, self.right = MARGIN_X, PAGE_SIZE[0] - MARGIN_X

    def room(self, height: float) -> None:
        if self.y - height < MARGIN_BOTTOM:
            self.pages.append([])
            self.y = self.top

    def gap(self, points: float) -> None:
        if self.y != self.top:
            self.y -= points

    def para(self, text: str, *, font: str = "regular", size: float = BODY, color: str = INK, indent: float = 0.0,
             bullet: str = "", keep: float = 0.0) -> None:
        """A wrapped paragraph; ``bullet`` hangs left of the indent; ``keep`` reserves room below."""
        x = self.left + indent
        lines = wrap(text, self.right - x, font, size)
        step = size * LEADING
        if keep:  # a heading: all its lines and ``keep`` below on one page
            self.room(step * len(lines) + keep)
        for i, line in enumerate(lines):
            self.room(step + (keep if i == len(lines) - 1 else 0.0))
            self.y -= step
            if i == 0 and bullet:
                self.pages[-1].append(Op(x - width(bullet + " ", font, size), self.y, bullet, font, size, color))
            self.pages[-1].append(Op(x, self.y, line, font, size, color))

    def rule(self, color: str = "#999999") -> None:
        self.room(3)
        self.y -= 3
        self.pages[-1].append(Op(self.left, self.y, "", color=color, rule_to=self.right))

    def table(self, table: Table) -> None:
        size = BODY - 0.6
        step = size * LEADING
        self.para(table.title, font="bold", size=BODY, keep=4 * step)
        n = len(table.columns)
        rows = [list(r) + [""] * (n - len(r)) for r in table.rows]
        total = self.right - self.left - 14
        natural = [max(width(str(cell), "regular", size) for cell in [table.columns[i], *(r[i] for r in rows)]) for i in range(n)]
        weights = [min(w, total) ** 0.75 + 20 for w in natural]
        widths = [total * w / sum(weights) for w in weights]
        xs = [self.left + 8 + sum(widths[:i]) + 2 * i for i in range(n)]
        for index, row in enumerate([table.columns, *rows]):
            font = "bold" if index == 0 else "regular"
            cells = [wrap(str(cell), widths[i] - 4, font, size) or [""] for i, cell in enumerate(row)]
            height = max(len(c) for c in cells) * step + 2
            self.room(height + (step if index == 0 else 0))
            for i, lines in enumerate(cells):
                for k, line in enumerate(lines):
                    self.pages[-1].append(Op(xs[i], self.y - (k + 1) * step, line, font, size))
            self.y -= height
            self.pages[-1].append(Op(self.left + 8, self.y, "", color="#bbbbbb" if index else "#555555", rule_to=self.right - 4))


def layout_pages(sheet: Sheet) -> list[list[Op]]:
    """Every page's text and rules (footers not included)."""
    lay = _Layout()
    lay.para(f"{sheet.exam_code} cheat sheet", font="bold", size=17, color=ACCENT)
    lay.para(f"{sheet.exam_name} ({sheet.exam_code}). Built {sheet.built.isoformat()} from the course's syllabus, "
             "exam tips, flashcards and drills, grouped by task statement.", size=BODY + 0.6, color=GREY)
    lay.gap(6)
    lay.para("The exam", font="bold", size=11.5, color=ACCENT, keep=24)
    for label, value, confirmed in sheet.facts:
        status = "" if confirmed else f" (not yet confirmed for {sheet.exam_code})"
        lay.para(f"{label}: {value}{status}", indent=10, bullet="•")
    lay.para("Domains: " + "; ".join(f"{d.number} {d.name} {d.weight} %" for d in sheet.domains), indent=10, bullet="•")
    for domain in sheet.domains:
        lay.gap(8)
        lay.para(f"Domain {domain.number}: {domain.name} ({domain.weight} % of scored content)", font="bold", size=13,
                 color=ACCENT, keep=40)
        lay.rule(ACCENT)
        for task in domain.tasks:
            lay.gap(6)
            lay.para(task.heading, font="bold", size=10.5, color=ACCENT, keep=30)
            if task.tips:
                lay.gap(2)
                lay.para("Exam tips", font="bold", size=BODY + 0.8, keep=20)
                for tip in task.tips:
                    lay.para(tip.text, indent=10, bullet="•")
            if task.cards:
                lay.gap(3)
                lay.para("Key figures (flashcards)", font="bold", size=BODY + 0.8, keep=20)
                for card in task.cards:
                    lay.para(card.front, font="bold", indent=10, bullet="■", keep=BODY * LEADING)
                    lay.para(card.back, indent=18)
            if task.tables:
                lay.gap(3)
                lay.para("Comparisons", font="bold", size=BODY + 0.8, keep=30)
                for table in task.tables:
                    lay.gap(2)
                    lay.table(table)
    return lay.pages


def _text_lines_artist():
    """An Artist drawing many one-line texts straight through the renderer (no Text layout per line)."""
    from matplotlib.artist import Artist

    class TextLines(Artist):
        def __init__(self, ops: list[Op], fonts: dict) -> None:
            super().__init__()
            self.ops, self.fonts = ops, fonts

        def draw(self, renderer) -> None:
            from matplotlib.colors import to_rgb

            scale = self.figure.dpi / 72  # 1 for PDF (points); another dpi when drawn to an image
            height = renderer.get_canvas_width_height()[1]
            gc = renderer.new_gc()
            sized: dict[tuple[str, float], object] = {}
            for op in self.ops:
                prop = sized.get((op.font, op.size))
                if prop is None:
                    prop = sized[(op.font, op.size)] = self.fonts[op.font].copy()
                    prop.set_size(op.size)
                gc.set_foreground(to_rgb(op.color))
                y = op.y * scale
                renderer.draw_text(gc, op.x * scale, height - y if renderer.flipy() else y, op.text, prop, 0)
            gc.restore()

    return TextLines


def render_pdf(sheet: Sheet, target: Path) -> int:
    """Write the sheet to ``target`` (a finished file or none: written beside it, then renamed). Pages written."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.lines import Line2D

    _TextLines = _text_lines_artist()
    pages = layout_pages(sheet)
    target = Path(target)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fonts = {name: FontProperties(fname=_font_path(name)) for name in _FONTS}
    w, h = PAGE_SIZE
    when = dt.datetime.combine(sheet.built, dt.time(), tzinfo=dt.timezone.utc)
    metadata = {"Title": f"{sheet.exam_code} cheat sheet", "Subject": sheet.exam_name, "Creator": "python -m course_utils cheatsheet",
                "CreationDate": when, "ModDate": when}
    footer = f"{sheet.exam_code} cheat sheet · {sheet.exam_name} · built {sheet.built.isoformat()}"
    try:
        with matplotlib.rc_context({"pdf.fonttype": 42, "text.parse_math": False, "text.usetex": False}):
            with PdfPages(tmp, metadata=metadata) as pdf:
                for number, ops in enumerate(pages, 1):
                    fig = Figure(figsize=(w / 72, h / 72))
                    ops = [*ops, Op(MARGIN_X, 24, footer, size=6.5, color=GREY),
                           Op(w - MARGIN_X - width(f"page {number} of {len(pages)}", size=6.5), 24, f"page {number} of {len(pages)}",
                              size=6.5, color=GREY)]
                    for op in ops:
                        if op.rule_to:
                            fig.add_artist(Line2D([op.x / w, op.rule_to / w], [op.y / h, op.y / h], lw=0.5, color=op.color))
                    fig.add_artist(_TextLines([op for op in ops if not op.rule_to], fonts))
                    pdf.savefig(fig)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
    return len(pages)
