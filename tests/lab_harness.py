"""Real-browser harness: JupyterLab on 127.0.0.1 driven by Debian's Chromium through Playwright.

Used by the ``lab`` and ``page`` fixtures in ``conftest.py``. JupyterLab serves a temporary
copy of ``notebooks/`` (running cells in the browser never touches the repository) and is
stopped when the test session ends. Lab runs with the learners' configuration
(``jupyter_config/learner``, as ``make lab`` and Binder do: no nbgrader tools, no grading kernel).
Chromium is never downloaded: the harness uses ``/usr/bin/chromium`` (``apt-get install chromium``).

The harness drives Lab through its own command registry (Lab runs with
``--LabApp.expose_app_in_browser``, which sets ``window.jupyterapp``), never through menus: a
command cannot be lost under a dialog or a menu that is still opening. Every wait polls for
JupyterLab dialogs (``.jp-Dialog``) and dismisses them with a note of what they said; a dialog
saying the kernel died ends the wait at once with that message. After each test every kernel and
session is shut down through the REST API.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["CHROMIUM", "CHROMIUM_FLAGS", "LEARNER_CONFIG", "SCREENSHOTS", "Lab", "LabError", "chromium_available",
           "chromium_page", "jupyterlab", "require_chromium", "save_failure_artifacts", "stop_process_group"]

CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "build" / "screenshots"
LEARNER_CONFIG = Path(__file__).resolve().parent.parent / "jupyter_config" / "learner"  # JUPYTER_CONFIG_PATH of the lab
POLL_MS = 1_000  # how often a long wait looks for dialogs

# The open notebook panel whose path is ``name`` (JupyterLab's main area), or null.
_PANEL = """(name) => { const app = window.jupyterapp; if (!app || !app.shell) { return null; }
    for (const w of app.shell.widgets('main')) {
        if (w.context && w.sessionContext && w.content && w.context.path === name) { return w; } }
    return null; }"""


def _js_with_panel(body: str) -> str:
    """A page function of ``name`` in which ``panel`` is the notebook's panel (or null)."""
    return f"(name) => {{ const panel = ({_PANEL})(name); {body} }}"


_KERNEL_IDLE = _js_with_panel(
    "if (!panel || !panel.context.isReady || !panel.sessionContext.isReady) { return false; }"
    " const k = panel.sessionContext.session && panel.sessionContext.session.kernel;"
    " return !!k && k.status === 'idle' && k.connectionStatus === 'connected';")
_START_RUN_ALL = _js_with_panel(
    "if (!panel) { return 'no open notebook ' + name; }"
    " window.jupyterapp.shell.activateById(panel.id);"
    " const state = {done: false, statuses: []}; window.__courseRunAll = state;"
    " panel.sessionContext.statusChanged.connect((_, status) => { state.statuses.push(status); });"
    " window.jupyterapp.commands.execute('notebook:run-all-cells').then("
    "   ok => { state.ok = ok === true; state.done = true; },"
    "   err => { state.ok = false; state.error = String(err); state.done = true; });"
    " return '';")
_FIRST_ERROR = _js_with_panel(
    "if (!panel) { return null; } const cells = panel.content.model.cells;"
    " for (let i = 0; i < cells.length; i++) { const c = cells.get(i); if (c.type !== 'code') { continue; }"
    "   for (let j = 0; j < c.outputs.length; j++) { const o = c.outputs.get(j).toJSON();"
    "     if (o.output_type === 'error') { return {cell: i, ename: o.ename, evalue: String(o.evalue).slice(0, 500)}; } } }"
    " for (let i = 0; i < cells.length; i++) { const c = cells.get(i);"
    "   if (c.type === 'code' && !c.executionCount) { return {cell: i, ename: '', evalue: ''}; } }"
    " return null;")
_CLOSE_DIALOG = """() => { const all = document.querySelectorAll('.jp-Dialog'); const d = all[all.length - 1];
    if (!d) { return null; }
    const text = sel => ((d.querySelector(sel) || {}).textContent || '').trim();
    const title = text('.jp-Dialog-header');
    const button = (/select kernel/i.test(title) ? null : d.querySelector('.jp-Dialog-button.jp-mod-reject'))
                   || d.querySelector('.jp-Dialog-button.jp-mod-accept') || d.querySelector('.jp-Dialog-button');
    const info = { count: all.length, title: title, body: text('.jp-Dialog-body').slice(0, 500),
                   buttons: Array.from(d.querySelectorAll('.jp-Dialog-button')).map(b => (b.textContent || '').trim()),
                   pressed: button ? (button.textContent || '').trim() : 'Escape' };
    if (button) { button.click(); }
    else { d.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', keyCode: 27, bubbles: true})); }
    return info; }"""
_KERNEL_DIED = re.compile(r"appears to have died|kernel .*(died|terminating)|Kernel Restarting", re.I)


class LabError(AssertionError):
    """JupyterLab did not reach the state a test waited for (the message says which and why)."""


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)


def require_chromium(in_ci: bool) -> None:
    """Skip the test without Chromium; under CI=true that is a failure, not a skip."""
    import pytest

    if not chromium_available():
        message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium` (never `playwright install`)"
        if in_ci:
            pytest.fail(message + " -- required under CI=true")
        pytest.skip(message)


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM the process group of ``process`` (started with ``start_new_session``); SIGKILL it after 15 s."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server serving ``root``."""

    def __init__(self, root: Path, port: int, token: str, process: subprocess.Popen, log: Path) -> None:
        self.root, self.port, self.token, self.process, self.log = root, port, token, process, log
        self.dialogs: list[str] = []  # every dialog dismissed in this session, as "title: body [buttons]"
        self.notebook = ""  # the notebook opened last (the default for wait_idle and run_all)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook: str) -> str:
        return f"{self.base_url}/lab/tree/{notebook}?token={self.token}&reset"

    # ------------------------------------------------------------------ REST: kernels and sessions
    def api(self, method: str, path: str) -> object:
        """Call the server's REST API (``/api/...``) with the token; JSON result or ``None``."""
        request = urllib.request.Request(f"{self.base_url}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def kernels(self) -> list[dict]:
        return list(self.api("GET", "/api/kernels") or [])

    def shutdown_all(self, timeout: float = 60.0) -> int:
        """Delete every session and kernel; return how many kernels were running. Raises if any survive."""
        running = len(self.kernels())
        for session in self.api("GET", "/api/sessions") or []:
            self._delete(f"/api/sessions/{session['id']}")
        for kernel in self.kernels():
            self._delete(f"/api/kernels/{kernel['id']}")
        deadline = time.monotonic() + timeout
        while (left := self.kernels()) and time.monotonic() < deadline:
            time.sleep(0.5)
        if left:
            raise LabError(f"{len(left)} kernel(s) still running {timeout:.0f} s after shutdown: {left} (see {self.log})")
        return running

    def _delete(self, path: str) -> None:
        try:
            self.api("DELETE", path)
        except urllib.error.HTTPError as exc:
            if exc.code != 404:  # already gone (a session's kernel goes with it)
                raise

    def memory_mb(self) -> float:
        """Resident memory of the server and every process under it (its kernels), in MB."""
        out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,rss="], capture_output=True, text=True).stdout
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for line in out.splitlines():
            pid, ppid, kb = (int(x) for x in line.split())
            children.setdefault(ppid, []).append(pid)
            rss[pid] = kb
        todo, total = [self.process.pid], 0
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, []))
        return total / 1024

    # ------------------------------------------------------------------ dialogs and waits
    def guard(self, page) -> None:
        """Dismiss any dialog that would block a click or an ``expect`` (Playwright's locator handler)."""
        page.add_locator_handler(page.locator(".jp-Dialog"), lambda _dialog: self.dismiss_dialogs(page))

    def dismiss_dialogs(self, page) -> list[str]:
        """Close every open JupyterLab dialog, noting what it said; return the notes.

        "Select Kernel" is accepted (Lab preselects the notebook's kernel); any other dialog is
        rejected (Cancel) or, when it has no such button, acknowledged. Buttons are clicked from
        the page's script, not as Playwright actions, which would run the dialog handler again.
        """
        notes = []
        for _ in range(5):  # closing one dialog may open the next
            d = page.evaluate(_CLOSE_DIALOG)
            if not d:
                break
            note = f"{d['title']}: {d['body']} [buttons: {', '.join(d['buttons'])}; pressed: {d['pressed']}]"
            notes.append(note)
            self.dialogs.append(note)
            print(f"[lab] dismissed a JupyterLab dialog: {note}", flush=True)
            page.wait_for_function("(n) => document.querySelectorAll('.jp-Dialog').length < n", arg=d["count"],
                                   timeout=10_000)
        return notes

    def _wait(self, page, predicate: str, arg: object, timeout_ms: int, what: str) -> None:
        """Wait until ``predicate(arg)`` is true in the page, dismissing dialogs meanwhile."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        deadline = time.monotonic() + timeout_ms / 1000
        while True:
            for note in self.dismiss_dialogs(page):
                if _KERNEL_DIED.search(note):
                    raise LabError(f"while waiting for {what}: the kernel died ({note}); "
                                   f"memory of the lab and its kernels: {self.memory_mb():.0f} MB; see {self.log}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise LabError(f"{what}: not within {timeout_ms / 1000:.0f} s (dialogs dismissed so far: "
                               f"{self.dialogs or 'none'}; server log: {self.log})")
            try:
                page.wait_for_function(predicate, arg=arg, timeout=max(1, int(min(left, POLL_MS / 1000) * 1000)))
                return
            except PlaywrightTimeout:
                continue

    def open(self, page, notebook: str, timeout_ms: int = 60_000) -> None:
        """Open ``notebook`` in Lab and wait until its kernel is idle."""
        self.notebook = notebook
        page.goto(self.url(notebook), wait_until="domcontentloaded", timeout=timeout_ms)
        self._wait(page, "() => !!window.jupyterapp", None, timeout_ms,
                   "JupyterLab's app object (window.jupyterapp; is expose_app_in_browser set?)")
        self._wait(page, f"(name) => !!({_PANEL})(name)", notebook, timeout_ms, f"{notebook} to open")
        self.wait_idle(page, notebook, timeout_ms)
        page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell", timeout=timeout_ms)

    def wait_idle(self, page, notebook: str = "", timeout_ms: int = 60_000) -> None:
        """Wait until ``notebook``'s kernel (default: the one opened last) is connected and idle."""
        notebook = notebook or self.notebook
        self._wait(page, _KERNEL_IDLE, notebook, timeout_ms, f"the kernel of {notebook} to be idle")

    def run_all(self, page, notebook: str = "", timeout_ms: int = 120_000) -> None:
        """Run every cell of ``notebook`` (default: the one opened last) with Lab's
        ``notebook:run-all-cells`` command and wait for the end.

        Fails with the first error output if a cell raised (Run All stops there).
        """
        notebook = notebook or self.notebook
        problem = page.evaluate(_START_RUN_ALL, notebook)
        if problem:
            raise LabError(f"cannot run all cells: {problem}")
        self._wait(page, "() => !!(window.__courseRunAll && window.__courseRunAll.done)", None, timeout_ms,
                   f"Run All of {notebook} to finish")
        result = page.evaluate("() => window.__courseRunAll")
        if not result.get("ok"):
            error = page.evaluate(_FIRST_ERROR, notebook)
            if set(result.get("statuses", [])) & {"autorestarting", "restarting", "dead"}:
                where = (f"the kernel died or restarted (statuses {result['statuses']}; a crash or out of memory? "
                         f"the lab and its kernels use {self.memory_mb():.0f} MB; see {self.log})")
            elif error and error["ename"]:
                where = f"cell {error['cell']} raised {error['ename']}: {error['evalue']}"
            elif error:
                where = f"cell {error['cell']} never ran"
            else:
                where = result.get("error") or "the command reported a failure"
            self.dismiss_dialogs(page)
            raise LabError(f"Run All of {notebook} did not complete: {where}")
        self.wait_idle(page, notebook, timeout_ms)

    # ------------------------------------------------------------------ notebooks and quizzes
    def write_notebook(self, name: str, cells: list[str]) -> str:
        """Write a scratch notebook of code ``cells`` (Python 3 kernel) into the lab's folder; return its name."""
        import nbformat

        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, self.root / name)
        return name

    def copy_with_progress(self, notebook: str, progress: Path) -> str:
        """Write a copy of ``notebook`` into the lab's folder whose first cell points the progress
        store at ``progress`` (the kernel inherits the lab server's environment, so the variable
        is set from inside the kernel); return the copy's name."""
        import nbformat

        nb = nbformat.read(self.root / notebook, as_version=4)
        first = nbformat.v4.new_code_cell(f"import os\nos.environ['DVA_COURSE_PROGRESS'] = {str(progress)!r}")
        first.id = "browser-test-progress"
        nb.cells.insert(0, first)
        name = f"browser_{notebook}"
        nbformat.write(nb, self.root / name)
        return name

    @staticmethod
    def answer(page, card, question, keys, expect: str) -> str:
        """In a quiz ``card``, select exactly ``keys`` (clicking like a learner), press Check and
        return the feedback text once it contains ``expect`` ("Not quite", "Correct!")."""
        for o in question.options:
            text = f"{o.key}. {o.text[:40]}"
            if question.type == "single":
                if o.key in keys:
                    card.locator("label", has_text=text).first.click()
            else:
                box = card.locator(".widget-checkbox", has_text=text).locator("input").first
                if box.is_checked() != (o.key in keys):
                    box.click()
        card.locator("button.course-quiz-check").click()
        feedback = card.locator(".course-quiz-feedback")
        page.wait_for_function("([el, t]) => (el.textContent || '').includes(t)",
                               arg=[feedback.element_handle(), expect], timeout=30_000)
        return feedback.text_content() or ""

    def find(self, page, selector: str, timeout_ms: int = 60_000):
        """The first element matching ``selector`` in the open notebook, scrolled into view.

        JupyterLab renders long notebooks in a window: cells far from the viewport are detached
        from the page. This scrolls from the top, one step at a time, until the element exists.
        """
        scroll = """([top]) => { let moved = false;
            for (const s of document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')) {
                const before = s.scrollTop; s.scrollTop = top ? 0 : s.scrollTop + 400; moved = moved || s.scrollTop !== before; }
            return moved; }"""
        locator = page.locator(selector).first
        page.evaluate(scroll, [True])
        deadline = time.monotonic() + timeout_ms / 1000
        while not locator.count() and time.monotonic() < deadline:
            if not page.evaluate(scroll, [False]):
                page.wait_for_timeout(250)  # at the bottom: let rendering catch up
            page.wait_for_timeout(60)
        locator.wait_for(state="attached", timeout=max(1_000, int((deadline - time.monotonic()) * 1000)))
        locator.scroll_into_view_if_needed()
        return locator

    def screenshot(self, page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


def save_failure_artifacts(page, name: str) -> list[Path]:
    """Save a screenshot and the Playwright trace of a failed test under ``build/screenshots/``.

    Open the trace with ``.venv/bin/playwright show-trace <zip>`` (or trace.playwright.dev).
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:150]
    saved = []
    shot, trace = SCREENSHOTS / f"FAILED-{safe}.png", SCREENSHOTS / f"FAILED-{safe}-trace.zip"
    try:
        page.screenshot(path=str(shot), full_page=True, timeout=30_000)
        saved.append(shot)
    except Exception as exc:  # a crashed page: keep going, the trace may still help
        print(f"[lab] no screenshot: {exc}", flush=True)
    try:
        page.context.tracing.stop(path=str(trace))
        saved.append(trace)
    except Exception as exc:
        print(f"[lab] no trace: {exc}", flush=True)
    return saved


@contextmanager
def jupyterlab(source: Path, workdir: Path, startup_timeout: float = 60.0) -> Iterator[Lab]:
    """Start JupyterLab on a copy of ``source`` in ``workdir``; stop it on exit."""
    root = workdir / "notebooks"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), secrets.token_hex(16)
    log = workdir / "jupyterlab.log"
    settings = workdir / "lab-settings"
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text('{"fetchNews": "false", "checkForUpdates": false}')  # no news pop-up over the cells
    # Keep every cell in the page: with Lab's default windowing, cells far from the viewport are
    # detached, so a long notebook's "[*]" prompts and widgets could not be found by selectors.
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text('{"windowingMode": "none"}')
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(workdir / "config"),
        # What learners get (`make lab`, Binder): no nbgrader menu or panels, no grading kernel.
        JUPYTER_CONFIG_PATH=str(LEARNER_CONFIG),
        JUPYTER_RUNTIME_DIR=str(workdir / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(workdir / "workspaces"),
        # Kernels read and write a scratch progress file, never the tester's own (the index reads it).
        DVA_COURSE_PROGRESS=str(workdir / "progress.json"),
    )
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.disable_check_xsrf=False",
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: the harness runs Lab's commands
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # CI and containers run as root
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    lab = Lab(root, port, token, process, log)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{lab.base_url}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start in {startup_timeout}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield lab
    finally:
        if process.poll() is None:
            stop_process_group(process)


@contextmanager
def chromium_page(user_data_dir: Path) -> Iterator[object]:
    """A Playwright page in Debian's Chromium (headless, no downloads, no background traffic).

    A trace (screenshots and DOM snapshots) is recorded from the start; :func:`save_failure_artifacts`
    keeps it, otherwise it is dropped when the browser closes.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        try:
            context.tracing.start(screenshots=True, snapshots=True)
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            context.close()
