"""Helpers for the DVA-C03 hands-on course (AWS Certified Developer – Associate).

Importing the package has no side effects: notebooks call ``sandbox.start()`` in their setup cell.
"""

from . import cfn_lint, meta, quiz, sandbox, sim, syllabus, toc

__all__ = ["sandbox", "toc", "meta", "quiz", "sim", "syllabus", "cfn_lint", "__version__"]
__version__ = "0.1.0"
