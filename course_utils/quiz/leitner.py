"""Flashcards with Leitner boxes.

A card never reviewed is *new* (due at once; counted as new, not in a box, here and in the progress
view of :mod:`course_utils.quiz.progress_view`). *Knew it* moves a card up one box (a new card to box 2),
*Missed it* sends it back to box 1. A card is due again after its box's interval: box 1 at once, then
1, 3, 7 and 14 days (:data:`LEITNER_INTERVALS`). Box and due date are saved per card in the progress file.

The order of the due cards
    Cards made due by a missed question come first (until reviewed; see
    :mod:`course_utils.quiz.misses`), then the most overdue. Cards due at the same moment (all
    new cards, or the cards of one miss) come interleaved (:func:`interleave`): domains spread
    evenly by their number of cards, and the task statements within each domain too, in an order
    drawn from the learner's seed (saved in the progress file), so it is the same on every
    restart and differs between learners.

CSS classes: ``course-flash`` (widget), ``course-flash-card``, ``course-flash-flip``,
``course-flash-knew``, ``course-flash-missed``, ``course-flash-domain``, ``course-flash-counts``.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from . import a11y
from .bank import DOMAINS, Bank, load_bank
from .widgets import STYLE, Readable, esc, output_item, set_output

__all__ = ["LEITNER_INTERVALS", "BOXES", "Deck", "FlashcardsWidget", "flashcards", "box_chart", "interleave"]

#: Days until a card in box 1..5 is due again.
LEITNER_INTERVALS: tuple[int, ...] = (0, 1, 3, 7, 14)
BOXES = len(LEITNER_INTERVALS)
_EPOCH = "1970-01-01T00:00:00+00:00"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _spread(groups: list[list], rng: random.Random) -> list:
    """Merge ordered groups so that each is spread evenly over the result (seeded offsets)."""
    keyed = []
    for g, items in enumerate(groups):
        offset = rng.random()
        keyed += [((i + offset) / len(items), g, item) for i, item in enumerate(items)]
    keyed.sort(key=lambda k: (k[0], k[1]))
    return [item for _pos, _g, item in keyed]


def interleave(cards: list, seed: int) -> list:
    """``cards`` with domains spread evenly and, within each domain, task statements spread evenly.

    Deterministic for a given ``seed``; cards of one task statement come in a seeded shuffle.
    """
    rng = random.Random(seed)
    by_domain: dict[int, dict[str, list]] = {}
    for card in sorted(cards, key=lambda c: c.id):
        by_domain.setdefault(card.domain, {}).setdefault(card.task, []).append(card)
    domains = []
    for d in sorted(by_domain):
        tasks = [by_domain[d][t] for t in sorted(by_domain[d])]
        for group in tasks:
            rng.shuffle(group)
        rng.shuffle(tasks)
        domains.append(_spread(tasks, rng))
    rng.shuffle(domains)
    return _spread(domains, rng)


class Deck:
    """The cards (optionally of one domain) with their saved Leitner state.

    The cards made from missed questions (saved in the progress file) join the deck. ``seed``
    orders the deck (default: the learner's seed, see :meth:`ProgressStore.learner_seed`).
    """

    def __init__(
        self,
        cards: list,
        store=None,
        clock: Callable[[], datetime] = _utcnow,
        domain: int | None = None,
        seed: int | None = None,
    ) -> None:
        from .misses import made_cards

        if store is None:
            from .progress import get_store

            store = get_store()
        data = store.read()
        known = {c.id for c in cards}
        self.all_cards = list(cards) + made_cards(data, known.__contains__)
        self.store, self.clock, self.domain = store, clock, domain
        self._states = dict(data["flashcards"])
        self.seed = seed if seed is not None else store.learner_seed()
        self._rank = {c.id: i for i, c in enumerate(interleave(self.all_cards, self.seed))}

    @property
    def cards(self) -> list:
        return [c for c in self.all_cards if self.domain is None or c.domain == self.domain]

    def state(self, card_id: str) -> dict[str, Any]:
        return self._states.get(card_id) or {"box": 1, "due": _EPOCH, "reviewed": None, "seen": 0, "knew": 0}

    def due(self) -> list:
        """Cards due now: those a missed question made due first, then the most overdue, interleaved on ties."""
        from .misses import pending_miss

        now = self.clock().isoformat()
        due = [c for c in self.cards if self.state(c.id)["due"] <= now]

        def key(c):
            state = self.state(c.id)
            return (not pending_miss(state), state["due"], self._rank[c.id])

        return sorted(due, key=key)

    def next_due(self) -> str | None:
        dues = [self.state(c.id)["due"] for c in self.cards]
        return min(dues) if dues else None

    def review(self, card_id: str, knew: bool) -> dict[str, Any]:
        """Record *Knew it* / *Missed it* and schedule the card's next review."""
        old = self.state(card_id)
        box = min(old["box"] + 1, BOXES) if knew else 1
        now = self.clock()
        state = {
            "box": box,
            "due": (now + timedelta(days=LEITNER_INTERVALS[box - 1])).isoformat(),
            "reviewed": now.isoformat(),
            "seen": old.get("seen", 0) + 1,
            "knew": old.get("knew", 0) + (1 if knew else 0),
        }
        self.store.set_card_state(card_id, state)
        self._states[card_id] = state
        return state

    def counts(self) -> dict[str, Any]:
        """Cards in all, due now, due because of a missed question, *new* (never reviewed) and per box
        (reviewed cards only: the same words as the progress view)."""
        from .misses import pending_miss

        states = [self.state(c.id) for c in self.cards]
        boxes = Counter(s["box"] for s in states if s.get("reviewed"))
        due = self.due()
        return {"total": len(self.cards), "due": len(due), "missed": sum(pending_miss(self.state(c.id)) for c in due),
                "new": sum(not s.get("reviewed") for s in states), "boxes": {b: boxes.get(b, 0) for b in range(1, BOXES + 1)}}


_BOX_COLOURS = ("#cf222e", "#bc4c00", "#9a6700", "#1f6feb", "#1a7f37")  # box 1 (red) .. box 5 (green)
_NEW_COLOUR = "#8c959f"  # new (never reviewed) cards: grey


def box_chart(counts: dict[str, Any]) -> str:
    """HTML bar chart of cards per Leitner box: each bar carries its count and box in text, and the
    whole chart one accessible name (no image, no matplotlib: it redraws on every Knew / Missed)."""
    boxes = counts["boxes"]
    new = counts.get("new", 0)
    top = max([new, *boxes.values()]) or 1
    columns = [(new, _NEW_COLOUR, "new<br>now")]  # never reviewed: not in a box yet
    columns += [(n, _BOX_COLOURS[(b - 1) % len(_BOX_COLOURS)], f"box {b}<br>{LEITNER_INTERVALS[b - 1]} d") for b, n in boxes.items()]
    bars = []
    for n, colour, label in columns:
        height = round(96 * n / top)
        bars.append(
            '<div style="display:flex;flex-direction:column;justify-content:flex-end;align-items:center;width:64px">'
            f'<span style="font-size:0.9em">{n}</span>'
            f'<div style="width:40px;height:{height}px;background:{colour}"></div>'
            f'<span style="font-size:0.85em;text-align:center;border-top:1px solid #57606a;width:100%">{label}</span></div>'
        )
    return (
        f'<div role="img" aria-label="{esc(_counts_text(counts))}" class="course-flash-boxes" style="margin:8px 0">'
        f'<div style="font-size:0.95em;margin-bottom:4px">{esc(_counts_text(counts).split(" · ")[0])}</div>'
        f'<div aria-hidden="true" style="display:flex;gap:6px;align-items:flex-end;height:150px">{"".join(bars)}</div></div>'
    )


def _counts_text(counts: dict[str, Any]) -> str:
    boxes = " · ".join(f"box {b}: {n}" for b, n in counts["boxes"].items())
    missed = f" ({counts['missed']} after a missed question)" if counts.get("missed") else ""
    return f"{counts['total']} cards, {counts['due']} due now{missed} · new: {counts.get('new', 0)} · {boxes}"


def _box_label(state: dict[str, Any]) -> str:
    """Where a card stands: "new" (never reviewed) or "box N"."""
    return f"box {state['box']}" if state.get("reviewed") else "new"


def _miss_note(state: dict[str, Any]) -> str:
    from .misses import pending_miss

    if not pending_miss(state):
        return ""
    return " · due because you missed " + ", ".join(state.get("missed_by", [])[:3])


def _due_phrase(days: int) -> str:
    return "due again now" if days == 0 else f"due in {days} day{'s' if days != 1 else ''}"


class FlashcardsWidget(Readable):
    def __init__(self, deck: Deck) -> None:
        import ipywidgets as w

        self.deck = deck
        self.current = None
        self.flipped = False
        options = [("All domains", 0)] + [(f"Domain {d}: {name}", d) for d, (name, _w) in DOMAINS.items()]
        self.domain = w.Dropdown(options=options, value=deck.domain or 0, description="Deck")
        self.domain.add_class("course-flash-domain")
        self.domain.observe(self._on_domain, names="value")
        self.counts = w.HTML()
        self.counts.add_class("course-flash-counts")
        self.card = w.HTML()
        self.card.add_class("course-flash-card")
        self.card.add_class(a11y.LIVE)  # the flipped side and the next card are announced
        self.flip_button = w.Button(description="Flip", icon="refresh")
        self.flip_button.add_class("course-flash-flip")
        self.knew_button = w.Button(description="Knew it", button_style="success")
        self.knew_button.add_class("course-flash-knew")
        self.missed_button = w.Button(description="Missed it", button_style="warning")
        self.missed_button.add_class("course-flash-missed")
        self.flip_button.on_click(lambda _b: self.flip())
        self.knew_button.on_click(lambda _b: self.answer(True))
        self.missed_button.on_click(lambda _b: self.answer(False))
        self.chart = w.Output()
        self.chart.add_class("course-flash-chart")
        self.widget = w.VBox(
            [w.HTML(STYLE), self.domain, self.counts, self.card, w.HBox([self.flip_button, self.knew_button, self.missed_button]),
             self.chart, a11y.enhancer()]
        )
        self.widget.add_class("course-flash")
        self.widget.add_class(a11y.ROOT)  # keys typed inside stay out of JupyterLab; tooltips name the buttons
        self.show_next()

    def _on_domain(self, change) -> None:
        self.deck.domain = change["new"] or None
        self.show_next()

    def show_next(self) -> None:
        due = self.deck.due()
        self.current = due[0] if due else None
        self.flipped = False
        self._render()

    def flip(self) -> None:
        if self.current is not None:
            self.flipped = not self.flipped
            self._render()

    def answer(self, knew: bool) -> dict[str, Any] | None:
        if self.current is None or not self.flipped:
            return None
        state = self.deck.review(self.current.id, knew)
        self.show_next()
        return state

    def card_text(self) -> str:
        c = self.current
        if c is None:
            if not self.deck.cards:
                return "No flashcards in this deck yet."
            nxt = self.deck.next_due()
            return f"Nothing due now. The next card is due {nxt[:16].replace('T', ' ')} UTC."
        side = "Back" if self.flipped else "Front"
        text = c.back if self.flipped else c.front
        state = self.deck.state(c.id)
        return f"[{side}] {text}  ({_box_label(state)}, domain {c.domain}{', ' + ', '.join(c.tags) if c.tags else ''}){_miss_note(state)}"

    def _render(self) -> None:
        counts = self.deck.counts()
        self.counts.value = f"<b>{esc(_counts_text(counts))}</b>"
        c = self.current
        if c is None:
            self.card.value = f'<div style="padding:16px"><i>{esc(self.card_text())}</i></div>'
        else:
            colour = "#ddf4ff" if not self.flipped else "#dafbe1"
            side = "Answer" if self.flipped else "Question"
            body = c.back if self.flipped else c.front
            state = self.deck.state(c.id)
            self.card.value = (
                f'<div style="background:{colour};border-radius:8px;padding:18px;min-height:80px;max-width:640px">'
                f"<small>{side} · {_box_label(state)} · domain {c.domain}{esc(_miss_note(state))}</small>"
                f'<p style="font-size:1.15em">{esc(body)}</p></div>'
            )
        self.flip_button.disabled = c is None
        self._name_buttons()
        self.knew_button.disabled = self.missed_button.disabled = c is None or not self.flipped
        if counts["total"]:
            set_output(self.chart, output_item(_counts_text(counts), box_chart(counts)))
        else:
            set_output(self.chart)

    def _name_buttons(self) -> None:
        """Accessible names (tooltips) that say what each button does to the card shown."""
        c = self.current
        if c is None:
            names = ("Flip the card (no card due)", "Knew it (no card due)", "Missed it (no card due)")
        else:
            up = min(self.deck.state(c.id)["box"] + 1, BOXES)
            names = (
                "Flip the card back to the question" if self.flipped else "Flip the card to see the answer",
                f"Knew it: the card goes to box {up}, {_due_phrase(LEITNER_INTERVALS[up - 1])}",
                f"Missed it: the card goes to box 1, {_due_phrase(LEITNER_INTERVALS[0])}",
            )
        self.flip_button.tooltip, self.knew_button.tooltip, self.missed_button.tooltip = names

    def text(self) -> str:
        lines = [f"Flashcards: {_counts_text(self.deck.counts())}", self.card_text()]
        lines.append("Flip the card, then press Knew it or Missed it (in JupyterLab).")
        return "\n".join(lines)


def flashcards(
    domain: int | None = None, *, bank: Bank | None = None, data_dir=None, store=None, clock=_utcnow, seed: int | None = None
) -> FlashcardsWidget:
    """Study the flashcards (all domains, or one), due cards first.

    The misses saved in your progress (wrong or flagged answers) are recorded first
    (:func:`course_utils.quiz.misses.sync_misses`): their cards are due and come first.
    """
    from .misses import sync_misses
    from .progress import get_store

    bank = bank if bank is not None else load_bank(data_dir)
    store = store if store is not None else get_store()
    sync_misses(bank=bank, store=store)
    return FlashcardsWidget(Deck(bank.flashcards, store=store, clock=clock, domain=domain, seed=seed))
