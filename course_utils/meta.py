"""Where the course lives: repository slug for Binder links and the notebooks folder."""

from __future__ import annotations

from pathlib import Path

__all__ = ["REPO_SLUG", "BRANCH", "binder_url", "binder_badge", "notebooks_dir"]

#: GitHub ``owner/name`` of the course. A fork changes this one line and runs
#: ``python -m course_utils badges --fix`` to rewrite every notebook's badge.
REPO_SLUG = "dva-c02-course/dva-c02-notebooks"
BRANCH = "HEAD"
BADGE_IMAGE = "https://mybinder.org/badge_logo.svg"


def binder_url(notebook: str = "00_index.ipynb") -> str:
    """Binder link that opens ``notebooks/<notebook>`` in JupyterLab."""
    return f"https://mybinder.org/v2/gh/{REPO_SLUG}/{BRANCH}?urlpath=lab/tree/notebooks/{notebook}"


def binder_badge(notebook: str = "00_index.ipynb") -> str:
    """Markdown for the Binder badge of one notebook."""
    return f"[![Binder]({BADGE_IMAGE})]({binder_url(notebook)})"


def notebooks_dir(start: Path | None = None) -> Path:
    """The course's ``notebooks/`` folder, from the working directory or the package checkout."""
    here = Path(start or Path.cwd()).resolve()
    for candidate in (here, here / "notebooks", *(p / "notebooks" for p in here.parents)):
        if candidate.name == "notebooks" and candidate.is_dir() and any(candidate.glob("00_*.ipynb")):
            return candidate
    checkout = Path(__file__).resolve().parent.parent / "notebooks"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"no notebooks/ folder found from {here}")
