"""Demo growth measurements: monthly, the last six months, for the demo nursery (called by nursery_ops.demo).

Each child follows its own WHO curve (a fixed z per indicator) so the charts look real;
one child drifts below −2 SD in weight and one sits above +2, so the WARNs show.
"""

import random
from datetime import date, timedelta

from sqlmodel import Session

from nursery_ops.auth.models import Person
from nursery_ops.children.models import Child
from nursery_ops.growth.models import Measurement
from nursery_ops.growth.rules import head_expected
from nursery_ops.growth.who import Indicator, age_days, table_position, value_at_sd

MONTHS_BACK = 6


def add_demo_growth(session: Session, children: list[Child], health_officer: Person, today: date, seed: int = 5) -> int:
    """Add the measurements to the session (no commit); returns how many."""
    rng = random.Random(seed)
    added = 0
    for index, child in enumerate(children):
        z_length = rng.uniform(-1.2, 1.2)
        z_weight = rng.uniform(-1.0, 1.0)
        z_head = rng.uniform(-1.0, 1.0)
        if index == 1:
            z_weight = -1.6  # drifting down below −2 SD
        elif index == 2:
            z_weight = 2.3
        for months_ago in range(MONTHS_BACK, -1, -1):
            on = today - timedelta(days=round(months_ago * 30.4375) + 3)
            days = age_days(child.birth_date, on)
            if days < 0:
                continue
            drift = -0.12 * (MONTHS_BACK - months_ago) if index == 1 else 0
            length_cm = value_at_sd(Indicator.length_for_age, child.sex, days, z_length)
            weight_kg = value_at_sd(Indicator.weight_for_age, child.sex, days, z_weight + drift)
            head_cm = value_at_sd(Indicator.head_for_age, child.sex, days, z_head)
            if length_cm is None or weight_kg is None:
                continue
            session.add(
                Measurement(
                    child_id=child.id,
                    on_date=on,
                    # The table's basis is how WHO expects the child measured at this age.
                    length_mm=round(length_cm * 10),
                    position=table_position(days),
                    weight_g=round(weight_kg * 100) * 10,
                    head_mm=round(head_cm * 10) if head_cm is not None and head_expected(child.birth_date, on) else None,
                    by_id=health_officer.id,
                )
            )
            added += 1
    session.flush()
    return added
