"""Helpers for the DVA-C02 hands-on course.

Importing the package has no side effects: notebooks call ``sandbox.start()`` in their setup cell.
"""

from . import cfn_lint, meta, quiz, sandbox, sim, toc

__all__ = ["sandbox", "toc", "meta", "quiz", "sim", "cfn_lint", "__version__"]
__version__ = "0.1.0"
