"""Learners do not see the instructors' tools; instructors do.

``make lab``, Binder (``binder/start``) and the browser harness put ``jupyter_config/learner`` first
on ``JUPYTER_CONFIG_PATH``: nbgrader's JupyterLab extension (menu, Formgrader, Create Assignment,
Assignments, Courses, Validate) and its four server extensions are off, and the
``dva-course-sandbox`` grading kernel is not offered. ``make instructor`` starts Lab without it.

The fast tests ask Jupyter's own commands under each configuration; the slow ones run the
Makefile's real ``lab`` and ``instructor`` recipes (from a copy of the repository's files, so
nothing is written into ``grading/``) and read what the running server offers; the browser test
looks at the learner's Lab itself.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from lab_harness import stop_process_group

ROOT = Path(__file__).resolve().parent.parent
LEARNER = ROOT / "jupyter_config" / "learner"
JUPYTER = Path(sys.executable).parent / "jupyter"
GRADING_KERNEL = "dva-course-sandbox"
NBGRADER_SERVER_EXTENSIONS = ["assignment_list", "course_list", "formgrader", "validate_assignment"]
NBGRADER_LAB_PLUGINS = ["assignment-list", "course-list", "create-assignment", "formgrader", "menu",
                        "validate-assignment"]


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory) -> Path:
    """A data folder with the grading kernelspec (as ``grade install-kernel`` writes it), its name
    before December 2026, and an unrelated kernel a learner may have installed."""
    from course_utils.grade.kernelspec import kernel_json

    data = tmp_path_factory.mktemp("jupyter-data")
    specs = {GRADING_KERNEL: kernel_json(), "dva-c02-sandbox": kernel_json(),
             "learners-own": {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              "display_name": "Another kernel", "language": "python"}}
    for name, spec in specs.items():
        (data / "kernels" / name).mkdir(parents=True)
        (data / "kernels" / name / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return data


def _env(tmp: Path, jupyter_path: Path, learner: bool) -> dict[str, str]:
    """A clean Jupyter environment: nothing from the tester's own Jupyter folders."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "JPY_"))}
    env.update(JUPYTER_CONFIG_DIR=str(tmp / "user-config"), JUPYTER_DATA_DIR=str(tmp / "user-data"),
               JUPYTER_RUNTIME_DIR=str(tmp / "runtime"), JUPYTER_PATH=str(jupyter_path),
               JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab-settings"), JUPYTERLAB_WORKSPACES_DIR=str(tmp / "workspaces"),
               PATH=f"{JUPYTER.parent}{os.pathsep}{env.get('PATH', '')}")
    if learner:
        env["JUPYTER_CONFIG_PATH"] = str(LEARNER)
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path = ROOT) -> str:
    out = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"{args} exited {out.returncode}:\n{out.stdout}\n{out.stderr}"
    return re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)  # without the colours


# ---------------------------------------------------------------------------------------- fast: Jupyter's commands
@pytest.mark.parametrize("learner", [True, False], ids=["learner", "instructor"])
def test_labs_page_config_disables_nbgrader_only_for_learners(monkeypatch, tmp_path, learner):
    """JupyterLab's own page-config builder (what the /lab page embeds): installed, off for learners."""
    from jupyter_core.paths import jupyter_path as data_path
    from jupyterlab_server.config import get_page_config

    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "user-config"))
    if learner:
        monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(LEARNER))
    else:
        monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    config = get_page_config(data_path("labextensions"))
    disabled = config["disabledExtensions"]
    names = {k for k in disabled if not isinstance(disabled, dict) or disabled[k]}
    assert ("@jupyter/nbgrader" in names) is learner, names
    assert "@jupyter/nbgrader" in [e["name"] for e in config["federated_extensions"]]  # installed, only switched off
    assert not names - {"@jupyter/nbgrader"}, names  # nothing else a learner uses is off


@pytest.mark.slow  # the command takes 10-25 s; the page-config test above checks both sides quickly
def test_labextension_list_shows_nbgrader_disabled_for_learners(tmp_path, jupyter_path):
    text = _run([str(JUPYTER), "labextension", "list"], _env(tmp_path, jupyter_path, learner=True))
    [line] = [ln for ln in text.splitlines() if "@jupyter/nbgrader" in ln and " v" in ln]
    assert "disabled" in line.split(), line
    assert "@jupyter/nbgrader (all plugins)" in text, text


@pytest.mark.parametrize("learner", [True, False], ids=["learner", "instructor"])
def test_kernelspec_list_hides_only_the_grading_kernel_from_learners(tmp_path, jupyter_path, learner):
    text = _run([str(JUPYTER), "kernelspec", "list", "--json"], _env(tmp_path, jupyter_path, learner))
    names = set(json.loads(text[text.index("{"):])["kernelspecs"])
    assert {"python3", "learners-own"} <= names  # every other kernel stays
    assert (GRADING_KERNEL in names) is (not learner), names
    assert ("dva-c02-sandbox" in names) is (not learner), names


def test_the_grading_kernel_is_hidden_not_removed(tmp_path, jupyter_path):
    """Under the learner config (a Lab terminal, Binder) a Jupyter app loads jupyter_config.py: the
    kernel is not listed, yet resolves by name, so nbgrader's own kernel launch still finds it."""
    code = ("from jupyter_core.application import JupyterApp\n"
            "from jupyter_client.kernelspec import KernelSpecManager\n"
            "from jupyter_client.manager import KernelManager\n"
            "app = JupyterApp(); app.load_config_file()\n"
            "specs = KernelSpecManager(parent=app)\n"
            "print(sorted(specs.find_kernel_specs()))\n"
            f"print(specs.get_kernel_spec({GRADING_KERNEL!r}).argv[2:4])\n"
            f"print(KernelManager(config=app.config, kernel_name={GRADING_KERNEL!r}).kernel_spec.argv[2:4])\n")
    listed, by_name, launched = _run([sys.executable, "-c", code], _env(tmp_path, jupyter_path, True)).splitlines()[-3:]
    assert listed == "['learners-own', 'python3']", listed
    assert by_name == launched == "['-m', 'course_utils.grade.launcher']", (by_name, launched)


def test_binder_start_puts_the_learner_config_first(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_PATH"}
    out = subprocess.run([str(ROOT / "binder" / "start"), "printenv", "JUPYTER_CONFIG_PATH"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert Path(out.stdout.strip()) == LEARNER
    env["JUPYTER_CONFIG_PATH"] = "/srv/site-config"  # an image's own config path is kept, after the learner's
    out = subprocess.run([str(ROOT / "binder" / "start"), "printenv", "JUPYTER_CONFIG_PATH"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == f"{LEARNER}{os.pathsep}/srv/site-config"


# ---------------------------------------------------------------------------------------- slow: the Makefile's servers
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _repo_copy(tmp: Path) -> Path:
    """The files the two recipes read, copied (the virtual environment linked), so a test
    server writes nothing into the repository (nbgrader logs into its working folder)."""
    if not (ROOT / ".venv" / "bin" / "jupyter").exists():
        pytest.skip("no .venv (the Makefile's recipes run .venv/bin/jupyter): run `make test`")
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    repo = tmp / "repo"
    repo.mkdir()
    for name in ["Makefile", "requirements.txt", "pyproject.toml"]:
        shutil.copy2(ROOT / name, repo / name)
    for name in ["grading", "jupyter_config", "notebooks"]:
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "release", "submitted", "autograded", "feedback", "gradebook.db*", "logs", "reports"))
    (repo / ".venv").symlink_to(ROOT / ".venv", target_is_directory=True)
    return repo


def _recipe(repo: Path, target: str, env: dict[str, str], lab_args: str) -> str:
    """The shell command ``make <target>`` runs (the install step treated as done)."""
    out = subprocess.run(["make", "-n", "-s", "-o", ".venv/.installed", target, f"LAB_ARGS={lab_args}"],
                         cwd=repo, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


class _Server:
    def __init__(self, port: int, token: str, log: Path) -> None:
        self.port, self.token, self.log = port, token, log

    def get(self, path: str) -> tuple[int, str]:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # the status is the answer; follow nothing
                return None

        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}",
                                         headers={"Authorization": f"token {self.token}"})
        try:
            with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, ""

    def kernelspecs(self) -> set[str]:
        return set(json.loads(self.get("/api/kernelspecs")[1])["kernelspecs"])

    def page_config(self) -> dict:
        html = self.get("/lab")[1]
        m = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
        assert m, html[:500]
        return json.loads(m.group(1))

    def loaded_server_extensions(self) -> set[str]:
        text = self.log.read_text(errors="replace")
        return set(re.findall(r"nbgrader\.server_extensions\.(\w+) \| extension was successfully loaded", text))


def _serve(tmp: Path, target: str, jupyter_path: Path):
    """Run ``make <target>`` headless on a free port; yield a :class:`_Server`; stop it."""
    repo = _repo_copy(tmp)
    port, token = _free_port(), secrets.token_hex(16)
    env = _env(tmp, jupyter_path, learner=False)  # the recipe decides
    lab_args = (f"--no-browser --ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0 "
                f"--IdentityProvider.token={token} --LabApp.news_url= "
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate")
    command = _recipe(repo, target, env, lab_args)
    log = tmp / f"{target}.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(["bash", "-c", command], cwd=repo, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = _Server(port, token, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"`make {target}` exited:\n{log.read_text()[-3000:]}"
            try:
                if server.get("/api/status")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"`make {target}` did not serve in 90 s:\n{log.read_text()[-3000:]}"
            time.sleep(0.3)
        yield server, command
    finally:
        stop_process_group(process)


@pytest.fixture(scope="module")
def learner_lab(tmp_path_factory, jupyter_path):
    yield from _serve(tmp_path_factory.mktemp("make-lab"), "lab", jupyter_path)


@pytest.fixture(scope="module")
def instructor_lab(tmp_path_factory, jupyter_path):
    yield from _serve(tmp_path_factory.mktemp("make-instructor"), "instructor", jupyter_path)


@pytest.mark.slow
def test_make_lab_offers_no_instructor_tool(learner_lab):
    server, command = learner_lab
    assert "JUPYTER_CONFIG_PATH=" in command and "jupyter_config/learner" in command, command
    assert server.loaded_server_extensions() == set(), server.log.read_text()[-3000:]
    assert server.get("/formgrader")[0] == 404
    assert "@jupyter/nbgrader" in server.page_config()["disabledExtensions"]
    specs = server.kernelspecs()
    assert GRADING_KERNEL not in specs and {"python3", "learners-own"} <= specs, specs


@pytest.mark.slow
def test_make_instructor_offers_every_nbgrader_tool(instructor_lab):
    server, command = instructor_lab
    assert "jupyter_config/learner" not in command, command
    assert server.loaded_server_extensions() == set(NBGRADER_SERVER_EXTENSIONS), server.log.read_text()[-3000:]
    assert server.get("/formgrader")[0] in {200, 302}
    # formgrader found grading/nbgrader_config.py: the course folder lies inside the served folder
    assert "not a subdirectory of the notebook server root" not in server.log.read_text()
    assert not any("nbgrader" in name for name in server.page_config().get("disabledExtensions", []))
    assert GRADING_KERNEL in server.kernelspecs()


# ---------------------------------------------------------------------------------------- browser: the learner's Lab
@pytest.mark.slow
@pytest.mark.browser
def test_the_learners_lab_has_no_nbgrader_menu(lab, page):
    """The harness's Lab is the learner's (tests/lab_harness.py): nbgrader's plugins are not
    activated and the menu bar has no Nbgrader menu (without the learner config it reads File, Edit,
    View, Run, Kernel, Nbgrader, Tabs, Settings, Help and every nbgrader plugin is active)."""
    page.goto(f"{lab.base_url}/lab?token={lab.token}&reset", wait_until="domcontentloaded")
    page.wait_for_function("() => !!(window.jupyterapp && window.jupyterapp.shell)", timeout=60_000)
    page.evaluate("() => window.jupyterapp.restored")
    page.wait_for_selector("#jp-MainMenu .lm-MenuBar-itemLabel", timeout=60_000)
    menus = page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").all_inner_texts()
    assert "File" in menus and "Kernel" in menus, menus
    assert not any("nbgrader" in m.lower() for m in menus), menus
    active = page.evaluate("(ids) => ids.filter(id => window.jupyterapp.isPluginActivated(id))",
                           [f"@jupyter/nbgrader:{p}" for p in NBGRADER_LAB_PLUGINS])
    assert active == [], active
    commands = page.evaluate("() => window.jupyterapp.commands.listCommands().filter(c => c.startsWith('nbgrader:'))")
    assert commands == [], commands  # nothing in the command palette either
