"""Outputs of graded notebooks (course_utils.grade.outputs): bounded while the kernel runs, inert when rendered.

* ``CappedNotebookClient``: the budgets on messages fed through nbclient's own ``process_message``;
  then a real kernel (the venv's ``python3``) printing 50 MB, flooding before an error, raising a
  16 MB exception, with the grader's memory measured in a fresh process (plain nbclient as control);
* ``SafeOutputs``/``FeedbackOutputs``: each kind of active content, then the HTML that nbgrader's
  feedback and formgrade templates make of a hostile notebook, parsed for anything live, with the
  unprocessed notebook as control; and (slow) the real ``nbgrader autograde`` + ``generate_feedback``.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.grade import outputs as O
from course_utils.grade.outputs import CappedNotebookClient, FeedbackOutputs, SafeOutputs

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
MIB = 1024 * 1024


# ----------------------------------------------------------------------------- budgets, message by message
def _msg(msg_type: str, parent: str = "p", **content) -> dict:
    return {"msg_type": msg_type, "header": {"msg_type": msg_type, "msg_id": "m"}, "parent_header": {"msg_id": parent},
            "metadata": {}, "content": content}


def _client(cells: int = 2, **kw) -> tuple[CappedNotebookClient, nbformat.NotebookNode]:
    nb = new_notebook(cells=[new_code_cell("x") for _ in range(cells)])
    for cell in nb.cells:
        cell.outputs = []
    client = CappedNotebookClient(nb, record_timing=False, **kw)
    client.clear_before_next_output = False
    return client, nb


def _feed(client: CappedNotebookClient, nb, index: int, *msgs: dict) -> list:
    for m in msgs:
        client.process_message(m, nb.cells[index], index)
    return nb.cells[index].outputs


def _stream(text: str, name: str = "stdout") -> dict:
    return _msg("stream", name=name, text=text)


def test_a_stream_keeps_the_prefix_that_fits_then_nothing():
    client, nb = _client(max_cell_bytes=1000)
    outs = _feed(client, nb, 0, _stream("a" * 5000), _stream("b" * 10))
    assert [o.text for o in outs] == ["a" * (1000 - O.OUTPUT_OVERHEAD)]
    assert client.truncated == {0: 5000 - (1000 - O.OUTPUT_OVERHEAD) + 10}


def test_non_ascii_is_counted_in_utf8_bytes():
    client, nb = _client(max_cell_bytes=O.OUTPUT_OVERHEAD + 10)
    outs = _feed(client, nb, 0, _stream("é" * 20))
    assert outs[0].text == "é" * 5 and client.truncated == {0: 30}


def test_the_notebook_budget_spans_cells():
    client, nb = _client(max_cell_bytes=10_000, max_notebook_bytes=3000)
    _feed(client, nb, 0, _stream("a" * 2000))
    outs = _feed(client, nb, 1, _stream("b" * 2000))
    assert len(outs[0].text) == 3000 - 2 * O.OUTPUT_OVERHEAD - 2000
    assert client._scope[1] == "notebook" and 0 not in client.truncated


def test_what_scores_a_test_cell_is_kept_past_the_budget():
    """nbgrader scores a cell 0 on an error or stderr, partially on an execute_result: never dropped."""
    client, nb = _client(max_cell_bytes=1000)
    outs = _feed(client, nb, 0, _stream("x" * 5000), _stream("warning " * 1000, "stderr"), _stream("again", "stderr"),
                 _msg("execute_result", data={"text/plain": "0.5", "text/html": "<b>0.5</b>"}, metadata={}, execution_count=1),
                 _msg("error", ename="AssertionError", evalue="v" * 100_000, traceback=["line"] * 10))
    kinds = [(o.output_type, o.get("name")) for o in outs]
    assert kinds == [("stream", "stdout"), ("stream", "stderr"), ("execute_result", None), ("error", None)]
    assert len(outs[1].text) < 1100 and outs[1].text.startswith("warning") and "removed by the grader" in outs[1].text
    assert outs[2].data == {"text/plain": "0.5"}
    assert outs[3].ename == "AssertionError" and len(outs[3].evalue) < 5000


def test_cap_error_keeps_head_and_tail_of_the_traceback():
    frames = [f"frame {i} " + "x" * 500 for i in range(200)]
    capped, removed = O.cap_error({"ename": "ValueError", "evalue": "boom", "traceback": frames}, 16 * 1024)
    assert capped["ename"] == "ValueError" and capped["evalue"] == "boom"
    assert capped["traceback"][0] == frames[0] and capped["traceback"][-1] == frames[-1]
    marker = [line for line in capped["traceback"] if "bytes of traceback removed by the grader" in line]
    assert len(marker) == 1 and removed > 80_000
    assert O._text_bytes(capped) < 17 * 1024
    small = {"ename": "E", "evalue": "v", "traceback": ["t"]}
    assert O.cap_error(small) == (small, 0)


def test_clear_output_gives_the_budget_back():
    client, nb = _client(max_cell_bytes=1000)
    _feed(client, nb, 0, _stream("a" * 700))
    outs = _feed(client, nb, 0, _msg("clear_output", wait=False), _stream("b" * 700))
    assert [o.text for o in outs] == ["b" * 700] and client.truncated == {}
    outs = _feed(client, nb, 0, _msg("clear_output", wait=True), _stream("c" * 700))  # the deferred clear
    assert [o.text for o in outs] == ["c" * 700] and client.truncated == {}


def test_growing_a_display_through_update_display_data_is_bounded():
    client, nb = _client(max_cell_bytes=20_000, max_notebook_bytes=1 << 30)
    shown = [_msg("display_data", data={"text/plain": "small"}, metadata={}, transient={"display_id": "d"}) for _ in range(10)]
    _feed(client, nb, 0, *shown)
    big = _msg("update_display_data", data={"text/plain": "B" * 5000}, metadata={}, transient={"display_id": "d"})
    outs = _feed(client, nb, 0, big)  # 10 copies of 5000 bytes: over 20 000
    assert all(o.data["text/plain"] == "small" for o in outs)
    assert client.truncated[0] == 10 * O._text_bytes({"text/plain": "B" * 5000})
    fits = _msg("update_display_data", data={"text/plain": "M" * 500}, metadata={}, transient={"display_id": "d"})
    outs = _feed(client, nb, 0, fits)
    assert all(o.data["text/plain"] == "M" * 500 for o in outs)


def test_widget_state_is_bounded():
    client, nb = _client(max_cell_bytes=10_000)
    opened = _msg("comm_open", comm_id="c1", target_name="jupyter.widget", data={"state": {"_model_module": "x", "value": "v" * 5000}})
    _feed(client, nb, 0, opened, _msg("comm_msg", comm_id="c1", data={"method": "update", "state": {"value": "w" * 50_000}}))
    assert client.widget_state["c1"]["value"] == "v" * 5000 and client.truncated[0] == O._text_bytes({"method": "update", "state": {"value": "w" * 50_000}})


def test_the_note_says_how_much_and_is_not_an_error():
    note = O.truncation_note(48_951_680, MIB, "cell")
    assert note.output_type == "display_data" and O.is_truncation_note(note)
    assert note.data["text/plain"] == "[output truncated by the grader: 48951680 bytes over the limit of 1048576 bytes per cell]"
    lost = O.truncation_note(8 * MIB, MIB, "cell", lost_messages=1, message_limit=8 * MIB)
    assert "at least 8388608 bytes" in lost.data["text/plain"] and "1 output message(s) over 8388608 bytes" in lost.data["text/plain"]
    from nbgrader.utils import determine_grade

    cell = new_code_cell("", metadata={"nbgrader": {"grade": True, "solution": False, "points": 2, "grade_id": "t"}})
    cell.outputs = [note]
    assert determine_grade(cell) == (2, 2), "the note never costs a test its points"


# ----------------------------------------------------------------------------- a real kernel
MEASURE = textwrap.dedent('''
    import json, sys, nbformat
    from nbformat.v4 import new_notebook, new_code_cell
    sys.path.insert(0, {root!r})
    from nbclient import NotebookClient
    from course_utils.grade.outputs import CappedNotebookClient

    def hwm():
        status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines())
        return int(status["VmHWM"].split()[0]) * 1024

    cls = CappedNotebookClient if sys.argv[1] == "capped" else NotebookClient
    nb = new_notebook(cells=[new_code_cell("print('warm')"), new_code_cell(sys.argv[2])])
    client = cls(nb, kernel_name="python3", timeout=120, allow_errors=True, shutdown_kernel="immediate")
    with client.setup_kernel():
        client.execute_cell(nb.cells[0], 0)
        before = hwm()
        client.execute_cell(nb.cells[1], 1)
        after = hwm()
    print(json.dumps({{"growth": after - before, "cell_json": len(nbformat.writes(new_notebook(cells=[nb.cells[1]]))),
                      "outputs": nb.cells[1].outputs, "truncated": getattr(client, "truncated", {{}}).get(1)}}))
''')


def _measure(kind: str, code: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", MEASURE.format(root=str(ROOT)), kind, code], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("code", ["print('x' * 50_000_000)", "for i in range(50_000): print('y' * 999)"],
                         ids=["one-print", "print-loop"])
def test_50_mb_of_output_keeps_the_cell_and_the_grader_small(code):
    capped = _measure("capped", code)
    plain = _measure("plain", code)
    print(f"\n{code}: capped keeps {capped['cell_json']} bytes, grader peak RSS +{capped['growth'] / MIB:.1f} MiB; "
          f"plain nbclient keeps {plain['cell_json']} bytes, +{plain['growth'] / MIB:.1f} MiB")
    assert plain["cell_json"] > 50_000_000 and plain["growth"] > 50 * MIB, "control: nbclient alone keeps it all"
    assert capped["cell_json"] < 1.1 * MIB
    assert capped["growth"] < 20 * MIB, "well under the 50 MB printed"
    note = capped["outputs"][-1]
    assert O.is_truncation_note(note) and note["data"]["text/plain"].startswith(O.NOTE_PREFIX)
    # a message over max_message_bytes (2 MiB) is dropped whole, unread: its size is only known to be over that
    assert capped["truncated"] >= 2 * MIB


@pytest.fixture(scope="module")
def kernel_run():
    """One python3 kernel, a notebook of hostile cells, run by CappedNotebookClient as the judge runs them."""
    cells = {
        "flood_then_fail": "import time\nfor i in range(30):\n    print('z' * 100_000, flush=True); time.sleep(0.01)\nassert 1 == 2, 'the test failed'",
        "big_print_then_fail": "print('z' * 3_000_000)\nassert 1 == 2, 'the test failed'",
        "stderr_flood_then_pass": "import sys, time\nfor i in range(30):\n    print('o' * 100_000, flush=True); time.sleep(0.01)\nsys.stderr.write('E' * 100_000)\nprint('ok')",
        "huge_exception": "raise ValueError('<' * 20_000_000)",
        "after": "print('still answering')",
        "display_bomb": ("from IPython.display import display\nh = display('a', display_id=True)\n"
                         "for i in range(300): display('b', display_id=h.display_id)\nh.update('c' * 100_000)"),
    }
    nb = new_notebook(cells=[new_code_cell(code) for code in cells.values()])
    client = CappedNotebookClient(nb, kernel_name="python3", timeout=120, allow_errors=True, shutdown_kernel="immediate")
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
    return {name: nb.cells[i] for i, name in enumerate(cells)}, client


@pytest.mark.slow
@pytest.mark.parametrize("name", ["flood_then_fail", "big_print_then_fail"])
def test_a_flood_never_hides_the_error(kernel_run, name):
    cells, client = kernel_run
    outs = cells[name].outputs
    kinds = [o.output_type for o in outs]
    assert kinds[-2:] == ["error", "display_data"] and set(kinds[:-2]) <= {"stream"}
    assert outs[-2].evalue == "the test failed" and O.is_truncation_note(outs[-1])
    assert sum(len(o.text) for o in outs if o.output_type == "stream") <= MIB
    if name == "flood_then_fail":  # messages under max_message_bytes: the prefix that fits is kept
        assert outs[0].text.startswith("z" * 1000)
    else:  # one 3 MB message: over max_message_bytes, dropped unread, IOPub reconnected
        index = list(cells).index(name)
        assert client.lost_messages.get(index) == 1 and "dropped whole" in outs[-1].data["text/plain"]
    from nbgrader.utils import determine_grade

    cell = copy.deepcopy(cells[name])
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "points": 1, "grade_id": "t"}
    assert determine_grade(cell) == (0, 1)


@pytest.mark.slow
def test_a_stderr_flood_still_counts_as_stderr(kernel_run):
    cells, _ = kernel_run
    outs = cells["stderr_flood_then_pass"].outputs
    stderr = [o for o in outs if o.output_type == "stream" and o.name == "stderr"]
    assert stderr and sum(len(o.text) for o in stderr) <= MIB and O.is_truncation_note(outs[-1])


@pytest.mark.slow
def test_a_huge_exception_is_reported_and_the_kernel_answers_after_it(kernel_run):
    cells, client = kernel_run
    outs = cells["huge_exception"].outputs
    errors = [o for o in outs if o.output_type == "error"]
    assert len(errors) == 1 and errors[0].ename in ("ValueError", "GraderError")
    assert O._text_bytes(errors[0]) < 20 * 1024 and O.is_truncation_note(outs[-1])
    assert [o.text for o in cells["after"].outputs] == ["still answering\n"]


@pytest.mark.slow
def test_update_display_cannot_multiply_a_payload(kernel_run):
    cells, _ = kernel_run
    outs = cells["display_bomb"].outputs
    assert len(nbformat.writes(new_notebook(cells=[cells["display_bomb"]]))) < 2 * MIB
    assert O.is_truncation_note(outs[-1])


# ----------------------------------------------------------------------------- safe outputs
def _out(**data) -> nbformat.NotebookNode:
    return new_output("display_data", data=data)


@pytest.mark.parametrize("data,kept", [
    ({"text/html": "<b>x</b>", "text/plain": "x"}, {"text/plain": "x"}),
    ({"text/html": XSS}, {"text/plain": O.HTML_REMOVED}),
    ({"application/javascript": "alert(1)", "text/plain": "<IPython.Javascript>"}, {"text/plain": "<IPython.Javascript>"}),
    ({"image/svg+xml": "<svg onload=alert(1)/>"}, {"text/plain": "[image/svg+xml output removed by the grader]"}),
    ({"application/vnd.jupyter.widget-view+json": {"model_id": "a"}, "text/plain": "HBox()"}, {"text/plain": "HBox()"}),
    ({"text/markdown": "**bold** and $x<y$"}, {"text/markdown": "**bold** and $x<y$"}),
    ({"text/markdown": "hi " + XSS}, {"text/plain": "hi " + XSS}),
    ({"text/markdown": "[x](javascript:alert(1))"}, {"text/plain": "[x](javascript:alert(1))"}),
    ({"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}, {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
    ({"image/png": 'AAAA" onerror="alert(1)'}, {"text/plain": "[image/png output removed by the grader]"}),
    ({"application/json": {"a": 1}, "text/latex": "$x$"}, {"application/json": {"a": 1}, "text/plain": "[text/latex output removed by the grader]"}),
])
def test_safe_output_keeps_only_inert_data(data, kept):
    out = O.safe_output(_out(**data))
    assert dict(out.data) == kept


def test_safe_output_drops_metadata_of_removed_types_and_filenames():
    out = new_output("display_data", data={"image/png": "AAAA", "text/html": "x"},
                     metadata={"image/png": {"width": 10}, "text/html": {"isolated": True}, "filenames": {"image/png": "javascript:x"}})
    assert dict(O.safe_output(out).metadata) == {"image/png": {"width": 10}}


def test_image_sizes_are_numbers_only():
    """nbconvert writes ``width={{ width | escape_html }}`` without quotes: a space starts a new attribute."""
    out = new_output("display_data", data={"image/png": "AAAA"},
                     metadata={"image/png": {"width": "1 onerror=alert(1)", "height": "240", "unconfined": "yes", "alt": "a plot"}})
    assert dict(O.safe_output(out).metadata) == {"image/png": {"height": "240", "alt": "a plot"}}


@pytest.mark.parametrize("source", ["# Title\n\nText with `<Env>` and $a<b$, a [link](https://aws.amazon.com).\n\n| a | b |\n|:--|--:|\n| 1 | 2 |",
                                    "```python\nx = 1 < 2\n```", "- [ ] task\n- item"])
def test_safe_markdown_is_left_as_written(source):
    assert O.sanitize_markdown(source) == source


@pytest.mark.parametrize("source", ["Answer\n\n" + XSS, "[click](javascript:alert(1))", "<iframe src=//evil></iframe>",
                                    "<a href='JaVaScRiPt:alert(1)'>x</a>", "<div style='position:fixed;top:0'>x</div>",
                                    "<form action=//evil><input type=text name=p></form>"])
def test_unsafe_markdown_becomes_its_sanitized_rendering(source):
    safe = O.sanitize_markdown(source)
    assert safe != source
    assert O.html_is_safe(O._markdown2html(safe)), O._markdown2html(safe)


def test_feedback_shows_only_the_errors_of_test_cells():
    test = new_code_cell("assert f() == 1", metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t", "points": 1}})
    test.outputs = [new_output("stream", name="stdout", text="expected 42 (hidden)\n"),
                    new_output("execute_result", data={"text/plain": "42"}, execution_count=1),
                    new_output("error", ename="AssertionError", evalue="", traceback=["AssertionError"]),
                    O.truncation_note(10, 5, "cell")]
    answer = new_code_cell("f()", metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "a"}})
    answer.outputs = [new_output("stream", name="stdout", text="mine\n"), _out(**{"text/html": XSS, "text/plain": "p"})]
    nb = new_notebook(cells=[answer, test], metadata={"widgets": {"application/vnd.jupyter.widget-state+json": {}}})
    nb, _ = FeedbackOutputs().preprocess(nb, {})
    assert [o.output_type for o in nb.cells[1].outputs] == ["error", "display_data", "stream"]
    assert nb.cells[1].outputs[2].text == O.FEEDBACK_NOTE.format(n=2) + "\n"
    assert "42" not in json.dumps(nb.cells[1].outputs)
    assert nb.cells[0].outputs[0].text == "mine\n" and dict(nb.cells[0].outputs[1].data) == {"text/plain": "p"}
    assert "widgets" not in nb.metadata


# ----------------------------------------------------------------------------- the rendered HTML
class _Live(HTMLParser):
    """What in an HTML page can run: event handlers, javascript: URLs, frames, and scripts that alert."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.script: dict | None = None

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            compact = (value or "").lower().replace(" ", "")
            if name.startswith("on") or "javascript:" in compact:
                self.found.append(f"<{tag} {name}={value}>")
        if tag in ("iframe", "object", "embed", "base", "form"):
            self.found.append(f"<{tag}>")
        if tag == "script":
            self.script = dict(attrs)

    def handle_data(self, data):
        if self.script is not None and "alert" in data:
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self.script = None


def live(html: str) -> list[str]:
    parser = _Live()
    parser.feed(html)
    return parser.found


def _exporter(template: str):
    import nbgrader
    from nbconvert.exporters import HTMLExporter
    from traitlets.config import Config

    base = Path(nbgrader.__file__).parent / "server_extensions" / "formgrader"
    config = Config()  # as nbgrader's GenerateFeedback (feedback) and formgrader (formgrade) set it up
    config.HTMLExporter.template_name = template
    config.HTMLExporter.extra_template_basedirs = [str(base / "templates")]
    config.HTMLExporter.extra_template_paths = [str(base / "static" / "node_modules" / "bootstrap" / "dist" / "css")]
    return HTMLExporter(config=config)


RESOURCES = {
    "feedback": {"nbgrader": {"notebook": "d1", "score": 1, "max_score": 2, "late_penalty": 0}},
    "formgrade": {"assignment_id": "d1", "notebook_id": "d1", "submission_id": "x", "index": 0, "total": 1, "base_url": "",
                  "student": "s", "last_name": "L", "first_name": "F", "notebook_path": "/d1.ipynb"},
}


def hostile_notebook() -> nbformat.NotebookNode:
    test = new_code_cell("assert f(1) == 2", metadata={"nbgrader": {"grade": True, "solution": False, "grade_id": "t1", "points": 1,
                                                                     "score": 0, "locked": True}})
    test.outputs = [new_output("stream", name="stdout", text=XSS),
                    new_output("error", ename=XSS, evalue=XSS, traceback=[XSS, "\x1b[31m" + XSS + "\x1b[0m"])]
    answer = new_code_cell("def f(x): ...", metadata={"nbgrader": {"grade": False, "solution": True, "grade_id": "s1"},
                                                      "tags": ['x" onmouseover="alert(1)']})
    answer.outputs = [
        new_output("stream", name="stderr", text=XSS),
        _out(**{"text/html": XSS, "application/javascript": "alert(1)", "image/svg+xml": "<svg onload=alert(1)/>"}),
        new_output("execute_result", data={"text/html": XSS, "text/plain": "plain <b>"}, execution_count=1),
        _out(**{"text/markdown": "hi " + XSS + " [x](javascript:alert(1))"}),
        _out(**{"application/vnd.jupyter.widget-view+json": {"model_id": "w", "version_major": 2}, "text/plain": "HTML()"}),
        new_output("display_data", data={"image/png": 'AAAA" onerror="alert(1)'},
                   metadata={"image/png": {"width": '1" onerror="alert(1)'}, "filenames": {"image/png": "javascript:alert(1)"}}),
        new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"},
                   metadata={"image/png": {"width": "1 onerror=alert(1)", "height": '2 onload="alert(1)"'}}),
        new_output("error", ename="E", evalue=XSS, traceback=[XSS]),
    ]
    written = new_markdown_cell("# Answer\n\n" + XSS + "\n\n[click](javascript:alert(1)), `<Env>`, $a<b$",
                                metadata={"nbgrader": {"grade": True, "solution": True, "grade_id": '"><script>alert(1)</script>',
                                                       "points": 1, "score": 1, "comment": "Good. <img src=x onerror=alert(3)>"}})
    plain = new_markdown_cell("An instructor's cell a student edited: <img src=x onerror=alert(1)>")
    nb = new_notebook(cells=[plain, written, answer, test])
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {
        "state": {"w": {"model_name": "HTMLModel", "model_module": "@jupyter-widgets/controls", "state": {"value": XSS}}},
        "version_major": 2, "version_minor": 0}}
    return nb


@pytest.mark.parametrize("template,preprocessor", [("feedback", FeedbackOutputs), ("formgrade", SafeOutputs)])
def test_rendered_html_has_nothing_live(template, preprocessor):
    exporter = _exporter(template)
    baseline = live(exporter.from_notebook_node(new_notebook(), resources=copy.deepcopy(RESOURCES[template]))[0])
    raw = live(exporter.from_notebook_node(hostile_notebook(), resources=copy.deepcopy(RESOURCES[template]))[0])
    assert len(raw) > len(baseline) + 8, "control: the templates render this notebook's active content live"
    nb, _ = preprocessor().preprocess(hostile_notebook(), {})
    html = exporter.from_notebook_node(nb, resources=copy.deepcopy(RESOURCES[template]))[0]
    assert live(html) == baseline, [f for f in live(html) if f not in baseline]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, "errors and streams are shown, escaped"
    assert "<code>&lt;Env&gt;</code>" in html and "[HTML output removed by the grader]" in html


# ----------------------------------------------------------------------------- nbgrader, end to end
MASTER_SOLUTION = "def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION\n"
MASTER_TEST = ("print('checking f')\nassert f(1) == 2, 'f(1) should be 2'\n### BEGIN HIDDEN TESTS\n"
               "assert f(21) == 42, 'hidden-expected-42'\n### END HIDDEN TESTS\n")
STUDENT = (f"from IPython.display import display, HTML, Javascript, Markdown\n"
           f"display(HTML({XSS!r}))\ndisplay(Javascript('alert(1)'))\ndisplay(Markdown('[x](javascript:alert(1))'))\n"
           f"print({XSS!r})\n"
           f"def f(x):\n    raise ValueError({XSS!r})\n")


@pytest.mark.slow
def test_nbgrader_autograde_and_feedback_render_nothing_live(tmp_path):
    """The real pipeline: generate, autograde (SafeOutputs), generate_feedback (FeedbackOutputs)."""
    course = tmp_path / "course"
    (course / "source" / "a").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text(textwrap.dedent(f'''
        c = get_config()
        c.CourseDirectory.course_id = "t"
        c.CourseDirectory.root = {str(course)!r}
        c.Autograde.autograde_preprocessors = [
            "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
            "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
            "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
            "course_utils.grade.outputs.SafeOutputs", "nbgrader.preprocessors.CheckCellMetadata"]
        c.GenerateFeedback.preprocessors = [
            "nbgrader.preprocessors.GetGrades", "course_utils.grade.preprocessors.ClearHiddenTestsAndTracebacks",
            "course_utils.grade.outputs.FeedbackOutputs", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]
    '''))
    nb = new_notebook(cells=[
        new_markdown_cell("Write `f`; a `<Env>` in code."),
        new_code_cell(MASTER_SOLUTION, metadata={"nbgrader": {"grade": False, "solution": True, "locked": False, "grade_id": "answer",
                                                              "schema_version": 3}}),
        new_code_cell(MASTER_TEST, metadata={"nbgrader": {"grade": True, "solution": False, "locked": True, "grade_id": "test",
                                                          "points": 2, "schema_version": 3}}),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, course / "source" / "a" / "a.ipynb")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    nbgrader = str(Path(sys.executable).parent / "nbgrader")

    def run(*args: str) -> None:
        proc = subprocess.run([nbgrader, *args], cwd=course, env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]

    run("generate_assignment", "a", "--force")
    released = nbformat.read(course / "release" / "a" / "a.ipynb", as_version=4)
    released.cells[0].source = "My answer: " + XSS + " [click](javascript:alert(1))"
    released.cells[1].source = STUDENT
    (course / "submitted" / "s" / "a").mkdir(parents=True)
    nbformat.write(released, course / "submitted" / "s" / "a" / "a.ipynb")
    run("autograde", "a", "--force")
    run("generate_feedback", "a", "--force")

    graded = nbformat.read(course / "autograded" / "s" / "a" / "a.ipynb", as_version=4)
    mimes = {m for cell in graded.cells for o in cell.get("outputs", []) for m in o.get("data", {})}
    assert mimes <= {"text/plain"}, mimes
    test_cell = graded.cells[2]
    assert [o.output_type for o in test_cell.outputs][-1] == "error" and "checking f" in test_cell.outputs[0].text

    html = (course / "feedback" / "s" / "a" / "a.html").read_text()
    exporter = _exporter("feedback")
    baseline = live(exporter.from_notebook_node(new_notebook(), resources=copy.deepcopy(RESOURCES["feedback"]))[0])
    assert live(html) == baseline, [f for f in live(html) if f not in baseline]
    assert "hidden-expected-42" not in html
    assert "<pre>checking f" not in html and O.FEEDBACK_NOTE.format(n=1) in html, "the test cell shows its error only"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "ValueError" in html
    assert "(Score: 0.0 / 2.0)" in html
    form = _exporter("formgrade").from_filename(str(course / "autograded" / "s" / "a" / "a.ipynb"),
                                               resources=copy.deepcopy(RESOURCES["formgrade"]))[0]
    form_baseline = live(_exporter("formgrade").from_notebook_node(new_notebook(), resources=copy.deepcopy(RESOURCES["formgrade"]))[0])
    assert live(form) == form_baseline, [f for f in live(form) if f not in form_baseline]
