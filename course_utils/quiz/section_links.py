"""Links to a course section that open it *at the section* in JupyterLab, from a widget's output.

JupyterLab 4.6 opens another notebook from a link (``02_security.ipynb#ai-access``) at its top:
its link handler (``rendermime:handle-local-link``) asks the notebook for the fragment as soon as
the file is loaded, before the notebook is shown and its markdown rendered, so nothing is found and
nothing scrolls (jupyterlab/jupyterlab#15207). The links the course writes into outputs (the
exam's "Study next" and answer review, the quizzes' "Learn more", the live exam guide in 00)
therefore sit in a ``<span>`` with a small click handler: Lab's own handler on the ``<a>`` still runs
first (it opens the notebook at its top); then this one finds the open notebook, waits until it is
shown, scrolls the section's cell into view and then its heading (up to about 4 s of retries while
cells above it are still being laid out). It needs ``window.jupyterapp``, which the learners' configuration
exposes (``jupyter_config/learner``: ``LabApp.expose_app_in_browser``). Without it (another
front end, an untrusted output, a static HTML export) the link stays a plain link and Lab (or the
browser) handles it as before. Links in markdown cells cannot carry code: see
``jupyter_config/learner/README.md`` for what works there.
"""

from __future__ import annotations

from html import escape

__all__ = ["OPEN_SECTION_JS", "SCRIPT_TAG", "section_anchor"]

# Defined once per page (the first link's output defines it; later ones keep it). No "</" inside.
OPEN_SECTION_JS = r"""
window.courseOpenSection = window.courseOpenSection || function (event, a) {
  const app = window.jupyterapp;
  if (!app || !app.commands || !app.shell) { return true; }
  event.preventDefault();
  const file = a.getAttribute('data-course-notebook'), id = a.getAttribute('data-course-anchor');
  const here = app.shell.currentWidget;
  const base = here && here.context ? here.context.path.replace(/[^/]*$/, '') : '';
  const path = base + file;
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const find = () => { for (const w of app.shell.widgets('main')) {
      if (w.context && w.content && w.context.path === path && w.content.widgets) { return w; } } return null; };
  (async () => {
    await app.commands.execute('docmanager:open', {path: path});
    let panel = null;
    for (let i = 0; i < 100 && !panel; i++) { panel = find(); if (!panel) { await sleep(50); } }
    if (!panel) { return; }
    await panel.context.ready; await panel.revealed;
    app.shell.activateById(panel.id);
    const nb = panel.content, marker = 'id="' + id + '"';
    const index = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes(marker));
    if (index < 0) { return; }
    let steady = 0;
    for (let i = 0; i < 60 && steady < 3; i++) {
      if (i === 0 || steady === 0) { await nb.scrollToCell(nb.widgets[index], 'start'); }
      await sleep(60);
      const el = nb.widgets[index].node.querySelector('[data-jupyter-id="' + CSS.escape(id) + '"]');
      if (!el || !panel.isVisible) { steady = 0; continue; }
      const view = nb.node.getBoundingClientRect(), box = el.getBoundingClientRect();
      if (box.top >= view.top && box.bottom <= view.bottom) { steady += 1; }
      else { el.scrollIntoView({block: 'start'}); steady = 0; }
    }
  })();
  return false;
};
"""

# The script as sent: one line per statement, no comments, no indentation.
_SCRIPT = " ".join(line.strip() for line in OPEN_SECTION_JS.strip().splitlines())

#: Defines the handler; an output with many links sends it once and passes ``script=False`` to the links.
SCRIPT_TAG = f"<script>{_SCRIPT}</script>"

_ONCLICK = "return window.courseOpenSection ? window.courseOpenSection(event, this) : true"


def section_anchor(notebook: str, anchor: str, text_html: str, target: str = "_blank", script: bool = True) -> str:
    """``<a href="notebook.ipynb#anchor" target=...>text_html</a>`` (``text_html`` already escaped),
    wrapped so that a click opens the section in JupyterLab (see the module's docstring).

    The ``<a>`` itself is the plain relative link, so it works wherever the handler does not run.
    ``script=False`` leaves out :data:`SCRIPT_TAG` (the output sends it once for all its links).
    """
    href = f"{notebook}.ipynb" + (f"#{anchor}" if anchor else "")
    link = f'<a href="{escape(href)}" target="{escape(target)}">{text_html}</a>'
    if not anchor:
        return link
    return (
        f'<span class="course-section-link" data-course-notebook="{escape(notebook)}.ipynb" '
        f'data-course-anchor="{escape(anchor)}" onclick="{escape(_ONCLICK)}">'
        f"{SCRIPT_TAG if script else ''}{link}</span>"
    )
