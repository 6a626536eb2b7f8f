"""Parent committee rules: a member's term, a survey's satisfaction rate, dates in order, parent contact due.

Plain functions of values (no database, no HTTP); the service feeds them and the pages show what they say.
"""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from nursery_ops.billing.rules import round_half_up
from nursery_ops.children.rules import date_at_months
from nursery_ops.committee.models import ActivityKind
from nursery_ops.i18n import N_
from nursery_ops.policy import Decision, Mode

END_BEFORE_START = N_("The last day cannot be before the first day.")
RESPONSE_BEFORE_OPINION = N_("The response cannot be dated before the opinion ({date}).")
OPINION_AFTER_RESPONSE = N_("The opinion cannot be dated after the nursery's response ({date}).")
REQUIRED = N_("This field is required.")
ONLY_SURVEYS = N_("Only a satisfaction survey has a satisfaction rate.")
RATE_OR_COUNTS = N_("Enter the satisfaction rate, or how many were satisfied of how many were surveyed.")
NOBODY_SURVEYED = N_("At least one person must have been surveyed.")
MORE_SATISFIED_THAN_SURVEYED = N_("There cannot be more satisfied than surveyed.")
# The percent sign goes into the value: "%" next to a letter in a message id reads as a printf conversion.
RATE_MISMATCH = N_("The counts give {percent}; correct the rate or leave it empty.")

NO_ACTIVITY = N_("No parent activity in the last {months} months.")
NO_SURVEY = N_("No satisfaction survey in the last {months} months.")
NO_ACTIVITY_NOR_SURVEY = N_("No parent activity and no satisfaction survey in the last {months} months.")


class TermStatus(StrEnum):
    upcoming = "upcoming"
    active = "active"
    ended = "ended"


@dataclass(frozen=True)
class Term:
    """A member's term as it stands: from `starts` to `ends` (the last day; None while open)."""

    starts: date
    ends: date | None
    # The term ended because the guardian's last child left the nursery (DOMAIN.md: members are
    # guardians of enrolled children), not on a date the director set.
    child_left: bool = False

    def status(self, today: date) -> TermStatus:
        if self.starts > today:
            return TermStatus.upcoming
        if self.child_left or (self.ends is not None and self.ends < today):
            return TermStatus.ended
        return TermStatus.active

    def covers(self, day: date) -> bool:
        """A member on that day (may attend a meeting held then)."""
        if self.starts > day:
            return False
        if self.ends is None:
            return not self.child_left
        return day <= self.ends


def member_term(from_date: date, to_date: date | None, care_spans: list[tuple[date, date | None]], today: date) -> Term:
    """The term of a member whose children's enrolments run over `care_spans` (start, last day or None).

    While any child is in care today or later, the term is the one the director set. Once the last
    child has left, it ended on that child's last day of care, or on its own end if that came first.
    """
    if any(last is None or last >= today for _start, last in care_spans):
        return Term(from_date, to_date)
    left_on = max((last for _start, last in care_spans if last is not None), default=None)
    if to_date is not None and (left_on is None or to_date <= left_on):
        return Term(from_date, to_date)
    return Term(from_date, max(left_on, from_date) if left_on is not None else None, child_left=True)


def term_errors(from_date: date, to_date: date | None) -> dict:
    if to_date is not None and to_date < from_date:
        return {"to_date": END_BEFORE_START}
    return {}


def response_errors(given_on: date, responded_on: date) -> dict:
    """The nursery answers an opinion it has received: the response is not dated before the opinion."""
    if responded_on < given_on:
        return {"responded_on": Decision(Mode.block, RESPONSE_BEFORE_OPINION, {"date": given_on.isoformat()})}
    return {}


def opinion_date_errors(given_on: date, responded_on: date | None) -> dict:
    """Moving an opinion's date must not put it after the response already given."""
    if responded_on is not None and given_on > responded_on:
        return {"given_on": Decision(Mode.block, OPINION_AFTER_RESPONSE, {"date": responded_on.isoformat()})}
    return {}


def satisfaction_rate(
    kind: ActivityKind, percent: int | None, satisfied: int | None, surveyed: int | None
) -> tuple[int | None, dict]:
    """The survey's whole-percent rate (from the counts when given, halves up), or the errors by field.

    An activity has no rate. A survey needs the rate or both counts; given both, they must agree.
    """
    if kind is ActivityKind.activity:
        given = {"satisfaction_percent": percent, "satisfied_count": satisfied, "surveyed_count": surveyed}
        return None, {name: ONLY_SURVEYS for name, value in given.items() if value is not None}
    if satisfied is None and surveyed is None:
        return (percent, {}) if percent is not None else (None, {"satisfaction_percent": RATE_OR_COUNTS})
    errors = {name: REQUIRED for name, value in (("satisfied_count", satisfied), ("surveyed_count", surveyed))
              if value is None}
    if errors:
        return None, errors
    if surveyed == 0:
        return None, {"surveyed_count": NOBODY_SURVEYED}
    if satisfied > surveyed:
        return None, {"satisfied_count": MORE_SATISFIED_THAN_SURVEYED}
    computed = round_half_up(Fraction(satisfied * 100, surveyed))
    if percent is not None and percent != computed:
        return None, {"satisfaction_percent": Decision(Mode.block, RATE_MISMATCH, {"percent": f"{computed}%"})}
    return computed, {}


def next_due(last: date | None, interval_months: int) -> date | None:
    """The last day the next one may be held: `interval_months` after the last (month ends clamp)."""
    return date_at_months(last, interval_months) if last is not None else None


def is_overdue(last: date | None, today: date, interval_months: int) -> bool:
    """Overdue from the day after the due day; never held at all is overdue too."""
    return last is None or today > next_due(last, interval_months)


def parent_contact_warning(
    last_activity: date | None, last_survey: date | None, today: date, interval_months: int
) -> Decision | None:
    """WARN (DOMAIN.md): a parent activity and a satisfaction survey at least every `interval_months` months."""
    activity_due = is_overdue(last_activity, today, interval_months)
    survey_due = is_overdue(last_survey, today, interval_months)
    if activity_due and survey_due:
        message = NO_ACTIVITY_NOR_SURVEY
    elif activity_due:
        message = NO_ACTIVITY
    elif survey_due:
        message = NO_SURVEY
    else:
        return None
    return Decision(Mode.warn, message, {"months": interval_months})
