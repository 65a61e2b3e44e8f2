"""A synthetic register of Ofsted providers for the tests (synthetic URNs, never Ofsted's
file): one that agrees with a return built by ``builders``, and faults planted in it or in the
return, each giving one of the eight rules of ``rules_providers`` on the episode it broke."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from tests.returns import builders
from tests.returns.builders import d

COUNCIL_NAMES = {
    "E08000007": "Stockport",
    "E08000003": "Manchester",
    "E08000004": "Oldham",
    "E08000009": "Trafford",
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000065": "North Yorkshire",
    "E06000066": "Somerset",
    "E08000016": "Barnsley",
    "E08000019": "Sheffield",
    "E09000033": "Westminster",
}
_COUNCIL_OF = {p: c for c, codes in builders.POSTCODES.items() for p in codes}
_PROVISION = {"K2": "Children's home", "U4": "Independent Fostering Agency"}
_PROVISION["U6"] = _PROVISION["U4"]
_SECTOR = {"PR1": "Local Authority", "PR4": "Private", "PR5": "Voluntary"}
_COLUMNS = [
    "Web link",
    "URN",
    "Provision type",
    "Registration date",
    "Registration status",
    "Postcode",
    "Local authority",
    "Sector",
    "Places",
    "Deregistration date",
]

Register = list[dict[str, str]]


def register_for(episodes: list[builders.Row]) -> Register:
    """One provider per URN of the return, agreeing with its episodes."""
    rows: Register = []
    for episode in episodes:
        if not episode["URN"]:
            continue
        rows.append(
            {
                "Web link": "Ofsted Social Care Provider Webpage",
                "URN": episode["URN"],
                "Provision type": _PROVISION[episode["PLACE"]],
                "Registration date": "01/01/2010",
                "Registration status": "Active",
                "Postcode": episode["PL_POST"],
                "Local authority": COUNCIL_NAMES[_COUNCIL_OF[episode["PL_POST"]]],
                "Sector": _SECTOR[episode["PLACE_PROVIDER"]],
                "Places": "3",
                "Deregistration date": "",
            }
        )
    return rows


def write_register(rows: Register, path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


Found = set[tuple[str, str]]
Fault = Callable[[builders.ReturnRows, Register, set[str]], Found]


def first(
    rows: builders.ReturnRows,
    register: Register,
    test: Callable[[builders.Row], bool],
    taken: set[str],
) -> tuple[builders.Row, dict[str, str]]:
    """The first episode with a URN that passes ``test``, of a child not ``taken`` (each
    fault its own child, when several are planted in one return), and its provider."""
    episode = next(
        e
        for e in rows.episodes
        if e["URN"]
        and e["CHILD"] not in taken
        and sum(x["URN"] == e["URN"] for x in rows.episodes) == 1
        and test(e)
    )
    taken.add(episode["CHILD"])
    provider = next(p for p in register if p["URN"] == episode["URN"])
    return episode, provider


def unknown_urn(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, _ = first(rows, register, lambda e: True, taken)
    episode["URN"] = "SC999999"
    return {("1008", episode["CHILD"])}


def wrong_place(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, provider = first(rows, register, lambda e: e["PLACE"] == "K2", taken)
    provider["Provision type"] = "Secure children's home"
    return {("219", episode["CHILD"])}


def wrong_postcode(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, provider = first(rows, register, lambda e: e["PLACE"] == "K2", taken)
    provider["Postcode"] = "M1 1AE" if episode["PL_POST"] != "M1 1AE" else "OL1 1UT"
    return {("221", episode["CHILD"])}


def wrong_sector(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, provider = first(rows, register, lambda e: e["PLACE_PROVIDER"] == "PR4", taken)
    provider["Sector"] = "Voluntary"
    return {("224", episode["CHILD"])}


def closed_before_start(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, provider = first(rows, register, lambda e: True, taken)
    provider["Deregistration date"] = episode["DECOM"]
    # Ended on the day it began: before the episode ended (or the year did) too.
    return {("227", episode["CHILD"]), ("228", episode["CHILD"])}


def closed_before_end(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, provider = first(rows, register, lambda e: bool(e["DEC"]), taken)
    decom = dt.datetime.strptime(episode["DECOM"], "%d/%m/%Y").date()
    provider["Deregistration date"] = d(decom + dt.timedelta(days=1))
    return {("228", episode["CHILD"])}


def own_home_elsewhere(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, provider = first(rows, register, lambda e: e["PLACE_PROVIDER"] == "PR1", taken)
    provider["Local authority"] = "Manchester"
    return {("229", episode["CHILD"])}


def supported_elsewhere(rows: builders.ReturnRows, register: Register, taken: set[str]) -> Found:
    episode, provider = first(rows, register, lambda e: e["PLACE_PROVIDER"] == "PR4", taken)
    episode["PLACE"] = "K3"
    provider["Provision type"] = "Supported accommodation"
    provider["Local authority"] = (
        "Westminster" if provider["Local authority"] != "Westminster" else "Oldham"
    )
    return {("241", episode["CHILD"])}


FAULTS: list[Fault] = [
    unknown_urn,
    wrong_place,
    wrong_postcode,
    wrong_sector,
    closed_before_start,
    closed_before_end,
    own_home_elsewhere,
    supported_elsewhere,
]
