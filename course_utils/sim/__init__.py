"""Small simulators for AWS behaviour that moto does not model (one module each).

Each module's docstring names what AWS does and what the simulator reproduces; notebooks say in
one line where a result comes from a simulator. Import the module you need, e.g.
``from course_utils.sim import ttl``. Importing this package loads nothing else.
"""

__all__: list[str] = []
