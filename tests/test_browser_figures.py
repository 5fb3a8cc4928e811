"""Real browser: JupyterLab shows a course figure as an <img> whose alt text says what the chart
shows (course_utils.rules.figures), both for a figure with its own sentence and for one whose alt
text is made from its title and labels, also in the cell that first imports pyplot and after
``%matplotlib inline`` (both reset IPython's figure formatters). Only a browser shows which output
JupyterLab renders."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CELLS = [  # the notebooks' order: the sandbox registers the formatters, later cells import pyplot and draw
    "from course_utils.rules import figures\nfigures.install()",
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots(figsize=(4, 2))\nax.plot([1, 2, 3], [3, 1, 2])\n"
    "figures.describe(fig, 'Line chart: three points, lowest at x = 2')\nplt.show()",
    "%matplotlib inline\nfig, ax = plt.subplots(figsize=(4, 2))\nax.bar(['a', 'b'], [1, 2])\nax.set_title('Two bars')\n"
    "ax.set_ylabel('count')\nplt.show()",
]
ALTS = "() => Array.from(document.querySelectorAll('.jp-OutputArea-output img')).map(i => i.alt)"


def test_figures_render_as_images_with_their_alt_text(lab, page):
    lab.open(page, lab.write_notebook("figures_alt.ipynb", CELLS))
    lab.run_all(page)
    page.wait_for_function(f"() => ({ALTS})().length >= 2", timeout=60_000)
    alts = page.evaluate(ALTS)
    assert alts == ["Line chart: three points, lowest at x = 2", "Chart: Two bars; y axis: count"]
