"""When a child's next health exam or screening is due (DOMAIN.md "Health over time").

Plain functions: no DB, no HTTP. Ages are completed calendar months
(`children.rules.completed_months`) and "N months later" is the same day of the
month, or the month's last day (`date_at_months`), so month ends behave as they
do for the age bands.

The schedule (托儿所幼儿园卫生保健工作规范):
- periodic exam (定期体检) at a medical institution: every 3 months while the child
  is 6–12 months old, every 6 months at 12–36 months;
- haemoglobin (血红蛋白) and hearing screening (听力筛查): once a year;
- WARN from 30 days before the due date, and when overdue.

The band edge: the interval is chosen by the child's age on the day of the last
exam, with the bands half-open as everywhere else — an exam at 11 months is
followed 3 months later (at 14 months), an exam at exactly 12 months 6 months
later (at 18 months). The 3-month rhythm belongs to 乳儿 [6, 12); 12 months is
托小.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from nursery_ops.children.rules import completed_months, date_at_months
from nursery_ops.i18n import N_
from nursery_ops.policy import Policy


class DueKind(StrEnum):
    periodic = "periodic"  # 定期体检
    haemoglobin = "haemoglobin"  # 血红蛋白
    hearing = "hearing"  # 听力筛查
    vaccination = "vaccination"  # 预防接种证查验


DUE_KIND_LABELS = {
    DueKind.periodic: N_("Periodic exam (定期体检)"),
    DueKind.haemoglobin: N_("Haemoglobin (血红蛋白)"),
    DueKind.hearing: N_("Hearing screening (听力筛查)"),
    DueKind.vaccination: N_("Vaccination certificate (预防接种证)"),
}


class DueState(StrEnum):
    later = "later"  # not yet within the warning days
    due_soon = "due_soon"  # WARN: within the warning days, up to and including the due date
    overdue = "overdue"  # WARN: the due date has passed


def periodic_interval_months(months_at_exam: int, policy: Policy) -> int:
    """3 months in the 乳儿 band [6, 12), else 6 (from exactly 12 months on)."""
    if months_at_exam < policy.toddler_from_months:
        return policy.exam_interval_infant_months
    return policy.exam_interval_toddler_months


def age_at(birth_date: date, on: date) -> int:
    """Completed months on a day; a day before the birth counts as 0 (an exam is never dated so, but be safe)."""
    return completed_months(birth_date, on) if on >= birth_date else 0


def first_due(birth_date: date, start_date: date, policy: Policy) -> date:
    """With nothing recorded yet: due from the start here, or from 6 months of age if the child starts younger.

    The nursery answers for a child's exams from its start date only: a new
    child of 20 months without a recorded screening is due on the start date,
    not "overdue since 6 months of age".
    """
    return max(date_at_months(birth_date, policy.admission_min_months), start_date)


def within_care(birth_date: date, due_on: date, policy: Policy) -> date | None:
    """None when the child has left the age of care (36 months) by then: kindergarten takes over."""
    return due_on if due_on < date_at_months(birth_date, policy.ages_out_months) else None


def next_periodic_exam(birth_date: date, start_date: date, last_exam_on: date | None, policy: Policy) -> date | None:
    """The next periodic exam's due date after the last full exam (entry, periodic or return)."""
    if last_exam_on is None:
        due_on = first_due(birth_date, start_date, policy)
    else:
        interval = periodic_interval_months(age_at(birth_date, last_exam_on), policy)
        due_on = date_at_months(last_exam_on, interval)
    return within_care(birth_date, due_on, policy)


def next_screening(birth_date: date, start_date: date, last_on: date | None, policy: Policy) -> date | None:
    """Haemoglobin or hearing: a year after the last screening of that kind."""
    if last_on is None:
        due_on = first_due(birth_date, start_date, policy)
    else:
        due_on = date_at_months(last_on, policy.screening_interval_months)
    return within_care(birth_date, due_on, policy)


def due_state(due_on: date, today: date, policy: Policy) -> DueState:
    """WARN from `exam_warning_days` (30) before the due date, inclusive; overdue from the day after."""
    if today > due_on:
        return DueState.overdue
    if due_on - today <= timedelta(days=policy.exam_warning_days):
        return DueState.due_soon
    return DueState.later


def is_anaemic(haemoglobin_g_l: int | None, policy: Policy) -> bool:
    return haemoglobin_g_l is not None and haemoglobin_g_l < policy.anaemia_below_g_l


@dataclass(frozen=True)
class Due:
    """One item of a child's schedule: what, when, and whether to warn."""

    kind: DueKind
    due_on: date
    state: DueState
    last_on: date | None  # the last exam/screening of this kind (None: never recorded)

    @property
    def warn(self) -> bool:
        return self.state is not DueState.later

    @property
    def overdue(self) -> bool:
        return self.state is DueState.overdue


def schedule(
    birth_date: date,
    start_date: date,
    today: date,
    policy: Policy,
    *,
    last_exam_on: date | None,
    last_haemoglobin_on: date | None,
    last_hearing_on: date | None,
) -> list[Due]:
    """A child's exams and screenings still to come in care, each with its state today."""
    found = []
    for kind, due_on, last_on in (
        (DueKind.periodic, next_periodic_exam(birth_date, start_date, last_exam_on, policy), last_exam_on),
        (DueKind.haemoglobin, next_screening(birth_date, start_date, last_haemoglobin_on, policy), last_haemoglobin_on),
        (DueKind.hearing, next_screening(birth_date, start_date, last_hearing_on, policy), last_hearing_on),
    ):
        if due_on is not None:
            found.append(Due(kind, due_on, due_state(due_on, today, policy), last_on))
    return found
