"""What a load returns and how ``sightline demo`` prints it: the sign-in table and the
calibration achieved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from sightline.organisations.models import Role

# --- What a load returns -------------------------------------------------------------------


@dataclass(frozen=True)
class DemoSignIn:
    username: str
    password: str
    role: str  # a Role value, e.g. "social_worker"
    organisation_name: str

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label)


@dataclass(frozen=True)
class CalibrationFigure:
    """One calibration target and what the loaded data achieved. Shares are 0-1."""

    measure: str
    target: float
    achieved: float
    unit: Literal["share", "miles", "places"]
    source: str

    def shown(self, value: float) -> str:
        if self.unit == "share":
            return f"{value:.0%}"
        if self.unit == "miles":
            return f"{value:.1f} miles"
        return f"{value:.2f}"


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    reference_date: dt.date
    created: bool  # False when the same data set was already loaded and was kept
    fingerprint: str
    councils: int
    police_forces: int
    organisations: int
    providers: int
    homes: int
    registered_places: int
    children: int
    children_in_homes: int
    placements: int
    ended_placements: int
    users: int
    missing_episodes: int
    away_episodes: int
    return_interviews: int
    calibration: tuple[CalibrationFigure, ...]
    sign_ins: list[DemoSignIn] = field(default_factory=list)
    # The home where a child screened at significant risk lives (the matching check's
    # warning, ADR 51), or "".
    matching_home: str = ""
    # Children named with the demo's people, places and vehicles of concern (issue 18): the
    # exploitation network the panel's pages show, or 0.
    exploitation_network: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reference_date"] = self.reference_date.isoformat()
        for sign_in, shown in zip(self.sign_ins, data["sign_ins"], strict=True):
            shown["role_label"] = sign_in.role_label
        return data


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, [("-" * w) for w in widths], *rows]
    ]
    return "\n".join(lines)


def format_sign_ins(summary: DemoSummary) -> str:
    """The demo sign-ins as a table for the terminal, ending with the one password: the last
    thing ``sightline demo`` prints, so that it does not scroll away."""
    rows = [[s.username, s.role_label, s.organisation_name] for s in summary.sign_ins]
    passwords = {s.password for s in summary.sign_ins}
    password = passwords.pop() if len(passwords) == 1 else "(see the table above)"
    return (
        "The first time each account signs in, it sets up an authenticator app (scan the QR"
        " code, or type the key shown) and is shown its recovery codes; after that each sign-in"
        " asks for the app's code. Without a phone, print an account's current code (demo"
        " only) with: sightline otp code --user USERNAME\n\n"
        "Demo sign-ins (README.md says what each one shows)\n\n"
        + _table(["Username", "Role", "Organisation"], rows)
        + f"\n\nPassword for every account: {password}\n"
    )


def format_summary(summary: DemoSummary) -> str:
    """What was loaded and how it compares with the calibration figures."""
    state = "Loaded" if summary.created else "Kept the already loaded"
    lines = [
        f"{state} demo data set: seed {summary.seed}, reference date "
        f"{summary.reference_date:%d %B %Y}.",
        f"{summary.councils} councils and {summary.police_forces} police forces; "
        f"{summary.organisations} organisations, of which {summary.providers} providers.",
        f"{summary.homes} children's homes with {summary.registered_places} registered places.",
        f"{summary.children} children, {summary.children_in_homes} living in a home now; "
        f"{summary.placements} placements, {summary.ended_placements} of them ended.",
        f"{summary.missing_episodes} missing and {summary.away_episodes} away episodes in the "
        f"history, with {summary.return_interviews} return home interviews.",
        f"{summary.users} demo sign-ins. Fingerprint {summary.fingerprint[:12]}.",
        *(
            [
                f"A child screened at significant risk of exploitation lives at "
                f"{summary.matching_home}: propose a placement there to see the matching "
                "check's warning."
            ]
            if summary.matching_home
            else []
        ),
        *(
            [
                f"An exploitation network: {summary.exploitation_network} children placed by "
                "different councils, found together twice this week. See the panel's queue and "
                "view as coordinator.stockport (Exploitation panel), and the register of concern "
                "as police.gmp."
            ]
            if summary.exploitation_network
            else []
        ),
        "",
        "Calibration (brief, section 5)",
        "",
        _table(
            ["Measure", "Target", "Demo", "Source"],
            [
                [c.measure, c.shown(c.target), c.shown(c.achieved), c.source]
                for c in summary.calibration
            ],
        ),
    ]
    return "\n".join(lines)
