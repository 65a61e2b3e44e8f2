"""Exploitation networks planted in a synthetic England, with the ground truth (issue 18,
part 4; ADR 50; docs/synthetic-england.md, "Planted exploitation networks").

The facts are those ``exploitation.linking`` reads (absences, sightings, mentions), drawn for one
collection year of a ``Simulation``:

- **Every missing and away incident** of the year (the calibrated model: about 87,000 missing
  incidents in England, DfE 2024) becomes an absence from the child's placement: a children's
  home by its Ofsted URN, any other placement by its postcode; the point is the placement's
  postcode. The day comes from the model; the hour is drawn (most children go missing in the
  afternoon and evening), and a same-day incident lasts 2 to 20 hours.
- **Found places**: about a third of missing incidents end with the child found somewhere
  other than the placement, at a postcode in the placement's district; one in five of those at
  the district's hub (a town centre, a station), where many children are found.
- **Mentions**: about half of missing incidents have a return interview; one in seven of those
  names an adult (the child's own contact: nobody else names them) and one in ten a place of
  concern of the district (three per district, so unrelated children name the same ones).
- **Networks**: groups of 3 to 7 children living in children's homes within ``radius_m`` of
  each other, at most two from a home (so from several homes, and usually several placing
  councils), active for 90 to 180 days. On 3 to 8 nights some of them (at least two, each
  child on at least three nights, or all) go missing within a few hours of each other for 10
  to 40 hours; 60% are found at one of the network's one or two places (half of networks in
  another council's area: county lines); three in four name the network's main adult in one
  of their return interviews, and interviews (half of episodes) name its other adult, car and
  phone.
- **Noise planted on purpose**: pairs of children from the same home missing on the same night,
  with no link, besides the chance overlaps, shared hubs and shared places of concern above.

How many networks: ``networks_per_100`` per 100 children who live in a children's home at some
time in the year (default 1, with 3 to 7 children each: about 5% of them). There is no published
count of exploitation networks spanning several homes; this is an assumption, chosen to be
modest against the published signals (child criminal exploitation is recorded as a factor at
the end of well over ten thousand children-in-need assessments a year in England, DfE
"Characteristics of children in need"; the National Crime Agency's estimates of county lines
active at a time have been in the high hundreds to about 2,000). These figures are quoted from
memory of the publications, not read from files shipped with Sightline; they bound, not set,
the assumption. The truth is every pair of children in the same network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from sightline.exploitation.linking import Absence, Mention, Sighting, point_from_grid
from sightline.synth.england.model import (
    EPOCH,
    HOME,
    EnglandConfig,
    Simulation,
    simulate,
    year_end,
    year_start,
)

__all__ = ["NetworkOptions", "Planted", "plant_networks", "planted_england"]

_EPOCH = dt.datetime.combine(EPOCH, dt.time(), tzinfo=dt.UTC)


@dataclass(frozen=True)
class NetworkOptions:
    """What is planted; the defaults are the documented ones above."""

    networks_per_100: float = 1.0
    size: tuple[int, int] = (3, 7)
    radius_m: float = 8_000.0
    active_days: tuple[int, int] = (90, 180)
    nights: tuple[int, int] = (3, 8)
    found_together: float = 0.6  # a network child found at the network's place after a night
    interviewed: float = 0.5  # an episode with a return interview
    names_person: float = 0.6  # ... which names one of the network's adults
    discloses: float = 0.75  # a network child who names the main adult in some interview
    names_vehicle: float = 0.3
    names_phone: float = 0.3
    same_home_nights_per_100: float = 2.0  # planted noise pairs per 100 children in homes
    found_elsewhere: float = 0.35
    hub_share: float = 0.2
    names_own_adult: float = 1 / 7
    names_place: float = 0.1


@dataclass(frozen=True)
class Planted:
    """The facts for ``compute_links`` and the truth: every pair (a < b) in a network."""

    year: int
    absences: list[Absence]
    sightings: list[Sighting]
    mentions: list[Mention]
    networks: list[tuple[str, ...]]
    truth: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    children_in_homes: int = 0


def planted_england(
    *,
    seed: int,
    year: int = 2025,
    scale: float = 1.0,
    councils: tuple[str, ...] | None = None,
    options: NetworkOptions = NetworkOptions(),
) -> Planted:
    """Simulate one collection year of England (or some councils) and plant networks in it."""
    sim = simulate(
        EnglandConfig(seed=seed, first_year=year, last_year=year, scale=scale, councils=councils)
    )
    return plant_networks(sim, year=year, seed=seed, options=options)


def _when(day: np.integer | int, hours: float) -> dt.datetime:
    return _EPOCH + dt.timedelta(days=int(day), hours=float(hours))


def plant_networks(
    sim: Simulation,
    *,
    year: int,
    seed: int,
    options: NetworkOptions = NetworkOptions(),
) -> Planted:
    """The year's facts from ``sim`` with networks and noise planted (a stream of its own,
    so the simulation is unchanged)."""
    from sightline.geography import postcodes

    rng = np.random.default_rng([seed, 18])
    first, last = year_start(year), year_end(year)

    # Episodes (placements) touching the year, their setting and point.
    ep_child, ep_start, ep_end = sim.ep_child, sim.ep_start, sim.ep_end
    in_year = (ep_start <= last) & (ep_end > first)
    key = ep_child.astype(np.int64) * 1_000_000 + ep_start
    urn = sim.ep_urn.astype(str)
    real_urn = (np.char.str_len(urn) > 0) & ~np.char.startswith(urn, "9")
    is_home = (sim.ep_group == HOME) & real_urn

    incident = np.flatnonzero((sim.mi_start >= first) & (sim.mi_start <= last))
    mi_ep = (
        np.searchsorted(
            key,
            sim.mi_child[incident].astype(np.int64) * 1_000_000 + sim.mi_start[incident],
            side="right",
        )
        - 1
    )
    wanted = np.unique(np.concatenate([np.flatnonzero(in_year & is_home), mi_ep]))
    posts = sim.ep_pl_post[wanted].astype(str)
    found = postcodes.lookup_many(list(np.unique(posts)))
    grid = {
        str(row["postcode"]): (row["easting"], row["northing"], row["district"])
        for row in found.iter_rows(named=True)
        if row["easting"] is not None
    }
    point: dict[int, tuple[float, float] | None] = {}
    district: dict[int, str] = {}
    for ep in wanted.tolist():
        looked = grid.get(str(sim.ep_pl_post[ep]))
        point[ep] = point_from_grid(looked[0], looked[1]) if looked else None
        district[ep] = str(looked[2]) if looked else ""

    def setting(ep: int) -> str:
        return f"urn:{urn[ep]}" if real_urn[ep] else f"post:{sim.ep_pl_post[ep]}"

    def compact(postcode: object) -> str:
        return str(postcode).replace(" ", "").upper()

    by_district: dict[str, list[str]] = {}
    for postcode, (_e, _n, dist) in grid.items():
        by_district.setdefault(str(dist), []).append(compact(postcode))
    every_place = sorted(compact(p) for p in grid)
    hubs = {
        d: [str(p) for p in rng.choice(sorted(ps), size=min(1, len(ps)), replace=False)]
        for d, ps in sorted(by_district.items())
    }
    concern_places = {d: [f"place:{d}-{k}" for k in range(3)] for d in sorted(by_district)}

    child_id = sim.child_id.astype(str)
    absences: list[Absence] = []
    sightings: list[Sighting] = []
    mentions: list[Mention] = []

    # The calibrated incidents of the year.
    evening = rng.random(len(incident)) < 0.7
    hour = np.where(evening, 15 + rng.random(len(incident)) * 9, rng.random(len(incident)) * 24)
    same_day = rng.uniform(2, 20, len(incident))
    jitter = rng.uniform(-6, 6, len(incident))
    u_found, u_hub, u_pick = rng.random((3, len(incident)))
    u_interview, u_adult, u_place, u_which = rng.random((4, len(incident)))
    for n, (mi, ep) in enumerate(zip(incident.tolist(), mi_ep.tolist(), strict=True)):
        child = child_id[sim.mi_child[mi]]
        start = _when(sim.mi_start[mi], hour[n])
        days = int(sim.mi_end[mi] - sim.mi_start[mi])
        length = same_day[n] if days == 0 else max(2.0, days * 24 + jitter[n])
        end = start + dt.timedelta(hours=float(length))
        ref = f"mi{mi}"
        absences.append(Absence(ref, child, setting(ep), point.get(ep), start, end))
        if sim.mi_kind[mi] != "M":
            continue
        where = district.get(ep, "")
        if u_found[n] < options.found_elsewhere and by_district.get(where):
            pool = hubs[where] if u_hub[n] < options.hub_share else by_district[where]
            place = pool[int(u_pick[n] * len(pool))]
            sightings.append(Sighting(f"s{ref}", child, place, None, end))
        if u_interview[n] < options.interviewed:
            if u_adult[n] < options.names_own_adult:
                mentions.append(
                    Mention(f"p{ref}", child, "person", f"own-{child}-{int(u_which[n] * 2)}", end)
                )
            if u_place[n] < options.names_place and where:
                places = concern_places[where]
                mentions.append(
                    Mention(f"q{ref}", child, "place", places[int(u_which[n] * 3)], end)
                )

    # Children in homes during the year, by home, and the long placements a network can use.
    homes_eps = np.flatnonzero(in_year & is_home)
    children_in_homes = len(np.unique(ep_child[homes_eps]))
    with_point = np.array([point.get(ep) is not None for ep in homes_eps.tolist()], dtype=bool)
    homes_eps = homes_eps[with_point]
    lat = np.radians([point[ep][0] for ep in homes_eps.tolist()])  # type: ignore[index]
    lon = np.radians([point[ep][1] for ep in homes_eps.tolist()])  # type: ignore[index]

    networks: list[tuple[str, ...]] = []
    used: set[int] = set()
    wanted_networks = round(children_in_homes * options.networks_per_100 / 100)
    tries = 0
    while len(networks) < wanted_networks and tries < wanted_networks * 50 and len(homes_eps):
        tries += 1
        active = int(rng.integers(options.active_days[0], options.active_days[1] + 1))
        begin = int(rng.integers(first, max(first + 1, last - active)))
        stop = min(last, begin + active)
        centre = int(rng.integers(len(homes_eps)))
        h = (
            np.sin((lat - lat[centre]) / 2) ** 2
            + np.cos(lat) * np.cos(lat[centre]) * np.sin((lon - lon[centre]) / 2) ** 2
        )
        near = 2 * 6_371_008.8 * np.arcsin(np.sqrt(np.minimum(1.0, h))) <= options.radius_m
        eps = homes_eps[near & (ep_start[homes_eps] <= begin) & (ep_end[homes_eps] > stop)]
        eps = eps[rng.permutation(len(eps))]
        members: list[int] = []
        per_home: dict[str, int] = {}
        seen_children: set[int] = set()
        size = int(rng.integers(options.size[0], options.size[1] + 1))
        for ep in eps.tolist():
            c = int(ep_child[ep])
            if c in used or c in seen_children or per_home.get(urn[ep], 0) >= 2:
                continue
            members.append(ep)
            seen_children.add(c)
            per_home[urn[ep]] = per_home.get(urn[ep], 0) + 1
            if len(members) == size:
                break
        if len(members) < options.size[0] or len(per_home) < 2:
            continue
        used |= seen_children
        number = len(networks)
        networks.append(tuple(sorted(child_id[ep_child[ep]] for ep in members)))
        adults = [f"net{number}-adult{k}" for k in range(int(rng.integers(1, 3)))]
        vehicle, phone = f"net{number}-car", f"net{number}-phone"
        far = rng.random() < 0.5
        places = [
            every_place[int(rng.integers(len(every_place)))]
            if far or not by_district.get(district[members[0]])
            else by_district[district[members[0]]][
                int(rng.integers(len(by_district[district[members[0]]])))
            ]
            for _ in range(int(rng.integers(1, 3)))
        ]
        night_days = np.sort(
            rng.choice(
                np.arange(begin, stop),
                size=int(rng.integers(options.nights[0], options.nights[1] + 1)),
                replace=False,
            )
        )
        going = rng.random((len(night_days), len(members))) < 0.6
        for m in range(len(members)):  # each child out on at least three nights (or all)
            while going[:, m].sum() < min(3, len(night_days)):
                going[int(rng.integers(len(night_days))), m] = True
        for k in range(len(night_days)):  # and at least two children each night
            while going[k].sum() < 2:
                going[k, int(rng.integers(len(members)))] = True
        discloses = rng.random(len(members)) < options.discloses
        disclosed_on = [int(rng.choice(np.flatnonzero(going[:, m]))) for m in range(len(members))]
        for k, day in enumerate(night_days.tolist()):
            base_hour = 17 + rng.random() * 5
            place = places[int(rng.integers(len(places)))]
            for m, ep in enumerate(members):
                if not going[k, m]:
                    continue
                child = child_id[ep_child[ep]]
                start = _when(day, base_hour + rng.random() * 3)
                end = start + dt.timedelta(hours=float(rng.uniform(10, 40)))
                ref = f"net{number}-{k}-{m}"
                absences.append(Absence(ref, child, setting(ep), point[ep], start, end))
                if rng.random() < options.found_together:
                    sightings.append(Sighting(f"s{ref}", child, place, None, end))
                if discloses[m] and disclosed_on[m] == k:
                    mentions.append(Mention(f"d{ref}", child, "person", adults[0], end))
                if rng.random() < options.interviewed:
                    if rng.random() < options.names_person:
                        adult = adults[int(rng.integers(len(adults)))]
                        mentions.append(Mention(f"p{ref}", child, "person", adult, end))
                    if rng.random() < options.names_vehicle:
                        mentions.append(Mention(f"v{ref}", child, "vehicle", vehicle, end))
                    if rng.random() < options.names_phone:
                        mentions.append(Mention(f"f{ref}", child, "phone", phone, end))

    # Noise: two children of one home out on the same night, with no link.
    by_home: dict[str, list[int]] = {}
    for ep in homes_eps.tolist():
        by_home.setdefault(urn[ep], []).append(ep)
    shared = sorted(u for u, eps in by_home.items() if len(eps) >= 2)
    wanted_noise = round(children_in_homes * options.same_home_nights_per_100 / 100)
    planted_noise = 0
    tries = 0
    while planted_noise < wanted_noise and tries < wanted_noise * 20 and shared:
        tries += 1
        home_eps = np.array(by_home[shared[int(rng.integers(len(shared)))]])
        day = int(rng.integers(first, last + 1))
        there = [
            ep
            for ep in home_eps.tolist()
            if ep_start[ep] <= day < ep_end[ep] and int(ep_child[ep]) not in used
        ]
        if len({int(ep_child[ep]) for ep in there}) < 2:
            continue
        pair = rng.choice(len(there), size=2, replace=False)
        if ep_child[there[pair[0]]] == ep_child[there[pair[1]]]:
            continue
        hour0 = 18 + rng.random() * 4
        for side in pair.tolist():
            ep = there[side]
            start = _when(day, hour0 + rng.random() * 2)
            end = start + dt.timedelta(hours=float(rng.uniform(4, 14)))
            absences.append(
                Absence(
                    f"noise{planted_noise}-{side}",
                    child_id[ep_child[ep]],
                    setting(ep),
                    point[ep],
                    start,
                    end,
                )
            )
        planted_noise += 1

    truth = frozenset(
        (a, b) for members_ in networks for i, a in enumerate(members_) for b in members_[i + 1 :]
    )
    return Planted(
        year=year,
        absences=absences,
        sightings=sightings,
        mentions=mentions,
        networks=networks,
        truth=truth,
        children_in_homes=children_in_homes,
    )
