"""nbgrader configuration for the DVA course's graded assignments (instructor guide: README.md here).

Every setting that makes grading safe lives here, so the plain ``nbgrader autograde`` command is
as safe as ``python -m course_utils grade autograde``:

* the kernel is the sandboxed ``dva-course-sandbox`` kernelspec (``python -m course_utils grade
  install-kernel``): student code sees only its own files, has no network, fake AWS credentials;
* a per-cell timeout (``Execute.timeout``); the sandbox bounds the whole notebook as well;
* deleted grade cells are put back and score 0, edited tests and points come back from the gradebook;
* feedback never shows hidden tests, nor a traceback that quotes them;
* SQLite waits for a locked gradebook instead of failing (parallel grading).
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

HERE = Path(__file__).resolve().parent

c.CourseDirectory.course_id = "dva-course"
c.CourseDirectory.root = str(HERE)
# timeout=60: a writer waits up to 60 s for a locked gradebook (parallel workers) instead of failing.
c.CourseDirectory.db_url = f"sqlite:///{HERE / 'gradebook.db'}?timeout=60"
c.IncludeHeaderFooter.header = str(HERE / "source" / "header.ipynb")

# The exchange folder shared with students (nbgrader's default is /srv/nbgrader/exchange).
if os.environ.get("DVA_GRADE_EXCHANGE"):
    c.Exchange.root = os.environ["DVA_GRADE_EXCHANGE"]

# --- execution: the sandboxed kernel and timeouts ---------------------------------------------
c.Execute.kernel_name = "dva-course-sandbox"  # whatever kernelspec the notebook names
c.Execute.timeout = int(os.environ.get("DVA_GRADE_CELL_TIMEOUT", "60"))  # seconds per cell
c.Execute.interrupt_on_timeout = True  # a cell over time is interrupted; one that ignores SIGINT fails the notebook
c.Execute.execute_retries = 0
# Test cells run in a second, trusted kernel (the judge), never in the student's: see course_utils/grade/execute.py
c.JudgedExecute.timeout = c.Execute.timeout
c.Autograde.autograde_preprocessors = [
    "course_utils.grade.execute.JudgedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    # after the scores: no live HTML/JS from a student in autograded/ (formgrader renders it unsanitized)
    "course_utils.grade.outputs.SafeOutputs",
    "nbconvert.preprocessors.sanitize.SanitizeHTML",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- tampering: restore from the gradebook ------------------------------------------------------
c.OverwriteCells.add_missing_cells = True
# --- staging: links, special files and unreadable timestamps never reach autograded/ (course_utils/grade/staging.py)
c.Autograde.pre_convert_hook = "course_utils.grade.staging.quarantine_unsafe_entries"
c.Autograde.sanitize_preprocessors = [
    "course_utils.grade.staging.RefuseUnsafeEntries",  # first: nbgrader swallows the hook's exceptions
    "nbgrader.preprocessors.ClearOutput",
    "course_utils.grade.sanitize.DeduplicateGradeCells",  # replaces nbgrader's DeduplicateIds
    "course_utils.grade.sanitize.RestoreCellMetadata",  # nbgrader cell metadata from the gradebook only
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course_utils.grade.preprocessors.OverwriteCellsScoreMissing",  # OverwriteCells; restored cells score 0
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- feedback: no hidden test, no traceback quoting one, no live HTML from the student ---------------
c.HTMLExporter.sanitize_html = True
c.SanitizeHTML.enabled = True  # nbconvert preprocessors are off unless enabled
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course_utils.grade.preprocessors.ClearHiddenTestsAndTracebacks",
    "course_utils.grade.outputs.FeedbackOutputs",  # test cells keep only their errors; no active content
    "nbconvert.preprocessors.sanitize.SanitizeHTML",  # a student's <script>, onerror=... in cells or outputs: escaped (bleach)
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
