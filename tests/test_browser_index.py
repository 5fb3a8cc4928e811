"""Real browser: JupyterLab in Debian's Chromium opens the index, runs all cells, shows the banner."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def test_index_runs_in_jupyterlab(lab, page):
    lab.open(page, "00_index.ipynb")
    lab.run_all(page)
    banner = page.locator(".course-sandbox-banner")
    try:  # JupyterLab detaches off-screen cells, so wait for the element to exist, then show it
        banner.first.wait_for(state="attached", timeout=60_000)
    finally:
        lab.screenshot(page, "00_index-after-run-all")
    banner.first.scroll_into_view_if_needed()
    text = banner.first.text_content()
    assert "no request leaves this machine" in text
    assert "us-east-1" in text and "123456789012" in text
    # The generated table of contents rendered as a table with a link to the index itself.
    assert page.locator(".jp-RenderedMarkdown table a[href*='00_index.ipynb']").count() >= 1
    assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count() == 0
    # DVA-C03: the title, the task anchors the notebooks' Exam guide lines link to (JupyterLab's
    # sanitizer keeps an anchor's id as data-jupyter-id and resolves #fragments against it), and
    # the live exam guide, one entry per task statement.
    assert "DVA-C03" in page.locator(".jp-RenderedMarkdown h1").first.text_content()
    for task in ("1-1", "2-3", "4-3"):
        assert page.locator(f".jp-RenderedMarkdown a[data-jupyter-id='task-{task}']").count() == 1, task
    # A link to an anchor scrolls it into view (the index's own link to the exam guide).
    from playwright.sync_api import expect

    anchor = page.locator(".jp-RenderedMarkdown [data-jupyter-id='exam-guide']").first
    page.locator(".jp-RenderedMarkdown a[href='#from-c02']").first.click()  # somewhere else first
    expect(anchor).not_to_be_in_viewport(timeout=10_000)
    page.locator(".jp-RenderedMarkdown a[href='#exam-guide']").first.click()
    expect(anchor).to_be_in_viewport(timeout=10_000)
    tasks = page.locator("details.course-syllabus-task")
    tasks.first.wait_for(state="attached", timeout=30_000)
    assert tasks.count() == 12
    assert "Task 1.1" in tasks.first.text_content() and "none answered yet" in tasks.first.text_content()
    shot = lab.screenshot(page, "00_index")
    assert shot.stat().st_size > 10_000
