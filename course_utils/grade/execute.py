"""``JudgedExecute``: nbgrader's Execute step, with the tests judged outside the student's reach.

It replaces ``nbgrader.preprocessors.Execute`` in ``c.Autograde.autograde_preprocessors``. Two
kernels run side by side, each in its own sandbox (:mod:`.launcher`):

* the **student's kernel** (the ``dva-course-sandbox`` kernelspec) runs the student's cells and
  the read-only setup cells, in notebook order, exactly as nbgrader would;
* the **judge** (:mod:`.judge_kernel`) runs the setup cells too, then each test cell, hidden
  tests included, taking its source from the gradebook. Before a test cell runs, the names it
  reads that the judge does not define are bound from the student's namespace (:mod:`.judge`).

What a cell *is* comes from the gradebook only: a submission's cell metadata (tags such as
``skip-execution``, ``raises-exception``, a claimed ``grade_id``) decides nothing. A test cell
whose run raised scores 0 whatever it printed first (its error output is put first; nbgrader's
partial credit reads an ``execute_result`` only from a cell without an error).

Time limits are the grader's: a cell past ``timeout`` seconds is interrupted; one that does not
stop within ``interrupt_grace`` has its kernel stopped. Each such event is written to the
student's verdict file (:mod:`.verdict`), which is where the status and its reason come from.
"""

from __future__ import annotations

import asyncio
import copy
import os
import shutil
import symtable
import sys
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

from nbformat.notebooknode import NotebookNode, from_dict
from traitlets import Float, Integer, Unicode

from nbgrader.preprocessors.base import NbGraderPreprocessor

from .judge import WAITING_MARK
from .preprocessors import RESTORED_MARK

__all__ = ["JudgedExecute", "CellPlan", "plan_cells", "free_names", "JUDGE_KERNEL_NAME"]

JUDGE_KERNEL_NAME = "dva-course-judge"
JUDGE_EXTRA_SECONDS = 120  # the judge's life bound: the student's notebook bound plus this
STUDENT, TRUSTED, TEST = "student", "trusted", "test"


@dataclass
class CellPlan:
    """Where a cell runs (``student``, ``trusted``: both kernels, ``test``: the judge) and its source."""

    role: str
    grade_id: str = ""
    source: str = ""


def plan_cells(nb: NotebookNode, notebook: Any) -> list[CellPlan | None]:
    """The role of each cell (``None`` for markdown/raw), from the gradebook's ``notebook`` record."""
    grade = {c.name for c in notebook.grade_cells if c.cell_type == "code"}
    solution = {c.name for c in notebook.solution_cells}
    source = {c.name: c for c in notebook.source_cells}
    plans: list[CellPlan | None] = []
    seen: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            plans.append(None)
            continue
        grade_id = str(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or "")
        known = source.get(grade_id)
        if grade_id and grade_id not in seen and known is not None and known.cell_type == "code":
            seen.add(grade_id)
            if grade_id in grade and grade_id not in solution:
                # a test cell the student deleted was put back by the grader to fail: keep that source
                restored = RESTORED_MARK in cell.source
                plans.append(CellPlan(TEST, grade_id, cell.source if restored else known.source))
                continue
            if known.locked and grade_id not in grade and grade_id not in solution:
                plans.append(CellPlan(TRUSTED, grade_id, known.source))
                continue
        plans.append(CellPlan(STUDENT, grade_id, cell.source))
    return plans


def free_names(source: str) -> list[str]:
    """Names a cell reads without defining them (at module level or from inside its functions)."""
    from IPython.core.inputtransformer2 import TransformerManager

    code = TransformerManager().transform_cell(source)
    try:
        top = symtable.symtable(code, "<test cell>", "exec")
    except SyntaxError:
        return []
    assigned = {s.get_name() for s in top.get_symbols() if s.is_assigned() or s.is_imported()}
    names = {s.get_name() for s in top.get_symbols() if s.is_referenced() and s.get_name() not in assigned}

    def walk(table: symtable.SymbolTable) -> None:
        for sym in table.get_symbols():
            if sym.is_global() and sym.is_referenced() and sym.get_name() not in assigned:
                names.add(sym.get_name())
        for child in table.get_children():
            walk(child)

    for child in top.get_children():
        walk(child)
    return sorted(names)


def _judge_spec_manager(max_seconds: float):
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class JudgeSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:  # type: ignore[override]
            if kernel_name != JUDGE_KERNEL_NAME:
                return super().get_kernel_spec(kernel_name)
            return KernelSpec(argv=[sys.executable, "-I", "-m", "course_utils.grade.launcher", "--role", "judge",
                                    "--max-seconds", f"{max_seconds:g}", "-f", "{connection_file}"],
                              display_name="DVA course grading judge", language="python", interrupt_mode="message",
                              resource_dir=tempfile.gettempdir(), metadata={"debugger": False})

    return JudgeSpecs()


def _notebook_bound(km: Any) -> float:
    """The launcher's bound on the student kernel's life: its environment variable, else the kernelspec's."""
    from .launcher import DEFAULT_MAX_SECONDS, NOTEBOOK_TIMEOUT_VAR

    if os.environ.get(NOTEBOOK_TIMEOUT_VAR):
        return float(os.environ[NOTEBOOK_TIMEOUT_VAR])
    argv = list(getattr(km.kernel_spec, "argv", []) or [])
    if "--max-seconds" in argv[:-1]:
        return float(argv[argv.index("--max-seconds") + 1])
    return float(DEFAULT_MAX_SECONDS)


def _note(text: str) -> NotebookNode:
    return from_dict({"output_type": "stream", "name": "stdout", "text": f"[grader] {text}\n"})


def _error(ename: str, evalue: str) -> NotebookNode:
    return from_dict({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [f"{ename}: {evalue}"]})


@dataclass
class _State:
    student_started: float = 0.0
    notebook_bound: float = 0.0
    student_alive: bool = True
    judge_alive: bool = True
    stopped_at: str = ""
    events: list[tuple[str, str, str]] = field(default_factory=list)


class JudgedExecute(NbGraderPreprocessor):
    """Run the student's cells in the student's kernel and the test cells in the judge."""

    timeout = Integer(60, help="Seconds a cell may run before the grader interrupts it.").tag(config=True)
    interrupt_grace = Float(5.0, help="Seconds an interrupted cell has to stop before its kernel is stopped.").tag(config=True)
    startup_timeout = Integer(120, help="Seconds each kernel has to start.").tag(config=True)
    student_kernel_name = Unicode("dva-course-sandbox", help="The kernelspec of the student's kernel.").tag(config=True)

    # ------------------------------------------------------------------ nbgrader entry point
    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        from nbclient.util import run_sync
        from nbgrader.api import Gradebook

        info = resources["nbgrader"]
        with Gradebook(info["db_url"], info.get("course_id", "")) as gb:
            plans = plan_cells(nb, gb.find_notebook(info["notebook"], info["assignment"]))
        state = _State()
        run_sync(self._run)(nb, plans, resources, state)
        self._record(resources, state)
        return nb, resources

    def _record(self, resources: dict, state: _State) -> None:
        if not state.events:
            return
        from nbgrader.coursedir import CourseDirectory

        from . import verdict

        info = resources["nbgrader"]
        root = CourseDirectory(config=self.config).root
        for kind, cell, detail in state.events:
            verdict.record(root, info["assignment"], info["student"], info["notebook"], kind, cell, detail)

    # ------------------------------------------------------------------ the two kernels
    def _client(self, nb: NotebookNode, km: Any, path: str):
        from nbclient import NotebookClient

        try:
            from .outputs import CappedNotebookClient as Client
        except ImportError:  # pragma: no cover - outputs.py not there yet
            Client = NotebookClient
        return Client(nb, km=km, parent=self, timeout=None, allow_errors=True, startup_timeout=self.startup_timeout,
                      kernel_name=km.kernel_name, resources={"metadata": {"path": path}}, record_timing=False)

    async def _run(self, nb: NotebookNode, plans: list[CellPlan | None], resources: dict, state: _State) -> None:
        from jupyter_client.manager import AsyncKernelManager

        path = resources.get("metadata", {}).get("path") or os.getcwd()
        channel = self._channel = tempfile.mkdtemp(prefix="dva-channel-")
        judge_home = tempfile.mkdtemp(prefix="dva-judge-")
        env = dict(os.environ, DVA_GRADE_CHANNEL=channel)
        judge_nb = copy.deepcopy(nb)
        # ipc: the channels are Unix sockets, so two kernels started at once never get the same TCP port
        sockets = tempfile.mkdtemp(prefix="dva-ipc-")  # absolute: the launcher runs in another folder
        student_km = AsyncKernelManager(kernel_name=self.student_kernel_name, transport="ipc",
                                        ip=os.path.join(sockets, "student"))
        # The judge outlives the student's bound (its tests then fail at once): when the student's
        # notebook runs out of time, that is what the status says, not a grader error.
        from .launcher import NOTEBOOK_TIMEOUT_VAR

        judge_bound = _notebook_bound(student_km) + JUDGE_EXTRA_SECONDS
        judge_env = {k: v for k, v in env.items() if k != NOTEBOOK_TIMEOUT_VAR}
        judge_km = AsyncKernelManager(kernel_name=JUDGE_KERNEL_NAME, kernel_spec_manager=_judge_spec_manager(judge_bound),
                                      transport="ipc", ip=os.path.join(sockets, "judge"))
        student = self._client(nb, student_km, path)
        judge = self._client(judge_nb, judge_km, judge_home)
        try:
            async with student.async_setup_kernel(env=env):
                state.student_started = time.monotonic()
                state.notebook_bound = _notebook_bound(student_km)
                async with judge.async_setup_kernel(env=judge_env):
                    for index, plan in enumerate(plans):
                        if plan is not None:
                            await self._cell(nb, judge_nb, index, plan, student, judge, state)
        finally:
            for km in (judge_km, student_km):  # the clients do not own these managers: stop the kernels here
                if km.has_kernel:
                    await self._quietly(km.shutdown_kernel(now=True))
            for folder in (channel, judge_home, sockets):
                shutil.rmtree(folder, ignore_errors=True)

    async def _cell(self, nb: NotebookNode, judge_nb: NotebookNode, index: int, plan: CellPlan, student: Any, judge: Any,
                    state: _State) -> None:
        cell = nb.cells[index]
        where = plan.grade_id or str(cell.get("id", index))
        if plan.role in (STUDENT, TRUSTED):
            if plan.role == TRUSTED:
                cell.source = plan.source
                cell.metadata.pop("tags", None)
            if not state.student_alive:
                cell.outputs = [_note(f"not run: the student's kernel was stopped at {state.stopped_at}")]
            else:
                await self._guarded(student.async_execute_cell(cell, index), student, where, state, student_side=True)
                dropped = getattr(student, "truncated", {}).get(index)
                if dropped:
                    state.events.append(("output_truncated", where, f"its output was cut at the size cap ({dropped:,} bytes dropped)"))
        if plan.role in (TRUSTED, TEST):
            jcell = judge_nb.cells[index]
            jcell.source = plan.source
            jcell.metadata = {}  # no submitted metadata (tags such as skip-execution) reaches the judge
            if not state.judge_alive:
                jcell.outputs = [_error("GraderError", "not run: the grader's judge kernel had stopped")]
            else:
                if plan.role == TEST:
                    names = free_names(plan.source)
                    bind = (f"__import__('course_utils.grade.judge', fromlist=['bind_missing'])"
                            f".bind_missing({names!r}, get_ipython().user_ns)")
                    await self._guarded(self._silent(judge, bind), student, where, state, student_side=False, judge=judge)
                if state.judge_alive:
                    await self._guarded(judge.async_execute_cell(jcell, index), student, where, state, student_side=False,
                                        judge=judge)
            if state.student_alive and not await self._alive(student):
                state.events.append(self._death(state, where, " during this test"))
                state.student_alive = False
                state.stopped_at = where
            errors = [o for o in jcell.get("outputs", []) if o.get("output_type") == "error"]
            if plan.role == TEST:
                if not state.judge_alive and not errors:
                    errors = [_error("GraderError", "the grader's judge kernel stopped during this test")]
                rest = [o for o in jcell.get("outputs", []) if o.get("output_type") != "error"]
                cell.source = plan.source
                cell.execution_count = jcell.get("execution_count")
                # an error scores 0 whatever came first: errors first, no partial-credit result beside them
                cell.outputs = errors + [o for o in rest if not errors or o.get("output_type") != "execute_result"]
            elif errors:
                detail = f"{errors[0].get('ename')}: {str(errors[0].get('evalue'))[:300]}"
                state.events.append(("judge_error", where, f"the grader's copy of the setup cell failed ({detail})"))
                cell.outputs = list(cell.get("outputs", [])) + [_note(f"the grader's copy of this cell failed: {detail}")]

    async def _silent(self, client: Any, code: str) -> None:
        reply = await client.kc.execute_interactive(code, silent=True, store_history=False, output_hook=lambda msg: None)
        content = reply.get("content", {})
        if content.get("status") == "error" and content.get("ename") not in ("StudentKernelStopped",):
            raise RuntimeError(f"{content.get('ename')}: {content.get('evalue')}")

    async def _guarded(self, coro: Any, student: Any, where: str, state: _State, *, student_side: bool,
                       judge: Any = None) -> None:
        """Run ``coro`` under the grader's clock: interrupt, then stop, a student that does not return."""
        from nbclient.exceptions import DeadKernelError

        task = asyncio.ensure_future(coro)
        done, _ = await asyncio.wait({task}, timeout=self.timeout)
        # in a test, the student is at fault only while the judge waits for it
        student_turn = student_side or os.path.exists(os.path.join(self._channel, WAITING_MARK))
        if not done and state.student_alive and student_turn:
            state.events.append(("timeout", where, f"ran past the {self.timeout} s per-cell timeout: interrupted"))
            await self._quietly(student.km.interrupt_kernel())
            done, _ = await asyncio.wait({task}, timeout=self.interrupt_grace)
            if not done:
                state.events.append(("student_kernel_killed", where,
                                     f"did not stop within {self.interrupt_grace:g} s of the interrupt: the student's kernel was stopped"))
                await self._stop_student(student, where, state)
                done, _ = await asyncio.wait({task}, timeout=self.interrupt_grace + 10)
        if not done and not student_side and judge is not None:
            state.events.append(("judge_error", where, "the grader's judge kernel did not finish this test: it was stopped"))
            await self._quietly(judge.km.interrupt_kernel())
            done, _ = await asyncio.wait({task}, timeout=self.interrupt_grace)
            if not done:
                state.judge_alive = False
                await self._quietly(judge.km.shutdown_kernel(now=True))
                done, _ = await asyncio.wait({task}, timeout=10)
        if not done:
            task.cancel()
            return
        try:
            task.result()
        except DeadKernelError:
            if student_side:
                if state.student_alive:
                    state.events.append(self._death(state, where))
                state.student_alive = False
                state.stopped_at = state.stopped_at or where
            else:
                state.judge_alive = False
                state.events.append(("judge_error", where, "the grader's judge kernel died"))
        except Exception as exc:  # noqa: BLE001 - the grader's own failure, recorded not raised
            state.events.append(("judge_error", where, f"{type(exc).__name__}: {str(exc)[:300]}"))

    @staticmethod
    def _death(state: _State, where: str, when: str = "") -> tuple[str, str, str]:
        """Why the student's kernel is gone: the launcher's total bound (by the grader's clock) or a death."""
        elapsed = time.monotonic() - state.student_started
        if state.notebook_bound and elapsed >= state.notebook_bound - 1:
            return ("student_kernel_killed", where, f"the notebook passed its total time bound ({state.notebook_bound:g} s, "
                                                    "after every cell's own timeout): the sandbox was killed (time limit)")
        return ("student_kernel_died", where, f"the student's kernel died{when} (os._exit, a crash or the memory limit)")

    @staticmethod
    async def _alive(client: Any) -> bool:
        try:
            return bool(await client.km.is_alive())
        except Exception:  # noqa: BLE001
            return False

    async def _stop_student(self, student: Any, where: str, state: _State) -> None:
        state.student_alive = False
        state.stopped_at = state.stopped_at or where
        await self._quietly(student.km.shutdown_kernel(now=True))

    @staticmethod
    async def _quietly(coro: Any) -> None:
        try:
            await coro
        except Exception:  # noqa: BLE001 - the kernel may already be gone
            pass
