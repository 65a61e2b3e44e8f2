"""The small aggregate figures the synthetic England is calibrated to, shipped in the package.

``sightline synth england`` needs a handful of published figures: England's children looked
after at each 31 March (the time series), each council's latest count, Ofsted's register of
children's homes and other settings (URN, kind, council, sector, places) and, for the
calibration report, the published figures of each year. They are derived from the Open
Government Licence files of the DfE and Ofsted (``reference.py`` reads them) and shipped here,
in ``data/aggregates.json`` and ``data/ofsted_providers.csv`` (see ``data/SOURCES.md``), so a
fresh clone generates with no extra files. ``sightline synth derive-aggregates --reference
FOLDER`` derives them again; ``sightline synth england --reference FOLDER`` calibrates to a
folder of newer published files directly, without writing anything.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from sightline.core.errors import ValidationError
from sightline.synth.england.reference import Figure, OfstedProvider, ReferenceData

__all__ = ["AGGREGATES_FILE", "DATA_DIR", "PROVIDERS_FILE", "Aggregates", "calibration_source"]

DATA_DIR = Path(__file__).resolve().parent / "data"
AGGREGATES_FILE = "aggregates.json"
PROVIDERS_FILE = "ofsted_providers.csv"
#: The collection years the shipped calibration figures cover (as ``synth england`` does).
YEARS = range(2015, 2027)
#: The Ofsted provision types the generator places children in (lower case); others are
#: left out of the shipped register.
PROVISION_TYPES = frozenset(
    {
        "children's home",
        "secure children's home",
        "residential family centre",
        "residential special school",
        "independent fostering agency",
    }
)
_PROVIDER_COLUMNS = ("urn", "provision_type", "local_authority", "sector", "places")


@dataclass(frozen=True)
class Aggregates:
    """What the generator and the calibration report read, from whichever source."""

    national: dict[int, int]
    councils: dict[str, int]
    providers: tuple[OfstedProvider, ...]
    figures: dict[int, dict[str, Figure]]
    source: str

    # The interface ``model.simulate`` and the calibration report use --------------------

    def national_cla_31_march(self) -> dict[int, int]:
        return dict(self.national)

    def council_cla_31_march(self) -> dict[str, int]:
        return dict(self.councils)

    def ofsted_providers(self) -> list[OfstedProvider]:
        return list(self.providers)

    def published(self, year: int) -> dict[str, Figure]:
        if year not in self.figures:
            raise ValidationError(
                f"The calibration figures cover the years {YEARS.start} to {YEARS.stop - 1}, "
                f"not {year}.",
                field="year",
            )
        return dict(self.figures[year])

    # Deriving, writing and reading -------------------------------------------------------

    @classmethod
    def derive(cls, reference: ReferenceData) -> Aggregates:
        """Every figure, derived from a folder of published files."""
        providers = tuple(
            sorted(
                (
                    p
                    for p in reference.ofsted_providers()
                    if p.provision_type.lower() in PROVISION_TYPES
                    and p.sector != "Health Authority"
                ),
                key=lambda p: p.urn,
            )
        )
        return cls(
            national=reference.national_cla_31_march(),
            councils=reference.council_cla_31_march(),
            providers=providers,
            figures={year: reference.published(year) for year in YEARS},
            source=str(reference.directory),
        )

    def files(self) -> dict[str, str]:
        """The two shipped files' contents: the same figures, the same bytes."""
        document = {
            "about": (
                "Derived from published DfE and Ofsted statistics (Open Government Licence "
                "v3.0) by `sightline synth derive-aggregates`; see SOURCES.md."
            ),
            "cla_31_march_england": {str(y): n for y, n in sorted(self.national.items())},
            "cla_31_march_latest_by_council": dict(sorted(self.councils.items())),
            "published_by_year": {
                str(year): {
                    name: {"value": float(figure.value), "source": figure.source}
                    for name, figure in sorted(figures.items())
                }
                for year, figures in sorted(self.figures.items())
            },
        }
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(_PROVIDER_COLUMNS)
        for p in self.providers:
            writer.writerow((p.urn, p.provision_type, p.local_authority, p.sector, p.places))
        return {
            AGGREGATES_FILE: json.dumps(document, indent=1, ensure_ascii=False) + "\n",
            PROVIDERS_FILE: out.getvalue(),
        }

    def write(self, folder: Path) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, text in self.files().items():
            path = folder / name
            path.write_text(text, encoding="utf-8", newline="")
            written.append(path)
        return written

    @classmethod
    def read(cls, folder: Path = DATA_DIR) -> Aggregates:
        """The figures written by ``write`` (by default, those shipped in the package)."""
        try:
            document = json.loads((folder / AGGREGATES_FILE).read_text(encoding="utf-8"))
            with (folder / PROVIDERS_FILE).open(newline="", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
        except (OSError, ValueError) as exc:
            raise ValidationError(
                f"The calibration figures in {folder} cannot be read ({exc}). Derive them "
                "again with sightline synth derive-aggregates --reference FOLDER.",
                field="aggregates",
            ) from exc
        return cls(
            national={int(y): int(n) for y, n in document["cla_31_march_england"].items()},
            councils={c: int(n) for c, n in document["cla_31_march_latest_by_council"].items()},
            providers=tuple(
                OfstedProvider(
                    urn=row["urn"],
                    provision_type=row["provision_type"],
                    local_authority=row["local_authority"],
                    sector=row["sector"],
                    places=int(row["places"]),
                )
                for row in rows
            ),
            figures={
                int(year): {
                    name: Figure(float(f["value"]), str(f["source"])) for name, f in figures.items()
                }
                for year, figures in document["published_by_year"].items()
            },
            source=f"shipped with Sightline ({folder.name}/)",
        )


def calibration_source(reference_dir: Path | None) -> Aggregates:
    """The figures to calibrate to: from ``reference_dir`` when one is given, otherwise the
    ones shipped in the package."""
    if reference_dir is None:
        return Aggregates.read()
    return Aggregates.derive(ReferenceData(reference_dir))
