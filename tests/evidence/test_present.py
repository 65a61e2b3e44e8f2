"""Suppression, formats, CSV and charts."""

from __future__ import annotations

import base64

import polars as pl

from sightline.evidence import charts, present
from sightline.evidence.areas import ENGLAND
from sightline.evidence.questions import Col, Kind, Query, Table, q2_rates
from sightline.evidence.simulate import planted_extract


def table(rows):
    return Table(
        slug="t",
        title="Test table",
        columns=(
            Col("name", "Name"),
            Col("days", "Placement-days", Kind.DAYS),
            Col("n", "Incidents", Kind.COUNT),
            Col("rate", "Rate", Kind.RATE, ("n",)),
        ),
        frame=pl.DataFrame(
            rows,
            schema={"name": pl.String, "days": pl.Int64, "n": pl.Int64, "rate": pl.Float64},
            orient="row",
        ),
        chart={"type": "bar", "x": "name", "y": "rate", "label": "Rate"},
    )


def test_counts_of_1_to_4_and_rates_from_them_are_suppressed_zero_and_days_are_not():
    t = table([("a", 3, 0, 0.0), ("b", 1200, 4, 3.3333), ("c", 2, 5, 2500.0)])
    assert present.page_rows(t) == [
        ["a", "3", "0", "0.00"],
        ["b", "1,200", "c", "c"],
        ["c", "2", "5", "2500.00"],
    ]
    assert present.csv_text(t).splitlines() == [
        "Name,Placement-days,Incidents,Rate",
        "a,3,0,0.0000",
        "b,1200,c,c",
        "c,2,5,2500.0000",
    ]
    assert present.suppressed_frame(t)["n"].to_list() == ["0", "c", "5"]


def test_a_chart_is_an_svg_image_with_a_text_alternative_and_leaves_out_suppressed_values():
    t = table([("a", 10, 10, 1.0), ("b", 10, 2, 99999.0)])
    img = charts.image(t)
    assert img.startswith('<img class="sl-chart" src="data:image/svg+xml;base64,')
    assert 'alt="Chart: Test table. The table after the chart holds the same figures."' in img
    svg = base64.b64decode(img.split("base64,")[1].split('"')[0]).decode()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "99999" not in svg  # the suppressed value is not drawn
    assert charts.image(table([("b", 10, 2, 1.0)])) == ""  # nothing left to draw


def test_charts_for_a_whole_question():
    extract = planted_extract(children=2_000, seed=5)
    for t in q2_rates(Query(ENGLAND, 2024, 2024), extract):
        assert charts.image(t).startswith("<img"), t.slug
