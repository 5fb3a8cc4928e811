"""Scenario drills: a realistic scenario, the options, then the full analysis on request.

``drill("drill-d1-session-state")`` shows the scenario, the requirement and the options; the
*Reveal answer* button shows the answer, why each distractor fails, a comparison table, a
CLI/SDK blueprint, the exam rule and real-world note, and where the answer is proved live.
CSS classes: ``course-drill``, ``course-drill-reveal`` (button), ``course-drill-feedback`` (Output);
accessibility as in the section quizzes (:mod:`.a11y`).
"""

from __future__ import annotations

from . import a11y
from .bank import Bank, load_bank
from .widgets import STYLE, Readable, esc, output_item, set_output

__all__ = ["drill", "DrillWidget", "answer_text", "answer_html", "proof_text", "reveal_name"]


def reveal_name(title: str) -> str:
    """The accessible name (and tooltip) of a drill's Reveal answer button."""
    return f"Reveal the answer to the drill '{title}'"


def proof_text(proof: str | None) -> str:
    if not proof:
        return ""
    if ":" in proof:
        return f"Proof: run {proof}() to see it live in the sandbox."
    notebook, _, tag = proof.partition("#")
    return f"Proof: the cell tagged '{tag}' in {notebook}.ipynb shows it live in the sandbox."


def answer_text(d, chosen: str | None) -> str:
    right = d.option(d.correct)
    lines = []
    if chosen:
        lines.append(("Correct!" if chosen == d.correct else "Not quite.") + f" You chose {chosen}.")
    lines += [f"Answer: {d.correct}. {right.text}", f"Insight: {d.insight}", "Why each option:"]
    for o in d.options:
        lines.append(f"  {o.key}. [{'right' if o.key == d.correct else 'wrong'}] {o.text} -- {o.why}")
    lines.append("Comparison:")
    lines.append("  " + " | ".join(d.comparison.columns))
    lines += ["  " + " | ".join(row) for row in d.comparison.rows]
    lines += [f"Blueprint ({d.blueprint.language}):", d.blueprint.code.rstrip()]
    lines += [f"Exam rule: {d.practice_note.exam_rule}", f"Real world: {d.practice_note.real_world}"]
    if d.proof:
        lines.append(proof_text(d.proof))
    return "\n".join(lines)


def answer_html(d, chosen: str | None) -> str:
    right = d.option(d.correct)
    parts = []
    if chosen:
        good = chosen == d.correct
        css = "course-result-right" if good else "course-result-wrong"
        parts.append(f'<p class="{css}">{"✔ Correct!" if good else "✘ Not quite."} You chose {esc(chosen)}.</p>')
    parts.append(f"<p><b>Answer: {esc(d.correct)}.</b> {esc(right.text)}</p>")
    parts.append(f'<p class="course-drill-insight"><b>Insight:</b> {esc(d.insight)}</p>')
    items = "".join(
        f"<li><b>{'✔' if o.key == d.correct else '✘'} {esc(o.key)}.</b> {esc(o.text)}<br><small>{esc(o.why)}</small></li>"
        for o in d.options
    )
    parts.append(f'<p><b>Why each option</b></p><ul class="course-explanations">{items}</ul>')
    head = "".join(f"<th>{esc(c)}</th>" for c in d.comparison.columns)
    rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in d.comparison.rows)
    parts.append(f'<table class="course-table course-drill-comparison"><tr>{head}</tr>{rows}</table>')
    parts.append(
        f"<p><b>Blueprint</b> ({esc(d.blueprint.language)})</p>"
        f'<pre class="course-drill-blueprint"><code class="language-{esc(d.blueprint.language)}">{esc(d.blueprint.code)}</code></pre>'
    )
    parts.append(
        f"<p><b>Exam rule:</b> {esc(d.practice_note.exam_rule)}<br><b>Real world:</b> {esc(d.practice_note.real_world)}</p>"
    )
    if d.proof:
        parts.append(f'<p class="course-drill-proof">{esc(proof_text(d.proof))}</p>')
    return '<div class="course-drill-answer">' + "".join(parts) + "</div>"


class DrillWidget(Readable):
    def __init__(self, d, store=None) -> None:
        import ipywidgets as w

        self.drill, self.store = d, store
        # Accessibility (see .a11y): the header is the stem that labels the option group, the feedback
        # is announced, the button is named after the drill, keys typed inside stay out of JupyterLab.
        self.header = w.HTML(
            f'<div class="course-drill-scenario"><h4>Scenario drill: {esc(d.title)}</h4>'
            f"<p>{esc(d.scenario)}</p><p><b>Requirement:</b> {esc(d.requirement)}</p></div>",
            _dom_classes=[a11y.STEM],
        )
        self.selector = w.RadioButtons(
            options=[(f"{o.key}. {o.text}", o.key) for o in d.options], value=None, layout=w.Layout(width="100%"),
            _dom_classes=[a11y.CHOICES],
        )
        self.reveal_button = w.Button(description="Reveal answer", button_style="info", tooltip=reveal_name(d.title),
                                      _dom_classes=["course-drill-reveal"])
        self.feedback = w.Output(_dom_classes=["course-drill-feedback", a11y.LIVE])
        self.reveal_button.on_click(lambda _b: self.reveal())
        question = w.VBox([self.header, self.selector, self.reveal_button, self.feedback], _dom_classes=[a11y.QUESTION])
        self.widget = w.VBox([w.HTML(STYLE), question, a11y.enhancer()], _dom_classes=["course-drill", a11y.ROOT])

    def reveal(self) -> bool | None:
        """Show the full analysis; records the learner's choice if there is one."""
        chosen = self.selector.value
        set_output(self.feedback, output_item(answer_text(self.drill, chosen), answer_html(self.drill, chosen)))
        if chosen is None:
            return None
        right = chosen == self.drill.correct
        store = self.store
        if store is None:
            from .progress import get_store

            store = get_store()
        store.record_drill(self.drill.id, chosen, right)
        return right

    def text(self) -> str:
        d = self.drill
        lines = [f"Scenario drill: {d.title}", "", d.scenario, "", f"Requirement: {d.requirement}", ""]
        lines += [f"    {o.key}. {o.text}" for o in d.options]
        lines += ["", "(Pick an option and press Reveal answer in JupyterLab for the full analysis.)"]
        return "\n".join(lines)

    def markdown(self) -> str:
        d = self.drill
        lines = [f"**Scenario drill: {d.title}**", "", d.scenario, "", f"**Requirement:** {d.requirement}", ""]
        lines += [f"- **{o.key}.** {o.text}" for o in d.options]
        lines += ["", "*Pick an option and press Reveal answer in JupyterLab for the full analysis.*"]
        return "\n".join(lines)


def drill(drill_id: str, *, bank: Bank | None = None, data_dir=None, store=None) -> DrillWidget:
    """The scenario drill with this id (put the call last in its cell)."""
    bank = bank if bank is not None else load_bank(data_dir)
    try:
        d = bank.drill(drill_id)
    except KeyError:
        problems = bank.problems_for(drill_id)
        detail = f": {problems[0]}" if problems else f"; known drills: {', '.join(x.id for x in bank.drills) or 'none'}"
        raise KeyError(f"no usable drill {drill_id!r}{detail}") from None
    return DrillWidget(d, store=store)
