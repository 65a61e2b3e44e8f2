"""Known faults planted in the synthetic returns (``sightline synth england --faults N``).

Each fault changes one field of one record to a value a DfE rule that ``sightline returns
validate`` runs today refuses, and is listed in ``DIR/faults.json`` with the rule code it must
raise, the file and row (as the validator numbers rows: the column names are row 1) and the
child. A test validates the returns and checks every planted fault is caught by its code; a
demo shows what the validator reports. The faults come from their own random stream, so the
returns are otherwise the same as without ``--faults``.

The faults of the rules that check URNs against Ofsted's register (``PROVIDER_FAULTS``) are
caught when the returns are validated with the register the synthetic England writes
(``--providers DIR/providers.csv``, ``register.py``). Each is planted only on a record it
can break (``Fault.rows``: a children's home's episode for 219, a private provider's for
224...), and some only in the years their rule is checked (``Fault.from_year``: 241
from 2025/26).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from sightline.synth.england.model import year_start
from sightline.synth.england.register import CLOSED, closed_on, closed_urn

__all__ = ["CATALOGUE", "FAULTS_FILE", "Fault", "PlantedFault", "plant", "write_faults"]

FAULTS_FILE = "faults.json"

HEADER, EPISODES, MISSING = "header.csv", "episodes.csv", "missing.csv"


@dataclass(frozen=True)
class Fault:
    rule: str  # the DfE (or Sightline internal) rule code it must raise
    file: str
    field: str
    value: str  # what the field is set to ("{urn228}": ``register.closed_urn`` of the year)
    what: str
    rows: str = ""  # the records it can break (a key of ``ROWS``); "": any
    from_year: int = 0  # the first collection year its rule is checked


_FOSTER = ("U1", "U2", "U3", "U4", "U5", "U6")


def _given(column: str) -> pl.Expr:
    return pl.col(column).is_not_null() & (pl.col(column) != "")


_URN = _given("URN") & (pl.col("URN") != "XXXXXXX")


def _day(column: str) -> pl.Expr:
    return pl.col(column).str.strptime(pl.Date, "%d/%m/%Y", strict=False)


def _spans_closure(year: int) -> pl.Expr:
    closed = pl.lit(closed_on(year))
    return (_day("DECOM") < closed) & (~_given("DEC") | (_day("DEC") > closed))


#: The records a fault can break, by the collection year (Episodes' columns).
ROWS: dict[str, Callable[[int], pl.Expr]] = {
    "urn": lambda year: _URN,
    "home": lambda year: _URN & (pl.col("PLACE") == "K2"),
    "private": lambda year: _URN & (pl.col("PLACE_PROVIDER") == "PR4"),
    "own fostering": lambda year: (
        _URN & pl.col("PLACE").is_in(_FOSTER) & (pl.col("PLACE_PROVIDER") == "PR1")
    ),
    "school or family centre": lambda year: _URN & pl.col("PLACE").is_in(["S1", "R3"]),
    "supported": lambda year: _URN & (pl.col("PLACE") == "K3"),
    "private fostering, began in the year": lambda year: (
        pl.col("PLACE").is_in(_FOSTER)
        & (pl.col("PLACE_PROVIDER") == "PR4")
        & (_day("DECOM") >= pl.lit(year_start(year)).cast(pl.Date))
    ),
    "private fostering, open on 30 September": lambda year: (
        pl.col("PLACE").is_in(_FOSTER) & (pl.col("PLACE_PROVIDER") == "PR4") & _spans_closure(year)
    ),
}


#: One fault per rule; ``--faults N`` takes N of them in turn for each return.
CATALOGUE: tuple[Fault, ...] = (
    Fault("101", HEADER, "SEX", "X", "a sex code not in the year's list"),
    Fault("143", EPISODES, "RNE", "Q", "a reason for new episode that is not a code"),
    Fault("1006", MISSING, "MISSING", "X", "a missing type other than M or A"),
    Fault("103", HEADER, "ETHNIC", "XXXX", "an ethnicity code not in the list"),
    Fault("144", EPISODES, "LS", "Z9", "a legal status that is not a code"),
    Fault("1004", MISSING, "MIS_START", "32/01/2025", "a missing start that is not a date"),
    Fault("102", HEADER, "DOB", "31/02/2010", "a date of birth that is not a date"),
    Fault("145", EPISODES, "CIN", "N0", "a category of need that is not a code"),
    Fault("INT13", MISSING, "DOB", "01/01/1990", "a DOB in Missing unlike the Header's"),
    Fault("146", EPISODES, "PLACE", "Q9", "a placement type that is not a code"),
    Fault("1005", MISSING, "MIS_END", "32/01/2025", "a missing end that is not a date"),
    Fault("178", EPISODES, "PLACE_PROVIDER", "PR9", "a placement provider that is not a code"),
    Fault("141", EPISODES, "DECOM", "31/13/2024", "an episode start that is not a date"),
    Fault("392c", EPISODES, "PL_POST", "XX1 1XX", "a placement postcode that does not exist"),
    Fault("147", EPISODES, "DEC", "30/02/2025", "an episode end that is not a date"),
    Fault("149", EPISODES, "REC", "E99", "a reason episode ceased that is not a code"),
)

#: Faults for the rules of the other nine tables, taken in turn after those above.
MORE_FAULTS: tuple[Fault, ...] = (
    Fault("167", "reviews.csv", "REVIEW_CODE", "PN9", "a participation code not in the list"),
    Fault("SW02STG1", "sw_episodes.csv", "SW_ID", "AB1234", "a social worker id not SW or XX"),
    Fault("631", "prev_perm.csv", "PREV_PERM", "P9", "a previous permanence option not a code"),
    Fault("166", "reviews.csv", "REVIEW", "31/02/2025", "a review date that is not a date"),
    Fault("SW13STG1", "sw_episodes.csv", "SW_REASON", "BORED", "a reason for change not a code"),
    Fault("180", "oc2.csv", "SDQ_SCORE", "99", "an SDQ score above 40"),
    Fault("131", "oc3.csv", "IN_TOUCH", "NOPE", "an in-touch code not in the list"),
    Fault("104", "uasc.csv", "DUC", "31/02/2025", "a date UASC ceased that is not a date"),
    Fault("177", "ad1.csv", "LS_ADOPTR", "L99", "a legal status of adopters not a code"),
    Fault("115", "placed_adoption.csv", "DATE_PLACED", "32/01/2025", "a decision date not a date"),
)
CATALOGUE += MORE_FAULTS

#: Faults for the rules that join tables (``returns/rules_joined.py``), after those above.
JOINED_FAULTS: tuple[Fault, ...] = (
    Fault("EPI", HEADER, "CHILD", "9999999999", "a Header child with no episode or OC3 record"),
    Fault("632", "prev_perm.csv", "DATE_PERM", "ZZ/13/2015", "a permanence date that is no date"),
    Fault("165", HEADER, "MOTHER", "X", "a mother status other than 0 or 1, with OC3 given"),
    Fault("601", "ad1.csv", "NB_ADOPTR", "", "an adoption in the year with no number of adopters"),
)
CATALOGUE += JOINED_FAULTS

#: Faults for the rules that check URNs against Ofsted's register (``returns/
#: rules_providers.py``), caught with ``--providers DIR/providers.csv``; after those above.
#: TR21 0HE is on the Isles of Scilly, where no synthetic provider has premises.
PROVIDER_FAULTS: tuple[Fault, ...] = (
    Fault("1008", EPISODES, "URN", "9999999", "a URN not on Ofsted's register", "urn"),
    Fault("219", EPISODES, "PLACE", "S1", "a children's home's placement as a school", "home"),
    Fault("224", EPISODES, "PLACE_PROVIDER", "PR5", "a private provider as voluntary", "private"),
    Fault(
        "229", EPISODES, "PLACE_PROVIDER", "PR2", "the council's own carers as another's",
        "own fostering",
    ),
    Fault(
        "221", EPISODES, "PL_POST", "TR21 0HE", "a school or family centre's placement at "
        "a postcode not the provider's", "school or family centre",
    ),
    Fault(
        "227", EPISODES, "URN", CLOSED, "a fostering agency that closed before the episode "
        "began", "private fostering, began in the year",
    ),
    Fault(
        "228", EPISODES, "URN", "{urn228}", "a fostering agency that closed during the "
        "episode", "private fostering, open on 30 September",
    ),
    Fault(
        "241", EPISODES, "PL_POST", "TR21 0HE", "supported accommodation in a council where "
        "the provider has no premises", "supported", from_year=2026,
    ),
)  # fmt: skip
CATALOGUE += PROVIDER_FAULTS


@dataclass(frozen=True)
class PlantedFault:
    council: str
    year: int
    file: str
    row: int
    child: str
    field: str
    value: str
    rule: str


def plant(
    tables: dict[str, pl.DataFrame], *, count: int, seed: int, council: str, year: int
) -> tuple[dict[str, pl.DataFrame], list[PlantedFault]]:
    """``count`` faults in one return's tables (keyed by file name), each on its own record:
    the catalogue in turn from a place the seed, council and year choose."""
    if count <= 0:
        return tables, []
    rng = np.random.default_rng([seed, int(council), year, 903])
    free = {name: list(rng.permutation(frame.height)) for name, frame in tables.items()}
    checked = [f for f in CATALOGUE if year >= f.from_year]
    start = int(rng.integers(len(CATALOGUE)))
    changes: dict[str, list[tuple[int, Fault]]] = {name: [] for name in tables}
    planted: list[PlantedFault] = []
    tried = 0
    while len(planted) < count and tried < count + len(CATALOGUE):
        fault = CATALOGUE[(start + tried) % len(CATALOGUE)]
        tried += 1
        rows = free.get(fault.file, [])
        frame = tables.get(fault.file)
        if frame is None or not rows or fault not in checked:
            continue  # no record left in that table, or not its year: the next in turn
        if fault.rows:
            fits = frame.select(ROWS[fault.rows](year).fill_null(False)).to_series()
            found = [i for i in range(len(rows)) if fits[int(rows[i])]]
            if not found:
                continue  # no record it can break: the next fault in turn
            row = int(rows.pop(found[-1]))
        else:
            row = int(rows.pop())
        fault = Fault(**{**asdict(fault), "value": fault.value.format(urn228=closed_urn(year))})
        changes[fault.file].append((row, fault))
        planted.append(
            PlantedFault(
                council=council,
                year=year,
                file=fault.file,
                row=row + 2,
                # A fault that renames the child is reported under the new name.
                child=fault.value if fault.field == "CHILD" else str(frame["CHILD"][row]),
                field=fault.field,
                value=fault.value,
                rule=fault.rule,
            )
        )
    out = dict(tables)
    for name, items in changes.items():
        frame = out[name]
        for row, fault in items:
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == row)
                .then(pl.lit(fault.value))
                .otherwise(pl.col(fault.field).cast(pl.String))
                .alias(fault.field)
            )
        out[name] = frame
    return out, planted


def write_faults(out: Path, planted: list[PlantedFault]) -> None:
    document = {
        "about": "Faults planted by sightline synth england --faults: each must raise its rule.",
        "faults": [asdict(p) for p in planted],
    }
    (out / FAULTS_FILE).write_text(json.dumps(document, indent=1) + "\n")
