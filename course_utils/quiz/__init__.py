"""Quizzes, the question bank, the practice exam, flashcards and saved progress.

In a notebook::

    from course_utils import quiz

    quiz.quiz(tags=["lambda"])           # a section quiz (last line of the cell)
    quiz.drill("drill-d1-session-state") # a scenario drill
    quiz.practice_exam()                 # 65 questions on the DVA-C03 blueprint (notebook 05)
    quiz.flashcards()                    # Leitner-box flashcards (notebook 06)
    quiz.progress_widget()               # export / import your progress

Importing this package is cheap: the submodules (and ipywidgets, matplotlib, pydantic) load on
first use.
"""

from __future__ import annotations

from ..lazy import lazy_exports

#: Public name -> submodule that defines it.
_EXPORTS: dict[str, str] = {
    # bank and schema
    "load_bank": "bank",
    "Bank": "bank",
    "BankError": "bank",
    "Problem": "bank",
    "DOMAINS": "bank",
    "default_data_dir": "bank",
    "Question": "schema",
    "Flashcard": "schema",
    "Drill": "schema",
    # progress
    "ProgressStore": "progress",
    "ProgressWarning": "progress",
    "progress_path": "progress",
    "get_store": "progress",
    "export_progress": "progress",
    "import_progress": "progress",
    # widgets
    "quiz": "widgets",
    "Quiz": "widgets",
    "progress_widget": "widgets",
    "drill": "drills",
    "DrillWidget": "drills",
    # practice exam
    "practice_exam": "exam",
    "ExamSession": "exam",
    "ExamResult": "exam",
    "ExamUnavailable": "exam",
    "allocate": "exam",
    "draw_exam": "exam",
    "blueprint": "exam",
    "blueprint_quotas": "exam",
    "task_quotas": "exam",
    "weakest_tasks": "exam",
    "scale_score": "exam",
    "exam_history": "exam",
    "SCORING_NOTE": "exam",
    # flashcards
    "flashcards": "leitner",
    "Deck": "leitner",
    "LEITNER_INTERVALS": "leitner",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

# Exam modes of notebook 05 (issue 21): review mode, practice by domain or task, retake missed.
_EXPORTS.update({
    "review_exam": "exam",
    "practice": "exam",
    "retake_missed": "exam",
    "retake_status": "exam_modes",
    "draw_practice": "exam_modes",
})
__all__ = sorted(_EXPORTS)

# From a miss to the fix (issue 21): missed questions make their flashcards due; the progress view.
_EXPORTS.update({
    "record_misses": "misses",
    "sync_misses": "misses",
    "progress_report": "progress_view",
    "READINESS_METHOD": "progress_view",
})
__all__ = sorted(_EXPORTS)
