"""Alt text for the course's matplotlib figures, and checks that a figure reads at notebook width.

JupyterLab shows a figure's ``image/png`` output as an ``<img>`` without alt text. :func:`describe`
stores a sentence saying what a chart shows on the figure and registers (once) an IPython
``text/html`` formatter for :class:`matplotlib.figure.Figure`; JupyterLab prefers ``text/html``
over ``image/png``, so ``plt.show()`` then renders ``<img alt="...">``. A figure without a stored
sentence gets one made from its titles and axis labels. The ``text/plain`` of the output stays
matplotlib's; the ``image/png`` stays for front ends that do not render HTML.

The checks (:func:`effective_font_sizes`, :func:`legend_overlaps`) are what the tests assert:
a figure wider than the notebook (``NOTEBOOK_WIDTH_IN``) is scaled down, and so is its text.
"""

from __future__ import annotations

import html
from typing import Any

__all__ = [
    "NOTEBOOK_WIDTH_IN",
    "alt_text",
    "describe",
    "effective_font_sizes",
    "html_img",
    "img_tag",
    "install",
    "legend_overlaps",
]

NOTEBOOK_WIDTH_IN = 9.0  # ~900 px at the inline backend's 100 dpi
_ATTR = "_course_alt_text"
_PNG = "_course_png_base64"
_installed: Any = None  # the shell whose formatters are kept registered


def describe(fig: Any, alt: str) -> Any:
    """Store ``alt`` (what the chart shows) on ``fig`` and make notebook output use it; returns ``fig``."""
    setattr(fig, _ATTR, " ".join(alt.split()))
    install()
    return fig


def alt_text(fig: Any) -> str:
    """The stored alt text, else one made from the figure's titles and axis labels."""
    stored = getattr(fig, _ATTR, None)
    if stored:
        return stored
    parts: list[str] = []
    if fig._suptitle is not None and fig._suptitle.get_text():
        parts.append(fig._suptitle.get_text())
    for ax in fig.get_axes():
        bits = [t for t in (ax.get_title(), ax.get_title("left"), ax.get_title("right")) if t]
        if ax.get_xlabel():
            bits.append(f"x axis: {ax.get_xlabel()}")
        if ax.get_ylabel():
            bits.append(f"y axis: {ax.get_ylabel()}")
        legend = ax.get_legend()
        if legend is not None:
            names = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if names:
                bits.append("series: " + ", ".join(names))
        if bits:
            parts.append("; ".join(bits))
    text = " | ".join(" ".join(p.split()) for p in parts)
    return f"Chart: {text}" if text else "Chart (no title)"


def _png_base64(fig: Any) -> str:
    """The PNG the inline backend would show (same call, same options), base64-encoded."""
    from IPython.core.pylabtools import print_figure

    return print_figure(fig, "png", bbox_inches="tight", base64=True)


def html_img(fig: Any) -> str:
    """``<img>`` with the PNG inline and :func:`alt_text` as ``alt`` (what the formatter returns).

    The PNG is kept on the figure for the ``image/png`` formatter of the same display call
    (IPython asks for ``text/html`` first), so a figure is rendered once, not twice."""
    data = _png_base64(fig)
    setattr(fig, _PNG, data)
    return img_tag(data, alt_text(fig))


def img_tag(png_base64: str, alt: str) -> str:
    """An inline PNG as an ``<img>`` with ``alt`` escaped (charts here and in the exam's results)."""
    return f'<img src="data:image/png;base64,{png_base64}" alt="{html.escape(alt, quote=True)}" style="max-width:100%">'


def _png_once(fig: Any) -> str:
    """``image/png`` formatter: the PNG :func:`html_img` just made, else a fresh one."""
    data = getattr(fig, _PNG, None)
    if data is None:
        return _png_base64(fig)
    setattr(fig, _PNG, None)
    return data


def _register(formatters: Any) -> None:
    """The course's ``text/html`` and ``image/png`` printers for ``Figure``, and ``text/html`` for its base
    class too: IPython's ``select_figure_formats`` (run by the inline backend when ``matplotlib.pyplot`` is
    first imported, and by ``%matplotlib inline``) pops every formatter's ``Figure`` entry, and a figure
    drawn in that same cell is still looked up through its base class."""
    import sys

    module = sys.modules.get("matplotlib.figure")
    html_fmt, png_fmt = formatters["text/html"], formatters["image/png"]
    if module is None:  # by name: matplotlib is not imported until a figure exists
        html_fmt.for_type_by_name("matplotlib.figure", "Figure", html_img)
        html_fmt.for_type_by_name("matplotlib.figure", "FigureBase", html_img)
        png_fmt.for_type_by_name("matplotlib.figure", "Figure", _png_once)
    else:  # by type: a name entry would not replace the printer IPython registered for the type
        html_fmt.for_type(module.Figure, html_img)
        html_fmt.for_type(module.FigureBase, html_img)
        png_fmt.for_type(module.Figure, _png_once)


def _registered(formatters: Any) -> bool:
    import sys

    html_fmt = formatters["text/html"]
    module = sys.modules.get("matplotlib.figure")
    if module is None or module.Figure not in html_fmt.type_printers:
        return ("matplotlib.figure", "Figure") in html_fmt.deferred_printers
    return html_fmt.type_printers[module.Figure] is html_img and formatters["image/png"].type_printers.get(module.Figure) is _png_once


def install(shell: Any = None) -> bool:
    """Register the ``text/html`` (and matching ``image/png``) formatters for figures, and keep them
    registered: after each cell they are put back if the inline backend replaced them (idempotent)."""
    global _installed
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython ships with the course
            return False
        shell = get_ipython()
    if shell is None:
        return False
    formatters = shell.display_formatter.formatters
    if not _registered(formatters):
        _register(formatters)
    if _installed is not shell:
        def reassert(*_: Any) -> None:
            if not _registered(formatters):
                _register(formatters)

        shell.events.register("post_run_cell", reassert)
        _installed = shell
    return True


def effective_font_sizes(fig: Any, width_in: float = NOTEBOOK_WIDTH_IN) -> list[tuple[float, str]]:
    """``(points, text)`` for every visible text, scaled as the notebook scales a wider figure."""
    fig.canvas.draw()
    scale = min(1.0, width_in / fig.get_size_inches()[0])
    texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize") and hasattr(a, "get_text"))]
    return [(t.get_fontsize() * scale, t.get_text()) for t in texts if t.get_visible() and t.get_text().strip()]


def legend_overlaps(ax: Any) -> list[str]:
    """Labels of the data artists (lines, markers, bars) whose drawn extent meets ``ax``'s legend box."""
    from matplotlib.transforms import Bbox

    legends = [a for a in ax.get_children() if a.__class__.__name__ == "Legend"]
    if not legends:
        return []
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [lg.get_window_extent(renderer) for lg in legends]
    hits: list[str] = []
    for line in ax.get_lines():
        xy = line.get_transform().transform(line.get_xydata())
        for box in boxes:
            if any(box.contains(x, y) for x, y in xy):
                hits.append(line.get_label())
                break
    for patch in ax.patches:
        extent = patch.get_window_extent(renderer)
        if extent.width and extent.height and any(Bbox.intersection(extent, b) is not None for b in boxes):
            hits.append(patch.get_label() or "patch")
    for coll in ax.collections:
        offsets = coll.get_offset_transform().transform(coll.get_offsets()) if len(coll.get_offsets()) else []
        if any(box.contains(x, y) for x, y in offsets for box in boxes):
            hits.append(coll.get_label() or "collection")
    return hits
