"""Small simulators for AWS behaviour that moto does not model (one module each).

Each module is either a driver that reads or writes the sandbox or a re-export; the engine it
applies, where it has one, is in :mod:`course_utils.rules`, whose module docstring names what AWS
does and what the simulator reproduces. Notebooks say in one line where a result comes from a
simulator. Import the module you need, e.g. ``from course_utils.sim import ttl``. Importing this
package loads nothing else.
"""

__all__: list[str] = []
