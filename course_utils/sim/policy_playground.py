"""An interactive IAM policy playground: edit policies, action, resource and context; see the decision.

AWS offers the IAM policy simulator for this (``iam:SimulatePrincipalPolicy`` /
``SimulateCustomPolicy``); moto 5.2.5 does not implement either. The playground runs
:func:`course_utils.sim.policy.evaluate` (which follows AWS's documented evaluation logic) on
whatever is typed into the boxes and shows the decision, the reason and the deciding statements
in an ``ipywidgets.Output``. Malformed JSON or a malformed policy gets a message that names the
box and what is wrong; nothing is raised into the notebook.

ipywidgets is imported when a playground is built, never at import time.
"""

from __future__ import annotations

import html
import json
from typing import Any, Mapping

from ..rules.policy import evaluate

__all__ = ["PolicyPlayground", "playground"]

_COLOURS = {"Allow": "#1a7f37", "ExplicitDeny": "#cf222e", "ImplicitDeny": "#9a6700"}


def _dump(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2)


class PolicyPlayground:
    """The widgets (public attributes, so tests and learners can drive them) and the evaluation."""

    def __init__(
        self,
        *,
        identity_policy: Mapping[str, Any] | str | None = None,
        resource_policy: Mapping[str, Any] | str | None = None,
        boundary: Mapping[str, Any] | str | None = None,
        action: str = "s3:GetObject",
        resource: str = "arn:aws:s3:::example-bucket/reports/q1.csv",
        principal: str = "arn:aws:iam::123456789012:user/ana",
        context: Mapping[str, Any] | None = None,
    ) -> None:
        import ipywidgets as w

        area = {"layout": w.Layout(width="100%", height="150px")}
        self.identity = w.Textarea(value=_dump(identity_policy), description="Identity", **area)
        self.resource_policy = w.Textarea(value=_dump(resource_policy), placeholder="(none)", description="Resource pol.", **area)
        self.boundary = w.Textarea(value=_dump(boundary), placeholder="(none)", description="Boundary",
                                   layout=w.Layout(width="100%", height="80px"))  # fmt: skip
        self.action = w.Text(value=action, description="Action")
        self.resource = w.Text(value=resource, description="Resource", layout=w.Layout(width="100%"))
        self.principal = w.Text(value=principal, description="Principal", layout=w.Layout(width="100%"))
        self.context = w.Textarea(value=_dump(context or {}), description="Context", layout=w.Layout(width="100%", height="60px"))
        self.button = w.Button(description="Evaluate", button_style="primary")
        self.output = w.Output()
        self.output.add_class("course-policy-output")
        self.button.on_click(lambda _b: self.run())
        self.widget = w.VBox([self.identity, self.resource_policy, self.boundary, self.action, self.resource,
                              self.principal, self.context, self.button, self.output])  # fmt: skip
        self.widget.add_class("course-policy-playground")
        self.last: Any = None

    # -- parsing the boxes
    @staticmethod
    def _json(box: Any, name: str, *, optional: bool) -> Any:
        text = box.value.strip()
        if not text:
            if optional:
                return None
            raise ValueError(f"{name}: the box is empty; paste a policy document")
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{name}: malformed JSON - {exc.msg} at line {exc.lineno}, column {exc.colno}") from None

    def run(self) -> Any:
        """Evaluate what the boxes hold and show it; returns the Decision (or None on bad input)."""
        try:
            identity = self._json(self.identity, "Identity policy", optional=True)
            resource_policy = self._json(self.resource_policy, "Resource policy", optional=True)
            boundary = self._json(self.boundary, "Permissions boundary", optional=True)
            context = self._json(self.context, "Context", optional=True) or {}
            if not isinstance(context, dict):
                raise ValueError('Context: expected a JSON object such as {"aws:SourceIp": "203.0.113.7"}')
            decision = evaluate(
                self.action.value.strip(),
                self.resource.value.strip(),
                identity_policies=[identity] if identity is not None else [],
                resource_policy=resource_policy,
                boundary=boundary,
                principal=self.principal.value.strip() or None,
                context=context,
            )
        except ValueError as exc:
            self.last = None
            self._show(f"Cannot evaluate: {exc}", f'<div style="color:#cf222e"><b>Cannot evaluate:</b> {html.escape(str(exc))}</div>')
            return None
        self.last = decision
        colour = _COLOURS[decision.decision]
        rows = "".join(f"<li>{html.escape(str(s))}</li>" for s in decision.statements)
        page = (f'<div><b style="color:{colour}">{decision.decision}</b> - {html.escape(decision.reason)}'
                f'{"<ul>" + rows + "</ul>" if rows else ""}</div>')  # fmt: skip
        self._show(decision.explain(), page)
        return decision

    def _show(self, text: str, page: str) -> None:
        self.output.outputs = ({"output_type": "display_data", "data": {"text/plain": text, "text/html": page}, "metadata": {}},)

    def text(self) -> str:
        """What the Output shows, as plain text."""
        return "\n".join(o.get("data", {}).get("text/plain", "") for o in self.output.outputs)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = dict(self.widget._repr_mimebundle_())
        data["text/plain"] = "Policy playground: " + (self.text() or "press Evaluate")
        return data


def playground(**kwargs: Any) -> PolicyPlayground:
    """Build a playground pre-filled with ``kwargs`` (see :class:`PolicyPlayground`) and evaluate once."""
    pg = PolicyPlayground(**kwargs)
    pg.run()
    return pg
