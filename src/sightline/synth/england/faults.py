"""Known faults planted in the synthetic returns (``sightline synth england --faults N``).

Each fault breaks one record so that a DfE rule that ``sightline returns validate`` runs
today refuses it, and is listed in ``DIR/faults.json`` with the rule code it must raise, the
file and row (as the validator numbers rows: the column names are row 1) and the child. A
test validates the returns and checks every planted fault is caught by its code, on its
record; a demo shows what the validator reports. The faults come from their own random
stream, so the returns are otherwise the same as without ``--faults``. Each fault is planted
on a child of its own, so that no two faults meet in one child's records.

Most faults set one field of the record. A rule about fields together sets several
(``Fault.also``); a rule about an episode and the one before it sets a field of the child's
neighbouring record too (``Fault.nearby``: the temporary placement before the episode of
383); a rule about a record and the child's others elsewhere sets those (``Fault.elsewhere``:
the Header's MOTHER of a girl who left care, for 607). ``faults.json`` lists those other
records (``others``). A fault is planted only on a record it can break: ``Fault.rows`` (a
polars predicate of the record) or ``Fault.fits`` (a function of the ``Record``, which can
read the child's other records, the Header's DOB for an age, and last year's return).

A fault is planted only in the years its rule is checked (the rule's years, and
``Fault.from_year``). The faults of the rules that compare with last year's return
(``Fault.previous``: 202, 503A...) are planted only in a year after the first written, and are
caught when the return is validated with last year's (``--previous DIR/<council>/<year-1>``);
``faults.json`` marks them (``previous``).

The faults of the rules that check URNs against Ofsted's register (``PROVIDER_FAULTS``) are
caught when the returns are validated with the register the synthetic England writes
(``--providers DIR/providers.csv``, ``register.py``). Each is planted only on a record it
can break (``Fault.rows``: a children's home's episode for 219, a private provider's for
224...), and some only in the years their rule is checked (``Fault.from_year``: 241
from 2025/26).

A few faults reach beyond their child's records: they give the child a record of another
child with no fault (``Fault.borrow``: a second decision to place, for 558), or add a record
(``Fault.adds``: DoLo, where the synthetic England writes none). A fault may leave its own
record as it was and change only the child's others, when the rule reports the record for
what those say (``faults.json``: ``changed``).

A fault only the XML form of a return can carry (``Fault.xml``: the UASC flag 0 with a date
UASC ceased, for 303 and 205C; the DfE's CSV uasc file has no flag) sets a column the CSV
files do not write. A return holding one is also written as XML, ``DIR/<council>/<year>.xml``
(the same return, the faults with it, but SWEpisodes and DoLo, which have no XML form), and
the fault is caught there: ``faults.json`` names that file (``xml``) and the line of the
child's <HEADER> as the row.

The faults of the rules beyond the first 38 are in ``fault_catalogue.py``; the rules no
fault is planted for, each with its reason, are in ``tests/synth/test_faults.py``
(``NOT_PLANTED``) and ``docs/synthetic-england.md``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from pathlib import Path

import numpy as np
import polars as pl

from sightline.returns.rules import RULES_BY_KEY, YEARS
from sightline.returns.schema import FILE_NAMES, CollectionYear
from sightline.synth.england.model import year_start
from sightline.synth.england.register import CLOSED, closed_on, closed_urn

__all__ = [
    "CATALOGUE",
    "FAULTS_FILE",
    "Fault",
    "PlantedFault",
    "Record",
    "Return",
    "Value",
    "add_years",
    "council_of",
    "day",
    "parse_day",
    "plant",
    "write_faults",
]

FAULTS_FILE = "faults.json"

HEADER, EPISODES, MISSING = "header.csv", "episodes.csv", "missing.csv"
TABLE_OF_FILE = {file: table for table, file in FILE_NAMES.items()}


Value = str | Callable[["Record"], str]


@dataclass(frozen=True)
class Fault:
    rule: str  # the DfE (or Sightline internal) rule code it must raise
    file: str
    field: str
    value: Value  # what the field is set to ("{urn228}": ``register.closed_urn`` of the year)
    what: str
    rows: str = ""  # the records it can break (a key of ``ROWS``); "": any
    from_year: int = 0  # the first collection year its rule is checked
    # Other fields of the same record it sets (a rule about two fields together).
    also: tuple[tuple[str, Value], ...] = ()
    # The records it can break, read with the child's other records (``Record``).
    fits: Callable[[Record], bool] | None = None
    # Its rule compares with last year's return: planted only when there is one, and caught
    # when the return is validated with it (``--previous``).
    previous: bool = False
    # Fields of the child's neighbouring records in the same file, (step, field, value): -1
    # the record before (the previous episode), 1 the one after.
    nearby: tuple[tuple[int, str, Value], ...] = ()
    # Fields of every record of the child in another file, (file, field, value): for a rule
    # about a record that reads the child's others (the Header's DOB for an age).
    elsewhere: tuple[tuple[str, str, Value], ...] = ()
    # Records of other children given to this child, (file, changes): in each file, the first
    # record of a child with no fault becomes this child's, with ``changes`` set (a second
    # decision to place for 558); that child counts as used too.
    borrow: tuple[tuple[str, tuple[tuple[str, Value], ...]], ...] = ()
    # The fault adds its record instead of changing one: a new record of its file for a child
    # of the Header (CHILD, and DOB where the file has one), with ``field`` and ``also`` set,
    # read from the child's Header record (DoLo, where the synthetic England writes none).
    adds: bool = False
    # Only the XML form of the return can carry it: ``field`` is a column the CSV file does
    # not have (the UASC flag, returns.schema.EXTRA_COLUMNS). The return is also written as
    # XML, DIR/<council>/<year>.xml, which holds it (the CSV files do not), and is caught
    # when that file is validated.
    xml: bool = False


class Return:
    """One return's tables (by file name) as ``plant`` is given them, read a record at a time:
    each table's records as dictionaries (blank fields None), and each child's positions."""

    def __init__(
        self,
        frames: dict[str, pl.DataFrame],
        year: int,
        previous: dict[str, pl.DataFrame] | None = None,
        council: str = "",
    ) -> None:
        self.frames = frames
        self.council = council
        self.year = year
        self.start, self.end = CollectionYear(year).start, CollectionYear(year).end
        self._rows: dict[str, list[dict[str, str | None]]] = {}
        self._children: dict[str, dict[str, list[int]]] = {}
        self.previous = (
            Return(previous, year - 1, council=council) if previous is not None else None
        )
        self.used: set[str] = set()  # the children a fault has been planted on

    def free(self, child: str | None) -> bool:
        """No fault has been planted on the child."""
        return child is not None and str(child) not in self.used

    def rows(self, file: str) -> list[dict[str, str | None]]:
        if file not in self._rows:
            frame = self.frames.get(file)
            rows = [] if frame is None else frame.cast(pl.String).to_dicts()
            self._rows[file] = [{k: (v if v != "" else None) for k, v in r.items()} for r in rows]
        return self._rows[file]

    def positions(self, file: str, child: str | None) -> list[int]:
        """The positions of the child's records in ``file``, in the file's order."""
        if file not in self._children:
            index: dict[str, list[int]] = {}
            for i, row in enumerate(self.rows(file)):
                index.setdefault(str(row.get("CHILD")), []).append(i)
            self._children[file] = index
        return self._children[file].get(str(child), [])

    def of_child(self, file: str, child: str | None) -> list[dict[str, str | None]]:
        """The child's records in ``file``, in the file's order."""
        rows = self.rows(file)
        return [rows[i] for i in self.positions(file, child)]


class Record:
    """The record a fault may break, with its child's other records: what ``Fault.fits``
    and a computed ``Fault.value`` read."""

    def __init__(self, world: Return, file: str, row: int) -> None:
        self.world, self.file, self.row = world, file, row
        self.values = world.rows(file)[row]
        self.year, self.start, self.end = world.year, world.start, world.end

    def __getitem__(self, field: str) -> str | None:
        return self.values.get(field)

    def day(self, field: str) -> dt.date | None:
        return parse_day(self[field])

    @property
    def child(self) -> str | None:
        return self["CHILD"]

    @property
    def header(self) -> dict[str, str | None]:
        rows = self.world.of_child(HEADER, self.child)
        return rows[0] if rows else {}

    @property
    def dob(self) -> dt.date | None:
        return parse_day(self.header.get("DOB"))

    def of_child(self, file: str) -> list[dict[str, str | None]]:
        return self.world.of_child(file, self.child)

    def last_year(self, file: str) -> list[dict[str, str | None]] | None:
        """The child's records in last year's ``file``; None without last year's return."""
        if self.world.previous is None:
            return None
        return self.world.previous.of_child(file, self.child)

    def sibling(self, step: int) -> int | None:
        """The position of the child's record ``step`` away in the same file, if any."""
        mine = self.world.positions(self.file, self.child)
        at = mine.index(self.row) + step
        return mine[at] if 0 <= at < len(mine) else None

    def near(self, step: int) -> Record | None:
        at = self.sibling(step)
        return None if at is None else Record(self.world, self.file, at)

    @property
    def before(self) -> Record | None:
        """The child's record before this one in the same file (the previous episode)."""
        return self.near(-1)

    @property
    def after(self) -> Record | None:
        return self.near(1)


@functools.lru_cache(maxsize=4096)
@functools.lru_cache(maxsize=4096)
def council_of(postcode: str | None) -> str | None:
    """The DfE code of the council a postcode is in (None outside England or unknown); a
    fault asks it of record after record, often of the same postcodes."""
    if not postcode:
        return None
    from sightline.geography.derive import postcode_places

    code = postcode_places([postcode])["council_dfe_code"][0]
    return None if code is None else str(code)


def parse_day(value: str | None) -> dt.date | None:
    """A dd/mm/YYYY date, or None where blank or not a real date."""
    parts = (value or "").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
        return None
    try:
        return dt.date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


def day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def add_years(value: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (28 February for 29 February in a common year)."""
    try:
        return value.replace(year=value.year + years)
    except ValueError:
        return value.replace(year=value.year + years, day=28)


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
    # Caught only when the return is validated with last year's (``--previous``): the rule
    # compares the two years.
    previous: bool = False
    # Other records the fault changed (file, row), beside its own: ``Fault.nearby`` and
    # ``Fault.elsewhere``.
    others: list[tuple[str, int]] = dataclass_field(default_factory=list)
    # Whether the fault changed its own record: a fault whose rule reports a record for what
    # the child's other records say (331: an adoption matched after the placement began)
    # may leave it as it was and change only ``others``.
    changed: bool = True
    # The XML the fault is written in, when only XML can carry it (``Fault.xml``): its name
    # in DIR/<council>/, as the validator names the file; ``row`` is then the line of the
    # child's <HEADER> there (``writer.write_returns`` sets it), and the CSV files do not
    # hold the fault.
    xml: str = ""


def _value(value: Value, record: Record, year: int) -> str:
    return value(record) if callable(value) else value.format(urn228=closed_urn(year))


def _checked(fault: Fault, year: int) -> bool:
    """The year's rule set holds the fault's rule for its table."""
    if year < fault.from_year:
        return False
    rule = RULES_BY_KEY.get((fault.rule, TABLE_OF_FILE.get(fault.file, "")))
    return rule is None or rule.applies_to(min(year, YEARS[-1]))


def _candidates(
    fault: Fault,
    world: Return,
    order: dict[str, list[int]],
    used: set[str],
    year: int,
    enough: int = 12,
) -> list[int]:
    """Rows of the fault's table it can break (in the random order), up to ``enough``; for a
    fault that adds a record, the Header's rows of the children it can be added for."""
    file = HEADER if fault.adds else fault.file
    frame = world.frames[file]
    fits = None
    if fault.rows:
        fits = frame.select(ROWS[fault.rows](year).fill_null(False)).to_series().to_list()
    found: list[int] = []
    for row in order[file]:
        if fits is not None and not fits[row]:
            continue
        record = Record(world, file, row)
        child = record["CHILD"]
        if child is None or child in used:
            continue
        if fault.fits is not None and not fault.fits(record):
            continue
        if any(_lender(world, lent, child) is None for lent, _ in fault.borrow):
            continue
        found.append(row)
        if len(found) >= enough:
            break
    return found


def _lender(world: Return, file: str, child: str) -> int | None:
    """The first record of ``file`` of another child with no fault planted on them."""
    for at, row in enumerate(world.rows(file)):
        other = row.get("CHILD")
        if other is not None and other != child and world.free(other):
            return at
    return None


def plant(
    tables: dict[str, pl.DataFrame],
    *,
    count: int,
    seed: int,
    council: str,
    year: int,
    previous: dict[str, pl.DataFrame] | None = None,
) -> tuple[dict[str, pl.DataFrame], list[PlantedFault]]:
    """``count`` faults in one return's tables (keyed by file name), each on a record of its
    own child: the catalogue in turn from a place the seed, council and year choose.
    ``previous``: last year's return of the council as written, if any (a fault whose rule
    compares the two years is planted only with it)."""
    if count <= 0:
        return tables, []
    rng = np.random.default_rng([seed, int(council), year, 903])
    order = {name: [int(i) for i in rng.permutation(f.height)] for name, f in tables.items()}
    start = int(rng.integers(len(CATALOGUE)))
    world = Return(tables, year, previous, council)
    used = world.used
    changes: dict[str, list[tuple[int, dict[str, str]]]] = {name: [] for name in tables}
    added: dict[str, list[dict[str, str | None]]] = {name: [] for name in tables}
    planted: list[PlantedFault] = []

    def in_turn() -> Iterator[tuple[Fault, list[int]]]:
        """The faults in turn, each with records it can break, as long as there are tries."""
        for tried in range(count + len(CATALOGUE)):
            fault = CATALOGUE[(start + tried) % len(CATALOGUE)]
            if fault.file not in tables or not _checked(fault, year):
                continue  # not its year, or no such table: the next in turn
            if fault.previous and previous is None:
                continue  # its rule needs last year's return
            rows = _candidates(fault, world, order, used, year)
            if rows:
                yield fault, rows

    def plant_one(fault: Fault) -> bool:
        rows = _candidates(fault, world, order, used, year, enough=1)
        if not rows:
            return False  # an earlier fault took the children it could break
        row = rows[0]
        record = Record(world, HEADER if fault.adds else fault.file, row)
        values = {
            field: _value(value, record, year)
            for field, value in ((fault.field, fault.value), *fault.also)
        }
        child = str(record["CHILD"])
        # Every value is read from the return as it was, before the child counts as used.
        others: list[tuple[str, int, dict[str, str]]] = []
        for step, field, value in fault.nearby:
            at = record.sibling(step)
            if at is not None:
                other = Record(world, fault.file, at)
                others.append((fault.file, at, {field: _value(value, other, year)}))
        for file, field, value in fault.elsewhere:
            for at in world.positions(file, child):
                other = Record(world, file, at)
                others.append((file, at, {field: _value(value, other, year)}))
        for file, borrowed in fault.borrow:
            at = _lender(world, file, child)
            assert at is not None
            other = Record(world, file, at)
            used.add(str(other.child))
            given = {f: _value(v, other, year) for f, v in borrowed}
            others.append((file, at, {"CHILD": child, **given}))
        used.add(child)
        used.add(values.get("CHILD", child))
        if fault.adds:
            columns = world.frames[fault.file].columns
            new = {c: None for c in columns} | {"CHILD": child}
            if "DOB" in columns:
                new["DOB"] = record["DOB"]
            added[fault.file].append({**new, **values})
            row = world.frames[fault.file].height + len(added[fault.file]) - 1
        else:
            changes[fault.file].append((row, values))
        for file, at, change in others:
            changes[file].append((at, change))
        planted.append(
            PlantedFault(
                council=council,
                year=year,
                file=fault.file,
                row=row + 2,
                # A fault that renames the child is reported under the new name.
                child=values.get("CHILD", child),
                field=fault.field,
                value=values[fault.field],
                rule=fault.rule,
                previous=fault.previous,
                others=sorted(
                    {
                        (f, r + 2)
                        for f, r, change in others
                        if any(world.rows(f)[r].get(k) != (v or None) for k, v in change.items())
                    }
                ),
                changed=fault.adds or any(record[f] != (v or None) for f, v in values.items()),
                xml=f"{year}.xml" if fault.xml else "",
            )
        )
        return True

    # The first ``count`` faults in turn that have a record to break, planted the most
    # particular first (fewest records it can break), so that a common fault does not take
    # the only child a particular one could break; then, for any that found its children
    # taken, the next in turn.
    turn = in_turn()
    wanted = [item for _, item in zip(range(count), turn, strict=False)]
    for fault, _rows in sorted(wanted, key=lambda item: len(item[1])):
        plant_one(fault)
    for fault, _rows in turn:
        if len(planted) >= count:
            break
        plant_one(fault)
    out = dict(tables)
    for name, items in changes.items():
        frame = out[name]
        for row, values in items:
            # A column the CSV file has not (an XML-only fault's), null until set.
            frame = frame.with_columns(
                pl.lit(None, dtype=pl.String).alias(f) for f in values if f not in frame.columns
            )
            frame = frame.with_columns(
                pl.when(pl.int_range(pl.len()) == row)
                .then(pl.lit(value))
                .otherwise(pl.col(field).cast(pl.String))
                .alias(field)
                for field, value in values.items()
            )
        if added[name]:
            frame = pl.concat(
                [
                    frame.cast(pl.String),
                    pl.DataFrame(added[name], schema=dict.fromkeys(frame.columns, pl.String)),
                ]
            )
        out[name] = frame
    return out, planted


# The faults of the rest of the rules, after those above (``fault_catalogue.py``).
from sightline.synth.england.fault_catalogue import RULE_FAULTS  # noqa: E402

CATALOGUE += RULE_FAULTS


def write_faults(out: Path, planted: list[PlantedFault]) -> None:
    document = {
        "about": "Faults planted by sightline synth england --faults: each must raise its rule.",
        "faults": [asdict(p) for p in planted],
    }
    (out / FAULTS_FILE).write_text(json.dumps(document, indent=1) + "\n")
