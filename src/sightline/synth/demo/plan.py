"""The demo's fixed plan: the national figures it is calibrated to, the councils and how many
children and homes each has, and the sign-ins, one per role.

Changing a number here changes every seed's data set: raise ``GENERATOR_VERSION`` with it, so
that a loaded data set is replaced rather than kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sightline.organisations.models import Role

DEFAULT_SEED = 2019
# Bump when the generator changes what a seed produces, so that an old data set is replaced.
# 4: contacts, duty contacts (issue 14); 5: a screening (ADR 51); 6: one record (issue 17);
# 7: an exploitation network (issue 18: nights out together, the register of concern, a panel
# referral listed for the next meeting, the NRM, the links between children).
GENERATOR_VERSION = 7
PASSWORD_ENV = "SIGHTLINE_DEMO_PASSWORD"
DEFAULT_PASSWORD = "sightline-demo-only"
CHILD_REF_PREFIX = "DEMO"
NORTH_WEST = "E12000002"

# Calibration targets (BRIEF.md section 5).
TARGET_OUT_OF_AREA = 0.61  # children in homes placed outside their council (Hansard 2018)
TARGET_OVER_20_MILES = 0.18  # all placements (DfE 2015)
TARGET_MALE = 0.55
TARGET_PRIVATE = 0.84  # Ofsted, March 2025
TARGET_PLACES_PER_HOME = 14_259 / 4_009
# Age at the reference date of children in homes: (from, to, share). Children's homes are
# for teenagers: 56% of missing incidents are children of 16 or over.
# The oldest are 17 and a half, to leave room for the months between the reference date and
# the day the demo runs.
AGE_BANDS: tuple[tuple[float, float, float], ...] = (
    (10, 12, 0.04),
    (12, 14, 0.14),
    (14, 16, 0.37),
    (16, 17.5, 0.45),
)
PLACES_WEIGHTS: dict[int, int] = {1: 9, 2: 15, 3: 21, 4: 30, 5: 14, 6: 11}  # mean 3.58
SHARE_WITH_EARLIER = 0.35  # children in homes with an earlier placement
SHARE_WITH_TWO_EARLIER = 0.3  # of those, with two
SHARE_EARLIER_FOSTER = 0.4  # earlier placements that were with foster carers
SHARE_EARLIER_GAP = 0.25  # earlier placements followed by a spell at home, not a move
SHARE_EMERGENCY = 0.1
LEFT_CARE = 4  # children whose placements have all ended
# Missing and away history (brief, section 5: about 11% of looked-after children go missing
# in a year, far more of those in children's homes; heavy repeat tail; 90% of incidents last
# 2 days or less; more among over-16s; further from home, more often).
MISSING_PRONE_IN_HOMES = 0.45  # children in homes who ever go missing in the demo's history
MISSING_PRONE_ELSEWHERE = 0.08
MISSING_PRONE_16_PLUS = 1.5  # children now 16 or 17 are more often among them
MISSING_RATE_MEAN = 4.0  # incidents a year for those children, before the ratios below
MISSING_RATE_SHAPE = 1.5  # gamma: a repeat tail without one child being half the history
MISSING_RATE_CAP = 30.0
MISSING_IRR_16_PLUS = 3.0
MISSING_IRR_NOT_A_HOME = 0.4
DISTANCE_BAND_UPPER_MILES = (5, 10, 20, 50)
MISSING_DISTANCE_IRR = (1.0, 1.1, 1.25, 1.5, 1.8)
SHARE_AWAY = 0.11
SHARE_FOUND_NEAR_HOME = 0.15  # of missing episodes of children placed out of area
SHARE_NO_INTERVIEW_RECORD = 0.1
SHARE_OFFERED_IN_TIME = 0.75
SHARE_DECLINED = 0.3
SHARE_INDEPENDENT = 0.8
HOME_PLACE_TYPE = "K2"  # the demo's children's homes; "U6" is foster care
LAST_SEEN_PLACES = (
    "Leaving the home after tea",
    "At school; did not come back at the end of the day",
    "Walking to the shops near the home",
    "Leaving the home with a friend",
    "At the bus station in the town centre",
    "Did not come back from an agreed visit to a friend",
)
PUSH_FACTORS = (
    "Arguments with another young person at the home",
    "Finds the house rules hard and feels far from family",
    "Unhappy about contact with family being cut back",
)
PULL_FACTORS = (
    "Wanted to see friends in their home area",
    "Wanted to see a brother and sister",
    "Was asked to meet older people they met online",
)
FOLLOW_UPS = (
    "Social worker to review contact arrangements",
    "Home to agree a plan for time with friends",
    "Shared with the exploitation panel for a screening",
)
FOUND_PLACES = (
    "At a friend's flat in the town centre",
    "At the bus station",
    "In the park near the home",
    "Came back to the home on their own",
    "At a fast-food restaurant in the town centre",
    "At a relative's house",
)
RETURN_CONDITIONS = (
    "Tired and hungry, no injuries",
    "Well; said they had stayed with a friend",
    "Cold and upset; seen by the home's staff",
    "Well, no concerns raised",
)
# Police risk grades of past missing episodes (codes of either list in force).
GRADE_WEIGHTS: dict[str, int] = {
    "no_apparent": 3,
    "very_low": 3,
    "low": 50,
    "medium": 35,
    "high": 10,
}
# The present (synth/demo/week.py).
SHARE_SENT_ON_TIME = 0.8  # placing councils' placement notices sent by their due date
SHARE_ACK_ON_TIME = 0.72  # notices acknowledged within 2 working days
SHARE_ACK_LATE = 0.18  # acknowledged after that; the rest never
SHARE_ADMISSION_FIRST = 0.2  # homes whose admission notice beat the placing council's
MISSING_NOW = 3  # children in Brightwater's homes missing when the demo starts
INTERVIEWS_DUE_TODAY = 2
BUILDS = ("slim", "medium", "stocky", "tall and slim")
HAIR = ("short dark brown", "long black", "shoulder-length blonde", "short ginger", "curly black")
PLACES_FREQUENTED = (
    "Stockport bus station",
    "Merseyway shopping centre",
    "Manchester Piccadilly Gardens",
    "The retail park by the motorway",
    "A friend's flat near the family home",
    "The skate park in the town centre",
)
PROFILE_RISKS = (
    "Has been seen with older young people not known to the home",
    "Goes back to the family home area when upset",
    "Has been asked to carry parcels by people met online",
    "No known risks beyond going missing",
)
CLOTHING = (
    "Black hooded top, grey joggers, white trainers",
    "Blue school blazer, black trousers",
    "Green parka, jeans, black trainers",
    "Red puffer jacket, black leggings",
)
FOSTER_HOUSEHOLDS_PER_COUNCIL = 4


@dataclass(frozen=True)
class _CouncilPlan:
    dfe_code: str
    children: int
    homes: int
    council_homes: int = 0


# Stockport is the host at the heart; the rest of Greater Manchester, then councils that
# place children into Greater Manchester. Southwark runs no homes here: London places out.
COUNCIL_PLAN: tuple[_CouncilPlan, ...] = (
    _CouncilPlan("356", children=16, homes=9, council_homes=1),  # Stockport
    _CouncilPlan("352", children=14, homes=4, council_homes=1),  # Manchester
    _CouncilPlan("357", children=7, homes=3),  # Tameside
    _CouncilPlan("358", children=5, homes=2),  # Trafford
    _CouncilPlan("353", children=7, homes=3, council_homes=1),  # Oldham
    _CouncilPlan("895", children=6, homes=2),  # Cheshire East
    _CouncilPlan("888", children=8, homes=3),  # Lancashire
    _CouncilPlan("341", children=6, homes=2),  # Liverpool
    _CouncilPlan("830", children=7, homes=2),  # Derbyshire
    _CouncilPlan("330", children=7, homes=2),  # Birmingham
    _CouncilPlan("210", children=5, homes=0),  # Southwark
)
HOST_CODE = "356"
VOLUNTARY_HOMES = 2
LEAD_PROVIDER_HOMES_IN_HOST = 3
LEAD_PROVIDER_HOMES_ELSEWHERE = 2
# Out-of-area children lean towards Stockport, then the rest of Greater Manchester.
HOST_WEIGHT = 3
GREATER_MANCHESTER_WEIGHT = 2
GREATER_MANCHESTER_FORCE = "E23000005"

# Outward codes in the demo's councils that are PO boxes, large users or an airport: real
# postcodes, but nowhere a children's home or a family would be.
UNSUITABLE_OUTWARD_CODES = frozenset(
    {
        "B99",
        "BB94",
        "DE99",
        "L69",
        "L70",
        "L71",
        "L72",
        "L73",
        "L74",
        "L75",
        "L80",
        "M60",
        "M61",
        "M90",
        "M99",
        "PR0",
        "PR11",
        "S49",
        "S98",
        "SE1P",
    }
)

POLICE_ORGANISATION_NAMES: dict[str, str] = {
    "E23000001": "Metropolitan Police Service",
    "E23000003": "Lancashire Constabulary",
    "E23000004": "Merseyside Police",
    "E23000005": "Greater Manchester Police",
    "E23000006": "Cheshire Constabulary",
    "E23000014": "West Midlands Police",
    "E23000018": "Derbyshire Constabulary",
}


@dataclass(frozen=True)
class _SignInPlan:
    username: str
    role: str
    # ("council", DfE code), ("police", DfE code of a council in the force), ("provider", "")
    organisation: tuple[Literal["council", "police", "provider"], str]


SIGN_IN_PLAN: tuple[_SignInPlan, ...] = (
    _SignInPlan("sw.southwark", Role.SOCIAL_WORKER, ("council", "210")),
    _SignInPlan("teammanager.southwark", Role.TEAM_MANAGER, ("council", "210")),
    _SignInPlan("nominated.manchester", Role.NOMINATED_OFFICER, ("council", "352")),
    _SignInPlan("coordinator.stockport", Role.MISSING_COORDINATOR, ("council", HOST_CODE)),
    _SignInPlan("police.gmp", Role.POLICE_MISSING_OFFICER, ("police", HOST_CODE)),
    _SignInPlan("manager.brightwater", Role.HOME_MANAGER, ("provider", "")),
    _SignInPlan("staff.brightwater", Role.HOME_STAFF, ("provider", "")),
    _SignInPlan("analyst.stockport", Role.ANALYST, ("council", HOST_CODE)),
    # Stockport's administrator manages Stockport's people and reads its audit, and nothing
    # else: an organisation's administrator, never a superuser (issue 12).
    _SignInPlan("admin.stockport", Role.ADMINISTRATOR, ("council", HOST_CODE)),
)
