"""One entry of the tables of moto internals the runtime touches (data only; imports nothing)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PatchPoint"]


@dataclass(frozen=True)
class PatchPoint:
    """One moto (or botocore) internal: what it is, what we do with it, and why."""

    target: str  # module.Class.attribute (dotted) or module:Class.attribute
    kind: str  # "replace", "wrap", "add" (an operation moto lacks), "use" (called) or "read" (an attribute of moto's objects)
    params: tuple[str, ...] | None  # parameter names of moto's original, for the upgrade check
    why: str
    with_: str = ""  # "module:function" (relative to course_utils.runtime) providing the new code
    set_in: tuple[str, ...] = ()  # "read": methods that assign the attribute (empty: on the class)
