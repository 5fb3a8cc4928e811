"""Accessibility support for the quiz widgets: accessible names, and the small script that adds ARIA.

ipywidgets gives a Python program no way to set ARIA attributes, so :func:`enhancer` makes a hidden
``Output`` widget whose one output is ``course_utils/data/web/quiz_a11y.js`` (an
``application/javascript`` output: JupyterLab runs it because widget outputs are trusted; no
JupyterLab extension is needed). Put it inside a box with the CSS class :data:`ROOT`; the script
then reads these classes:

- :data:`QUESTION` on each question's box, :data:`STEM` on its stem (the group's label),
  :data:`CHOICES` on the radio buttons or the box of checkboxes, :data:`NOTE` on "Choose two";
- :data:`LIVE` on each feedback ``Output`` (it becomes an ``aria-live`` region);
- every button's ``tooltip`` becomes its ``aria-label`` (give each a distinct tooltip).

It also keeps keys typed inside the root from reaching JupyterLab's notebook shortcuts.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

__all__ = ["ROOT", "QUESTION", "STEM", "CHOICES", "NOTE", "LIVE", "HIDDEN", "A11Y_STYLE", "enhancer", "enhancer_js",
           "section_title", "check_name", "try_again_name"]

# Check sits beside Try again without an extra HBox widget: the question box wraps a row instead.

ROOT, QUESTION, STEM, CHOICES = "course-a11y-root", "course-a11y-question", "course-a11y-stem", "course-a11y-choices"
NOTE, LIVE, HIDDEN = "course-a11y-note", "course-a11y-live", "course-hidden"
ENHANCER = "course-a11y-enhancer"

#: CSS for every widget root: a visible focus ring (3 px, 4.6:1 on white and 4.5:1 on black), long
#: option texts wrapping beside their radio button or checkbox, and the hidden helpers.
A11Y_STYLE = """<style>
.course-a11y-root :focus-visible, .course-a11y-root label:has(> input:focus-visible) {outline: 3px solid #1f6feb; outline-offset: 2px;}
.course-a11y-root input:focus-visible {outline-offset: 1px;}
.course-a11y-root .widget-radio-box label, .course-a11y-root .widget-checkbox label.widget-label-basic
  {display: flex; align-items: flex-start; gap: 0.5em; white-space: normal; height: auto; line-height: 1.4; margin: 2px 0;}
.course-a11y-root .widget-radio-box label > input {order: -1; flex: none; margin: 0.25em 0 0 0;}
.course-a11y-root .widget-checkbox label.widget-label-basic > input {flex: none; margin: 0.25em 0 0 0;}
.course-a11y-root .widget-checkbox label.widget-label-basic > span {white-space: normal;}
.course-a11y-root .widget-checkbox {height: auto;}
.course-a11y-root .course-a11y-question.widget-vbox {flex-flow: row wrap; align-items: flex-start;}
.course-a11y-root .course-a11y-question.widget-vbox > * {flex: 1 1 100%; min-width: 0;}
.course-a11y-root .course-a11y-question.widget-vbox > .widget-button {flex: 0 0 auto; margin-right: 8px;}
.course-a11y-root .course-hidden, .course-a11y-root .course-a11y-enhancer {display: none !important;}
</style>"""


@functools.lru_cache(maxsize=1)
def enhancer_js() -> str:
    """The script (read once per kernel)."""
    return (Path(__file__).resolve().parent.parent / "data" / "web" / "quiz_a11y.js").read_text(encoding="utf-8")


def enhancer(layout=None):
    """A hidden ``Output`` widget that runs the script; place it inside the box with class :data:`ROOT`."""
    import ipywidgets as w

    kwargs = {"layout": layout} if layout is not None else {}
    out = w.Output(_dom_classes=[ENHANCER], **kwargs)
    out.outputs = ({"output_type": "display_data", "data": {"application/javascript": enhancer_js(), "text/plain": ""},
                    "metadata": {}},)
    return out


_HEADING = re.compile(r'^#{1,6}\s+(?P<title>.+?)\s*<a\s+id="(?P<anchor>[^"]+)"\s*>\s*</a>', re.MULTILINE)


@functools.lru_cache(maxsize=16)
def _headings(path: str, mtime: float) -> dict[str, str]:
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    titles: dict[str, str] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        for match in _HEADING.finditer(text):
            titles.setdefault(match.group("anchor"), match.group("title").strip())
    return titles


def section_title(section: str | None, folder: Path | None = None) -> str | None:
    """The heading of ``"NN_notebook#anchor"`` in the course's notebooks, or ``None`` if not found."""
    if not section or "#" not in section:
        return None
    notebook, _, anchor = section.partition("#")
    try:
        from ..meta import notebooks_dir

        path = (folder or notebooks_dir()) / f"{notebook}.ipynb"
        mtime = path.stat().st_mtime
    except (OSError, RuntimeError):
        return None
    return _headings(str(path), mtime).get(anchor)


def check_name(number: int, label: str) -> str:
    """The accessible name (and tooltip) of a question's Check button."""
    return f"Check answer to question {number} of '{label}'"


def try_again_name(number: int, label: str) -> str:
    """The accessible name (and tooltip) of a question's Try again button."""
    return f"Try question {number} of '{label}' again"
