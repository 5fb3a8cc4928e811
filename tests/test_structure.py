"""Every notebook opens the same way and is committed without outputs."""

from __future__ import annotations

import json
import re

import pytest

from conftest import NOTEBOOKS, ROOT
from course_utils import meta, toc

PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


@pytest.fixture(params=PATHS, ids=[p.stem for p in PATHS])
def notebook(request):
    return request.param, json.loads(request.param.read_text(encoding="utf-8"))


def test_file_names_are_numbered():
    assert PATHS, "no notebooks found"
    for path in PATHS:
        assert toc.NAME_PATTERN.match(path.name), f"{path.name}: expected NN_name.ipynb"


def test_opening_cell(notebook):
    path, nb = notebook
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown", f"{path.name}: cell 0 must be markdown"
    lines = [line for line in _source(first).splitlines() if line.strip()]
    assert lines[0].startswith("# ") and len(lines[0]) > 4, f"{path.name}: cell 0 must open with a '# Title'"
    assert re.fullmatch(r"\*[^*].*[^*]\*|_[^_].*[^_]_", lines[1].strip()), f"{path.name}: line 2 must be one italic purpose line"
    assert meta.binder_badge(path.name) in _source(first), f"{path.name}: Binder badge missing or not pointing at this notebook"


def test_setup_cell(notebook):
    path, nb = notebook
    setup = nb["cells"][1]
    source = _source(setup)
    assert setup["cell_type"] == "code", f"{path.name}: cell 1 must be the Setup code cell"
    assert source.startswith("# Setup"), f"{path.name}: the Setup cell starts with '# Setup'"
    assert re.search(r"\bcourse_utils\b", source), f"{path.name}: the Setup cell calls course_utils"
    assert re.search(r"^\s*assert\b", source, re.M), f"{path.name}: the Setup cell asserts what it needs"


def test_what_youll_learn(notebook):
    path, nb = notebook
    third = nb["cells"][2]
    assert third["cell_type"] == "markdown" and _source(third).startswith("## What you'll learn"), path.name


def test_no_outputs_committed(notebook):
    path, nb = notebook
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"{path.name} cell {index}: outputs committed (run nbstripout)"
            assert cell.get("execution_count") is None, f"{path.name} cell {index}: execution count committed"


def test_kernelspec(notebook):
    path, nb = notebook
    assert nb["metadata"].get("kernelspec", {}).get("name") == "python3", path.name


def test_toc_lists_every_notebook():
    listed = toc.toc_markdown(NOTEBOOKS)
    for path in PATHS:
        assert f"]({path.name})" in listed


# Cells that are about the change from DVA-C02 to DVA-C03 and may name the old exam freely.
ABOUT_THE_CHANGE = {"exam-facts", "exam-guide-table", "from-c02", "987fd25c"}


def test_the_course_names_dva_c03_and_the_old_exam_only_as_the_old_one(notebook):
    """Titles say DVA-C03; a line naming DVA-C02 also names DVA-C03 (it is about the change)."""
    path, nb = notebook
    if path.name == "00_index.ipynb":
        assert "(DVA-C03)" in _source(nb["cells"][0]).splitlines()[0]
    for cell in nb["cells"]:
        if cell.get("id") in ABOUT_THE_CHANGE:
            continue
        for line in _source(cell).splitlines():
            if "C02" in line and "mybinder.org" not in line:
                assert "C03" in line, f"{path.name} cell {cell.get('id')}: names DVA-C02 as if current: {line[:120]}"


def test_domain_titles_are_the_dva_c03_names():
    from course_utils.syllabus import load_syllabus

    for d in load_syllabus().domains:
        [path] = NOTEBOOKS.glob(f"0{d.number}_*.ipynb")
        title = _source(json.loads(path.read_text(encoding="utf-8"))["cells"][0]).splitlines()[0]
        assert title == f"# Domain {d.number}: {d.name}", path.name


def test_readme_names_dva_c03():
    readme = (NOTEBOOKS.parent / "README.md").read_text(encoding="utf-8")
    assert readme.splitlines()[0] == "# AWS Certified Developer – Associate (DVA-C03): a hands-on notebook course"
    for line in readme.splitlines():
        if "C02" in line and "mybinder.org" not in line:
            assert "C03" in line or "dva-c02-course" in line, line


def test_cell_ids_are_kept(notebook):
    """Cell ids stay as written (nbstripout runs with --keep-id): tests and links name cells by id."""
    path, nb = notebook
    ids = [c.get("id", "") for c in nb["cells"]]
    assert len(set(ids)) == len(ids), f"{path.name}: duplicate cell ids"
    assert ids != [str(i) for i in range(len(ids))], f"{path.name}: cell ids renumbered 0, 1, 2, ... (install nbstripout with --keep-id)"


def test_the_commit_filter_keeps_committed_notebooks_as_they_are():
    """The nbstripout filter `make` configures leaves every committed notebook byte for byte as it
    is (ids kept, no outputs), so a fresh clone is clean and a commit cannot renumber cell ids."""
    import shlex
    import subprocess

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clean = subprocess.run(["git", "config", "--get", "filter.nbstripout.clean"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    if not clean:
        pytest.skip("the nbstripout filter is not configured (run make once)")
    assert "--keep-id" in clean, f"the commit filter would renumber cell ids: {clean!r} (see the Makefile)"
    for path in sorted(ROOT.glob("notebooks/*.ipynb")) + sorted(ROOT.glob("grading/source/**/*.ipynb")):
        text = path.read_text(encoding="utf-8")
        out = subprocess.run(shlex.split(clean), input=text, capture_output=True, text=True, encoding="utf-8", timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout == text, f"{path.relative_to(ROOT)} changes when committed: run the filter (git add) and commit it"
