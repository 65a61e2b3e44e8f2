"""``sightline geography``: look up a postcode, measure a distance, reload the reference data.

Thin by design: each subcommand parses its arguments, calls one selector or service and
prints the result, as text for people or as JSON (``--json``) for scripts.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sightline.core.errors import ValidationError
from sightline.geography import basemap
from sightline.geography.selectors import (
    PostcodePlace,
    distance_between,
    postcode_place,
)
from sightline.geography.services import reference_data_load

# Bad input exits with 2, as argparse does for a bad command line.
USAGE_ERROR = 2


class Command(BaseCommand):
    help = "Look up postcodes and distances, and reload the council and police reference data."
    # The lookups touch nothing the system checks cover; skipping them keeps a lookup quick.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(
            dest="subcommand", required=True, metavar="{postcode,distance,load,basemap}"
        )
        postcode = subcommands.add_parser(
            "postcode",
            help="Show the district, council and police force of a postcode.",
            description="Show the district, council, police force and OS grid reference of a "
            "postcode, from the ONS Postcode Directory.",
        )
        postcode.add_argument(
            "postcode", help='A postcode, like "SK4 2AB" (any case, any spacing).'
        )
        postcode.add_argument("--json", action="store_true", help="Print JSON instead of text.")

        distance = subcommands.add_parser(
            "distance",
            help="Show the straight-line distance between two postcodes.",
            description="Show the straight-line distance between two postcodes on the OS grid, "
            "in km and in miles rounded as the DfE rounds PL_DISTANCE.",
        )
        distance.add_argument("from_postcode", metavar="FROM", help="The first postcode.")
        distance.add_argument("to_postcode", metavar="TO", help="The second postcode.")
        distance.add_argument("--json", action="store_true", help="Print JSON instead of text.")

        subcommands.add_parser(
            "load",
            help="Reload police forces, councils and districts from the shipped data.",
            description="Create or update every police force, council and district from the "
            "CSV files shipped with Sightline. Safe to run again.",
        )

        basemap = subcommands.add_parser(
            "basemap",
            help="Rewrite the offline base map from the postcode directory.",
            description="Derive the offline base map (council areas on a 1 km grid) from the "
            "installed ONS Postcode Directory and write it into geography/static/geography/. "
            "With --check, write nothing and fail if the shipped files differ.",
        )
        basemap.add_argument(
            "--check",
            action="store_true",
            help="Fail (status 1) if the shipped base map is not what the directory gives.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            match options["subcommand"]:
                case "postcode":
                    self._postcode(options["postcode"], as_json=options["json"])
                case "distance":
                    self._distance(
                        options["from_postcode"], options["to_postcode"], as_json=options["json"]
                    )
                case "load":
                    self.stdout.write(str(reference_data_load()))
                case "basemap":
                    self._basemap(check=options["check"])
        except ValidationError as exc:
            raise CommandError(exc.message, returncode=USAGE_ERROR) from exc

    def _basemap(self, *, check: bool) -> None:
        derived = basemap.basemap_derive()
        if check:
            with tempfile.TemporaryDirectory() as scratch:
                written = basemap.basemap_write(derived, Path(scratch))
                stale = [
                    p.name
                    for p in written
                    if p.read_bytes() != (basemap.STATIC_DIR / p.name).read_bytes()
                ]
            if stale:
                raise CommandError(
                    f"The shipped base map is out of date ({', '.join(stale)}): "
                    "run `sightline geography basemap`."
                )
            self.stdout.write("The shipped base map is up to date.")
            return
        for path in basemap.basemap_write(derived):
            self.stdout.write(f"Wrote {path} ({path.stat().st_size:,} bytes)")

    def _postcode(self, raw: str, *, as_json: bool) -> None:
        place = postcode_place(postcode=raw)
        if as_json:
            self.stdout.write(json.dumps(_place_json(place)))
            return
        district = place.district
        council = place.council
        force = place.police_force
        outside = "none (outside England and Wales)"
        rows = [
            ("Postcode", place.postcode),
            (
                "District",
                f"{district.name} ({district.code})" if district else place.district_code or "none",
            ),
            (
                "Council",
                f"{council.name} ({council.ons_code}, {council.dfe_code or 'no DfE code'})"
                if council
                else outside,
            ),
            ("Police force", f"{force.name} ({force.code})" if force else outside),
            ("Easting", _or_none(place.easting)),
            ("Northing", _or_none(place.northing)),
        ]
        for label, value in rows:
            self.stdout.write(f"{label:<14}{value}")

    def _distance(self, raw_from: str, raw_to: str, *, as_json: bool) -> None:
        a = postcode_place(postcode=raw_from)
        b = postcode_place(postcode=raw_to)
        distance = distance_between(a=a, b=b)
        if as_json:
            self.stdout.write(
                json.dumps(
                    {
                        "from": a.postcode,
                        "to": b.postcode,
                        "miles": float(distance.miles),
                        "km": float(distance.km),
                    }
                )
            )
            return
        self.stdout.write(
            f"{a.postcode} to {b.postcode}: {distance.km} km ({distance.miles} miles) "
            "in a straight line"
        )


def _place_json(place: PostcodePlace) -> dict[str, Any]:
    district = place.district
    council = place.council
    force = place.police_force
    return {
        "postcode": place.postcode,
        "district": (
            {"code": district.code, "name": district.name}
            if district
            else ({"code": place.district_code, "name": None} if place.district_code else None)
        ),
        "council": (
            {"name": council.name, "ons_code": council.ons_code, "dfe_code": council.dfe_code}
            if council
            else None
        ),
        "police_force": {"name": force.name, "code": force.code} if force else None,
        "easting": place.easting,
        "northing": place.northing,
        "in_england_or_wales": place.in_england_or_wales,
    }


def _or_none(value: int | None) -> str:
    return "none" if value is None else str(value)
