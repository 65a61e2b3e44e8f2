"""The inquiry: every question for one area and range of years, in the order the report and
the dashboard show them, with the headline figures."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from sightline.evidence import model
from sightline.evidence.frames import Extract
from sightline.evidence.questions import (
    DISTANCE_BANDS,
    Query,
    Table,
    q1_out_of_area,
    q2_rates,
    q4_homes,
    q5_notices,
    q6_interviews,
    q7_after_start,
    segments,
)


@dataclass
class Section:
    slug: str
    heading: str
    question: str
    tables: list[Table]
    text: str = ""


@dataclass
class Inquiry:
    query: Query
    extract: Extract
    sections: list[Section]
    headlines: dict[str, float | int | None] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def table(self, slug: str) -> Table:
        for t in self.tables():
            if t.slug == slug:
                return t
        raise KeyError(slug)


SECTIONS = ("q1", "q2", "q3", "q4", "q5", "q6", "q7")

# Placement-years of the last few queries, per extract: the dashboard's rates and distance tabs
# share them, so moving between the two for the same filters does not cut the years again.
# Each entry holds its extract, so the extract's id cannot be reused while the entry lives.
_SEGMENTS: dict[tuple[int, Query], tuple[Extract, pl.DataFrame]] = {}
_SEGMENTS_KEPT = 4


def _segments(query: Query, extract: Extract) -> pl.DataFrame:
    key = (id(extract), query)
    hit = _SEGMENTS.get(key)
    if hit is not None and hit[0] is extract:
        return hit[1]
    while len(_SEGMENTS) >= _SEGMENTS_KEPT:
        _SEGMENTS.pop(next(iter(_SEGMENTS)))
    seg = segments(query, extract)
    _SEGMENTS[key] = (extract, seg)
    return seg


def run(query: Query, extract: Extract, *, only: tuple[str, ...] = SECTIONS) -> Inquiry:
    """Answer the questions (``only`` a subset, for a dashboard tab) for one query."""
    seg = _segments(query, extract) if {"q2", "q3"} & set(only) else None
    sections = []
    if "q1" in only:
        sections.append(
            Section(
                "q1",
                "Out-of-area share",
                "Of missing incidents from homes in the area, how many involve children placed "
                "by other councils?",
                q1_out_of_area(query, extract),
            )
        )
    if "q2" in only:
        sections.append(
            Section(
                "q2",
                "Rates and trends",
                "How often do children go missing, for each 1,000 days in placement and for "
                "each 100 children, and how has that changed?",
                q2_rates(query, extract, seg),
            )
        )
    fit = None
    if "q3" in only:
        tables, fit = model.q3_distance(query, extract, seg)
        sections.append(
            Section(
                "q3",
                "Does distance make a difference?",
                "Are children placed further from home missing more often, once age, sex and "
                "placement type are allowed for?",
                tables,
                text=tables[0].note,
            )
        )
    if "q4" in only:
        sections.append(
            Section(
                "q4",
                "Where the homes are",
                "Where are children's homes, and where are the children in care?",
                q4_homes(query, extract),
            )
        )
    if "q5" in only:
        sections.append(
            Section(
                "q5",
                "Notices",
                "Do placing councils tell the host council on time, and how quickly is it "
                "acknowledged?",
                q5_notices(query, extract),
            )
        )
    if "q6" in only:
        sections.append(
            Section(
                "q6",
                "Return home interviews",
                "Are return home interviews offered within 72 hours, and completed?",
                q6_interviews(query, extract),
            )
        )
    if "q7" in only:
        sections.append(
            Section(
                "q7",
                "After a placement starts",
                "What happens after a placement starts: missing episodes, where children are "
                "found, and moves?",
                q7_after_start(query, extract),
            )
        )
    inquiry = Inquiry(query=query, extract=extract, sections=sections)
    inquiry.headlines = _headlines(inquiry, fit)
    return inquiry


def _headlines(inquiry: Inquiry, fit: model.Fit | None) -> dict[str, float | int | None]:
    q = inquiry.query
    found: dict[str, float | int | None] = {}
    names = {s.slug for s in inquiry.sections}
    if "q1" in names:
        by_year = inquiry.table("q1-share-by-year").frame
        total = int(by_year["missing"].sum())
        other = int(by_year["missing_other"].sum())
        found["missing_incidents"] = total
        found["missing_other_councils"] = other
        found["missing_other_share"] = 100 * other / total if total else None
    if "q2" in names:
        trend = inquiry.table("q2-trend").frame
        last = trend.filter(pl.col("year") == q.year_to)
        found["missing_rate_last_year"] = last["missing_rate"][0] if last.height else None
        found["missing_index_last_year"] = last["missing_index"][0] if last.height else None
    if fit is not None:
        far = fit.bands.filter(pl.col("distance_band") == DISTANCE_BANDS[-1])
        found["irr_over_50"] = far["irr"][0]
    return found
