"""Figures read at notebook width (fonts >= 8 pt once scaled to ~900 px), legends sit on no data,
and every chart carries alt text that states what it shows (course_utils.rules.figures)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from course_utils.rules import figures  # noqa: E402
from course_utils.rules import alarms, appspec, beanstalk  # noqa: E402

MIN_PT = 8.0


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _small(fig) -> list[tuple[float, str]]:
    return [(round(s, 1), t) for s, t in figures.effective_font_sizes(fig) if s < MIN_PT]


def test_hook_diagram_reads_at_notebook_width_and_names_every_event():
    fig, _ = appspec.plot_hook_order(used={"ec2": ["BeforeInstall"]})
    assert fig.get_size_inches()[0] <= figures.NOTEBOOK_WIDTH_IN
    assert _small(fig) == []
    alt = figures.alt_text(fig)
    for platform in appspec.PLATFORMS:
        for event, _ in appspec.hook_order(platform):
            assert event in alt
    assert "EC2/On-Premises BeforeInstall" in alt


def test_hook_diagram_was_unreadable_before_the_scale_check(monkeypatch):
    """The check itself: a 22 in wide figure with 7 pt labels is ~3 pt at notebook width."""
    fig = plt.figure(figsize=(22, 2))
    fig.text(0.5, 0.5, "BeforeAllowTraffic", fontsize=7)
    assert _small(fig) == [(2.9, "BeforeAllowTraffic")]


def test_beanstalk_legend_covers_no_data_and_fonts_are_readable():
    fig, axes = beanstalk.plot_capacity(4, batch=2)
    assert _small(fig) == []
    assert all(figures.legend_overlaps(ax) == [] for ax in axes)
    assert fig.legends and all(ax.get_legend() is None for ax in axes)
    assert "Lowest in service: all at once 0" in figures.alt_text(fig)


def _timeline():
    cfg = alarms.AlarmConfig(name="latency", threshold=250, evaluation_periods=5, datapoints_to_alarm=3)
    values = [120, 140, 300, 130, 310, 290, 150, None, None, 280, 330, None, 120, 110, 100]
    return alarms.evaluate(cfg, values)


def test_alarm_legend_covers_no_datapoint():
    fig, ax = plt.subplots(figsize=(9, 3.2))
    alarms.plot(_timeline(), ax=ax)
    assert figures.legend_overlaps(ax) == []
    assert _small(fig) == []
    alt = figures.alt_text(fig)
    assert alt.startswith("Line chart of alarm latency") and "ALARM from period" in alt


def test_legend_overlap_check_finds_a_legend_on_a_point():
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1], [1, 0], "o", label="data")
    ax.plot([0.0], [0.98], "o", label="top-left point")
    ax.legend(loc="upper left")
    assert "top-left point" in figures.legend_overlaps(ax)


def test_alt_text_falls_back_to_titles_and_labels():
    fig, ax = plt.subplots()
    ax.plot([1, 2], [3, 4], label="share")
    ax.set_title("Weighted alias")
    ax.set_xlabel("requests")
    ax.legend()
    assert figures.alt_text(fig) == "Chart: Weighted alias; x axis: requests; series: share"


def test_html_formatter_renders_img_with_alt():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    monkey = figures._installed
    try:
        figures._installed = False
        assert figures.install(shell)
        fig, _ = plt.subplots()
        figures.describe(fig, 'Bars "a" & b')
        data, _ = shell.display_formatter.format(fig)
        assert data["text/html"].startswith('<img src="data:image/png;base64,')
        assert 'alt="Bars &quot;a&quot; &amp; b"' in data["text/html"]
        # one render serves both outputs: the PNG output is the image inside the <img>
        assert f'base64,{data["image/png"]}"' in data["text/html"]
    finally:
        figures._installed = monkey
        InteractiveShell.clear_instance()


def test_alt_text_survives_the_inline_backend_resetting_figure_formats():
    """``import matplotlib.pyplot`` after the sandbox started runs IPython's ``select_figure_formats``, which
    drops every formatter's ``Figure`` entry: a figure in that cell still gets its alt text (through the base
    class), and after the cell the course's formatters are back (one render for both outputs)."""
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    shell = InteractiveShell.instance()
    monkey = figures._installed
    try:
        figures._installed = False
        assert figures.install(shell)
        select_figure_formats(shell, {"png"})  # what the inline backend does on its first import
        fig, _ = plt.subplots()
        figures.describe(fig, "Requests per second")
        data, _ = shell.display_formatter.format(fig)
        assert 'alt="Requests per second"' in data["text/html"] and data["image/png"]
        shell.events.trigger("post_run_cell", None)  # the end of that cell
        data, _ = shell.display_formatter.format(fig)
        assert 'alt="Requests per second"' in data["text/html"]
        assert f'base64,{data["image/png"]}"' in data["text/html"]  # the course's PNG printer again
        assert figures.install(shell) and len(shell.events.callbacks["post_run_cell"]) == 1  # registered once
    finally:
        figures._installed = monkey
        InteractiveShell.clear_instance()


def test_exam_charts_carry_alt_text_and_readable_labels():
    from course_utils.quiz import exam

    item = exam._image_item(exam.history_chart([{"finished": "2026-12-01T10:00", "scaled": 700}]), "chart: scores")
    assert item["data"]["image/png"] and 'alt="chart: scores"' in item["data"]["text/html"]


def test_traffic_chart_alt_text_states_each_configuration():
    from course_utils.rules import codedeploy

    fig, _ = codedeploy.plot_traffic(["LambdaCanary10Percent5Minutes", "LambdaAllAtOnce"])
    alt = figures.alt_text(fig)
    assert "LambdaCanary10Percent5Minutes reaches 100 % at minute 5" in alt
    assert "LambdaAllAtOnce reaches 100 % at minute 0" in alt
    assert _small(fig) == []


def test_rollout_panels_fit_the_notebook_and_the_legend_covers_no_step():
    from course_utils.rules import rollout

    runs = [rollout.ecs_rollout(4), rollout.ecs_rollout(4, healthy=False, max_steps=4),
            rollout.ecs_rollout(4, healthy=False, circuit_breaker={"enable": True, "rollback": True})]
    fig, axes = rollout.plot(runs, ["ok", "stuck", "breaker"])
    assert _small(fig) == []
    assert fig.legends and all(figures.legend_overlaps(ax) == [] and ax.get_legend() is None for ax in axes)
    assert "breaker: FAILED, rolled back" in figures.alt_text(fig)
