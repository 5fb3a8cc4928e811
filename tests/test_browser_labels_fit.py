"""Real browser: button labels fit their buttons and the exam summary wraps whole words (issue 21).

ipywidgets' buttons are 148 px by default and cut a longer label ("Import progres..."); JupyterLab's
output ``<pre>`` breaks words anywhere ("AI se/rvices"). Only a browser shows the rendered widths and
the CSS that applies, so this test reads them from the page.
"""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SUMMARY = ("Scaled score 686 / 1000: FAIL (pass mark 720).\\n"
           "  Task 2.3 Identify and mitigate security risks associated with using and integrating AI services "
           "into application development: 0/2 (0 %)")
CELLS = [
    "from course_utils import quiz\nquiz.progress_widget()",
    # the approval buttons of 02's agent loop, for a call of the tool with the longest name there
    "from types import SimpleNamespace\nfrom course_utils.sim.agent_loop import ApprovalPanel\n"
    "ApprovalPanel(SimpleNamespace(session=SimpleNamespace(pending={'call-1': 'refund_order'}))).widget",
    f"from IPython.display import HTML\nfrom course_utils.quiz import exam\nHTML(exam.summary_html('{SUMMARY}'))",
]
BUTTONS = """() => Array.from(document.querySelectorAll('.course-progress button, .course-agent-approval button'))
    .map(b => [b.innerText.trim(), b.scrollWidth, b.clientWidth])"""
WRAP = """() => Array.from(document.querySelectorAll('.course-exam-summary li')).map(li => {
    const s = getComputedStyle(li); return [s.whiteSpace, s.wordBreak, li.closest('pre') === null]; })"""


def test_labels_fit_and_the_summary_wraps_whole_words(lab, page):
    lab.open(page, lab.write_notebook("labels_fit.ipynb", CELLS))
    lab.run_all(page)
    page.wait_for_function(f"() => ({BUTTONS})().length >= 4 && ({WRAP})().length >= 1", timeout=60_000)
    buttons = page.evaluate(BUTTONS)
    labels = [text for text, _scroll, _client in buttons]
    assert labels == ["Prepare download", "Import progress (0)", "Approve refund_order", "Reject refund_order"], buttons
    cut = [(text, scroll, client) for text, scroll, client in buttons if scroll > client]
    assert cut == [], f"labels wider than their buttons (text px, button px): {cut}"
    assert page.evaluate(WRAP) == [["normal", "normal", True]]
