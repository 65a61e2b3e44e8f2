"""A small synthetic England from a seed: the data behind ``sightline demo``.

Stockport is the host at the heart, as in the 2019 presentation Sightline answers: children's
homes at real postcodes in Greater Manchester and a few neighbouring areas, children placed
there by Greater Manchester councils and by councils further away (Cheshire East, Derbyshire,
Lancashire, Liverpool, Birmingham, Southwark), and one demo sign-in per role.

Everything about people, homes and providers is invented (``synth/names.py``); the geography
is real. Every row is written through the domain services (``child_create``,
``setting_create``, ``placement_record``), so the demo exercises the same derivations as live
data: host council and force from the postcode, distance, out of area.

The mix is calibrated to the brief's section 5 by quota rather than by chance, so that every
seed lands near the national figures: about 61% of children in homes placed outside their
council, about 18% of placements more than 20 miles from home, 55% boys, mostly teenagers,
84% of homes private, about 3.6 places a home. ``DemoSummary.calibration`` reports what a
load achieved, read back from the database.

Same seed, same data: one ``random.Random(seed)`` drives every choice, in a fixed order, over
sorted inputs. The data set is dated to the day it is loaded (``reference_date_for``), so
that it looks like a real week: notices and episodes run up to now, some children are
missing at start. Loading again with the same seed on the same day keeps what is there;
another seed, or another day, replaces it. What a load created is listed in
``synth.DemoDataset``.

The package reads in the order a load runs: ``plan`` (the targets and the fixed plan),
``state`` (what the generator carries between steps); the steps ``people``, ``homes``,
``placements``, ``history``, ``episodes`` and ``week`` (notices, profiles and the
present), ``contacts``, ``one_record`` (issue 17 on one child: chronology, screening,
strategy meeting and tasks, the child's words, plan and parents), ``exploitation`` (issue 18:
a network of children out together, the register of concern, a panel referral listed, the
NRM, and the links between children refreshed at the end); ``load`` (one transaction:
keep or replace);
``dataset`` (the rows a load made, their removal and fingerprint); ``summary`` and ``report``
(what a load returns and how it is printed).
"""

from sightline.synth.demo.dataset import DemoDataInUse
from sightline.synth.demo.load import (
    demo_fingerprint,
    demo_load,
    reference_date_for,
)
from sightline.synth.demo.plan import (
    DEFAULT_PASSWORD,
    DEFAULT_SEED,
    PASSWORD_ENV,
    UNSUITABLE_OUTWARD_CODES,
)
from sightline.synth.demo.report import (
    CalibrationFigure,
    DemoSignIn,
    DemoSummary,
    format_sign_ins,
    format_summary,
)

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_SEED",
    "PASSWORD_ENV",
    "UNSUITABLE_OUTWARD_CODES",
    "CalibrationFigure",
    "DemoDataInUse",
    "DemoSignIn",
    "DemoSummary",
    "demo_fingerprint",
    "demo_load",
    "format_sign_ins",
    "format_summary",
    "reference_date_for",
]
