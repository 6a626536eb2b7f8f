"""The month a report covers, from the `month=YYYY-MM` query parameter (this month when absent)."""

from calendar import monthrange
from dataclasses import dataclass
from datetime import date

from nursery_ops.billing.rules import parse_month
from nursery_ops.i18n import N_

NOT_A_MONTH = N_("Enter a month as YYYY-MM.")


@dataclass(frozen=True)
class Month:
    first: date

    @property
    def last(self) -> date:
        return self.first.replace(day=monthrange(self.first.year, self.first.month)[1])

    @property
    def text(self) -> str:
        return self.first.strftime("%Y-%m")


def chosen_month(raw: str | None, today: date) -> tuple[Month | None, dict]:
    """The month asked for, or this month when none is given; (None, field errors) for a bad one."""
    if not raw:
        return Month(today.replace(day=1)), {}
    first = parse_month(raw)
    return (Month(first), {}) if first else (None, {"month": NOT_A_MONTH})
