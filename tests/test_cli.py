import json
import subprocess
import sys

from conftest import NOTEBOOKS, ROOT
from course_utils import meta
from course_utils.cli import badge_problems, main


def test_check_command_runs_outside_jupyter():
    proc = subprocess.run([sys.executable, "-m", "course_utils", "check"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "sandbox check: OK" in proc.stdout
    assert "no request leaves this machine" in proc.stdout
    assert "arn:aws:sts::123456789012:" in proc.stdout


def test_toc_command_prints_every_notebook(capsys):
    assert main(["toc", "--notebooks", str(NOTEBOOKS)]) == 0
    out = capsys.readouterr().out
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"):
        assert f"]({path.name})" in out


def test_badges_are_correct_in_the_repository():
    assert badge_problems(NOTEBOOKS) == []


def test_badges_fix_rewrites_a_wrong_badge(tmp_path):
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# T\n\n*p*\n\n[![Binder](x)](https://mybinder.org/v2/gh/someone/else/HEAD)"}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}  # fmt: skip
    path = tmp_path / "07_extra.ipynb"
    path.write_text(json.dumps(nb))
    assert badge_problems(tmp_path) == ["07_extra.ipynb"]
    assert main(["badges", "--notebooks", str(tmp_path)]) == 1
    assert badge_problems(tmp_path, fix=True) == ["07_extra.ipynb"]
    text = path.read_text()
    assert meta.binder_badge("07_extra.ipynb") in json.loads(text)["cells"][0]["source"]
    assert "someone/else" not in text
    assert badge_problems(tmp_path) == []


def test_readme_badge_opens_the_index():
    assert meta.binder_url("00_index.ipynb") in (ROOT / "README.md").read_text()


def test_readme_quick_start_shows_the_two_commands_first():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```bash", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert commands == ["make lab", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()
