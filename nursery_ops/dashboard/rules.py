"""How the director's alerts are grouped and ordered (DOMAIN.md: every WARN is an alert on the dashboard). Plain data."""

from collections.abc import Iterable
from enum import StrEnum

from nursery_ops.i18n import N_


class AlertGroup(StrEnum):
    rooms = "rooms"
    health = "health"
    staff = "staff"
    admission = "admission"
    money = "money"
    families = "families"


GROUP_TITLES = {
    AlertGroup.rooms: N_("Today in the rooms"),
    AlertGroup.health: N_("Health"),
    AlertGroup.staff: N_("Staff"),
    AlertGroup.admission: N_("Admission"),
    AlertGroup.money: N_("Money"),
    AlertGroup.families: N_("Families"),
}

# Each alert kind's heading and rank under it. What may harm a child now comes first
# (an unwatched sleeper, a room short of staff, a child nobody has accounted for), then
# what has a legal deadline (an outbreak report within 24 h, a refund within 15 days),
# then what the office can plan.
ALERT_ORDER: dict[str, tuple[AlertGroup, int]] = {
    "sleep_overdue": (AlertGroup.rooms, 0),
    "below_ratio": (AlertGroup.rooms, 1),
    "reason_needed": (AlertGroup.rooms, 2),
    "call_family": (AlertGroup.rooms, 3),
    "outdoor": (AlertGroup.rooms, 4),
    "outbreak": (AlertGroup.health, 0),
    "midday_missing": (AlertGroup.health, 1),
    "incident_sign_off": (AlertGroup.health, 2),
    "exam_overdue": (AlertGroup.health, 3),
    "growth": (AlertGroup.health, 4),
    # A caregiver without a valid certificate may not work with children; then the posts the rules require.
    "certificate_missing": (AlertGroup.staff, 0),
    "roster_short": (AlertGroup.staff, 1),
    "security_short": (AlertGroup.staff, 2),
    "health_staff_short": (AlertGroup.staff, 3),
    "certificate_expiring": (AlertGroup.staff, 4),
    "filed_capacity": (AlertGroup.admission, 0),
    "admission_incomplete": (AlertGroup.admission, 1),
    "vaccination_overdue": (AlertGroup.admission, 2),
    "band_change": (AlertGroup.admission, 3),
    "late_refunds": (AlertGroup.money, 0),
    "meal_account": (AlertGroup.money, 1),
    "parent_contact": (AlertGroup.families, 0),
}


def grouped(alerts: Iterable) -> list[tuple[AlertGroup, list]]:
    """The groups that have alerts, in the page's order, each most urgent first (alerts of one kind keep their order)."""
    order = list(AlertGroup)
    ranked = sorted(alerts, key=lambda alert: (order.index(ALERT_ORDER[alert.kind][0]), ALERT_ORDER[alert.kind][1]))
    groups: dict[AlertGroup, list] = {}
    for alert in ranked:
        groups.setdefault(ALERT_ORDER[alert.kind][0], []).append(alert)
    return list(groups.items())
