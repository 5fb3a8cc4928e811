"""Grades with a status and a reason per student, who needs manual grading, a distribution figure.

``export_rows`` reads the gradebook and :func:`course_utils.grade.status.classify` for every
student who submitted; ``write_csv`` writes them atomically; ``summary`` is the text the
instructor reads; ``grade_distribution`` draws one histogram per assignment (PNG, atomic).
"""

from __future__ import annotations

import csv
import io
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from .files import atomic_write_bytes
from .status import classify

__all__ = ["GradeRow", "gradebook_scores", "export_rows", "write_csv", "summary", "grade_distribution", "atomic_write_bytes", "CSV_FIELDS"]

CSV_FIELDS = ["assignment", "student_id", "score", "max_score", "status", "needs_manual_grading", "reason", "timestamp"]


@dataclass(frozen=True)
class GradeRow:
    assignment: str
    student_id: str
    score: float
    max_score: float
    status: str
    needs_manual_grading: bool
    reason: str
    timestamp: str


def _submitted_students(root: Path, assignment: str) -> list[str]:
    folder = root / "submitted"
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / assignment).is_dir())


def export_rows(root: Path, db_url: str, assignments: list[str] | None = None, *, cell_timeout: str = "per-cell") -> list[GradeRow]:
    """One row per (assignment, student who submitted or is in the gradebook)."""
    from nbgrader.api import Gradebook, MissingEntry

    root = Path(root)
    rows: list[GradeRow] = []
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore")  # SQLAlchemy SAWarnings from nbgrader's own queries
        names = assignments or [a.name for a in gb.assignments]
        for name in names:
            try:
                assignment = gb.find_assignment(name)
            except MissingEntry:
                raise ValueError(f"no assignment {name!r} in the gradebook {db_url}: run `nbgrader generate_assignment {name}` first") from None
            students = set(_submitted_students(root, name)) | {s.student.id for s in assignment.submissions}
            for student in sorted(students):
                status = classify(root, name, student, gb, cell_timeout=cell_timeout)
                try:
                    sub = gb.find_submission(name, student)
                    score, max_score = float(sub.score), float(sub.max_score)
                    stamp = sub.timestamp.isoformat() if sub.timestamp else ""
                except MissingEntry:
                    score, max_score, stamp = 0.0, float(assignment.max_score), ""
                rows.append(GradeRow(name, student, score, max_score, status.status, status.needs_manual_grading, status.reason, stamp))
    return rows


def gradebook_scores(db_url: str, assignment: str) -> list[tuple[str, str, str, float | None, bool]]:
    """Every (student, notebook, grade cell, auto score, needs manual grade) of an assignment, sorted."""
    from nbgrader.api import Gradebook

    found = []
    with warnings.catch_warnings(), Gradebook(db_url) as gb:
        warnings.simplefilter("ignore")
        for sub in gb.find_assignment(assignment).submissions:
            for nb in sub.notebooks:
                for grade in nb.grades:
                    found.append((sub.student.id, nb.name, grade.name, grade.auto_score, bool(grade.needs_manual_grade)))
    return sorted(found, key=lambda row: (row[0], row[1], row[2]))


def write_csv(rows: list[GradeRow], path: Path) -> Path:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    for row in rows:
        data = asdict(row)
        data["score"] = f"{row.score:g}"
        data["max_score"] = f"{row.max_score:g}"
        data["needs_manual_grading"] = "yes" if row.needs_manual_grading else "no"
        writer.writerow(data)
    atomic_write_bytes(Path(path), buffer.getvalue().encode("utf-8"))
    return Path(path)


def summary(rows: list[GradeRow]) -> str:
    """Plain-text summary: counts per status, then who needs manual grading and who tampered."""
    if not rows:
        return "No submissions found."
    lines = []
    for name in sorted({r.assignment for r in rows}):
        group = [r for r in rows if r.assignment == name]
        counts: dict[str, int] = {}
        for r in group:
            counts[r.status] = counts.get(r.status, 0) + 1
        mean = sum(r.score for r in group) / len(group)
        lines.append(f"{name}: {len(group)} students, mean {mean:.2f}/{group[0].max_score:g}; "
                     + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    manual = [r for r in rows if r.needs_manual_grading]
    lines.append(f"Needs manual grading: {len(manual)}" + (":" if manual else " (none)."))
    lines += [f"  - {r.student_id} ({r.assignment}, {r.status}, scored {r.score:g}): {r.reason}" for r in manual]
    warned = [r for r in rows if r.status in ("warning", "missing")]
    if warned:
        lines.append(f"Scored, but check: {len(warned)}:")
        lines += [f"  - {r.student_id} ({r.assignment}, {r.status}, scored {r.score:g}): {r.reason}" for r in warned]
    return "\n".join(lines)


def grade_distribution(rows: list[GradeRow], path: Path) -> Path:
    """A histogram of scores per assignment (manual-grading cases hatched), saved as PNG."""
    if not rows:
        raise ValueError("no grades to draw: export found no submissions")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = sorted({r.assignment for r in rows})
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        group = [r for r in rows if r.assignment == name]
        top = max(r.max_score for r in group) or 1.0
        bins = [i * top / 10 for i in range(11)]
        ok = [r.score for r in group if not r.needs_manual_grading]
        manual = [r.score for r in group if r.needs_manual_grading]
        ax.hist([ok, manual], bins=bins, stacked=True, color=["#1f6feb", "#d29922"], label=["graded", "needs manual grading"],
                edgecolor="white")
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(f"score (out of {top:g})")
        ax.set_ylabel("students")
        ax.yaxis.get_major_locator().set_params(integer=True)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)
