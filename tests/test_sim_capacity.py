"""course_utils.sim.capacity: DynamoDB RCU/WCU arithmetic and the calculator widget."""

from __future__ import annotations

import pytest

from course_utils.sim import capacity as cap


@pytest.mark.parametrize("kb, consistency, units", [
    (3.5, "strong", 1), (4, "strong", 1), (4.1, "strong", 2), (8, "strong", 2),
    (8, "eventual", 1), (8, "transactional", 4), (10, "strong", 3), (0.1, "eventual", 0.5),
])
def test_read_units(kb, consistency, units):
    assert cap.read_units(kb, consistency) == units


@pytest.mark.parametrize("kb, tx, units", [(0.5, False, 1), (1, False, 1), (1.5, False, 2), (3, True, 6), (400, False, 400)])
def test_write_units(kb, tx, units):
    assert cap.write_units(kb, tx) == units


def test_query_sums_then_rounds_but_batch_get_rounds_each():
    sizes = [1.5, 6.5]
    assert cap.query_read_units(sizes) == 2          # 8 KB total -> 2
    assert cap.batch_get_read_units(sizes) == 3      # 4 KB + 8 KB -> 1 + 2
    assert cap.query_read_units([0.2] * 100, "eventual") == 2.5  # 20 KB -> 5 x 0.5


def test_estimate_and_explanation():
    est = cap.estimate(6, 100, 10, consistency="eventual")
    assert (est.units_per_read, est.units_per_write, est.rcu, est.wcu) == (1.0, 6, 100, 60)
    text = str(est)
    assert "ceil(6/4) = 2 x 0.5 = 1 read unit" in text and "60 WCU" in text and "on-demand" in text
    assert cap.estimate(2, 3, 0, consistency="eventual").rcu == 2  # 1.5 rounded up


@pytest.mark.parametrize("call, message", [
    (lambda: cap.read_units(401), "400 KB"),
    (lambda: cap.write_units(0), "positive"),
    (lambda: cap.read_units(4, "strongly"), "consistency"),
    (lambda: cap.estimate(1, -1), "reads_per_second"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_calculator_widget_updates():
    box = cap.calculator(item_kb=6, reads_per_second=100, writes_per_second=10)
    assert "<b>150 RCU" not in box.result.value and "<b>200 RCU, 60 WCU</b>" in box.result.value
    box.controls["consistency"].value = "eventual"
    assert "<b>100 RCU, 60 WCU</b>" in box.result.value
    box.controls["transactional"].value = True
    assert "120 WCU" in box.result.value
    box.controls["size"].value = 1
    assert "<b>50 RCU, 20 WCU</b>" in box.result.value
