"""Section quizzes and the progress export/import widget (ipywidgets).

Every widget object here has a ``widget`` attribute (the ipywidgets box) and displays as that
box in JupyterLab. Executed without a widget frontend (nbclient, nbconvert, GitHub) the same
output also carries a readable text/plain and Markdown rendering of the questions.

Stable CSS classes for tests and styling: ``course-quiz`` (the quiz), ``course-quiz-question``
(one question, plus ``course-quiz-q-<id>``), ``course-quiz-check`` (its Check button),
``course-quiz-try-again`` (its Try again button) and ``course-quiz-feedback`` (the ``Output`` that
shows the verdict and the explanations).

Accessibility (see :mod:`.a11y`): each question's options are one labelled group operated with the
arrow keys, every button has a distinct accessible name (its tooltip), the feedback is announced,
keys typed in a quiz never reach JupyterLab's notebook shortcuts, and a quiz shows the learner's
last saved answer and its verdict (after a kernel restart too) with a Try again button.
"""

from __future__ import annotations

import html
import random
from typing import Any, Iterable

from . import a11y
from .bank import Bank, load_bank

__all__ = ["quiz", "Quiz", "QuestionCard", "last_answers", "progress_widget", "ProgressWidget", "Readable", "set_output", "STYLE"]

#: CSS shared by the course widgets: wrap long option labels instead of cutting them.
STYLE = """<style>
.course-quiz .widget-radio-box label, .course-exam .widget-radio-box label, .course-drill .widget-radio-box label,
.course-quiz .widget-checkbox label, .course-exam .widget-checkbox label {white-space: normal; height: auto; line-height: 1.4;}
.course-quiz .widget-radio-box, .course-exam .widget-radio-box, .course-drill .widget-radio-box {width: 100%;}
.course-quiz-question, .course-exam-question {border-left: 3px solid #1f6feb; padding-left: 10px; margin: 8px 0;}
.course-result-right {color: #1a7f37; font-weight: bold;}
.course-result-wrong {color: #cf222e; font-weight: bold;}
.course-explanations li {margin-bottom: 4px;}
.course-table {border-collapse: collapse;} .course-table td, .course-table th {border: 1px solid #bbb; padding: 4px 8px;}
</style>""" + a11y.A11Y_STYLE


def esc(text: Any) -> str:
    return html.escape(str(text))


def output_item(text: str, html_text: str | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """One display_data output for an ``Output`` widget (text/plain always readable)."""
    data: dict[str, Any] = {"text/plain": text}
    if html_text is not None:
        data["text/html"] = html_text
    if extra:
        data.update(extra)
    return {"output_type": "display_data", "data": data, "metadata": {}}


def set_output(out, *items: dict[str, Any]) -> None:
    """Replace what an ``Output`` widget shows (works from callbacks and threads, no capture needed)."""
    out.outputs = tuple(items)


def output_text(out) -> str:
    """The text/plain of everything an ``Output`` widget shows (tests and headless runs)."""
    parts = []
    for item in out.outputs:
        if item.get("output_type") == "stream":
            parts.append(item.get("text", ""))
        else:
            parts.append(item.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


class Readable:
    """Displays as its ipywidgets box, with a readable text rendering beside it."""

    widget: Any

    def text(self) -> str:  # pragma: no cover - overridden
        return ""

    def markdown(self) -> str:
        return self.text()

    def _repr_mimebundle_(self, include=None, exclude=None):
        data = dict(self.widget._repr_mimebundle_())
        data["text/plain"] = self.text()
        data["text/markdown"] = self.markdown()
        return data

    def __repr__(self) -> str:
        return self.text()


def _option_label(key: str, text: str) -> str:
    return f"{key}. {text}"


class SharedLook:
    """Layouts and styles shared by every widget of one quiz.

    Each ipywidgets widget otherwise gets its own ``Layout`` and style objects, and each of those
    is a widget with its own comm to the browser: a question would open 13 comms instead of 5.
    A widget's look is not changed by the quiz after creation, so sharing is safe.
    """

    def __init__(self) -> None:
        import ipywidgets as w
        from ipywidgets.widgets.widget_bool import CheckboxStyle
        from ipywidgets.widgets.widget_description import DescriptionStyle
        from ipywidgets.widgets.widget_string import HTMLStyle

        self.plain, self.full = w.Layout(), w.Layout(width="100%")
        self.html, self.button = HTMLStyle(), w.ButtonStyle()
        self.description, self.checkbox = DescriptionStyle(), CheckboxStyle()


class QuestionCard:
    """One question: the choices, a Check button and the feedback ``Output``.

    Its widgets get their CSS classes when they are made (``_dom_classes=``), not from ``add_class``
    afterwards: each ``add_class`` sends the browser one more message (about 600 for a domain
    notebook's quizzes).
    """

    def __init__(self, question, number: int, total: int, store=None, source: str = "quiz", look: SharedLook | None = None,
                 label: str = "Quiz", last: dict | None = None) -> None:
        import ipywidgets as w

        look = look or SharedLook()
        self.question, self.store, self.source = question, store, source
        self.number, self.label = number, label
        q = question
        tags = ", ".join(q.tags)
        choose = f" <i>(Choose {q.choose}.)</i>" if q.type == "multiple" and "(Choose" not in q.stem else ""
        self.header = w.HTML(
            f'<div class="course-quiz-stem {a11y.STEM}"><b>Question {number} of {total}</b> '
            f'<small>· domain {q.domain} · {esc(tags)}</small><br>{esc(q.stem)}{choose}</div>',
            layout=look.plain,
            style=look.html,
        )
        if q.type == "single":
            self.selector = w.RadioButtons(
                options=[(_option_label(o.key, o.text), o.key) for o in q.options],
                value=None,
                layout=look.full,
                style=look.description,
                _dom_classes=["course-quiz-choices", a11y.CHOICES],
            )
            self.checkboxes: list = []
            choices = self.selector
        else:
            self.selector = None
            self.checkboxes = [
                w.Checkbox(value=False, description=_option_label(o.key, o.text), indent=False, layout=look.full, style=look.checkbox)
                for o in q.options
            ]
            choose_note = w.HTML(f'<b class="{a11y.NOTE}">Choose {q.choose}</b>', layout=look.plain, style=look.html)
            choices = w.VBox([choose_note, *self.checkboxes], layout=look.plain, _dom_classes=["course-quiz-choices", a11y.CHOICES])
        self.check_button = w.Button(
            description="Check", button_style="primary", tooltip=a11y.check_name(number, label), layout=look.plain,
            style=look.button, _dom_classes=["course-quiz-check"],
        )
        self.feedback = w.Output(layout=look.plain, _dom_classes=["course-quiz-feedback", a11y.LIVE])
        self.check_button.on_click(lambda _b: self.check())
        # Always present, hidden by a CSS class: adding a box child later would rebuild the feedback
        # Output in the page, and a live region rebuilt with its text already in it is not announced.
        self.try_again_button = w.Button(
            description="Try again", tooltip=a11y.try_again_name(number, label), layout=look.plain, style=look.button,
            _dom_classes=["course-quiz-try-again", a11y.HIDDEN],
        )
        self.try_again_button.on_click(lambda _b: self.try_again())
        self.widget = w.VBox([self.header, choices, self.check_button, self.try_again_button, self.feedback],
                             layout=look.plain, _dom_classes=["course-quiz-question", f"course-quiz-q-{q.id}", a11y.QUESTION])
        self.attempts = 0
        self.restored: dict | None = None
        if last is not None:
            self.restore(last)

    @property
    def try_again_shown(self) -> bool:
        return a11y.HIDDEN not in self.try_again_button._dom_classes

    def _show_try_again(self, shown: bool) -> None:
        """Show or hide the Try again button (one message to the browser)."""
        if shown != self.try_again_shown:
            (self.try_again_button.remove_class if shown else self.try_again_button.add_class)(a11y.HIDDEN)

    def restore(self, record: dict) -> bool:
        """Show a saved answer (a progress record) as the selection, with its verdict and a Try again button.

        Judged again against the current question; a record whose options no longer exist is ignored.
        """
        q = self.question
        chosen = [k for k in record.get("chosen", []) if isinstance(k, str)]
        keys = {o.key for o in q.options}
        if not chosen or not set(chosen) <= keys or (q.type == "single" and len(chosen) != 1):
            return False
        self.choose(chosen)
        right = q.is_correct(chosen)
        when = str(record.get("at", ""))[:10]
        note = f"Your last answer{f' (saved {when})' if when else ''}:"
        set_output(self.feedback, output_item(f"{note} {feedback_text(q, chosen, right)}",
                                              f"<p><i>{esc(note)}</i></p>{feedback_html(q, chosen, right)}"))
        self.restored = record
        self._show_try_again(True)
        return True

    def try_again(self) -> None:
        """Clear the selection and the feedback (nothing is recorded or deleted)."""
        self.choose([])
        set_output(self.feedback)
        self.restored = None
        self._show_try_again(False)

    def chosen(self) -> list[str]:
        if self.selector is not None:
            return [] if self.selector.value is None else [self.selector.value]
        return [o.key for o, box in zip(self.question.options, self.checkboxes) if box.value]

    def choose(self, keys: Iterable[str]) -> None:
        """Select ``keys`` (what a learner's clicks do)."""
        keys = list(keys)
        if self.selector is not None:
            self.selector.value = keys[0] if keys else None
        else:
            for o, box in zip(self.question.options, self.checkboxes):
                box.value = o.key in keys

    def check(self) -> bool | None:
        """Judge the selection; show the verdict and every explanation. ``None``: nothing judged."""
        q, chosen = self.question, self.chosen()
        if not chosen:
            message = "Select an answer first: nothing was recorded."
            set_output(self.feedback, output_item(message, f"<p><b>{esc(message)}</b></p>"))
            return None
        if q.type == "multiple" and len(chosen) != q.choose:
            message = (
                f"This question asks you to choose {q.choose}; you selected {len(chosen)}. "
                "Change your selection and check again: nothing was recorded."
            )
            set_output(self.feedback, output_item(message, f"<p><b>{esc(message)}</b></p>"))
            return None
        right = q.is_correct(chosen)
        self.attempts += 1
        store = self.store
        if store is None:
            from .progress import get_store

            store = get_store()
        store.record_answer(q.id, chosen, right, source=self.source)
        set_output(self.feedback, output_item(feedback_text(q, chosen, right), feedback_html(q, chosen, right)))
        self.restored = None
        self._show_try_again(True)
        return right

    def text(self, number: int) -> str:
        q = self.question
        lines = [f"Q{number}. {q.stem}"]
        if q.type == "multiple" and "(Choose" not in q.stem:
            lines[0] += f" (Choose {q.choose}.)"
        lines += [f"    {o.key}. {o.text}" for o in q.options]
        return "\n".join(lines)

    def markdown(self, number: int) -> str:
        q = self.question
        lines = [f"**Q{number}.** {q.stem}", ""]
        lines += [f"- **{o.key}.** {o.text}" for o in q.options]
        return "\n".join(lines)


def feedback_text(q, chosen: list[str], right: bool) -> str:
    verdict = "Correct!" if right else f"Not quite. The right answer: {', '.join(q.correct)}."
    lines = [f"{verdict} You chose {', '.join(chosen)}.", "Every option explained:"]
    for o in q.options:
        mark = "correct" if o.key in q.correct else "wrong"
        mine = " (your choice)" if o.key in chosen else ""
        lines.append(f"  {o.key}. [{mark}]{mine} {o.text} -- {o.explanation}")
    lines.append(f"Learn more: {q.section}" + (f"; {', '.join(q.references)}" if q.references else ""))
    return "\n".join(lines)


def section_link(section: str) -> str:
    from .section_links import section_anchor  # opens the section itself in JupyterLab

    notebook, _, anchor = section.partition("#")
    return section_anchor(notebook, anchor, esc(notebook)) + f" § {esc(anchor)}"


def feedback_html(q, chosen: list[str], right: bool) -> str:
    css = "course-result-right" if right else "course-result-wrong"
    icon = '<span aria-hidden="true">✔</span> ' if right else '<span aria-hidden="true">✘</span> '
    verdict = icon + ("Correct!" if right else f"Not quite. The right answer: {esc(', '.join(q.correct))}.")
    items = []
    for o in q.options:
        good = o.key in q.correct
        mark = '<span aria-hidden="true">✔</span>' if good else '<span aria-hidden="true">✘</span>'
        word = "correct" if good else "wrong"
        mine = " <i>(your choice)</i>" if o.key in chosen else ""
        items.append(f"<li><b>{mark} {esc(o.key)}. <span class=\"course-verdict-word\">[{word}]</span></b> {esc(o.text)}{mine}"
                     f"<br><small>{esc(o.explanation)}</small></li>")
    refs = "".join(f' · <a href="{esc(r)}" target="_blank">{esc(r)}</a>' for r in q.references)
    return (
        f'<div class="course-quiz-result"><p class="{css}">{verdict}</p>'
        f'<ul class="course-explanations">{"".join(items)}</ul>'
        f"<p><small>Learn more: {section_link(q.section)}{refs}</small></p></div>"
    )


class Quiz(Readable):
    """A section quiz: one :class:`QuestionCard` per question."""

    def __init__(self, questions: list, notes: list[str] | None = None, title: str | None = None, store=None,
                 label: str | None = None) -> None:
        """``label`` names the quiz in its buttons' accessible names (default: the title)."""
        import ipywidgets as w

        self.questions = list(questions)
        self.notes = list(notes or [])
        self.title = title or ("Quiz" if len(self.questions) != 1 else "Quick check")
        self.label = label or self.title
        look = SharedLook()
        last = last_answers([q.id for q in self.questions], store)
        self.cards = [
            QuestionCard(q, i + 1, len(self.questions), store=store, look=look, label=self.label, last=last.get(q.id))
            for i, q in enumerate(self.questions)
        ]
        intro = (
            f"<b>{esc(self.title)}</b>: {len(self.questions)} question(s). "
            "Pick your answer and press <i>Check</i>; every option is then explained. Your answers are saved."
        )
        notes_html = "".join(f"<p><i>{esc(n)}</i></p>" for n in self.notes)
        head = w.HTML(STYLE + f'<div class="course-quiz-intro">{intro}{notes_html}</div>', layout=look.plain, style=look.html)
        self.widget = w.VBox([head, *[c.widget for c in self.cards], a11y.enhancer(look.plain)], layout=look.plain,
                             _dom_classes=["course-quiz", a11y.ROOT])

    def card(self, qid: str) -> QuestionCard:
        return next(c for c in self.cards if c.question.id == qid)

    def text(self) -> str:
        lines = [f"{self.title}: {len(self.questions)} question(s) (answer them in JupyterLab; explanations appear after Check)"]
        lines += self.notes
        for i, card in enumerate(self.cards):
            lines += ["", card.text(i + 1)]
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"**{self.title}**: {len(self.questions)} question(s). Answer them in JupyterLab; explanations appear after *Check*."]
        lines += [f"\n*{n}*" for n in self.notes]
        for i, card in enumerate(self.cards):
            lines += ["", card.markdown(i + 1)]
        return "\n".join(lines)


def quiz(
    ids: Iterable[str] | None = None,
    tags: Iterable[str] | str | None = None,
    *,
    domain: int | None = None,
    section: str | None = None,
    limit: int | None = None,
    seed: int | None = None,
    title: str | None = None,
    bank: Bank | None = None,
    data_dir=None,
    store=None,
) -> Quiz:
    """A quiz on the questions with these ``ids`` (in that order) or these ``tags`` / ``domain`` /
    ``section`` (e.g. ``section="01_development#sqs"``: every question that links to that section).

    ``limit`` keeps that many (a random sample, reproducible with ``seed``). An unknown id raises
    ``KeyError``; a question left out of the bank because its entry is malformed is named in a note
    and the rest of the quiz still works. Put the call last in its cell so the quiz is displayed.
    """
    bank = bank if bank is not None else load_bank(data_dir)
    notes: list[str] = []
    if isinstance(tags, str):
        tags = [tags]
    if ids is not None:
        ids = list(ids)
        known = {q.id for q in bank.questions}
        for qid in ids:
            if qid in known:
                continue
            problems = bank.problems_for(qid)
            if not problems:
                raise KeyError(f"no question with id {qid!r} in the bank ({bank.data_dir})")
            notes.append(f"Question {qid} is unavailable: {problems[0].field or 'file'}: {problems[0].message}")
    questions = bank.select(ids=ids, tags=tags, domain=domain, section=section)
    if limit is not None and len(questions) > limit:
        questions = random.Random(seed).sample(questions, limit)
    if not questions:
        if ids is not None:
            wanted = f"ids {ids}"
        elif section is not None:
            wanted = f"section {section!r}"
        else:
            wanted = f"tags {list(tags or [])}" + (f", domain {domain}" if domain else "")
        notes.append(f"No questions in the bank match {wanted} yet.")
    label = title or a11y.section_title(section) or (section.partition("#")[2] if section else None)
    return Quiz(questions, notes=notes, title=title, store=store, label=label)


def last_answers(qids: list[str], store=None, source: str = "quiz") -> dict[str, dict]:
    """The learner's last saved ``source`` answer to each of ``qids`` (read once; an unreadable store gives none)."""
    if not qids:
        return {}
    try:
        if store is None:
            from .progress import get_store

            store = get_store()
        if not store.path.exists():
            return {}
        answers = store.answers()
    except Exception:  # noqa: BLE001 - a progress problem must never stop a quiz from showing
        return {}
    last: dict[str, dict] = {}
    for qid in qids:
        mine = [r for r in answers.get(qid, []) if isinstance(r, dict) and r.get("source", "quiz") == source]
        if mine:
            last[qid] = sorted(mine, key=lambda r: str(r.get("at", "")))[-1]  # stable: the later of equal times
    return last


class ProgressWidget(Readable):
    """Download your progress file, or upload one to merge it in (for Binder's temporary disk)."""

    def __init__(self, store=None) -> None:
        import ipywidgets as w

        from .progress import get_store

        self.store = store or get_store()
        # width "auto" (as the exam's buttons): the label decides the width, so no label is cut ("Import progres...")
        self.download_button = w.Button(description="Prepare download", icon="download", layout=w.Layout(width="auto"))
        self.download_button.add_class("course-progress-download")
        self.upload = w.FileUpload(accept=".json", multiple=False, description="Import progress", layout=w.Layout(width="auto"))
        self.upload.add_class("course-progress-upload")
        self.output = w.Output()
        self.output.add_class("course-progress-feedback")
        self.download_button.on_click(lambda _b: self.prepare_download())
        self.upload.observe(lambda change: self.import_uploaded(), names="value")
        info = w.HTML(
            f"<b>Your progress</b> is saved in <code>{esc(self.store.path)}</code>. "
            "On Binder that disk is temporary: download it before you leave, and import it next time "
            "(answers and attempts are merged, nothing is deleted)."
        )
        self.widget = w.VBox([info, w.HBox([self.download_button, self.upload]), self.output])
        self.widget.add_class("course-progress")

    def prepare_download(self) -> str:
        import base64
        import json

        payload = json.dumps(self.store.read(), indent=1, sort_keys=True).encode("utf-8")
        b64 = base64.b64encode(payload).decode("ascii")
        link = (
            f'<a download="dva-course-progress.json" href="data:application/json;base64,{b64}" '
            f'class="course-progress-link">Download dva-course-progress.json</a> ({len(payload)} bytes)'
        )
        set_output(self.output, output_item(f"progress ready: {len(payload)} bytes", link))
        return b64

    def import_uploaded(self) -> dict[str, int] | None:
        import os
        import tempfile

        files = self.upload.value
        if not files:
            return None
        item = files[0]
        content = bytes(item["content"])
        fd, tmp = tempfile.mkstemp(suffix=".json")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(content)
            added = self.store.import_(tmp)
        except ValueError as exc:
            message = f"Not imported: {item.get('name', 'file')} is not a progress file of this course."
            set_output(self.output, output_item(message + f" ({exc})", f"<b>{esc(message)}</b>"))
            return None
        finally:
            os.unlink(tmp)
        summary = ", ".join(f"{n} {k}" for k, n in added.items())
        message = f"Imported {item.get('name', 'file')}: added {summary}."
        set_output(self.output, output_item(message, f"<b>{esc(message)}</b>"))
        return added

    def text(self) -> str:
        return (
            f"Your progress is saved in {self.store.path}. Use export_progress(path) / import_progress(path) "
            "or this widget in JupyterLab to move it between sessions."
        )


def progress_widget(store=None) -> ProgressWidget:
    """Export (download) and import (upload) your progress."""
    return ProgressWidget(store)
