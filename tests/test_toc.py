import json

from course_utils import toc


def _write(folder, name, first_cell):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": first_cell}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / name).write_text(json.dumps(nb))


def test_new_notebook_appears_in_order(tmp_path):
    _write(tmp_path, "00_index.ipynb", "# Start\n\n*Begin here.*\n")
    _write(tmp_path, "02_security.ipynb", ["# Security\n", "\n", "_Keep things safe._\n"])
    _write(tmp_path, "notes.ipynb", "# Not numbered")
    entries = toc.discover(tmp_path)
    assert [(e.number, e.title, e.purpose) for e in entries] == [(0, "Start", "Begin here."), (2, "Security", "Keep things safe.")]
    _write(tmp_path, "01_development.ipynb", "# Development\n\n*Build things.*")
    markdown = toc.toc_markdown(tmp_path)
    assert markdown.splitlines()[2:] == [
        "| 00 | [Start](00_index.ipynb) | Begin here. |",
        "| 01 | [Development](01_development.ipynb) | Build things. |",
        "| 02 | [Security](02_security.ipynb) | Keep things safe. |",
    ]


def test_unreadable_notebook_falls_back_to_file_name(tmp_path):
    (tmp_path / "03_testing_and_deployment.ipynb").write_text("{not json")
    (entry,) = toc.discover(tmp_path)
    assert (entry.title, entry.purpose) == ("Testing and deployment", "")
