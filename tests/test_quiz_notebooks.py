"""Notebooks 05 and 06 execute headless, twice in one kernel, with a full bank and a short one."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
DATA = Path(__file__).resolve().parent / "data"

pytestmark = pytest.mark.slow


def _run_twice(name: str, tmp_path: Path, monkeypatch, bank: Path | None) -> nbformat.NotebookNode:
    monkeypatch.setenv("DVA_COURSE_PROGRESS", str(tmp_path / "progress.json"))
    if bank is None:
        monkeypatch.delenv("DVA_COURSE_BANK", raising=False)
    else:
        monkeypatch.setenv("DVA_COURSE_BANK", str(bank))
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}})
    with client.setup_kernel():
        for _ in range(2):
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    return nb


def _text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            parts.append(o.get("text", "") if o.get("output_type") == "stream" else o.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def test_exam_notebook_full_bank(tmp_path, monkeypatch):
    nb = _run_twice("05_practice_exam.ipynb", tmp_path, monkeypatch, DATA / "bank_exam")
    text = _text(nb)
    assert "Practice exam (DVA-C03 blueprint): 65 questions, 130 minutes" in text and "Exam seed" in text
    assert "'2.3': 2" in text  # scored questions per task statement
    assert "No practice exam submitted yet" in text
    assert "ipywidgets" not in text and "VBox(" not in text  # readable, not widget reprs


def test_exam_notebook_short_bank_explains_instead_of_failing(tmp_path, monkeypatch):
    nb = _run_twice("05_practice_exam.ipynb", tmp_path, monkeypatch, DATA / "bank_small")
    text = _text(nb)
    assert "Practice exam not available yet" in text and "needs 65" in text


def test_exam_notebook_package_bank(tmp_path, monkeypatch):
    _run_twice("05_practice_exam.ipynb", tmp_path, monkeypatch, None)


def test_flashcards_notebook_fixture_bank(tmp_path, monkeypatch):
    nb = _run_twice("06_flashcards.ipynb", tmp_path, monkeypatch, DATA / "bank_small")
    text = _text(nb)
    assert "Flashcards: 3 cards, 3 due now" in text and "Flashcards: 1 cards, 1 due now" in text
    assert "[Front]" in text and "VBox(" not in text


def test_flashcards_notebook_package_bank(tmp_path, monkeypatch):
    _run_twice("06_flashcards.ipynb", tmp_path, monkeypatch, None)
