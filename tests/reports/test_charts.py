"""The SVG charts: well-formed XML, names escaped, sized to scale, and the bars and points where the figures say."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from fund_ledger.reports.charts import HEIGHT, WIDTH, Series, bar_chart, line_chart, nice_ceiling, text_width

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = ["12", "1", "2"]
NASTY = '<script>alert("x")</script> & 童梦\'童行'


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_a_chart_is_well_formed_and_scales(draw):
    root = parse(draw(MONTHS, [Series("收入", (100_00, 2_500_00, 0)), Series("支出", (50_00, 0, 7_00))],
                      title="Income & spending <per month>", groups=["2026", "2027", None]))
    assert root.get("width") == "100%" and root.get("viewBox").startswith(f"0 0 {WIDTH} ")
    assert root.get("role") == "img" and root.get("aria-label") == "Income & spending <per month>"
    assert root.find(f"{SVG}title").text == "Income & spending <per month>"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"12", "1", "2", "2026", "2027", "收入", "支出"} <= set(texts)


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_names_and_titles_are_escaped(draw):
    svg = draw(MONTHS, [Series(NASTY, (1, 2, 3))], title=NASTY, description=NASTY)
    assert "<script>" not in svg
    root = parse(svg)
    assert root.find(f"{SVG}title").text == NASTY and root.find(f"{SVG}desc").text == NASTY
    assert root.get("aria-label") == NASTY
    assert any(t.text and t.text.startswith("<script>alert(") for t in root.iter(f"{SVG}text"))  # the legend
    assert any(t.text and t.text.startswith(NASTY + " 12: ") for t in root.iter(f"{SVG}title"))  # each bar or point
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))


def test_bars_stand_on_zero_with_heights_in_proportion():
    root = parse(bar_chart(["a", "b"], [Series("in", (1_000_00, 500_00))], title="t"))
    bars = list(root.iter(f"{SVG}rect"))
    assert len(bars) == 2
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.2)
    bottoms = {round(float(b.get("y")) + float(b.get("height")), 1) for b in bars}
    assert len(bottoms) == 1  # both on the zero line


def test_a_negative_month_goes_below_the_line():
    root = parse(bar_chart(["a", "b"], [Series("in", (1_000_00, -200_00))], title="t"))
    up, down = list(root.iter(f"{SVG}rect"))
    assert float(down.get("y")) == pytest.approx(float(up.get("y")) + float(up.get("height")), abs=0.2)
    assert "-¥200" in [t.text for t in root.iter(f"{SVG}text")] or "-¥500" in [t.text for t in root.iter(f"{SVG}text")]


def test_a_line_has_a_point_per_month_and_the_legend_grows_with_the_funds():
    funds = [Series(f"基金{i}", (i * 100_00, i * 200_00, i * 300_00)) for i in range(1, 11)]
    root = parse(line_chart(MONTHS, funds, title="t"))
    assert len(list(root.iter(f"{SVG}polyline"))) == 10
    assert len(list(root.iter(f"{SVG}circle"))) == 30
    height = int(root.get("viewBox").split()[3])
    assert height > HEIGHT + 5 * 16  # five rows of two names
    dashed = [p for p in root.iter(f"{SVG}polyline") if p.get("stroke-dasharray")]
    assert len(dashed) == 2  # colours repeat beyond eight, told apart by the dash


def test_an_empty_chart_is_still_a_chart():
    parse(bar_chart([], [], title="nothing yet"))
    parse(line_chart(MONTHS, [Series("x", (0, 0, 0))], title="zero"))


def test_long_names_are_cut_in_the_legend():
    root = parse(line_chart(MONTHS, [Series("很" * 60, (1, 2, 3))], title="t"))
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.startswith("很")]
    assert len(legend) == 1 and legend[0].endswith("…") and text_width(legend[0]) <= WIDTH / 2
    short = [t.text for t in parse(line_chart(MONTHS, [Series("爱力量", (1, 2, 3))], title="t")).iter(f"{SVG}text")]
    assert "爱力量" in short


@pytest.mark.parametrize("fen, top", [(0, 0), (1, 100), (99_00, 100_00), (101_00, 200_00), (230_000_00, 500_000_00),
                                      (250_000_00, 500_000_00), (100_000_00, 100_000_00)])
def test_the_axis_tops_at_a_round_figure(fen, top):
    assert nice_ceiling(fen) == top
