"""Daily-log rules (DOMAIN.md "Daily log"). Plain functions."""

from datetime import datetime, timedelta

from nursery_ops.policy import Policy


def sleep_check_due_at(nap_started_at: datetime, last_check_at: datetime | None, policy: Policy) -> datetime:
    """When a sleeping child's next sleep check is due (every `sleep_check_minutes`, 15 by default)."""
    return (last_check_at or nap_started_at) + timedelta(minutes=policy.sleep_check_minutes)


def sleep_check_overdue(nap_started_at: datetime, last_check_at: datetime | None, now: datetime, policy: Policy) -> bool:
    """WARN when more than `sleep_check_minutes` have passed without a check."""
    return now > sleep_check_due_at(nap_started_at, last_check_at, policy)
