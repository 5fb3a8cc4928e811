"""Section links in widget outputs: a plain link that also carries the click handler opening the section.

What the handler does in JupyterLab is tested in a real browser (tests/test_browser_links.py).
"""

from __future__ import annotations

import re

from course_utils.quiz import exam, widgets
from course_utils.quiz.section_links import OPEN_SECTION_JS, section_anchor


def test_the_plain_link_stays_as_it_was():
    html = section_anchor("02_security", "ai-access", "Access &amp; AI", target="_self")
    # Without the handler (no window.jupyterapp, an untrusted output, an HTML export) this link is what is followed.
    assert '<a href="02_security.ipynb#ai-access" target="_self">Access &amp; AI</a>' in html


def test_the_wrapper_names_the_notebook_and_anchor_for_the_handler():
    html = section_anchor("02_security", "ai-access", "x")
    span = re.search(r'<span class="course-section-link" ([^>]*)>', html)
    assert span, html
    attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', span.group(1)))
    assert attrs["data-course-notebook"] == "02_security.ipynb"
    assert attrs["data-course-anchor"] == "ai-access"
    # Falls back to the link (returns true) when the handler is not defined on the page.
    assert attrs["onclick"] == "return window.courseOpenSection ? window.courseOpenSection(event, this) : true"
    assert html.endswith("</a></span>")


def test_the_script_defines_the_handler_once_and_cannot_end_its_tag_early():
    html = section_anchor("01_development", "lambda-layers", "x")
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    assert script.startswith("window.courseOpenSection = window.courseOpenSection || function (event, a) {")
    assert "</" not in OPEN_SECTION_JS and "\n" not in script
    # It waits for the notebook to be shown before scrolling (what JupyterLab's own link handling does not do).
    assert "await panel.revealed" in script and "scrollToCell" in script
    # Without JupyterLab's app object it does nothing and lets the link work as before.
    assert "if (!app || !app.commands || !app.shell) { return true; }" in script


def test_a_link_without_anchor_is_only_the_plain_link():
    assert section_anchor("06_flashcards", "", "cards") == '<a href="06_flashcards.ipynb" target="_blank">cards</a>'


def test_the_exam_and_the_quizzes_write_their_section_links_this_way():
    study_next = exam.section_link("02_security#ai-access", target="_self")
    assert 'data-course-anchor="ai-access"' in study_next
    assert '<a href="02_security.ipynb#ai-access" target="_self">02_security#ai-access</a>' in study_next
    learn_more = widgets.section_link("01_development#sqs-visibility")
    assert 'data-course-notebook="01_development.ipynb"' in learn_more
    assert learn_more.endswith('<a href="01_development.ipynb#sqs-visibility" target="_blank">01_development</a></span> § sqs-visibility')


def test_an_output_with_many_links_sends_the_handler_once(store):
    from course_utils.quiz.section_links import SCRIPT_TAG
    from course_utils.syllabus.view import guide

    link = section_anchor("02_security", "kms", "KMS", script=False)
    assert "<script>" not in link and 'data-course-anchor="kms"' in link
    html = guide(store=store)._repr_html_()  # the live exam guide in 00: about a hundred section links
    assert html.count("<script>") == 1 and SCRIPT_TAG in html
    assert html.count('class="course-section-link"') > 20
