"""The rules that compare a return with the council's return for the year before, given as a
second folder (``--previous``) or found in Sightline after an import of that year."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest

from tests.returns import builders

pytestmark = pytest.mark.django_db


def _previous_year(rows: builders.ReturnRows) -> builders.ReturnRows:
    """Last year's return that agrees with ``rows``: each child whose period of care started
    before 1 April 2024 with this year's first episode has that episode, still open, as its
    last one last year."""
    firsts: dict[str, builders.Row] = {}
    for episode in rows.episodes:
        firsts.setdefault(episode["CHILD"], episode)
    before = {
        child: dict(e, DEC="", REC="", REASON_PLACE_CHANGE="")
        for child, e in firsts.items()
        if e["RNE"] == "S" and e["DECOM"][6:] + e["DECOM"][3:5] + e["DECOM"][:2] < "20240401"
    }
    # 2023/24 coded sex 1 and 2 (rule 202 knows they are M and F).
    sex = {"M": "1", "F": "2"}
    header = [dict(h, SEX=sex[h["SEX"]]) for h in rows.header if h["CHILD"] in before]
    return builders.ReturnRows(header=header, episodes=list(before.values()))


def _this_year(rows: builders.ReturnRows) -> builders.ReturnRows:
    """``rows`` without the children whose earlier episodes ended before the year (the
    builder leaves them out), which last year's return would have to hold."""
    firsts: dict[str, builders.Row] = {}
    for episode in rows.episodes:
        firsts.setdefault(episode["CHILD"], episode)
    keep = {child for child, e in firsts.items() if e["RNE"] == "S"}
    return builders.ReturnRows(
        header=[h for h in rows.header if h["CHILD"] in keep],
        episodes=[e for e in rows.episodes if e["CHILD"] in keep],
        missing=[m for m in rows.missing if m["CHILD"] in keep],
    )


def _results(output: str) -> set[tuple[str, str]]:
    return {(r["rule"], r["child"]) for r in csv.DictReader(io.StringIO(output))}


def test_rules_against_last_years_return_from_a_folder_or_the_database(
    tmp_path: Path, sightline
) -> None:
    rows = _this_year(builders.build(children=30, seed=41))
    last = _previous_year(rows)
    assert len(last.episodes) >= 3
    current = builders.write_csv(rows, tmp_path / "356" / "2025")
    agreeing = builders.write_csv(last, tmp_path / "agreeing" / "356" / "2024")
    result = sightline("validate", str(current), "--previous", str(agreeing), "--format", "csv")
    assert (result.code, _results(result.out)) == (0, set()), result.out

    moved, dropped, renamed = (e["CHILD"] for e in last.episodes[:3])
    # Last year's open episode started another day: 502 (and 562, no episode last year
    # continues into this one) on this year's first episode.
    started = dt.datetime.strptime(last.episodes[0]["DECOM"], "%d/%m/%Y").date()
    last.episodes[0]["DECOM"] = builders.d(started - dt.timedelta(days=1))
    # A child looked after before the year with no episode last year: NoE and 562.
    last.episodes = [e for e in last.episodes if e["CHILD"] != dropped]
    # Sex and ethnicity that disagree with last year's: 202 and 204 on the Header row.
    header = next(h for h in last.header if h["CHILD"] == renamed)
    header.update(SEX="2" if header["SEX"] == "1" else "1", ETHNIC="OOTH")
    header["MOTHER"] = "0" if header["SEX"] == "2" else ""
    differing = builders.write_csv(last, tmp_path / "differing" / "356" / "2024")
    expected = {
        ("502", moved),
        ("562", moved),
        ("NoE", dropped),
        ("562", dropped),
        ("202", renamed),
        ("204", renamed),
    }
    original = next(h for h in rows.header if h["CHILD"] == renamed)
    if original["ETHNIC"] == "OOTH":
        expected.discard(("204", renamed))
    result = sightline("validate", str(current), "--previous", str(differing), "--format", "csv")
    assert (result.code, _results(result.out)) == (1, expected), result.out
    # Import refuses the same return for the same reasons: validate and import agree.
    result = sightline("import", str(current), "--previous", str(differing), "--quiet")
    assert result.code == 1 and "Rule 502 (error, Episodes: DECOM), 1 record" in result.err

    # Without --previous, last year's return is the one Sightline holds from its import.
    assert sightline("import", str(differing), "--quiet").code == 0
    result = sightline("validate", str(current), "--format", "csv")
    # Sightline holds no placement from a return that did not have it: the dropped child's
    # NoE is the same; the rest too.
    assert (result.code, _results(result.out)) == (1, expected), result.out
