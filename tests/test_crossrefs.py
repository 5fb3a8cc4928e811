"""The bank, the drills and the domain notebooks point at each other: every link must land.

* a question's ``section`` (``01_development#sqs``) names an anchor ``<a id="sqs">`` in that
  notebook, once the notebook exists;
* every section anchor of a domain notebook has a quiz cell ``quiz.quiz(section=...)`` and at
  least two bank questions behind it;
* a drill's ``proof`` names a cell tag in that notebook, or an importable ``module:function``.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter

import nbformat
import pytest

from conftest import NOTEBOOKS

from course_utils.quiz import load_bank

ANCHOR = re.compile(r'<a\s+id="([a-z0-9-]+)"\s*>\s*</a>')
QUIZ_CALL = re.compile(r'quiz\.quiz\(\s*section\s*=\s*"([^"]+)"')
DOMAIN_NOTEBOOKS = sorted(p for p in NOTEBOOKS.glob("0[1-4]_*.ipynb"))


@pytest.fixture(scope="module")
def bank():
    loaded = load_bank()
    assert loaded.ok, loaded.problems
    return loaded


def _anchors(nb) -> list[str]:
    return [a for c in nb.cells if c.cell_type == "markdown" for a in ANCHOR.findall(c.source)]


def _notebook(stem: str):
    path = NOTEBOOKS / f"{stem}.ipynb"
    return nbformat.read(path, as_version=4) if path.exists() else None


def test_question_sections_land_on_an_anchor(bank):
    missing = []
    for q in bank.questions:
        stem, _, anchor = q.section.partition("#")
        nb = _notebook(stem)
        if nb is not None and anchor not in _anchors(nb):
            missing.append(f"{q.id} -> {q.section}")
    assert missing == []


@pytest.mark.parametrize("path", DOMAIN_NOTEBOOKS, ids=[p.stem for p in DOMAIN_NOTEBOOKS])
def test_every_section_has_a_quiz_with_two_questions(path, bank):
    nb = nbformat.read(path, as_version=4)
    anchors = _anchors(nb)
    assert anchors, f"{path.name} has no section anchors"
    assert len(anchors) == len(set(anchors)), Counter(anchors).most_common(3)
    quizzed = {s for c in nb.cells if c.cell_type == "code" for s in QUIZ_CALL.findall(c.source)}
    per_section = Counter(q.section for q in bank.questions)
    for anchor in anchors:
        section = f"{path.stem}#{anchor}"
        assert section in quizzed, f"no quiz.quiz(section={section!r}) cell"
        assert per_section[section] >= 2, f"{section}: {per_section[section]} question(s) in the bank"
    # The opening lists every section with a link.
    opening = nb.cells[2].source
    for anchor in anchors:
        assert f"(#{anchor})" in opening, f"'What you'll learn' does not link #{anchor}"


def test_drill_proofs_resolve(bank):
    for d in bank.drills:
        if not d.proof:
            continue
        if ":" in d.proof:
            module, _, func = d.proof.partition(":")
            assert callable(getattr(importlib.import_module(module), func)), d.proof
            continue
        stem, _, tag = d.proof.partition("#")
        nb = _notebook(stem)
        if nb is None:
            continue
        tags = {t for c in nb.cells for t in c.metadata.get("tags", [])}
        assert tag in tags, f"{d.id}: no cell tagged {tag!r} in {stem}.ipynb"
