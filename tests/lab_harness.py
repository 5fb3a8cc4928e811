"""Real-browser harness: JupyterLab on 127.0.0.1 driven by Debian's Chromium through Playwright.

Used by the ``lab`` and ``page`` fixtures in ``conftest.py``. JupyterLab serves a temporary
copy of ``notebooks/`` (running cells in the browser never touches the repository) and is
stopped when the test session ends. Chromium is never downloaded: the harness uses
``/usr/bin/chromium`` (``apt-get install chromium``).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() and os.access(CHROMIUM, os.X_OK)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server serving ``root``."""

    def __init__(self, root: Path, port: int, token: str, process: subprocess.Popen, log: Path) -> None:
        self.root, self.port, self.token, self.process, self.log = root, port, token, process, log

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, notebook: str) -> str:
        return f"{self.base_url}/lab/tree/{notebook}?token={self.token}&reset"

    def open(self, page, notebook: str, timeout_ms: int = 60_000) -> None:
        """Open ``notebook`` in Lab and wait until its kernel is idle."""
        page.goto(self.url(notebook), wait_until="domcontentloaded", timeout=timeout_ms)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout_ms)
        self.wait_idle(page, timeout_ms)

    def wait_idle(self, page, timeout_ms: int = 60_000) -> None:
        """Wait until the notebook's kernel reports idle (JupyterLab's status indicator)."""
        page.wait_for_function(
            """() => {
                const s = document.querySelector('.jp-Notebook-ExecutionIndicator');
                if (s) { return s.getAttribute('data-status') === 'idle'; }
                const k = document.querySelector('.jp-KernelStatus, .jp-Toolbar-kernelStatus');
                return !!k && /idle/i.test(k.getAttribute('title') || k.textContent || '');
            }""",
            timeout=timeout_ms,
        )

    def run_all(self, page, timeout_ms: int = 120_000) -> None:
        """Run all cells through the Run menu and wait until the kernel is idle again."""
        started = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt'))
                             .some(p => /\[(\*|\d+)\]/.test(p.textContent))"""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for attempt in range(3):
            # A click while Lab is still settling can be lost; retry only if nothing has started.
            page.click(".lm-MenuBar-itemLabel:text-is('Run')", timeout=timeout_ms)
            page.click(".lm-Menu-item[data-command='runmenu:run-all']", timeout=timeout_ms)
            try:
                page.wait_for_function(started, timeout=20_000)
                break
            except PlaywrightTimeout:
                if attempt == 2:
                    raise
        # Then wait until the last code cell has been queued or run (a prompt of "[*]" or "[n]"),
        # so that an idle kernel before execution starts is not mistaken for the end.
        page.wait_for_function(
            """() => { const ps = Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputArea-prompt'));
                       return ps.length > 0 && /\[(\*|\d+)\]/.test(ps[ps.length - 1].textContent); }""",
            timeout=timeout_ms,
        )
        page.wait_for_function(
            """() => !Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-InputArea-prompt'))
                       .some(p => p.textContent.includes('[*]'))""",
            timeout=timeout_ms,
        )
        self.wait_idle(page, timeout_ms)

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
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


@contextmanager
def chromium_page(user_data_dir: Path) -> Iterator[object]:
    """A Playwright page in Debian's Chromium (headless, no downloads, no background traffic)."""
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
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            context.close()
