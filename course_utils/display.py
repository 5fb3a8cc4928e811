"""Show rich output in Jupyter and plain text anywhere else (a script, the CLI, a test)."""

from __future__ import annotations

__all__ = ["in_ipython", "show"]


def in_ipython() -> bool:
    """True inside an IPython shell or Jupyter kernel."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the course
        return False
    return get_ipython() is not None


def show(text: str, *, html: str | None = None, markdown: str | None = None) -> None:
    """Display ``html`` or ``markdown`` with ``text`` as the plain fallback; print ``text`` outside IPython."""
    if not in_ipython():
        print(text)
        return
    from IPython.display import display

    bundle = {"text/plain": text}
    if html is not None:
        bundle["text/html"] = html
    if markdown is not None:
        bundle["text/markdown"] = markdown
    display(bundle, raw=True)
