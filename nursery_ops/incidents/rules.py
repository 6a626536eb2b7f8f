"""Incident rules as plain functions: what still blocks closing, and which times make sense.

DOMAIN.md "The day": an incident records guardian notification (time required),
cause and corrective action, and the director's sign-off; suspected abuse or
domestic violence also needs a police-report record before it can be closed
(未成年人保护法 第11条 obliges the nursery to report it).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo

from nursery_ops.i18n import N_
from nursery_ops.incidents.models import IncidentCategory

# Categories that must be reported to the police before the incident can be closed.
POLICE_REPORT_CATEGORIES = frozenset({IncidentCategory.suspected_abuse})
# Categories read only by the director, the health officer and the person who reported it: a
# suspicion of abuse names the child and possibly a member of staff or the family (未成年人保护法,
# 个人信息保护法), and never reaches the family page.
RESTRICTED_CATEGORIES = frozenset({IncidentCategory.suspected_abuse})


def may_read(category: IncidentCategory, *, reads_every_record: bool, reported_it: bool, cares_for_child: bool) -> bool:
    """Who reads an incident: the director and the health officer any; its reporter theirs; a caregiver
    the incidents of their rooms' children, but never a restricted one they did not report."""
    if reads_every_record or reported_it:
        return True
    return cares_for_child and category not in RESTRICTED_CATEGORIES


@dataclass(frozen=True)
class Step:
    """A step still missing before an incident can be closed."""

    key: str
    message: str


GUARDIAN_NOT_NOTIFIED = Step("guardian_notified", N_("The guardian has not been notified yet (time and how)."))
NO_CAUSE = Step("cause", N_("The cause is not recorded."))
NO_CORRECTIVE_ACTION = Step("corrective_action", N_("The corrective action is not recorded."))
NO_POLICE_REPORT = Step(
    "police_report",
    N_("Suspected abuse: the police report is not recorded (未成年人保护法 第11条 obliges the report)."),
)
NOT_SIGNED_OFF = Step("sign_off", N_("The director has not signed off."))


def needs_police_report(category: IncidentCategory) -> bool:
    return category in POLICE_REPORT_CATEGORIES


def close_blockers(
    category: IncidentCategory,
    *,
    guardian_notified: bool,
    cause: str,
    corrective_action: str,
    police_reported: bool,
    signed_off: bool,
) -> list[Step]:
    """Every step that still stands between this incident and closing it, in the order they are done."""
    missing = []
    if not guardian_notified:
        missing.append(GUARDIAN_NOT_NOTIFIED)
    if not cause.strip():
        missing.append(NO_CAUSE)
    if not corrective_action.strip():
        missing.append(NO_CORRECTIVE_ACTION)
    if needs_police_report(category) and not police_reported:
        missing.append(NO_POLICE_REPORT)
    if not signed_off:
        missing.append(NOT_SIGNED_OFF)
    return missing


def local_moment(day: date, clock: time, zone: tzinfo) -> datetime:
    """A date and a wall-clock time at the nursery, as an aware timestamp."""
    return datetime.combine(day, clock.replace(second=0, microsecond=0), tzinfo=zone)


IN_FUTURE = N_("This time is in the future.")
BEFORE_INCIDENT = N_("This time is before the incident happened.")


def occurred_error(occurred_at: datetime, now: datetime) -> str | None:
    if occurred_at > now:
        return IN_FUTURE
    return None


def follow_up_error(moment: datetime, occurred_at: datetime, now: datetime) -> str | None:
    """A notification or report time: after the incident (same minute allowed), not in the future."""
    if moment > now:
        return IN_FUTURE
    if moment < occurred_at.replace(second=0, microsecond=0):
        return BEFORE_INCIDENT
    return None


def hospital_error(referral: bool, hospital: str) -> str | None:
    if referral and not hospital.strip():
        return N_("Say where the child was taken.")
    return None
