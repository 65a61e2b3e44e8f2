"""The synthetic England's register of Ofsted providers: ``DIR/providers.csv`` (ADR 0061).

Eight DfE rules check an episode's URN against Ofsted's register (``returns/rules_providers.py``,
ADR 0056). ``sightline synth england`` writes the register of its own world beside the returns,
in the columns of Ofsted's provider-level CSV that ``returns.providers.read_providers`` reads,
so that ``sightline returns validate DIR/<council>/<year> --providers DIR/providers.csv`` runs
all eight and finds nothing in a clean return. It lists every URN the episodes use,
consistent with them:

- the Ofsted settings children are placed in (``model._Providers``: children's homes, secure
  children's homes, residential family centres, residential special schools, independent
  fostering agencies), with their provision type and sector as Ofsted lists them, their
  council and the postcode the episodes give (children's homes' withheld as "REDACTED", as
  Ofsted publishes them);
- each council's own fostering service (URN 91...) and the adoption agency it hosts (93...),
  which Ofsted's file does not list: written as a fostering agency and an adoption agency of
  the Local Authority sector, the provision types ``read_providers`` maps to the placement
  types the episodes give them (U1-U6, A3-A6), with no postcode;
- the supported accommodation providers (92... the council's own, 94... private, 95...
  voluntary), one row for each postcode where the episodes place a child (premises in
  several councils, which ``read_providers`` reads as one provider);
- every provider registered a year before its first synthetic placement, and still open;
- closed providers that no episode uses, with a "Deregistration date" (``CLOSED``,
  ``closed_urn``): the planted faults of rules 227 and 228 give their URNs (``faults.py``).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl

from sightline.synth.england.model import EPOCH, Simulation, year_start

__all__ = ["CLOSED", "COLUMNS", "REGISTER_FILE", "closed_on", "closed_urn", "write_register"]

REGISTER_FILE = "providers.csv"
COLUMNS = (
    "URN",
    "Provision type",
    "Registration date",
    "Registration status",
    "Postcode",
    "Local authority",
    "Sector",
    "Deregistration date",
)
#: Ofsted's provision type of each kind of setting the model places children in.
PROVISION = {
    "K2": "Children's home",
    "K1": "Secure children's home",
    "R3": "Residential Family Centre",
    "S1": "Residential Special School",
    "IFA": "Independent Fostering Agency",
}
#: Ofsted withholds these settings' postcodes.
WITHHELD = frozenset({"K2", "K1"})
#: The synthetic URNs' kind (``model._synthetic_urn``): provision type and sector.
SYNTHETIC = {
    "1": ("Independent Fostering Agency", "Local Authority"),
    "2": ("Supported accommodation", "Local Authority"),
    "3": ("Voluntary Adoption Agency", "Local Authority"),
    "4": ("Supported accommodation", "Private"),
    "5": ("Supported accommodation", "Voluntary"),
}
#: A private fostering agency no episode uses that closed on 31 March 2014, before any
#: synthetic year: an episode of any return that gives its URN began after it closed (227).
CLOSED = "9800000"


def closed_on(year: int) -> dt.date:
    """The day the fostering agency ``closed_urn(year)`` closed: 30 September of the
    collection year."""
    return dt.date(year - 1, 9, 30)


def closed_urn(year: int) -> str:
    """A private fostering agency no episode uses that closed during the collection year
    ``year`` (``closed_on``): an episode that began before that day and ended after it, or
    is still open, is rule 228."""
    return f"98{year:05d}"


def _closed_rows(first_year: int, last_year: int, council: str) -> list[dict[str, str]]:
    ends = {CLOSED: dt.date(2014, 3, 31)}
    ends |= {closed_urn(y): closed_on(y) for y in range(first_year, last_year + 1)}
    return [
        {
            "URN": urn,
            "Provision type": "Independent Fostering Agency",
            "Registration date": "01/04/2000",
            "Registration status": "Closed",
            "Postcode": "",
            "Local authority": council,
            "Sector": "Private",
            "Deregistration date": ended.strftime("%d/%m/%Y"),
        }
        for urn, ended in ends.items()
    ]


def _date(day: int) -> str:
    return (EPOCH + dt.timedelta(days=int(day))).strftime("%d/%m/%Y")


def write_register(sim: Simulation, out: Path) -> int:
    """Write ``out/providers.csv``; return the number of providers (URNs) it lists."""
    names = [u.name for u in sim.units]
    episodes = pl.DataFrame(
        {
            "urn": sim.ep_urn.astype(str),
            "start": sim.ep_start,
            "unit": sim.child_unit[sim.ep_child],
            "pl_unit": sim.ep_pl_unit,
            "post": sim.ep_pl_post.astype(str),
        }
    ).filter((pl.col("urn") != "") & (pl.col("urn") != "XXXXXXX"))
    first = dict(episodes.group_by("urn").agg(pl.col("start").min()).iter_rows())
    default_start = year_start(sim.config.first_year)

    def registered(urn: str) -> str:
        return _date(first.get(urn, default_start) - 365)

    rows: list[dict[str, str]] = []
    real: set[str] = set()
    for kind, table in sim.providers.items():
        for urn, unit, sector, post in zip(
            table["urn"], table["unit"], table["sector"], table["post"], strict=True
        ):
            real.add(str(urn))
            rows.append(
                {
                    "URN": str(urn),
                    "Provision type": PROVISION[kind],
                    "Registration date": registered(str(urn)),
                    "Registration status": "Active",
                    "Postcode": "REDACTED" if kind in WITHHELD else str(post),
                    "Local authority": names[int(unit)],
                    "Sector": str(sector),
                    "Deregistration date": "",
                }
            )
    synthetic = episodes.filter(~pl.col("urn").is_in(sorted(real)))
    unknown = synthetic.filter(~pl.col("urn").str.slice(1, 1).is_in(list(SYNTHETIC)))
    if unknown.height:  # a URN the model made up that this module does not know
        raise ValueError(f"URN {unknown['urn'][0]} is not one the register knows.")
    # The councils' own fostering services and adoption agencies: one row each.
    own = (
        synthetic.filter(pl.col("urn").str.slice(1, 1).is_in(["1", "3"]))
        .group_by("urn")
        .agg(pl.col("unit").first())
    )
    for urn, unit in own.iter_rows():
        provision, sector = SYNTHETIC[urn[1]]
        rows.append(_row(urn, provision, sector, registered(urn), "", names[unit]))
    # Supported accommodation: a row for each postcode where a child was placed.
    premises = (
        synthetic.filter(pl.col("urn").str.slice(1, 1).is_in(["2", "4", "5"]))
        .select("urn", "pl_unit", "post")
        .unique()
    )
    if premises.filter(pl.col("pl_unit") < 0).height:
        raise ValueError("A supported accommodation placement has no council.")
    for urn, unit, post in premises.iter_rows():
        provision, sector = SYNTHETIC[urn[1]]
        rows.append(_row(urn, provision, sector, registered(urn), post, names[unit]))
    stockport = next((u.name for u in sim.units if u.dfe_code == "356"), names[0])
    rows += _closed_rows(sim.config.first_year, sim.config.last_year, stockport)
    rows.sort(key=lambda r: (r["URN"], r["Postcode"], r["Local authority"]))
    with (out / REGISTER_FILE).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len({r["URN"] for r in rows})


def _row(
    urn: str, provision: str, sector: str, registered: str, post: str, la: str
) -> dict[str, str]:
    return {
        "URN": urn,
        "Provision type": provision,
        "Registration date": registered,
        "Registration status": "Active",
        "Postcode": post,
        "Local authority": la,
        "Sector": sector,
        "Deregistration date": "",
    }
