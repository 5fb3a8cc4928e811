"""Real browser: the Domain 2 notebook runs in JupyterLab and its KMS section quiz scores.

The test writes a copy of the real ``02_security.ipynb`` into the lab's temporary folder with
one extra first cell that points the progress store at a scratch file (the kernel is shared
with the lab server's environment, so the variable is set from inside the kernel). It runs all
cells, answers one single-answer question of section ``02_security#kms`` (chosen at run time
from the bank) wrongly, then rightly, and checks the feedback and the recorded progress.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SECTION = "02_security#kms"


def _question():
    from course_utils.quiz import load_bank

    singles = [q for q in load_bank().select(section=SECTION) if q.type == "single"]
    if not singles:
        pytest.skip(f"no single-answer question in the bank for {SECTION}")
    return singles[0]


def _copy_with_progress(lab, progress: Path) -> str:
    nb = nbformat.read(NOTEBOOKS / "02_security.ipynb", as_version=4)
    first = nbformat.v4.new_code_cell(f"import os\nos.environ['DVA_COURSE_PROGRESS'] = {str(progress)!r}")
    first.id = "browser-test-progress"
    nb.cells.insert(0, first)
    name = "02_security_browser_test.ipynb"
    nbformat.write(nb, Path(lab.root) / name)
    return name


_SCROLLER = "document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')"


def _scroll_to(page, locator, steps: int = 400) -> None:
    """JupyterLab keeps only cells near the viewport in the DOM: scroll down from the top until
    ``locator`` is attached, then bring it into view."""
    page.evaluate(f"() => {{ {_SCROLLER}.scrollTop = 0; }}")
    for _ in range(steps):
        if locator.count() > 0:
            break
        page.evaluate(f"() => {{ const s = {_SCROLLER}; s.scrollTop = s.scrollTop + 400; }}")
        page.wait_for_timeout(50)
    locator.first.wait_for(state="attached", timeout=30_000)
    locator.first.scroll_into_view_if_needed()


def test_kms_quiz_wrong_then_right(lab, page, tmp_path):
    q = _question()
    wrong = next(o for o in q.options if o.key not in q.correct)
    right = q.option(q.correct[0])
    progress = tmp_path / "progress.json"
    name = _copy_with_progress(lab, progress)
    lab.open(page, name)
    lab.run_all(page, timeout_ms=180_000)

    banner = page.locator(".course-sandbox-banner")
    _scroll_to(page, banner)
    assert "no request leaves this machine" in banner.first.text_content()

    card = page.locator(f".course-quiz-q-{q.id}")
    try:
        _scroll_to(page, card)
        card.wait_for(state="visible", timeout=30_000)
    finally:
        lab.screenshot(page, "02_security-kms-quiz")
    feedback = card.locator(".course-quiz-feedback")
    check = card.locator("button.course-quiz-check")

    card.locator("label", has_text=f"{wrong.key}. {wrong.text}").click()
    check.click()
    page.wait_for_function("el => el.textContent.includes('Not quite')", arg=feedback.element_handle(), timeout=30_000)
    text = feedback.text_content()
    assert f"The right answer: {right.key}." in text
    assert all(o.explanation[:40] in text for o in q.options)  # every option explained

    card.locator("label", has_text=f"{right.key}. {right.text}").click()
    check.click()
    page.wait_for_function("el => el.textContent.includes('Correct!')", arg=feedback.element_handle(), timeout=30_000)
    lab.screenshot(page, "02_security-kms-quiz-answered")

    records = json.loads(progress.read_text())["answers"][q.id]
    assert [(r["chosen"], r["correct"]) for r in records] == [([wrong.key], False), ([right.key], True)]
