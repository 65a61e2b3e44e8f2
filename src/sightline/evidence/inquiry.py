"""The inquiry: every question for one area and range of years, in the order the report and
the dashboard show them, with the headline figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

import polars as pl

from sightline.evidence import model
from sightline.evidence.areas import AreaKind
from sightline.evidence.frames import Extract
from sightline.evidence.questions import (
    DISTANCE_BANDS,
    Query,
    Table,
    child_id,
    q1_out_of_area,
    q2_rates,
    q4_homes,
    q5_notices,
    q6_interviews,
    q7_after_start,
    q7_continuity,
    q7_decisions,
    segments,
    spell_filter,
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


# Answers of the last few dashboard requests, per extract: going back to a tab or an area
# just seen (or downloading its CSV) answers from here. Figures never change for the same
# extract and query, and a rebuilt extract is a new object, so nothing here goes stale.
_ANSWERS: dict[tuple[int, Query, tuple[str, ...]], Inquiry] = {}
_ANSWERS_KEPT = 32


def answer(query: Query, extract: Extract, *, only: tuple[str, ...] = SECTIONS) -> Inquiry:
    """``run``, remembering the last few answers (for the dashboard)."""
    key = (id(extract), query, only)
    hit = _ANSWERS.get(key)
    if hit is not None and hit.extract is extract:
        _ANSWERS[key] = _ANSWERS.pop(key)  # most recently used last
        return hit
    found = run(query, extract, only=only)
    while len(_ANSWERS) >= _ANSWERS_KEPT:
        _ANSWERS.pop(next(iter(_ANSWERS)))
    _ANSWERS[key] = found
    return found


def forget() -> None:
    """Drop every kept answer and set of placement-years (for benchmarks and tests)."""
    _ANSWERS.clear()
    _SEGMENTS.clear()


QUESTIONS = {
    "q1": (
        "Out-of-area share",
        "Of missing incidents from homes in the area, how many involve children placed by other "
        "councils?",
    ),
    "q2": (
        "Rates and trends",
        "How often do children go missing, for each 1,000 days in placement and for each 100 "
        "children, and how has that changed?",
    ),
    "q3": (
        "Does distance make a difference?",
        "Are children placed further from home missing more often, once age, sex and placement "
        "type are allowed for?",
    ),
    "q4": (
        "Where the homes are",
        "Where are children's homes, and where are the children in care?",
    ),
    "q5": (
        "Notices",
        "Do placing councils tell the host council on time, and how quickly is it acknowledged?",
    ),
    "q6": (
        "Return home interviews",
        "Are return home interviews offered within 72 hours, and completed?",
    ),
    "q7": (
        "After a placement starts",
        "What happens after a placement starts: missing episodes, where children are found, and "
        "moves? How many placements and social workers have children had in a year?",
    ),
}
# The questions are answered one after another, in this thread. (They were once answered in
# two threads, Q1 and Q4-Q7 beside Q2 and Q3: on this two-core machine that saved no time
# even when it was quiet, and when it was busy it cost a quarter more CPU time, the two
# threads taking turns with Python's lock while Polars' own threads already use the cores.)


def area_extract(query: Query, extract: Extract) -> Extract:
    """The part of the extract the placement questions (Q2, Q3, Q7) need for one area: every
    placement of each child with a placement in the area (Q7 follows a child's placements
    from one to the next), and the incidents during them. The answers are the same as from
    the whole extract; the work is the area's, not England's. Once the dashboards have
    worked out the whole extract's placement-years it is used as it is."""
    if query.area.kind is AreaKind.ENGLAND or "placement_years" in extract.derived:
        return extract
    # Children and placements are matched by 64-bit hashes of their keys (quicker than the
    # strings). Two keys with the same hash would only bring another child's placements, or
    # an incident of another placement, along: a few rows more, never a different answer
    # (the questions choose the area's placements themselves, and an incident is joined to
    # its placement by its full id: questions.spell_incidents).
    spells = extract.spells
    child = child_id(pl.col("child_key"))
    children = spells.filter(spell_filter(query, extract)).select(child.unique()).to_series()
    mine = spells.filter(child.is_in(children.implode(), nulls_equal=True))
    ids = mine.select(pl.col("spell_id").hash()).to_series()
    incidents = extract.missing.filter(pl.col("spell_id").hash().is_in(ids.implode()))
    return replace(extract, spells=mine, missing=incidents, derived={})


def run(query: Query, extract: Extract, *, only: tuple[str, ...] = SECTIONS) -> Inquiry:
    """Answer the questions (``only`` a subset, for a dashboard tab) for one query."""
    wanted = [s for s in SECTIONS if s in only]
    whole = extract
    if {"q2", "q3", "q7"} & set(wanted):
        extract = area_extract(query, extract)
    simple: dict[str, Callable[[], list[Table]]] = {
        "q1": lambda: q1_out_of_area(query, whole),
        "q4": lambda: q4_homes(query, whole),
        "q5": lambda: q5_notices(query, whole),
        "q6": lambda: q6_interviews(query, whole),
        "q7": lambda: [
            *q7_after_start(query, extract),
            *q7_continuity(query, whole),
            *q7_decisions(query, whole),
        ],
    }
    answers: dict[str, list[Table]] = {}
    fit = None
    for s in wanted:
        if s == "q2":
            answers["q2"] = q2_rates(query, extract, _segments(query, extract))
        elif s == "q3":
            answers["q3"], fit = model.q3_distance(query, extract, _segments(query, extract))
        else:
            answers[s] = simple[s]()
    sections = [
        Section(
            s,
            *QUESTIONS[s],
            answers[s],
            text=answers[s][0].note if s == "q3" else "",
        )
        for s in wanted
    ]
    inquiry = Inquiry(query=query, extract=whole, sections=sections)
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
        for name in ("days", "missing", "away"):
            found[f"{name}_last_year"] = int(last[name][0] or 0) if last.height else 0
    if fit is not None:
        far = fit.bands.filter(pl.col("distance_band") == DISTANCE_BANDS[-1])
        found["irr_over_50"] = far["irr"][0]
    return found
