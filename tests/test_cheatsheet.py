"""The printable cheat sheet (issue 21): ``python -m course_utils cheatsheet`` and ``make cheatsheet``.

The real sheet is built once from the course's data and read back with a small PDF text
extractor (tests/cheatsheet_pdftext.py: no PDF library is installed); the error cases use copies
of the data with one file broken.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import shutil

import pytest
from cheatsheet_pdftext import pdf_pages_text
from conftest import NOTEBOOKS, ROOT

from course_utils import cheatsheet
from course_utils.cheatsheet_content import Card, CheatSheetError, DomainBlock, Sheet, Table, TaskBlock, Tip, plain_text
from course_utils.cheatsheet_pdf import MARGIN_BOTTOM, MARGIN_X, PAGE_SIZE, layout_pages, width, wrap
from course_utils.cli import main
from course_utils.syllabus import load_syllabus

DATA = ROOT / "course_utils" / "data"
BUILT = dt.date(2026, 12, 4)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    """The real cheat sheet, built through the CLI: (exit code, stdout, pages' text, path)."""
    out = tmp_path_factory.mktemp("sheet") / "sheet.pdf"
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["cheatsheet", "-o", str(out), "--date", BUILT.isoformat(), "--notebooks", str(NOTEBOOKS)])
    return code, stdout.getvalue(), pdf_pages_text(out), out


# --------------------------------------------------------------------------------- the real sheet
def test_the_cli_builds_a_multi_page_pdf(sheet):
    code, stdout, pages, out = sheet
    assert code == 0
    assert out.read_bytes().startswith(b"%PDF-")
    assert len(pages) > 1
    assert f"wrote {out}: {len(pages)} pages, 12 task statements" in stdout


def test_every_task_statement_has_its_heading_in_course_order(sheet):
    text = _flat("\n".join(sheet[2]))
    positions = []
    for task in load_syllabus().tasks:
        heading = f"Task {task.id}: {task.title}"
        assert heading in text, heading
        positions.append(text.index(heading))
    assert positions == sorted(positions)


def test_a_known_exam_tip_is_under_its_task_without_markdown(sheet):
    text = _flat("\n".join(sheet[2]))
    tip = "Put SDK clients, configuration reads and connection setup outside the handler"  # 01_development#lambda-basics
    assert tip in text
    assert text.index("Task 1.1:") < text.index(tip) < text.index("Task 1.2:")
    assert "**" not in text and "💡" not in text
    # a tip whose quote continues on lines without ">" (markdown's lazy continuation) is whole
    assert "a FilterExpression never lowers consumed capacity" in text


def test_flashcard_figures_and_comparisons_are_on_the_sheet(sheet):
    text = _flat("\n".join(sheet[2]))
    # fc-d1-apigw-payload-limits (task 1.1): a figure, with its non-ASCII neighbours intact
    assert "WebSocket: 128 KB per message, in frames of at most 32 KB" in text
    assert "→" in text and "≤" in text and "AWS Certified Developer – Associate" in text
    # a drill's comparison table: its title, a header cell and a row
    assert "Customers are charged twice" in text
    assert "Visibility timeout 540 s" in text


def test_every_page_carries_the_exam_the_date_and_its_number(sheet):
    pages = sheet[2]
    for number, page in enumerate(pages, 1):
        assert f"DVA-C03 cheat sheet · AWS Certified Developer – Associate · built {BUILT.isoformat()}" in page
        assert f"page {number} of {len(pages)}" in page
    first = _flat(pages[0])
    assert first.startswith("DVA-C03 cheat sheet")
    assert "Scoring: Scaled score 100–1,000, 720 to pass" in first
    assert "(not yet confirmed for DVA-C03)" in first  # the syllabus's unconfirmed facts say so


# --------------------------------------------------------------------------------- exit codes, errors
def _data_copy(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(DATA / "syllabus.yaml", data / "syllabus.yaml")
    shutil.copytree(DATA / "flashcards", data / "flashcards")
    shutil.copytree(DATA / "drills", data / "drills")
    return data


def test_a_malformed_flashcard_file_exits_1_and_writes_nothing(tmp_path, capsys):
    data = _data_copy(tmp_path)
    (data / "flashcards" / "domain1.yaml").write_text("domain: 1\ncards: [unclosed\n", encoding="utf-8")
    out = tmp_path / "sheet.pdf"
    assert main(["cheatsheet", "-o", str(out), "--data", str(data), "--notebooks", str(NOTEBOOKS)]) == 1
    err = capsys.readouterr().err
    assert "domain1.yaml" in err and "not valid YAML" in err
    assert "nothing written" in err
    assert list(tmp_path.glob("*.pdf")) == [] and list(tmp_path.glob(".*tmp")) == []


def test_a_broken_syllabus_names_the_field(tmp_path, capsys):
    data = _data_copy(tmp_path)
    text = (data / "syllabus.yaml").read_text(encoding="utf-8")
    (data / "syllabus.yaml").write_text(text.replace("weight: 30", "weight: many", 1), encoding="utf-8")
    out = tmp_path / "sheet.pdf"
    out.write_bytes(b"the previous sheet")
    assert main(["cheatsheet", "-o", str(out), "--data", str(data), "--notebooks", str(NOTEBOOKS)]) == 1
    assert "domains[0].weight" in capsys.readouterr().err
    assert out.read_bytes() == b"the previous sheet"  # left as it was


def test_a_notebook_that_is_not_json_exits_1(tmp_path, capsys):
    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "01_development.ipynb").write_text("{not json", encoding="utf-8")
    assert main(["cheatsheet", "-o", str(tmp_path / "s.pdf"), "--notebooks", str(folder)]) == 1
    assert "01_development.ipynb: not a readable notebook" in capsys.readouterr().err
    assert not (tmp_path / "s.pdf").exists()


def test_a_bad_date_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["cheatsheet", "-o", str(tmp_path / "s.pdf"), "--date", "4 December"])
    assert exc.value.code == 2
    assert "not a date (YYYY-MM-DD)" in capsys.readouterr().err


def test_a_failure_while_drawing_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    from matplotlib.backends import backend_pdf

    out = tmp_path / "sheet.pdf"
    out.write_bytes(b"the previous sheet")

    def fail(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(backend_pdf.PdfPages, "savefig", fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        cheatsheet.build_cheatsheet(out, built=BUILT, notebooks=NOTEBOOKS)
    assert out.read_bytes() == b"the previous sheet"
    assert [p.name for p in tmp_path.iterdir()] == ["sheet.pdf"]


def test_an_unwritable_target_is_a_cheatsheet_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CheatSheetError, match="cannot be written"):
        cheatsheet.build_cheatsheet(blocker / "sheet.pdf", built=BUILT, notebooks=NOTEBOOKS)


def test_the_makefile_has_a_cheatsheet_target():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^cheatsheet: \$\(STAMP\)\n\t\$\(BIN\)/python -m course_utils cheatsheet", makefile, re.M)


# --------------------------------------------------------------------------------- layout and text
def test_plain_text_drops_markdown():
    md = '> 💡 **Exam tip:** *"a scenario"* → use `aws_x` ([docs](https://x.example)) <br>\n>   and more'
    assert plain_text(md) == '💡 Exam tip: "a scenario" → use aws_x (docs) and more'


def test_wrap_keeps_lines_inside_the_width_and_replaces_missing_glyphs():
    text = "Limits → 10 GB ≤ x, café " * 30 + "arn:aws:lambda:" + "x" * 200 + " 💡 end"
    lines = wrap(text, 200)
    assert len(lines) > 10
    assert all(width(line) <= 200 for line in lines)
    joined = " ".join(lines)
    assert "→" in joined and "≤" in joined and "café" in joined
    assert "💡" not in joined and "? end" in joined  # DejaVu Sans has no emoji


def test_long_content_breaks_into_pages_inside_the_margins():
    long_tip = Tip("Long tip → " + "word " * 400, "Section", "01_x#y")
    task = TaskBlock("1.1", "A task", tips=[long_tip] * 6, cards=[Card("Front?", "Back 42 " * 60)] * 5,
                     tables=[Table("T", ["Option", "Effect"], [["A) " + "a " * 40, "b"]] * 30)])
    demo = Sheet("DVA-C03", "Demo exam", BUILT, [("Questions", "65", False)], [DomainBlock(1, "Dev", 30, [task])])
    pages = layout_pages(demo)
    assert len(pages) >= 3
    for ops in pages:
        for op in ops:
            assert MARGIN_X - 12 <= op.x <= PAGE_SIZE[0] - MARGIN_X
            assert MARGIN_BOTTOM <= op.y <= PAGE_SIZE[1]
            if op.text:
                assert op.x + width(op.text, op.font, op.size) <= PAGE_SIZE[0] - MARGIN_X + 0.5


def test_the_extractor_reads_what_matplotlib_wrote(tmp_path):
    """The helper the tests rely on: a one-page PDF with known text comes back as written."""
    import matplotlib
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    path = tmp_path / "t.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 42}), PdfPages(path) as pdf:
        fig = Figure()
        fig.text(0.1, 0.5, "S3 → 50 TB, ≤ 1 MiB, é $x$", parse_math=False)
        pdf.savefig(fig)
    assert pdf_pages_text(path) == ["S3 → 50 TB, ≤ 1 MiB, é $x$"]
