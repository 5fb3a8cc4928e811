"""DynamoDB capacity units, for the notebooks: the engine is :mod:`course_utils.rules.capacity`;
:func:`calculator` is a widget over it."""

from __future__ import annotations

from typing import Any

from ..rules import capacity as _engine
from ..rules.capacity import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.capacity import MAX_ITEM_KB, CONSISTENCY, estimate

__all__ = [*_engine.__all__, "calculator"]


def calculator(item_kb: float = 6.0, reads_per_second: int = 100, writes_per_second: int = 10) -> Any:
    """An ipywidgets calculator: item size, rates, consistency -> RCU/WCU with the working shown.

    The returned VBox has ``.children`` (the controls, then an HTML result) and ``.result``.
    """
    import html

    import ipywidgets as w

    size = w.BoundedFloatText(value=item_kb, min=0.1, max=MAX_ITEM_KB, step=0.5, description="Item KB")
    reads = w.BoundedIntText(value=reads_per_second, min=0, max=1_000_000, description="Reads/s")
    writes = w.BoundedIntText(value=writes_per_second, min=0, max=1_000_000, description="Writes/s")
    consistency = w.Dropdown(options=list(CONSISTENCY), value="strong", description="Reads")
    tx = w.Checkbox(value=False, description="Transactional writes")
    result = w.HTML()

    def update(_: Any = None) -> None:
        try:
            est = estimate(size.value, reads.value, writes.value, consistency=consistency.value,
                           transactional_writes=tx.value)
        except ValueError as err:
            result.value = f"<b>Invalid input:</b> {html.escape(str(err))}"
            return
        items = "".join(f"<li>{html.escape(line)}</li>" for line in est.lines())
        result.value = f"<b>{est.rcu} RCU, {est.wcu} WCU</b><ul>{items}</ul>"

    for control in (size, reads, writes, consistency, tx):
        control.observe(update, names="value")
    update()
    box = w.VBox([w.HBox([size, consistency]), w.HBox([reads, writes]), tx, result])
    box.result = result  # type: ignore[attr-defined]
    box.controls = {"size": size, "reads": reads, "writes": writes, "consistency": consistency, "transactional": tx}  # type: ignore[attr-defined]
    return box
