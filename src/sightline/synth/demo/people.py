"""Organisations, the demo sign-ins and the children: who is in the demo."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sightline.core.errors import SightlineError
from sightline.geography.models import Council, PoliceForce
from sightline.geography.selectors import (
    council_by_code,
)
from sightline.organisations.models import Organisation, OrganisationKind, User
from sightline.placements.models import Sector
from sightline.synth import names
from sightline.synth.demo.plan import (
    AGE_BANDS,
    CHILD_REF_PREFIX,
    COUNCIL_PLAN,
    LEFT_CARE,
    POLICE_ORGANISATION_NAMES,
    SIGN_IN_PLAN,
    TARGET_MALE,
)
from sightline.synth.demo.state import _ChildPlan, _quota, _State, _unique, _weighted, _years_before


class _People(_State):
    """Councils', forces' and providers' organisations; one sign-in per role; children with
    names, sexes and ages on the targets."""

    def _organisations(self) -> None:
        for plan in COUNCIL_PLAN:
            council = council_by_code(code=plan.dfe_code)
            self.councils[plan.dfe_code] = council
            self.council_orgs[plan.dfe_code] = self._council_org(council)
        forces = sorted(
            {c.police_force for c in self.councils.values()}, key=lambda force: force.code
        )
        for force in forces:
            self.police_orgs[force.code] = self._police_org(force)
        provider_names = [
            (names.LEAD_PROVIDER, Sector.PRIVATE),
            *((n, Sector.PRIVATE) for n in self.rng.sample(names.OTHER_PRIVATE_PROVIDERS, 2)),
            (self.rng.choice(names.VOLUNTARY_PROVIDERS), Sector.VOLUNTARY),
        ]
        for name, _sector in provider_names:
            org = Organisation.objects.filter(kind=OrganisationKind.PROVIDER, name=name).first()
            if org is None:
                org = Organisation.objects.create(
                    kind=OrganisationKind.PROVIDER, name=name, email=_inbox(name)
                )
                self._register(org)
            self.providers.append(org)

    # Council and police organisations are shared by every seed and outlive a data set, so
    # they are made if missing but not listed among the data set's records.
    def _council_org(self, council: Council) -> Organisation:
        org = Organisation.objects.filter(council=council).first()
        if org is None:
            name = f"{council.name} Council"
            org = Organisation.objects.create(
                kind=OrganisationKind.COUNCIL, council=council, name=name, email=_inbox(name)
            )
        return org

    def _police_org(self, force: PoliceForce) -> Organisation:
        org = Organisation.objects.filter(police_force=force).first()
        if org is None:
            name = POLICE_ORGANISATION_NAMES.get(force.code) or (
                force.name if force.name.endswith("Police") else f"{force.name} Police"
            )
            org = Organisation.objects.create(
                kind=OrganisationKind.POLICE, police_force=force, name=name, email=_inbox(name)
            )
        return org

    def _users(self) -> None:
        taken = set(
            User.objects.filter(username__in=[p.username for p in SIGN_IN_PLAN]).values_list(
                "username", flat=True
            )
        )
        if taken:
            raise SightlineError(
                "These demo usernames already belong to someone outside the demo data set: "
                f"{', '.join(sorted(taken))}. Load the demo into a database of its own."
            )
        for plan in SIGN_IN_PLAN:
            kind, code = plan.organisation
            if kind == "council":
                org = self.council_orgs[code]
            elif kind == "police":
                org = self.police_orgs[self.councils[code].police_force_id]
            else:
                org = self.providers[0]
            sex = self.rng.choice("MF")
            first = self.rng.choice(
                names.FIRST_NAMES_MALE if sex == "M" else names.FIRST_NAMES_FEMALE
            )
            user = User.objects.create(
                username=plan.username,
                password=self.password_hash,
                first_name=first,
                last_name=self.rng.choice(names.SURNAMES),
                email=f"{plan.username}@example.invalid",
                organisation=org,
                role=plan.role,
                is_staff=False,
                is_superuser=False,
            )
            self.users[plan.username] = user
            self._register(user)

    # Children.

    def _plan_children(self) -> None:
        rng = self.rng
        number = 0
        for plan in COUNCIL_PLAN:
            council = self.councils[plan.dfe_code]
            for place in self._sample(council, plan.children):
                number += 1
                self.children.append(_ChildPlan(f"{CHILD_REF_PREFIX}{number:04d}", council, place))
        for child in rng.sample(self.children, LEFT_CARE):
            child.in_care = False
        in_homes = [c for c in self.children if c.in_care]
        # Quotas, not coin tosses, so that every seed lands on the targets.
        sexes = _quota(rng, len(in_homes), [("M", TARGET_MALE), ("F", 1 - TARGET_MALE)])
        bands = _quota(rng, len(in_homes), [((lo, hi), share) for lo, hi, share in AGE_BANDS])
        for child, sex, (lo, hi) in zip(in_homes, sexes, bands, strict=True):
            child.sex = sex
            child.date_of_birth = self._born(lo, hi)
        for n, child in enumerate(c for c in self.children if not c.in_care):
            child.sex = rng.choice("MMMMMFFFF")
            # Half left care at 18; half went home in their teens.
            child.date_of_birth = self._born(18, 19) if n % 2 == 0 else self._born(13, 16)
        used: set[str] = set()
        for child in self.children:
            first_names = names.FIRST_NAMES_MALE if child.sex == "M" else names.FIRST_NAMES_FEMALE

            def full_name(first_names: Sequence[str] = first_names) -> str:
                return f"{rng.choice(first_names)}|{rng.choice(names.SURNAMES)}"

            child.first_name, child.last_name = _unique(used, full_name).split("|")
            child.ethnicity = _weighted(rng, dict(names.ETHNICITY_WEIGHTS))

    def _born(self, age_from: float, age_to: float) -> dt.date:
        """A date of birth making the child at least ``age_from`` and under ``age_to`` years
        old on the reference date."""
        latest = _years_before(self.ref, int(age_from))
        latest -= dt.timedelta(days=round((age_from % 1) * 365))
        earliest = _years_before(self.ref, int(age_to)) + dt.timedelta(days=1)
        earliest -= dt.timedelta(days=round((age_to % 1) * 365))
        return earliest + dt.timedelta(days=self.rng.randrange((latest - earliest).days + 1))


def _inbox(name: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"notices@{slug}.example.invalid"
